import assert from "node:assert/strict";
import { encode } from "fast-png";
import { cifar10PackageDir, loadCifar10Package } from "../datasets/cifar10_package.ts";
import { classCounts } from "../datasets/image_set.ts";
import { decodeSheet } from "../datasets/png_sheet.ts";
import { channelStats } from "../datasets/stats.ts";
import { expectLeft as left, expectRight as right, withTempDir } from "./_helpers.ts";

function packageDir(): string {
  const dir = cifar10PackageDir();
  if (dir._tag === "Left") assert.fail(dir.left.message);
  return dir.right;
}

Deno.test("loadCifar10Package() loads the whole package, and its cache gives the same bytes", async (t) => {
  await withTempDir("oicsr-cifar10-pkg-", async (cacheDir) => {
    const split = right(await loadCifar10Package({ cacheDir })());
    const { train, test } = split;

    await t.step("50,000 train and 10,000 test images of 32x32x3", () => {
      assert.equal(train.count, 50000);
      assert.equal(test.count, 10000);
      assert.equal(train.images.length, 50000 * 3072);
      assert.equal(test.images.length, 10000 * 3072);
      assert.deepEqual([train.height, train.width, train.channels, train.classes], [32, 32, 3, 10]);
      assert.equal(train.name, "cifar10/train");
      assert.equal(test.name, "cifar10/test");
    });

    await t.step("5,000 train and 1,000 test images per class", () => {
      assert.deepEqual(classCounts(train), Array(10).fill(5000));
      assert.deepEqual(classCounts(test), Array(10).fill(1000));
    });

    await t.step("labels start with the published sequences", () => {
      assert.deepEqual([...test.labels.subarray(0, 10)], [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]);
      assert.deepEqual([...train.labels.subarray(0, 10)], [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]);
    });

    await t.step("the test set's channel means are 126.02 / 123.71 / 114.85", () => {
      const { mean, std } = channelStats(test);
      const means = mean.map((m) => Math.round(m * 255 * 100) / 100);
      assert.deepEqual(means, [126.02, 123.71, 114.85]);
      for (const s of std) assert.ok(s > 0.2 && s < 0.3, `std ${s}`);
    });

    await t.step(
      "the cache holds six sheets and reloading from it gives identical data",
      async () => {
        const files = [...Deno.readDirSync(cacheDir)].map((e) => e.name).sort();
        assert.equal(files.length, 6, files.join());
        for (const f of files) assert.equal(Deno.statSync(`${cacheDir}/${f}`).size, 30720000);
        const again = right(await loadCifar10Package({ cacheDir })());
        assert.ok(again.train.images.every((v, i) => v === train.images[i]));
        assert.ok(again.test.images.every((v, i) => v === test.images[i]));
        assert.deepEqual(again.train.labels, train.labels);
      },
    );

    await t.step(
      "trainSheets, trainLimit and testLimit load prefixes of the full sets",
      async () => {
        const small = right(
          await loadCifar10Package({ cacheDir, trainSheets: 1, testLimit: 100 })(),
        );
        assert.equal(small.train.count, 10000);
        assert.equal(small.test.count, 100);
        assert.deepEqual(small.test.images, test.images.subarray(0, 100 * 3072));
        assert.deepEqual(small.train.labels, train.labels.subarray(0, 10000));
        const few = right(await loadCifar10Package({ cacheDir, trainLimit: 10007 })());
        assert.equal(few.train.count, 10007);
        assert.deepEqual(few.train.images, train.images.subarray(0, 10007 * 3072));
      },
    );
  });
});

/** A fake package folder: the real label files, no sheets. */
async function fakePackage(dir: string): Promise<void> {
  for (const f of ["train_lables.json", "test_lables.json"]) {
    await Deno.copyFile(`${packageDir()}/${f}`, `${dir}/${f}`);
  }
}

