/**
 * Mini-batches for training and evaluation: a seeded shuffle per (seed, epoch), standard
 * CIFAR augmentation (zero padding + random crop, random horizontal flip) and per-channel
 * normalisation, into Float32Array buffers that are reused from batch to batch.
 *
 * @module
 */
import type { ImageSet, MemoryImageSet } from "./image_set.ts";
import { mixSeed, type Rng, shuffledIndices, splitmix32, uniformInt } from "./rng.ts";

export { type ChannelStats, channelStats } from "./stats.ts";

/**
 * Per-channel mean and std on the 0..1 scale, e.g. from {@link channelStats}. A type alias
 * (not an interface), so that it is assignable to JSON object types with index signatures.
 */
export type Normalisation = {
  readonly mean: readonly number[];
  readonly std: readonly number[];
};

/**
 * The seed of image `index`'s augmentation in a streamed set: its own stream per (seed, epoch,
 * image), so that workers decoding images in any order draw what one thread would.
 */
export function imageSeed(seed: number, epoch: number, index: number): number {
  return mixSeed(seed, epoch, 3, index);
}

/** The order images are visited in: seeded per (seed, epoch), or the set's own. */
export function visitOrder(count: number, shuffle: boolean, seed: number, epoch: number) {
  return shuffle
    ? shuffledIndices(count, splitmix32(mixSeed(seed, epoch, 1)))
    : Int32Array.from({ length: count }, (_, i) => i);
}

/** Options of {@link batches}. */
export interface BatchOptions {
  /** Images per batch (a positive integer). */
  readonly batchSize: number;
  /** Seed of the shuffle and of the augmentation (default 0). */
  readonly seed?: number;
  /** Epoch number: each (seed, epoch) has its own order and augmentation (default 0). */
  readonly epoch?: number;
  /** Visit images in a seeded random order (default true); false keeps set order. */
  readonly shuffle?: boolean;
  /** Pad with black pixels, crop back at a random offset, flip half of the images (default false). */
  readonly augment?: boolean;
  /** Padding on each side for the random crop (default 4). */
  readonly pad?: number;
  /** Per-channel mean on the 0..1 scale, subtracted (default 0). */
  readonly mean?: readonly number[];
  /** Per-channel std on the 0..1 scale, divided by (default 1). */
  readonly std?: readonly number[];
  /** Skip the last batch when it is smaller than batchSize (default false). */
  readonly dropLast?: boolean;
}

/**
 * One batch. Its arrays are views on buffers that the next batch overwrites: a batch is
 * valid until the generator is resumed; copy what you keep.
 */
export interface Batch {
  /** size * height * width * channels normalised values, HWC per image. */
  readonly x: Float32Array;
  /** size labels. */
  readonly y: Int32Array;
  /** Index in the set of each image of the batch. */
  readonly indices: Int32Array;
  readonly size: number;
}

/**
 * Number of batches {@link batches} yields for `count` images.
 *
 * @example
 * ```ts
 * import { batchCount } from "./batches.ts";
 * console.log(batchCount(10, 4, false), batchCount(10, 4, true)); // 3 2
 * ```
 */
export function batchCount(count: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(count / batchSize) : Math.ceil(count / batchSize);
}

/** A crop offset of the padded image and a flip: output (y, x) reads input (y + dy, x' + dx). */
export interface CropFlip {
  /** Vertical shift in -pad .. pad (the crop starts at dy + pad in the padded image). */
  dy: number;
  /** Horizontal shift in -pad .. pad. */
  dx: number;
  /** Mirror left-right after cropping: x' = width - 1 - x. */
  flip: boolean;
}

/**
 * Lookup table of normalised values: lut[c * 256 + v] = (v / 255 - mean[c]) / std[c].
 *
 * @example
 * ```ts
 * import { normalisationTable } from "./batches.ts";
 * const lut = normalisationTable(3, [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
 * console.log(lut[0], lut[255]); // -1 1
 * ```
 */
export function normalisationTable(
  channels: number,
  mean: readonly number[],
  std: readonly number[],
): Float32Array {
  if (mean.length !== channels || std.length !== channels || std.some((s) => !(s > 0))) {
    throw new RangeError(`mean and std need ${channels} values each, std > 0`);
  }
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]) / std[c];
  }
  return lut;
}

/**
 * Writes image `index` of `set`, shifted (pixels from outside the image are black, i.e.
 * lut[c * 256]), optionally flipped, and normalised through `lut`, into `out` at `offset`.
 *
 * @example
 * ```ts
 * import { cifarImageSet } from "./image_set.ts";
 * import { cropFlipInto, normalisationTable } from "./batches.ts";
 * const set = cifarImageSet("one", new Uint8Array(3072).fill(255), new Int32Array(1), 10);
 * const out = new Float32Array(3072);
 * cropFlipInto(set, 0, { dy: -4, dx: 0, flip: false }, normalisationTable(3, [0, 0, 0], [1, 1, 1]), out, 0);
 * console.log(out[0], out[3071]); // 0 1  (top rows padded, bottom rows from the image)
 * ```
 */
