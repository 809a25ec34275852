import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type Batch,
  batchCount,
  batches,
  type BatchOptions,
  cropFlipInto,
  normalisationTable,
} from "../datasets/batches.ts";
import {
  cifarImageSet,
  type ImageSet,
  type MemoryImageSet,
  takeImages,
} from "../datasets/image_set.ts";
import { mixSeed, shuffledIndices, splitmix32 } from "../datasets/rng.ts";
import { channelStats } from "../datasets/stats.ts";

/** Image i has pixel (y, x) = [y * 8 + i % 8, x * 8 + 1, 200 - i % 50]: every position is distinct. */
function patternSet(count: number): MemoryImageSet {
  const images = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) {
    for (let p = 0; p < 1024; p++) {
      const y = p >> 5, x = p & 31, o = i * 3072 + p * 3;
      images[o] = y * 8 + (i % 8);
      images[o + 1] = x * 8 + 1;
      images[o + 2] = 200 - (i % 50);
    }
  }
  return cifarImageSet("pattern", images, Int32Array.from({ length: count }, (_, i) => i % 10), 10);
}

/** Copies of every batch of an epoch (the generator reuses its buffers). */
function collect(set: ImageSet, options: BatchOptions): Batch[] {
  const all: Batch[] = [];
  for (const b of batches(set, options)) {
    all.push({ x: b.x.slice(), y: b.y.slice(), indices: b.indices.slice(), size: b.size });
  }
  return all;
}

const identity = { mean: [0, 0, 0], std: [1, 1, 1] };

Deno.test("batches() gives identical batches, bit for bit, for the same seed and epoch", () => {
  const set = patternSet(100);
  const options = {
    batchSize: 16,
    seed: 7,
    epoch: 3,
    augment: true,
    mean: [0.5, 0.4, 0.3],
    std: [0.2, 0.25, 0.3],
  };
  const a = collect(set, options);
  const b = collect(set, options);
  assert.equal(a.length, 7);
  assert.deepEqual(a, b);
});

Deno.test("batches() visits the images in another order in another epoch or with another seed", () => {
  const set = patternSet(100);
  const order = (seed: number, epoch: number) =>
    collect(set, { batchSize: 100, seed, epoch }).flatMap((b) => [...b.indices]);
  assert.notDeepEqual(order(1, 0), order(1, 1));
  assert.notDeepEqual(order(1, 0), order(2, 0));
  const unshuffled = collect(set, { batchSize: 30, shuffle: false }).flatMap((b) => [...b.indices]);
  assert.deepEqual(unshuffled, Array.from({ length: 100 }, (_, i) => i));
});

Deno.test("batches() yields every image exactly once per epoch, with its label", () => {
  const set = patternSet(103);
  const all = collect(set, { batchSize: 10, seed: 5, epoch: 2 });
  assert.deepEqual(all.map((b) => b.size), [...Array(10).fill(10), 3]);
  assert.equal(all[10].x.length, 3 * 3072);
  const seen = all.flatMap((b) => [...b.indices]).sort((p, q) => p - q);
  assert.deepEqual(seen, Array.from({ length: 103 }, (_, i) => i));
  for (const b of all) b.indices.forEach((i, k) => assert.equal(b.y[k], set.labels[i]));
  const dropped = collect(set, { batchSize: 10, seed: 5, epoch: 2, dropLast: true });
  assert.equal(dropped.length, 10);
  assert.equal(batchCount(103, 10, true), 10);
  assert.equal(batchCount(103, 10, false), 11);
});

Deno.test("batches() normalises each channel as (v / 255 - mean) / std", () => {
  const set = patternSet(4);
  const mean = [0.49, 0.48, 0.45], std = [0.25, 0.24, 0.26];
  const [b] = collect(set, { batchSize: 4, shuffle: false, mean, std });
  for (const k of [0, 1, 2, 3 * 517 + 1, 4 * 3072 - 1]) {
    const c = k % 3;
    const expected = (set.images[k] / 255 - mean[c]) / std[c];
    assert.ok(Math.abs(b.x[k] - expected) < 1e-6, `value ${k}: ${b.x[k]} vs ${expected}`);
  }
  assert.throws(() => [...batches(set, { batchSize: 4, mean: [0.5], std: [0.2] })], RangeError);
  assert.throws(() => [...batches(set, { batchSize: 0 })], RangeError);
});