Deno.test("loadCifar10Package() reports a missing folder or sheet as MissingFile naming the file", async () => {
  await withTempDir("oicsr-cifar10-pkg-", async (dir) => {
    const noDir = left(await loadCifar10Package({ dir: `${dir}/nowhere`, cacheDir: false })());
    assert.equal(noDir._tag, "MissingFile");
    assert.match(noDir.message, /nowhere\/train_lables\.json: not found/);
    await fakePackage(dir);
    const noSheet = left(await loadCifar10Package({ dir, cacheDir: false })());
    assert.equal(noSheet._tag, "MissingFile");
    assert.equal(noSheet.file, `${dir}/data_batch_1.png`);
  });
});

Deno.test("loadCifar10Package() rejects label files of the wrong length, shape or range", async () => {
  await withTempDir("oicsr-cifar10-pkg-", async (dir) => {
    await fakePackage(dir);
    const file = `${dir}/test_lables.json`;
    const cases: [string, string, RegExp][] = [
      [
        JSON.stringify(Array(9999).fill(1)),
        "BadFormat",
        /test_lables\.json: 9999 labels \(expected a JSON array of 10000/,
      ],
      ['{"labels": []}', "BadFormat", /test_lables\.json: not an array of numbers/],
      ["[1, 2", "BadFormat", /test_lables\.json: invalid JSON/],
      [JSON.stringify([...Array(9999).fill(1), 10]), "LabelOutOfRange", /label 10 at index 9999/],
      [JSON.stringify([0.5, ...Array(9999).fill(1)]), "LabelOutOfRange", /label 0.5 at index 0/],
    ];
    for (const [text, tag, message] of cases) {
      await Deno.writeTextFile(file, text);
      const error = left(await loadCifar10Package({ dir, trainSheets: 0, cacheDir: false })());
      assert.equal(error._tag, tag, text.slice(0, 20));
      assert.equal(error.file, file);
      assert.match(error.message, message);
    }
  });
});

Deno.test("loadCifar10Package() rejects a corrupt PNG and a PNG of the wrong size as BadFormat", async () => {
  await withTempDir("oicsr-cifar10-pkg-", async (dir) => {
    await fakePackage(dir);
    const sheet = `${dir}/test_batch.png`;
    await Deno.writeFile(sheet, new TextEncoder().encode("not a png at all"));
    const corrupt = left(await loadCifar10Package({ dir, trainSheets: 0, cacheDir: false })());
    assert.equal(corrupt._tag, "BadFormat");
    assert.match(corrupt.message, /test_batch\.png: not a valid PNG/);
    await Deno.writeFile(
      sheet,
      encode({ width: 32, height: 32, data: new Uint8Array(3072), channels: 3 }),
    );
    const small = left(await loadCifar10Package({ dir, trainSheets: 0, cacheDir: false })());
    assert.equal(small._tag, "BadFormat");
    assert.equal(
      small.message,
      `${sheet}: 32 x 32 pixels (expected a 1024 x 10000 PNG, one 32x32 RGB image per row)`,
    );
  });
});

Deno.test("decodeSheet() drops the alpha channel of an RGBA sheet", () => {
  const rgba = new Uint8Array(2 * 1024 * 4).map((_, i) => (i % 4 === 3 ? 255 : i % 251));
  const png = encode({ width: 1024, height: 2, data: rgba, channels: 4 });
  const rgb = decodeSheet(png, "rgba.png", 2);
  if (rgb._tag === "Left") assert.fail(rgb.left.message);
  assert.equal(rgb.right.length, 2 * 3072);
  for (const p of [0, 1, 1023, 1024, 2047]) {
    assert.deepEqual([...rgb.right.subarray(3 * p, 3 * p + 3)], [
      ...rgba.subarray(4 * p, 4 * p + 3),
    ]);
  }
  const grey = encode({ width: 1024, height: 2, data: new Uint8Array(2048), channels: 1 });
  const bad = decodeSheet(grey, "grey.png", 2);
  assert.equal(bad._tag, "Left");
  assert.match(bad._tag === "Left" ? bad.left.message : "", /grey\.png: 8-bit, 1 channels/);
});
