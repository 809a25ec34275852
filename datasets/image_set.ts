/**
 * Image sets as plain typed arrays: no tensors, so any backend can consume them.
 *
 * @module
 */
import type { Rng } from "./rng.ts";

/** Height of a CIFAR image in pixels. */
export const CIFAR_HEIGHT = 32;
/** Width of a CIFAR image in pixels. */
export const CIFAR_WIDTH = 32;
/** Colour channels of a CIFAR image (R, G, B). */
export const CIFAR_CHANNELS = 3;
/** Bytes of one CIFAR image: 32 x 32 x 3. */
export const CIFAR_IMAGE_BYTES = CIFAR_HEIGHT * CIFAR_WIDTH * CIFAR_CHANNELS;

/**
 * N images of height x width x channels, uint8, HWC (R, G, B interleaved), with labels:
 * either all in memory ({@link MemoryImageSet}) or read from disk batch by batch
 * ({@link StreamedImageSet}).
 */
export type ImageSet = MemoryImageSet | StreamedImageSet;

/** What every image set has besides its pixels. */
interface ImageSetShape {
  /** e.g. `"cifar10/train"`. */
  readonly name: string;
  /** count labels in 0 .. classes - 1. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** 10 (CIFAR-10), 100 (CIFAR-100 fine), 20 (CIFAR-100 coarse), 1000 (ImageNet-1K). */
  readonly classes: number;
}

/** An image set whose pixels are all in memory (CIFAR). */
export interface MemoryImageSet extends ImageSetShape {
  readonly kind: "memory";
  /** count * height * width * channels bytes; image i starts at i * height * width * channels. */
  readonly images: Uint8Array;
}

/** One image file of a folder set and the sizes its transforms produce (see `imagenet_folder.ts`). */
export interface ImageJob {
  readonly file: string;
  /** Side of the square the image is cropped to. */
  readonly size: number;
  /** Shorter side the evaluation transform resizes to before its centre crop. */
  readonly resize: number;
}

/**
 * Reads one image of a streamed set (decodes and transforms it) into a buffer. With `rng`
 * it applies the training transform (random crop, flip), without it the evaluation one,
 * so that every read yields height x width x channels bytes. Throws a `DataErrorThrown`
 * (from `errors.ts`) naming the file when the image cannot be read.
 */
export type ReadImage = (index: number, out: Uint8Array, offset: number, rng?: Rng) => void;

/**
 * An image set read from disk one batch at a time (ImageNet: 1.28 M JPEG files), so that
 * memory stays flat whatever its size.
 */
export interface StreamedImageSet extends ImageSetShape {
  readonly kind: "streamed";
  /** Image i of the set; `takeImages` keeps indices, so a prefix reads the same files. */
  readonly read: ReadImage;
  /**
   * What a worker needs to read image i as `read` does (see `prefetch.ts`, which decodes the
   * next batch in workers while the current one trains); absent: `read` alone.
   */
  readonly job?: (index: number) => ImageJob;
  /** The normalisation this data set is used with (its published per-channel statistics). */
  readonly normalisation: { readonly mean: readonly number[]; readonly std: readonly number[] };
}

/** A training set and a test set. */
export interface Split<S extends ImageSet = ImageSet> {
  readonly train: S;
  readonly test: S;
}

/**
 * Wraps 32x32x3 images and their labels as an {@link ImageSet}; the arrays are used, not
 * copied. Throws if their lengths disagree (a programming error, not a data error).
 *
 * @example
 * ```ts
 * import { cifarImageSet } from "./image_set.ts";
 * const set = cifarImageSet("toy", new Uint8Array(2 * 3072), new Int32Array([3, 7]), 10);
 * console.log(set.count); // 2
 * ```
 */
export function cifarImageSet(
  name: string,
  images: Uint8Array,
  labels: Int32Array,
  classes: number,
): MemoryImageSet {
  if (images.length !== labels.length * CIFAR_IMAGE_BYTES) {
    throw new RangeError(
      `${name}: ${images.length} image bytes do not match ${labels.length} labels`,
    );
  }
  return {
    kind: "memory",
    name,
    images,
    labels,
    count: labels.length,
    height: CIFAR_HEIGHT,
    width: CIFAR_WIDTH,
    channels: CIFAR_CHANNELS,
    classes,
  };
}

/**
 * Counts the images of each class.
 *
 * @example
 * ```ts
 * import { cifarImageSet, classCounts } from "./image_set.ts";
 * const set = cifarImageSet("toy", new Uint8Array(3 * 3072), new Int32Array([1, 1, 0]), 3);
 * console.log(classCounts(set)); // [1, 2, 0]
 * ```
 */
export function classCounts(set: ImageSet): number[] {
  const counts = new Array<number>(set.classes).fill(0);
  for (let i = 0; i < set.count; i++) counts[set.labels[i]]++;
  return counts;
}

/**
 * The first `n` images of a set, as views on the same memory (no copy); for a streamed set,
 * the same reader over its first `n` indices.
 *
 * @example
 * ```ts
 * import { cifarImageSet, takeImages } from "./image_set.ts";
 * const set = cifarImageSet("toy", new Uint8Array(3 * 3072), new Int32Array([1, 1, 0]), 3);
 * console.log(takeImages(set, 2).count); // 2
 * ```
 */
export function takeImages(set: ImageSet, n: number): ImageSet {
  const count = Math.max(0, Math.min(set.count, Math.floor(n)));
  if (count === set.count) return set;
  if (set.kind === "streamed") return { ...set, labels: set.labels.subarray(0, count), count };
  const bytes = set.height * set.width * set.channels;
  return {
    ...set,
    images: set.images.subarray(0, count * bytes),
    labels: set.labels.subarray(0, count),
    count,
  };
}
