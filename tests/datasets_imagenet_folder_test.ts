import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import { batches } from "../datasets/batches.ts";
import type { DataError } from "../datasets/errors.ts";
import { DataErrorThrown } from "../datasets/errors.ts";
import { classCounts, type StreamedImageSet, takeImages } from "../datasets/image_set.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";

type Rgb = readonly [number, number, number];

/** Class colours by folder; file k of a class has its green raised by 40 * k. */
const COLOURS: Record<string, Rgb> = {
  n01000001: [220, 30, 30],
  n02000002: [30, 100, 40],
  n03000003: [20, 40, 210],
};

function colourOf(wnid: string, k: number): Rgb {
  const [r, g, b] = COLOURS[wnid];
  return [r, g + 40 * k, b];
}

/** A JPEG (quality 95) of width x height pixels of colour f(x). */
function jpegOf(width: number, height: number, f: (x: number) => Rgb): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) rgba.set([...f(p % width), 255], p * 4);
  return jpeg.encode({ data: rgba, width, height }, 95).data;
}

/** Writes `files` (path relative to the root -> bytes), creating folders. */
async function writeTree(root: string, files: Record<string, Uint8Array>): Promise<void> {
  for (const [path, bytes] of Object.entries(files)) {
    await Deno.mkdir(`${root}/${path.split("/").slice(0, -1).join("/")}`, { recursive: true });
    await Deno.writeFile(`${root}/${path}`, bytes);
  }
}

/** 3 classes (folders made out of order) of 2, 3 and 3 images of several sizes; val has 2. */
function fixture(): Record<string, Uint8Array> {
  const solid = (wnid: string, k: number, w: number, h: number) =>
    jpegOf(w, h, () => colourOf(wnid, k));
  return {
    "train/n03000003/c.JPEG": solid("n03000003", 2, 30, 20),
    "train/n03000003/a.jpg": solid("n03000003", 0, 40, 24),
    "train/n03000003/b.jpeg": solid("n03000003", 1, 24, 24),
    "train/n01000001/y.JPEG": solid("n01000001", 1, 17, 33),
    "train/n01000001/x.JPEG": solid("n01000001", 0, 32, 32),
    "train/n02000002/r.JPEG": solid("n02000002", 2, 20, 20),
    "train/n02000002/p.JPG": solid("n02000002", 0, 50, 30),
    "train/n02000002/q.jpeg": solid("n02000002", 1, 21, 40),
    "train/n02000002/.DS_Store": new Uint8Array([1, 2, 3]),
    "val/n03000003/w.JPEG": solid("n03000003", 0, 30, 30),
    "val/n03000003/v.JPEG": solid("n03000003", 1, 30, 30),
    "val/n01000001/u.JPEG": solid("n01000001", 0, 30, 30),
  };
}

