import assert from "node:assert/strict";
import {
  cropResizeInto,
  evalTransformInto,
  randomCropBox,
  resizeInto,
  type RgbImage,
  trainTransformInto,
} from "../datasets/image_transforms.ts";
import { splitmix32 } from "../datasets/rng.ts";

/** An image whose pixel (y, x) has channels f(y, x, c). */
function imageOf(
  width: number,
  height: number,
  f: (y: number, x: number, c: number) => number,
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) data[(y * width + x) * 3 + c] = f(y, x, c);
    }
  }
  return { data, width, height };
}

/** Channel c of every pixel of an h x w HWC buffer, row by row. */
function channel(out: Uint8Array, c: number): number[] {
  return [...out].filter((_, i) => i % 3 === c);
}

Deno.test("resizeInto() upsamples 2x2 to 4x4 with half-pixel centres (PyTorch align_corners=False)", () => {
  // Source [[0, 100], [200, 40]]: output rows/columns sample at -0.25, 0.25, 0.75, 1.25,
  // clamped to 0 .. 1, i.e. weights 0, 0.25, 0.75, 1.
  const src = imageOf(2, 2, (y, x) => [[0, 100], [200, 40]][y][x]);
  const out = new Uint8Array(4 * 4 * 3 + 6);
  resizeInto(src, out, 3, { height: 4, width: 4 });
  assert.deepEqual(channel(out.subarray(3, 3 + 48), 1), [
    ...[0, 25, 75, 100],
    ...[50, 59, 76, 85], // row 0 + 0.25 * (row 1 - row 0): 58.75, 76.25 rounded
    ...[150, 126, 79, 55], // 0.75: 126.25, 78.75
    ...[200, 160, 80, 40],
  ]);
  assert.deepEqual([...out.subarray(0, 3)], [0, 0, 0], "nothing written before offset");
  assert.deepEqual([...out.subarray(51)], [0, 0, 0], "nothing written after the image");
});

Deno.test("resizeInto() to the same size copies the image", () => {
  const src = imageOf(5, 3, (y, x, c) => (y * 50 + x * 7 + c * 3) % 256);
  const out = new Uint8Array(src.data.length);
  resizeInto(src, out, 0, { height: 3, width: 5 });
  assert.deepEqual(out, src.data);
});

Deno.test("evalTransformInto() centre-crops a half red, half blue image at the middle", () => {
  // 64x48 -> shorter side 20 -> 26x20; centre crop 16: columns 5..20 of the resized image.
  // The colour edge (source x = 31.5) falls at resized x = 13, output column 7.5.
  const src = imageOf(64, 48, (_, x, c) => (x < 32 ? [255, 0, 0] : [0, 0, 255])[c]);
  const out = new Uint8Array(16 * 16 * 3);
  evalTransformInto(src, out, 0, { size: 16, resize: 20 });
  const row = Array.from({ length: 16 }, (_, x) => [...out.subarray(x * 3, x * 3 + 3)]);
  assert.deepEqual(row, [...Array(8).fill([255, 0, 0]), ...Array(8).fill([0, 0, 255])]);
  assert.deepEqual(out.subarray(15 * 48, 16 * 48), out.subarray(0, 48), "every row alike");
});

Deno.test("evalTransformInto() equals a full resize followed by the centre crop", () => {
  const src = imageOf(35, 30, (y, x, c) => (y * 31 + x * 17 + c * 101 + ((x * y) % 13)) % 256);
  const size = 12, resize = 15, rw = Math.floor((15 * 35) / 30); // 17
  const full = new Uint8Array(resize * rw * 3);
  resizeInto(src, full, 0, { height: resize, width: rw });
  const out = new Uint8Array(size * size * 3);
  evalTransformInto(src, out, 0, { size, resize });
  // Offsets by Python's round(): 1.5 -> 2 and 2.5 -> 2 (halves to even, as torchvision).
  const top = 2, left = 2;
  for (let y = 0; y < size; y++) {
    for (let k = 0; k < size * 3; k++) {
      const expected = full[((y + top) * rw + left) * 3 + k];
      assert.ok(Math.abs(out[y * size * 3 + k] - expected) <= 1, `row ${y}, byte ${k}`);
    }
  }
});

Deno.test("randomCropBox() falls back to the ratio-clamped centre crop when no try fits", () => {
  const rng = splitmix32(5);
  // An area fraction of 2..3 never fits: the whole 100x10 image, clamped to ratio 4/3.
  assert.deepEqual(randomCropBox(100, 10, rng, { scale: [2, 3] }), {
    top: 0,
    left: 43,
    height: 10,
    width: 13,
  });
  assert.deepEqual(randomCropBox(10, 100, rng, { scale: [2, 3] }), {
    top: 43,
    left: 0,
    height: 13,
    width: 10,
  });
  assert.deepEqual(randomCropBox(40, 35, rng, { scale: [2, 3] }), {
    top: 0,
    left: 0,
    height: 35,
    width: 40,
  });
});

Deno.test("randomCropBox() draws boxes inside the image with area and ratio in range", () => {
  const rng = splitmix32(11);
  for (let i = 0; i < 2000; i++) {
    const box = randomCropBox(500, 375, rng);
    assert.ok(box.top >= 0 && box.left >= 0);
    assert.ok(box.top + box.height <= 375 && box.left + box.width <= 500);
    const area = (box.width * box.height) / (500 * 375);
    assert.ok(area > 0.075 && area <= 1, `area ${area}`);
    const ratio = box.width / box.height;
    assert.ok(ratio > 0.74 && ratio < 1.35, `ratio ${ratio}`);
  }
});

Deno.test("trainTransformInto() is deterministic per seed and stays in the source's colour range", () => {
  const src = imageOf(50, 40, (y, x, c) => 60 + ((y * 7 + x * 3 + c * 40) % 120));
  const before = src.data.slice();
  const run = (seed: number) => {
    const out = new Uint8Array(20 * 20 * 3);
    trainTransformInto(src, splitmix32(seed), out, 0, { size: 20 });
    return out;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
  for (let seed = 0; seed < 50; seed++) {
    assert.ok(run(seed).every((v) => v >= 60 && v < 180), `seed ${seed}`);
  }
  assert.deepEqual(src.data, before, "the source is not written to");
});

Deno.test("trainTransformInto() mirrors about half of the images", () => {
  // A left-to-right ramp: any crop keeps it increasing unless mirrored.
  const src = imageOf(64, 64, (_, x) => x * 4);
  const rng = splitmix32(3);
  const out = new Uint8Array(16 * 16 * 3);
  let flipped = 0;
  for (let i = 0; i < 1000; i++) {
    trainTransformInto(src, rng, out, 0, { size: 16 });
    if (out[0] > out[15 * 3]) flipped++;
  }
  assert.ok(flipped > 430 && flipped < 570, `${flipped} of 1000 flipped`);
});

Deno.test("cropResizeInto() reads only the box and mirrors it when asked", () => {
  const src = imageOf(6, 4, (y, x) => y * 10 + x);
  const box = new Uint8Array(2 * 2 * 3);
  cropResizeInto(src, { top: 1, left: 2, height: 2, width: 2 }, box, 0, { size: 2 });
  assert.deepEqual(channel(box, 0), [12, 13, 22, 23]);
  cropResizeInto(src, { top: 1, left: 2, height: 2, width: 2 }, box, 0, { size: 2, flip: true });
  assert.deepEqual(channel(box, 0), [13, 12, 23, 22]);
});