export function cropFlipInto(
  set: MemoryImageSet,
  index: number,
  shift: Readonly<CropFlip>,
  lut: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const { height: h, width: w, channels: ch, images } = set;
  const rowBytes = w * ch;
  const src = index * h * rowBytes;
  for (let yy = 0; yy < h; yy++) {
    const sy = yy + shift.dy;
    const o = offset + yy * rowBytes;
    if (sy < 0 || sy >= h) {
      for (let i = 0; i < rowBytes; i++) out[o + i] = lut[(i % ch) * 256];
      continue;
    }
    const row = src + sy * rowBytes;
    for (let xx = 0; xx < w; xx++) {
      const sx = (shift.flip ? w - 1 - xx : xx) + shift.dx;
      const p = o + xx * ch;
      if (sx < 0 || sx >= w) {
        for (let c = 0; c < ch; c++) out[p + c] = lut[c * 256];
      } else {
        const s = row + sx * ch;
        for (let c = 0; c < ch; c++) out[p + c] = lut[c * 256 + images[s + c]];
      }
    }
  }
}

/** Writes `size` bytes of `src` from `from` through `lut` into `out` at `offset`. */
export function normaliseInto(
  src: Uint8Array,
  from: number,
  size: number,
  channels: number,
  lut: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  for (let k = 0; k < size; k += channels) {
    for (let c = 0; c < channels; c++) out[offset + k + c] = lut[c * 256 + src[from + k + c]];
  }
}

/**
 * Yields the batches of one epoch over `set`. The same (seed, epoch) gives the same
 * batches bit for bit; every image appears once per epoch (except those in a dropped last
 * batch). The yielded arrays are reused: a batch is valid until the next one is requested.
 * A streamed set is read image by image as batches are asked for (with `augment`, through
 * its training transform; without, its evaluation one); its read errors are thrown.
 * Throws RangeError on invalid options (a programming error).
 *
 * @example
 * ```ts
 * import { cifarImageSet } from "./image_set.ts";
 * import { batches } from "./batches.ts";
 * const set = cifarImageSet("toy", new Uint8Array(5 * 3072), new Int32Array([0, 1, 2, 3, 4]), 10);
 * for (const b of batches(set, { batchSize: 2, seed: 1, epoch: 0, augment: true })) {
 *   console.log(b.size, b.x.length, [...b.y]); // e.g. 2 6144 [3, 0]
 * }
 * ```
 */
export function* batches(set: ImageSet, options: BatchOptions): Generator<Batch, void, void> {
  const { batchSize, seed, epoch, augment, pad, ch, lut, imageSize, order, total } = batchPlan(
    set,
    options,
  );
  const rng: Rng = splitmix32(mixSeed(seed, epoch, 2));
  const imageRng = (index: number) => splitmix32(imageSeed(seed, epoch, index));
  const x = new Float32Array(batchSize * imageSize);
  const y = new Int32Array(batchSize);
  const indices = new Int32Array(batchSize);
  const shift: CropFlip = { dy: 0, dx: 0, flip: false };
  const pixels = set.kind === "streamed" ? new Uint8Array(imageSize) : set.images;
  for (let b = 0; b < total; b++) {
    const size = Math.min(batchSize, set.count - b * batchSize);
    for (let i = 0; i < size; i++) {
      const index = order[b * batchSize + i];
      indices[i] = index;
      y[i] = set.labels[index];
      const o = i * imageSize;
      if (set.kind === "streamed") {
        set.read(index, pixels, 0, augment ? imageRng(index) : undefined);
        normaliseInto(pixels, 0, imageSize, ch, lut, x, o);
      } else if (augment) {
        shift.dy = uniformInt(rng, 2 * pad + 1) - pad;
        shift.dx = uniformInt(rng, 2 * pad + 1) - pad;
        shift.flip = (rng() & 1) === 1;
        cropFlipInto(set, index, shift, lut, x, o);
      } else {
        normaliseInto(pixels, index * imageSize, imageSize, ch, lut, x, o);
      }
    }
    yield batchView({ x, y, indices }, size, imageSize);
  }
}

/**
 * What `batches()` and `prefetch.ts` derive from their options: the options with their
 * defaults, the normalisation table, the visiting order and the number of batches. Throws
 * RangeError on a batch size that is not a positive integer.
 */
export function batchPlan(set: ImageSet, options: BatchOptions) {
  const { batchSize, seed = 0, epoch = 0, shuffle = true, augment = false, pad = 4 } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  const ch = set.channels;
  const lut = normalisationTable(
    ch,
    options.mean ?? Array(ch).fill(0),
    options.std ?? Array(ch).fill(1),
  );
  return {
    batchSize,
    seed,
    epoch,
    augment,
    pad,
    ch,
    lut,
    imageSize: set.height * set.width * ch,
    order: visitOrder(set.count, shuffle, seed, epoch),
    total: batchCount(set.count, batchSize, options.dropLast ?? false),
  };
}

/** A batch of `size` images in buffers made for full batches (shorter views when short). */
export function batchView(
  buffers: { readonly x: Float32Array; readonly y: Int32Array; readonly indices: Int32Array },
  size: number,
  imageSize: number,
): Batch {
  const { x, y, indices } = buffers;
  return size === y.length ? { x, y, indices, size } : {
    x: x.subarray(0, size * imageSize),
    y: y.subarray(0, size),
    indices: indices.subarray(0, size),
    size,
  };
}
