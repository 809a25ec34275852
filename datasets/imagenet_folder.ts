/**
 * ImageNet-1K as a folder of JPEG files, `<root>/train/<wnid>/*.JPEG` and
 * `<root>/val/<wnid>/*.JPEG`, streamed: only file names and labels are held; each read
 * decodes one file (jpeg-js) and transforms it (`image_transforms.ts`).
 *
 * @module
 */
import { decode as decodePng } from "fast-png";
import jpeg from "jpeg-js";
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { type DataError, dataError, DataErrorThrown, fileError } from "./errors.ts";
import type { ImageJob, ReadImage, Split, StreamedImageSet } from "./image_set.ts";
import type { Rng } from "./rng.ts";
import { evalTransformInto, type RgbImage, trainTransformInto } from "./image_transforms.ts";
import { listImageFolder, type PartListing } from "./image_folder_listing.ts";

/** ImageNet's published per-channel mean and std (on the 0..1 scale). */
export const IMAGENET_NORMALISATION = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
} as const;

/** Options of {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Side of the square images the sets yield (default 224). */
  readonly size?: number;
  /** Evaluation: the shorter side is resized to this before the centre crop (default 256). */
  readonly resize?: number;
  /** The number of class folders `train/` must have, e.g. 1000 (default: any). */
  readonly classes?: number;
}

/** jpeg-js refuses images whose decoding would need more memory than this. */
const MAX_DECODE_MB = 1024;

/** Does the JPEG stream end (EOI, FF D9) after its last scan (SOS, FF DA)? */
function endsAfterLastScan(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 2; i >= 0; i--) {
    if (bytes[i] !== 0xff) continue;
    if (bytes[i + 1] === 0xd9) return true;
    if (bytes[i + 1] === 0xda) return false;
  }
  return false;
}

/**
 * Decodes a baseline or progressive JPEG (grey, YCbCr or Adobe CMYK) into RGB. A file
 * that does not start with FF D8 is not a JPEG (BadFormat); one whose last scan is not
 * followed by the end marker FF D9 is cut short (TruncatedFile).
 *
 * @example
 * ```ts
 * import { decode as decodePng } from "fast-png";
import jpeg from "jpeg-js";
 * import { decodeJpeg } from "./imagenet_folder.ts";
 * const rgba = new Uint8Array(8 * 8 * 4).fill(255);
 * const bytes = jpeg.encode({ data: rgba, width: 8, height: 8 }, 90).data;
 * const image = decodeJpeg(bytes, "white.jpg");
 * console.log(image._tag === "Right" && image.right.data.length); // 192
 * console.log(decodeJpeg(bytes.subarray(0, 100), "cut.jpg")._tag); // "Left"
 * ```
 */
export function decodeJpeg(bytes: Uint8Array, file: string): E.Either<DataError, RgbImage> {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8) {
    return E.left(
      dataError("BadFormat", file, "a JPEG image", "not a JPEG (it does not start with FF D8)"),
    );
  }
  if (!endsAfterLastScan(bytes)) {
    const actual = `${bytes.length} bytes that stop before the JPEG end marker FF D9`;
    return E.left(dataError("TruncatedFile", file, "a whole JPEG image", actual));
  }
  try {
    const { data, width, height } = jpeg.decode(bytes, {
      useTArray: true,
      formatAsRGBA: false,
      tolerantDecoding: false,
      maxMemoryUsageInMB: MAX_DECODE_MB,
    });
    return E.right({ data, width, height });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return E.left(dataError("BadFormat", file, "a JPEG image", `cannot be decoded: ${why}`));
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/**
 * Decodes a PNG into RGB (8-bit grey, grey + alpha, RGB or RGBA; alpha dropped). ImageNet's
 * training set holds one PNG named `.JPEG` (n02105855_2933.JPEG); it is read as what it is.
 */
function decodePngRgb(bytes: Uint8Array, file: string): E.Either<DataError, RgbImage> {
  try {
    const png = decodePng(bytes, { checkCrc: true });
    const channels = png.channels;
    if (png.depth !== 8 || png.palette !== undefined) {
      const actual = `a ${png.depth}-bit${png.palette ? " palette" : ""} PNG`;
      return E.left(dataError("BadFormat", file, "a JPEG (or 8-bit PNG) image", actual));
    }
    const pixels = png.width * png.height;
    const data = new Uint8Array(pixels * 3);
    for (let p = 0; p < pixels; p++) {
      for (let c = 0; c < 3; c++) data[p * 3 + c] = png.data[p * channels + (channels < 3 ? 0 : c)];
    }
    return E.right({ data, width: png.width, height: png.height });
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return E.left(dataError("BadFormat", file, "a PNG image", `cannot be decoded: ${why}`));
  }
}

/** A JPEG, or a PNG that carries a JPEG name (see {@link decodePngRgb}). */
function decodeImage(bytes: Uint8Array, file: string): E.Either<DataError, RgbImage> {
  const isPng = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  return isPng ? decodePngRgb(bytes, file) : decodeJpeg(bytes, file);
}

/** The path of image `index` of a listing. */
function pathOf(part: PartListing, classNames: readonly string[], index: number): string {
  const name = part.names.slice(part.starts[index], part.starts[index + 1]);
  return `${part.dir}/${classNames[part.labels[index]]}/${name}`;
}

/**
 * Reads, decodes and transforms the image of `job` into `out` at `offset`: the training
 * transform with `rng`, the evaluation one without. Throws a `DataErrorThrown` naming the file
 * when it cannot be read or decoded. `decode_worker.ts` runs the same in workers.
 */
export function readImageFile(job: ImageJob, out: Uint8Array, offset: number, rng?: Rng): void {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(job.file);
  } catch (e) {
    throw new DataErrorThrown(fileError(job.file, e));
  }
  const image = decodeImage(bytes, job.file);
  if (E.isLeft(image)) throw new DataErrorThrown(image.left);
  if (rng === undefined) {
    evalTransformInto(image.right, out, offset, { size: job.size, resize: job.resize });
  } else trainTransformInto(image.right, rng, out, offset, { size: job.size });
}

