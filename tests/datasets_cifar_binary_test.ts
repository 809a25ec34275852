import assert from "node:assert/strict";
import { loadCifarBinary } from "../datasets/cifar_binary.ts";
import { expectLeft as left, expectRight as right, withTempDir } from "./_helpers.ts";

/** A known planar pattern: value of channel c at pixel p (= y * 32 + x) of record r. */
function pattern(r: number, c: number, p: number): number {
  return (p * (c + 1) + 37 * r + 85 * c) % 256;
}

/** Records in the official format: label bytes then 1024 R, 1024 G, 1024 B. */
function records(labels: readonly (readonly number[])[], first = 0): Uint8Array {
  const labelBytes = labels[0]?.length ?? 1;
  const size = labelBytes + 3072;
  const out = new Uint8Array(labels.length * size);
  labels.forEach((l, r) => {
    out.set(l, r * size);
    for (let c = 0; c < 3; c++) {
      for (let p = 0; p < 1024; p++) {
        out[r * size + labelBytes + c * 1024 + p] = pattern(first + r, c, p);
      }
    }
  });
  return out;
}

/** A CIFAR-10 folder: data batches of 2, 1, 3, 1, 2 records and a test batch of 3. */
async function cifar10Fixture(dir: string): Promise<void> {
  const sizes = [2, 1, 3, 1, 2];
  let first = 0;
  for (let b = 0; b < 5; b++) {
    const labels = Array.from({ length: sizes[b] }, (_, i) => [(first + i) % 10]);
    await Deno.writeFile(`${dir}/data_batch_${b + 1}.bin`, records(labels, first));
    first += sizes[b];
  }
  await Deno.writeFile(`${dir}/test_batch.bin`, records([[9], [0], [5]]));
}

Deno.test("loadCifarBinary() reads CIFAR-10 records in file order and converts CHW to HWC", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await cifar10Fixture(dir);
    const { train, test } = right(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(train.name, "cifar10/train");
    assert.equal(train.count, 9);
    assert.equal(train.classes, 10);
    assert.deepEqual([...train.labels], [0, 1, 2, 3, 4, 5, 6, 7, 8]);
    assert.deepEqual([...test.labels], [9, 0, 5]);
    for (let r = 0; r < 9; r++) {
      for (const [y, x] of [[0, 0], [0, 31], [5, 7], [31, 0], [31, 31]]) {
        const p = y * 32 + x;
        const hwc = r * 3072 + p * 3;
        const got = [...train.images.subarray(hwc, hwc + 3)];
        assert.deepEqual(
          got,
          [0, 1, 2].map((c) => pattern(r, c, p)),
          `record ${r} pixel ${y},${x}`,
        );
      }
    }
  });
});

Deno.test("loadCifarBinary() finds files in the cifar-10-batches-bin subfolder", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await Deno.mkdir(`${dir}/cifar-10-batches-bin`);
    await cifar10Fixture(`${dir}/cifar-10-batches-bin`);
    const split = right(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(split.train.count, 9);
    assert.equal(split.test.count, 3);
  });
});

Deno.test("loadCifarBinary() reads CIFAR-100 fine and coarse labels", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    const sub = `${dir}/cifar-100-binary`;
    await Deno.mkdir(sub);
    await Deno.writeFile(`${sub}/train.bin`, records([[19, 99], [0, 42], [7, 3]]));
    await Deno.writeFile(`${sub}/test.bin`, records([[11, 55]]));
    const fine = right(await loadCifarBinary(dir, { variant: "cifar100" })());
    assert.equal(fine.train.classes, 100);
    assert.deepEqual([...fine.train.labels], [99, 42, 3]);
    assert.deepEqual([...fine.test.labels], [55]);
    assert.equal(fine.train.images[3 * 1023 + 2], pattern(0, 2, 1023));
    const coarse = right(await loadCifarBinary(dir, { variant: "cifar100", labels: "coarse" })());
    assert.equal(coarse.train.classes, 20);
    assert.deepEqual([...coarse.train.labels], [19, 0, 7]);
    assert.deepEqual(coarse.train.images, fine.train.images);
  });
});

Deno.test("loadCifarBinary() reports a truncated record as TruncatedFile naming the file", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await cifar10Fixture(dir);
    const bytes = await Deno.readFile(`${dir}/data_batch_3.bin`);
    await Deno.writeFile(`${dir}/data_batch_3.bin`, bytes.subarray(0, bytes.length - 1));
    const error = left(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(error._tag, "TruncatedFile");
    assert.equal(error.file, `${dir}/data_batch_3.bin`);
    assert.equal(
      error.message,
      `${dir}/data_batch_3.bin: 9218 bytes is not a whole number of 3073-byte records (label + 32x32x3 pixels)`,
    );
  });
});

Deno.test("loadCifarBinary() reports an empty file as TruncatedFile", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await cifar10Fixture(dir);
    await Deno.writeFile(`${dir}/test_batch.bin`, new Uint8Array(0));
    const error = left(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(error._tag, "TruncatedFile");
    assert.match(error.message, /test_batch\.bin: 0 bytes/);
  });
});

Deno.test("loadCifarBinary() reports a missing batch, file or folder as MissingFile", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await cifar10Fixture(dir);
    await Deno.remove(`${dir}/data_batch_4.bin`);
    const batch = left(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(batch._tag, "MissingFile");
    assert.match(batch.message, /data_batch_4\.bin/);
    const test = left(await loadCifarBinary(dir, { variant: "cifar100" })());
    assert.equal(test._tag, "MissingFile");
    assert.match(test.message, /test\.bin.*cifar-100-binary/);
    const folder = left(await loadCifarBinary(`${dir}/nowhere`, { variant: "cifar10" })());
    assert.equal(folder._tag, "MissingFile");
    assert.equal(folder.file, `${dir}/nowhere`);
  });
});

Deno.test("loadCifarBinary() reports labels beyond the classes as LabelOutOfRange", async () => {
  await withTempDir("oicsr-cifar-bin-", async (dir) => {
    await cifar10Fixture(dir);
    await Deno.writeFile(`${dir}/test_batch.bin`, records([[3], [10]]));
    const ten = left(await loadCifarBinary(dir, { variant: "cifar10" })());
    assert.equal(ten._tag, "LabelOutOfRange");
    assert.match(
      ten.message,
      /test_batch\.bin: label 10 in record 1 \(expected labels in 0\.\.9\)/,
    );
    await Deno.writeFile(`${dir}/train.bin`, records([[20, 5]]));
    await Deno.writeFile(`${dir}/test.bin`, records([[1, 5]]));
    const coarse = left(await loadCifarBinary(dir, { variant: "cifar100", labels: "coarse" })());
    assert.equal(coarse._tag, "LabelOutOfRange");
    assert.match(coarse.message, /train\.bin: label 20 in record 0/);
    assert.equal((await loadCifarBinary(dir, { variant: "cifar100" })())._tag, "Right");
  });
});
