/**
 * Image sets as plain typed arrays: no tensors, so any backend can consume them.
 *
 * @module
 */

/** Height of a CIFAR image in pixels. */
export const CIFAR_HEIGHT = 32;
/** Width of a CIFAR image in pixels. */
export const CIFAR_WIDTH = 32;
/** Colour channels of a CIFAR image (R, G, B). */
export const CIFAR_CHANNELS = 3;
/** Bytes of one CIFAR image: 32 x 32 x 3. */
export const CIFAR_IMAGE_BYTES = CIFAR_HEIGHT * CIFAR_WIDTH * CIFAR_CHANNELS;

/** N images of height x width x channels, uint8, HWC (R, G, B interleaved), with labels. */
export interface ImageSet {
  /** e.g. `"cifar10/train"`. */
  readonly name: string;
  /** count * height * width * channels bytes; image i starts at i * height * width * channels. */
  readonly images: Uint8Array;
  /** count labels in 0 .. classes - 1. */
  readonly labels: Int32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  /** 10 (CIFAR-10), 100 (CIFAR-100 fine) or 20 (CIFAR-100 coarse). */
  readonly classes: number;
}

/** A training set and a test set. */
export interface Split {
  readonly train: ImageSet;
  readonly test: ImageSet;
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
): ImageSet {
  if (images.length !== labels.length * CIFAR_IMAGE_BYTES) {
    throw new RangeError(
      `${name}: ${images.length} image bytes do not match ${labels.length} labels`,
    );
  }
  return {
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
 * The first `n` images of a set, as views on the same memory (no copy).
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
  const bytes = set.height * set.width * set.channels;
  return {
    ...set,
    images: set.images.subarray(0, count * bytes),
    labels: set.labels.subarray(0, count),
    count,
  };
}
