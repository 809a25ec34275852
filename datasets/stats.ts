/**
 * Per-channel statistics of an image set.
 *
 * @module
 */
import type { ImageSet } from "./image_set.ts";

/** Per-channel mean and (population) standard deviation, on the 0..1 scale (a JSON-able type). */
export type ChannelStats = {
  readonly mean: readonly number[];
  readonly std: readonly number[];
};

/**
 * Per-channel mean and standard deviation of all pixels of a set, on the 0..1 scale
 * (pixel / 255). Sums are exact integers in float64, so the result does not depend on
 * the order of the images. A streamed set (ImageNet) is not read through: it gives the
 * published statistics it carries.
 *
 * @example
 * ```ts
 * import { cifarImageSet } from "./image_set.ts";
 * import { channelStats } from "./stats.ts";
 * const images = new Uint8Array(3072);
 * for (let i = 0; i < images.length; i += 3) images[i] = 255; // all red
 * const stats = channelStats(cifarImageSet("red", images, new Int32Array([0]), 10));
 * console.log(stats.mean, stats.std); // [1, 0, 0] [0, 0, 0]
 * ```
 */
export function channelStats(set: ImageSet): ChannelStats {
  if (set.kind === "streamed") return set.normalisation;
  const channels = set.channels;
  const sum = new Float64Array(channels);
  const squares = new Float64Array(channels);
  const images = set.images;
  const pixels = set.count * set.height * set.width;
  // Sums of squares stay below 2^53 for up to 10^11 pixels, so they are exact.
  for (let c = 0; c < channels; c++) {
    let s = 0;
    let q = 0;
    for (let i = c; i < images.length; i += channels) {
      const v = images[i];
      s += v;
      q += v * v;
    }
    sum[c] = s;
    squares[c] = q;
  }
  const mean: number[] = [];
  const std: number[] = [];
  for (let c = 0; c < channels; c++) {
    const m = pixels === 0 ? 0 : sum[c] / pixels;
    const variance = pixels === 0 ? 0 : Math.max(0, squares[c] / pixels - m * m);
    mean.push(m / 255);
    std.push(Math.sqrt(variance) / 255);
  }
  return { mean, std };
}