async function withFixture(
  extra: Record<string, Uint8Array>,
  body: (root: string) => Promise<void>,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "oicsr-imagenet-" });
  try {
    await writeTree(root, { ...fixture(), ...extra });
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

async function loaded(root: string, size = 16) {
  const split = await loadImageFolder(root, { size, resize: 20 })();
  if (E.isLeft(split)) throw new Error(split.left.message);
  return split.right;
}

async function refused(root: string, classes?: number): Promise<DataError> {
  const split = await loadImageFolder(root, { classes })();
  assert.ok(E.isLeft(split), "the folder must be refused");
  return split.left;
}

/** Reads every pixel of image i (evaluation transform) and checks it is near `rgb`. */
function assertSolid(set: StreamedImageSet, i: number, rgb: Rgb, rng?: () => number): void {
  const out = new Uint8Array(set.height * set.width * 3);
  set.read(i, out, 0, rng);
  for (let p = 0; p < out.length; p++) {
    assert.ok(Math.abs(out[p] - rgb[p % 3]) <= 4, `image ${i}: ${out[p]} vs ${rgb[p % 3]}`);
  }
}

Deno.test("loadImageFolder() numbers classes by sorted train folders and interleaves them round-robin", async () => {
  await withFixture({}, async (root) => {
    const { train, test } = await loaded(root);
    assert.equal(train.name, "imagenet/train");
    assert.equal(test.name, "imagenet/val");
    assert.deepEqual([train.classes, train.height, train.width, train.channels], [3, 16, 16, 3]);
    assert.deepEqual([...train.labels], [0, 1, 2, 0, 1, 2, 1, 2]);
    assert.deepEqual([...test.labels], [0, 2, 2]);
    assert.equal(test.classes, 3);
    assert.deepEqual(train.normalisation, {
      mean: [0.485, 0.456, 0.406],
      std: [0.229, 0.224, 0.225],
    });
    const names = ["n01000001", "n02000002", "n03000003"];
    const file = [0, 0, 0, 1, 1, 1, 2, 2]; // k of each image in listing order
    for (let i = 0; i < train.count; i++) {
      assertSolid(train, i, colourOf(names[train.labels[i]], file[i]));
    }
    assertSolid(test, 1, colourOf("n03000003", 1), () => 12345); // v.JPEG before w.JPEG
  });
});

Deno.test("takeImages() of a streamed folder: a prefix of 3 covers the 3 classes", async () => {
  await withFixture({}, async (root) => {
    const { train } = await loaded(root);
    const first = takeImages(train, 3);
    assert.deepEqual(classCounts(first), [1, 1, 1]);
    assert.equal(first.kind === "streamed" && first.read, train.read);
  });
});

Deno.test("batches() over a streamed folder yields normalised size x size batches", async () => {
  await withFixture({}, async (root) => {
    const { train } = await loaded(root);
    const { mean, std } = train.normalisation;
    const sizes: number[] = [];
    for (const b of batches(train, { batchSize: 3, seed: 1, augment: true, mean, std })) {
      sizes.push(b.size);
      assert.equal(b.x.length, b.size * 16 * 16 * 3);
      for (let i = 0; i < b.size; i++) {
        assert.equal(b.y[i], train.labels[b.indices[i]]);
        const red = COLOURS[["n01000001", "n02000002", "n03000003"][b.y[i]]][0];
        const expected = (red / 255 - mean[0]) / std[0];
        assert.ok(Math.abs(b.x[i * 768] - expected) < 0.1, `${b.x[i * 768]} vs ${expected}`);
      }
    }
    assert.deepEqual(sizes, [3, 3, 2]);
  });
});

Deno.test("read() centre-crops a half red, half blue JPEG at the middle", async () => {
  const half = jpegOf(64, 48, (x) => (x < 32 ? [255, 0, 0] : [0, 0, 255]));
  await withFixture({ "val/n01000001/half.JPEG": half }, async (root) => {
    const { test } = await loaded(root);
    const out = new Uint8Array(16 * 16 * 3);
    test.read(0, out, 0); // half.JPEG sorts before u.JPEG
    for (let y = 0; y < 16; y++) {
      for (let x = 0; x < 16; x++) {
        if (x === 7 || x === 8) continue; // the edge, blurred by JPEG and resizing
        const rgb = x < 8 ? [255, 0, 0] : [0, 0, 255];
        const got = [...out.subarray((y * 16 + x) * 3, (y * 16 + x) * 3 + 3)];
        assert.ok(got.every((v, c) => Math.abs(v - rgb[c]) <= 12), `(${y}, ${x}): ${got}`);
      }
    }
  });
});

/** An 8x8 grey (200) baseline JPEG of one component, assembled by hand. */
function greyJpeg(): Uint8Array {
  const segment = (marker: number, body: number[]) => {
    const n = body.length + 2;
    return [0xff, marker, n >> 8, n & 255, ...body];
  };
  const huffman = (
    tableClass: number,
    symbol: number,
  ) => [tableClass, 1, ...Array(15).fill(0), symbol];
  return new Uint8Array([
    ...[0xff, 0xd8],
    ...segment(0xdb, [0, ...Array(64).fill(1)]), // quantisation: all 1
    ...segment(0xc0, [8, 0, 8, 0, 8, 1, 1, 0x11, 0]), // 8x8, 1 component
    ...segment(0xc4, huffman(0x00, 0x0a)), // DC: "0" -> category 10
    ...segment(0xc4, huffman(0x10, 0x00)), // AC: "0" -> end of block
    ...segment(0xda, [1, 1, 0x00, 0, 63, 0]),
    ...[0x48, 0x0f], // DC "0" + 576 (10 bits: (200 - 128) * 8), AC "0", padding
    ...[0xff, 0xd9],
  ]);
}

Deno.test("read() turns a greyscale JPEG into RGB", async () => {
  await withFixture({ "val/n01000001/grey.jpg": greyJpeg() }, async (root) => {
    const { test } = await loaded(root);
    assertSolid(test, 0, [200, 200, 200]);
  });
});

Deno.test("read() reads a PNG that carries a .JPEG name (ImageNet's n02105855_2933.JPEG)", async () => {
  const grey = encodePng({ width: 8, height: 8, data: new Uint8Array(64).fill(90), channels: 1 });
  const rgba = encodePng({
    width: 8,
    height: 8,
    data: new Uint8Array(256).map((_, i) => [10, 120, 230, 255][i % 4]),
    channels: 4,
  });
  const extra = { "val/n01000001/grey.JPEG": grey, "val/n03000003/rgba.JPEG": rgba };
  await withFixture(extra, async (root) => {
    const { test } = await loaded(root);
    // Files sort by name within a class: grey.JPEG and rgba.JPEG come first in theirs.
    const out = new Uint8Array(16 * 16 * 3);
    const index = (wnidLabel: number, k: number) =>
      [...test.labels].map((l, i) => [l, i]).filter(([l]) => l === wnidLabel)[k][1];
    test.read(index(0, 0), out, 0);
    assert.deepEqual([...out.subarray(0, 3)], [90, 90, 90]);
    test.read(index(2, 0), out, 0);
    assert.deepEqual([...out.subarray(0, 3)], [10, 120, 230]);
  });
});

Deno.test("read() throws a DataErrorThrown naming a truncated JPEG or a file that is not one", async () => {
  const whole = jpegOf(40, 30, () => [10, 20, 30]);
  const extra = {
    "val/n01000001/a_cut.JPEG": whole.subarray(0, Math.floor(whole.length * 0.6)),
    "val/n01000001/b_cut.JPEG": whole.subarray(0, whole.length - 2),
    "val/n01000001/c_text.JPEG": new TextEncoder().encode("not an image"),
  };
  await withFixture(extra, async (root) => {
    const { test } = await loaded(root);
    const out = new Uint8Array(16 * 16 * 3);
    const tags = [0, 2, 4].map((i) => {
      const file = `${root}/val/n01000001/${["a_cut", "b_cut", "c_text"][i / 2]}.JPEG`;
      try {
        test.read(i, out, 0);
      } catch (e) {
        assert.ok(e instanceof DataErrorThrown, String(e));
        assert.equal(e.data.file, file);
        assert.ok(e.message.startsWith(file), e.message);
        return e.data._tag;
      }
      assert.fail(`image ${i} must not be read`);
    });
    assert.deepEqual(tags, ["TruncatedFile", "TruncatedFile", "BadFormat"]);
  });
});

Deno.test("loadImageFolder() refuses a val class folder that train lacks", async () => {
  const extra = { "val/n09999999/z.JPEG": jpegOf(8, 8, () => [0, 0, 0]) };
  await withFixture(extra, async (root) => {
    const error = await refused(root);
    assert.equal(error._tag, "LabelOutOfRange");
    assert.equal(error.file, `${root}/val/n09999999`);
    assert.match(error.message, /wrong class folder/);
  });
});

Deno.test("loadImageFolder() refuses a file that is not a JPEG, naming it", async () => {
  await withFixture({ "train/n02000002/notes.txt": new Uint8Array(4) }, async (root) => {
    const error = await refused(root);
    assert.equal(error._tag, "BadFormat");
    assert.equal(error.file, `${root}/train/n02000002/notes.txt`);
    assert.ok(error.message.includes(error.file));
  });
  await withFixture({ "val/ILSVRC2012_val_00000001.JPEG": new Uint8Array(4) }, async (root) => {
    const error = await refused(root);
    assert.equal(error.file, `${root}/val/ILSVRC2012_val_00000001.JPEG`);
    assert.match(error.message, /only class folders/);
  });
});

Deno.test("loadImageFolder() refuses missing folders, an empty class and a wrong class count", async () => {
  await withFixture({}, async (root) => {
    assert.equal(
      (await refused(root, 1000)).message,
      `${root}/train: 3 class folders (expected 1000 class folders)`,
    );
    await Deno.mkdir(`${root}/train/n04000004`);
    const empty = await refused(root);
    assert.deepEqual([empty._tag, empty.file], ["MissingFile", `${root}/train/n04000004`]);
    await Deno.remove(`${root}/val`, { recursive: true });
    const val = await refused(root);
    assert.deepEqual([val._tag, val.file], ["MissingFile", `${root}/val`]);
    const missing = await refused(`${root}/nowhere`);
    assert.deepEqual([missing._tag, missing.file], ["MissingFile", `${root}/nowhere`]);
  });
});

Deno.test("loadData() with --data imagenet loads the folder in --data-dir as ImageNet-1K", async () => {
  const { parseOptions } = await import("../cli/options.ts");
  const { loadData } = await import("../cli/load_data.ts");
  const options = (args: string[]) => {
    const parsed = parseOptions(["--data", "imagenet", ...args]);
    if (E.isLeft(parsed)) throw new Error(parsed.left.message);
    return parsed.right;
  };
  const noDir = await loadData(options([]))();
  assert.ok(E.isLeft(noDir));
  assert.match(noDir.left.message, /^--data imagenet needs --data-dir <ImageNet folder/);
  await withFixture({}, async (root) => {
    const split = await loadData(options(["--data-dir", root]))();
    assert.ok(E.isLeft(split), "3 class folders are not ImageNet-1K");
    assert.equal(
      split.left.message,
      `${root}/train: 3 class folders (expected 1000 class folders)`,
    );
    const tiny = jpegOf(8, 8, () => [90, 90, 90]);
    for (let c = 4; c <= 1000; c++) {
      const wnid = `n${String(c).padStart(8, "0")}`;
      await Deno.mkdir(`${root}/train/${wnid}`);
      await Deno.writeFile(`${root}/train/${wnid}/0.JPEG`, tiny);
    }
    const limited = await loadData(options(["--data-dir", root, "--train-limit", "1000"]))();
    if (E.isLeft(limited)) throw new Error(limited.left.message);
    const { train, test } = limited.right;
    assert.deepEqual([train.count, train.classes, test.count, train.height], [1000, 1000, 3, 224]);
    assert.ok(classCounts(train).every((n) => n === 1), "the first 1000 cover every class");
  });
});