Deno.test("cropFlipInto() shifts, pads with black and mirrors a hand-made image", () => {
  const set = patternSet(1);
  const lut = normalisationTable(3, [0, 0, 0], [1 / 255, 1 / 255, 1 / 255]); // values stay 0..255
  const out = new Float32Array(3072);
  const at = (y: number, x: number) =>
    [...out.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)].map(Math.round);
  cropFlipInto(set, 0, { dy: 2, dx: -3, flip: false }, lut, out, 0);
  assert.deepEqual(at(0, 3), [2 * 8, 0 * 8 + 1, 200]); // reads (2, 0)
  assert.deepEqual(at(0, 2), [0, 0, 0]); // left padding
  assert.deepEqual(at(29, 31), [31 * 8, 28 * 8 + 1, 200]);
  assert.deepEqual(at(30, 10), [0, 0, 0]); // bottom padding
  cropFlipInto(set, 0, { dy: 0, dx: 0, flip: true }, lut, out, 0);
  assert.deepEqual(at(5, 0), [5 * 8, 31 * 8 + 1, 200]);
  assert.deepEqual(at(5, 31), [5 * 8, 1, 200]);
  cropFlipInto(set, 0, { dy: -4, dx: 4, flip: true }, lut, out, 0);
  assert.deepEqual(at(4, 0), [0, 0, 0]); // flipped x 0 reads x 35: right padding
  assert.deepEqual(at(4, 4), [0, 31 * 8 + 1, 200]); // reads (0, 31)
  assert.deepEqual(at(3, 20), [0, 0, 0]);
});

Deno.test("batches() with augment gives shifted copies, using every offset and both flips", () => {
  const count = 2000;
  const set = patternSet(count);
  const lut = normalisationTable(3, identity.mean, identity.std);
  const [b] = collect(set, { batchSize: count, seed: 9, epoch: 4, augment: true, ...identity });
  const expected = new Float32Array(3072);
  const seen = new Set<string>();
  let flips = 0;
  for (let k = 0; k < count; k++) {
    // The centre pixels are never padding: their values give back the shift.
    const px = (y: number, x: number, c: number) =>
      Math.round(b.x[k * 3072 + (y * 32 + x) * 3 + c] * 255);
    const dy = Math.floor(px(16, 16, 0) / 8) - 16;
    const flip = px(16, 17, 1) < px(16, 16, 1);
    const dx = (px(16, 16, 1) - 1) / 8 - (flip ? 15 : 16);
    cropFlipInto(set, b.indices[k], { dy, dx, flip }, lut, expected, 0);
    assert.deepEqual(b.x.subarray(k * 3072, (k + 1) * 3072), expected, `image ${k}`);
    seen.add(`${dy},${dx},${flip}`);
    flips += flip ? 1 : 0;
  }
  assert.equal(seen.size, 9 * 9 * 2);
  assert.ok(flips > 0.45 * count && flips < 0.55 * count, `${flips} flips`);
});

Deno.test("batches() reuses its output buffers from batch to batch", () => {
  const set = patternSet(30);
  const xs = new Set<ArrayBufferLike>();
  for (const b of batches(set, { batchSize: 8, augment: true })) xs.add(b.x.buffer);
  assert.equal(xs.size, 1);
});

Deno.test("batches() does not modify the image set", () => {
  const set = patternSet(20);
  const before = set.images.slice();
  for (const _ of batches(set, { batchSize: 8, augment: true, seed: 1 })) { /* consume */ }
  assert.deepEqual(set.images, before);
  assert.equal(takeImages(set, 5).count, 5);
});

Deno.test("channelStats() gives per-channel mean and std on the 0..1 scale", () => {
  const images = new Uint8Array(2 * 3072);
  for (let k = 0; k < images.length; k += 3) {
    images[k] = 255;
    images[k + 1] = k < 3072 ? 0 : 102;
    images[k + 2] = 51;
  }
  const { mean, std } = channelStats(cifarImageSet("two", images, new Int32Array(2), 10));
  assert.deepEqual(mean.map((m) => +m.toFixed(12)), [1, 0.2, 0.2]);
  assert.deepEqual(std.map((s) => +s.toFixed(12)), [0, 0.2, 0]);
});

Deno.test("shuffledIndices() is a seeded permutation", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 500 }), fc.integer(), (n, seed) => {
      const a = shuffledIndices(n, splitmix32(seed));
      assert.deepEqual([...a].sort((p, q) => p - q), Array.from({ length: n }, (_, i) => i));
      assert.deepEqual(shuffledIndices(n, splitmix32(seed)), a);
    }),
  );
  assert.notEqual(mixSeed(1, 0, 1), mixSeed(1, 1, 1));
  assert.notEqual(mixSeed(0, 1), mixSeed(1, 0));
});