/** The job of image `index` of a listing. */
function jobOf(
  part: PartListing,
  classNames: readonly string[],
  options: ImageFolderOptions,
): (index: number) => ImageJob {
  const { size = 224, resize = 256 } = options;
  return (index) => {
    if (!(index >= 0 && index < part.labels.length)) {
      throw new RangeError(`image ${index} of ${part.labels.length}`);
    }
    return { file: pathOf(part, classNames, index), size, resize };
  };
}

function readerOf(job: (index: number) => ImageJob): ReadImage {
  return (index, out, offset, rng) => readImageFile(job(index), out, offset, rng);
}

function streamedSet(
  name: string,
  part: PartListing,
  classNames: readonly string[],
  options: ImageFolderOptions,
): StreamedImageSet {
  const size = options.size ?? 224;
  const job = jobOf(part, classNames, options);
  return {
    kind: "streamed",
    name,
    labels: part.labels,
    count: part.labels.length,
    height: size,
    width: size,
    channels: 3,
    classes: classNames.length,
    read: readerOf(job),
    job,
    normalisation: IMAGENET_NORMALISATION,
  };
}

/**
 * Lists an ImageNet-style folder (`<root>/train/<class>/`, `<root>/val/<class>/`, JPEG
 * files `.jpeg`/`.jpg` in any case, dot-files ignored) as two streamed sets,
 * `imagenet/train` and `imagenet/val`. Class i is the i-th of train's class folders in
 * sorted order (as torchvision's ImageFolder numbers them). Files are listed in sorted
 * order per class and the classes interleaved round-robin (image 0 of each class, then
 * image 1 of each, ...), so that `takeImages(set, n)` covers min(n, classes) classes.
 * Reads use the training transform with an rng, the evaluation one without; a file that
 * cannot be read or decoded throws a `DataErrorThrown` naming it. Layout errors are Left:
 * a missing folder, a val class that train lacks, an empty class, a class count other
 * than `options.classes`, a file that is not a JPEG.
 *
 * @example
 * ```ts
 * import { loadImageFolder } from "./imagenet_folder.ts";
 * const split = await loadImageFolder("/data/imagenet", { classes: 1000 })();
 * if (split._tag === "Left") console.error(split.left.message);
 * else console.log(split.right.train.count, split.right.test.height); // 1281167 224
 * ```
 */
export function loadImageFolder(
  root: string,
  options: ImageFolderOptions = {},
): TE.TaskEither<DataError, Split<StreamedImageSet>> {
  return async () => {
    const { size = 224, resize = 256 } = options;
    if (!(Number.isInteger(size) && size > 0 && Number.isInteger(resize) && resize >= size)) {
      throw new RangeError(`size ${size} and resize ${resize}: need integers, resize >= size > 0`);
    }
    const listing = await listImageFolder(root.replace(/\/+$/, "") || "/", options.classes);
    if (E.isLeft(listing)) return listing;
    const { classNames, train, val } = listing.right;
    return E.right({
      train: streamedSet("imagenet/train", train, classNames, options),
      test: streamedSet("imagenet/val", val, classNames, options),
    });
  };
}
