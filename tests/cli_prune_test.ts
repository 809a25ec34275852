import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { checkFitsData, modelLabel } from "../cli/load_model.ts";
import { cifarImageSet } from "../datasets/image_set.ts";
import { snapshotFromModel } from "../snapshot/from_model.ts";
import { denoFileIO } from "../snapshot/io_handler.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { exportLayersModel, readSnapshot } from "../snapshot/store.ts";
import { testEnv } from "./_fixtures.ts";
import { expectLeft, expectRight, runPrune, withTempDir } from "./_helpers.ts";

Deno.test("deno task baseline trains on real CIFAR-10 and writes a loadable model", async () => {
  const dir = await Deno.makeTempDir();
  const store = join(dir, "store"), out = join(dir, "run");
  const args = ["--train-limit", "256", "--test-limit", "200", "--steps-per-epoch", "3"];
  const run = await runPrune([
    ...args,
    "--backend",
    "wasm",
    "--store",
    store,
    "--out",
    out,
    "--json",
  ], "baseline");
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim());
  assert.equal(summary.model, "cifarnet");
  assert.equal(summary.backend, "wasm");
  assert.equal(summary.test_images, 200);
  assert.equal(summary.macs, 32_778_112);
  assert.ok(summary.top1 >= 0 && summary.top1 <= 1);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "summary.json"))), summary);

  const snapshot = await readSnapshot(store, summary.snapshot)();
  assert.ok(E.isRight(snapshot), "the final snapshot verifies");
  assert.equal(snapshot.right.meta.parent, summary.parent);
  assert.equal(snapshot.right.meta.stage, "train");
  assert.equal(snapshot.right.meta.backend.name, "wasm");
  assert.equal(snapshot.right.meta.metrics.top1, summary.top1);
  const parent = await readSnapshot(store, summary.parent)();
  assert.ok(E.isRight(parent) && parent.right.meta.stage === "init");

  await tf.setBackend("cpu");
  const model = await tf.loadLayersModel(denoFileIO(join(out, "model")), { strict: true });
  const y = model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 10]);
  y.dispose();
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task prune refuses a bad flag with one line and exit code 2", async () => {
  const run = await runPrune(["--batch-size", "0"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^--batch-size: expected a positive integer, got 0\n/);
  assert.equal(run.stdout, "");
});

Deno.test("deno task prune names the missing file of a CIFAR binary folder", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runPrune(["--data", "cifar100", "--data-dir", dir, "--backend", "cpu"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`error: ${dir}/(train|test)\\.bin: not found`));
  assert.doesNotMatch(run.stderr, /\s+at /, "no stack trace");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task prune --help lists the flags with their defaults", async () => {
  const run = await runPrune(["--help"]);
  assert.equal(run.code, 0);
  assert.match(
    run.stdout,
    /--model <string>\s+cifarnet \| alexnet \| resnet20.*\(default: cifarnet\)/,
  );
  assert.match(run.stdout, /--target-flops <number>\s+.*\(default: 0\.6\)/);
});

Deno.test("deno task baseline run twice with the same seed gives the same snapshots", async () => {
  const dir = await Deno.makeTempDir();
  const ids = [];
  for (const run of ["a", "b"]) {
    const args = ["--train-limit", "256", "--test-limit", "64", "--steps-per-epoch", "2"];
    const out = join(dir, run);
    const result = await runPrune(
      [...args, "--store", join(dir, "store"), "--out", out, "--json"],
      "baseline",
    );
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    ids.push([summary.parent, summary.snapshot]);
  }
  assert.deepEqual(ids[0], ids[1], "separate processes, same seed: same initial and trained ids");
  await Deno.remove(dir, { recursive: true });
});

/** A conv -> pool -> dense model taking `shape` inputs, as an "init" snapshot. */
async function netSnapshot(shape: number[], classes: number, activation?: "softmax") {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ name: "conv", inputShape: shape, filters: 2, kernelSize: 3 }),
      tf.layers.globalAveragePooling2d({ name: "pool" }),
      tf.layers.dense({ name: "fc", units: classes, activation }),
    ],
  });
  const meta = { ...testEnv(), parent: null, stage: "init", options: {}, seed: 0, metrics: {} };
  const snapshot = await snapshotFromModel(model, meta);
  model.dispose();
  return snapshot;
}

/** Exports a snapshot as `<dir>/<name>/model.json`; returns that path. */
async function exportTo(snapshot: Snapshot, dir: string, name: string): Promise<string> {
  expectRight(await exportLayersModel(snapshot, join(dir, name))());
  return join(dir, name, "model.json");
}

Deno.test("checkFitsData() names the file and what does not fit the data", async () => {
  await tf.setBackend("cpu");
  const start = tf.memory().numTensors;
  const cifar = cifarImageSet("cifar10/train", new Uint8Array(3072), new Int32Array([0]), 10);
  const fits = await netSnapshot([32, 32, 3], 10);
  assert.equal(expectRight(await checkFitsData(fits, "m.json", cifar)()), fits);
  const any = await netSnapshot([null, null, 3] as unknown as number[], 10);
  assert.ok(E.isRight(await checkFitsData(any, "m.json", cifar)()), "free spatial axes fit");
  const why = async (snapshot: Snapshot) =>
    expectLeft(await checkFitsData(snapshot, "m.json", cifar)()).message;
  assert.equal(
    await why(await netSnapshot([28, 28, 1], 10)),
    "m.json: the model takes inputs of [28, 28, 1]; cifar10 images are [32, 32, 3]",
  );
  assert.equal(
    await why(await netSnapshot([32, 32, 3], 100)),
    "m.json: the model has 100 outputs; cifar10 has 10 classes",
  );
  assert.match(
    await why(await netSnapshot([32, 32, 3], 10, "softmax")),
    /^m\.json: the model ends in a softmax \(layer "fc"\); training needs logits/,
  );
  const custom = structuredClone(fits.topology) as { config: { layers: { class_name: string }[] } };
  custom.config.layers[1].class_name = "MyCustomLayer";
  assert.match(
    await why({ ...fits, topology: custom } as unknown as Snapshot),
    /^m\.json: tfjs does not know the class "MyCustomLayer" of layer "pool", so it cannot train/,
  );
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("modelLabel() names a run folder after the model file or its folder", () => {
  assert.equal(modelLabel("cifarnet"), "cifarnet");
  assert.equal(modelLabel("/tmp/mynet/model.json"), "mynet");
  assert.equal(modelLabel("nets/small.json"), "small");
  assert.equal(modelLabel("model.json"), "model");
});

Deno.test("deno task baseline trains an imported model.json, the import snapshot as parent", async () => {
  await tf.setBackend("cpu");
  await withTempDir("prune-import-", async (dir) => {
    const path = await exportTo(await netSnapshot([32, 32, 3], 10), dir, "mine");
    const store = join(dir, "store"), out = join(dir, "run");
    const args = ["--train-limit", "128", "--test-limit", "64", "--steps-per-epoch", "2"];
    const run = await runPrune([
      ...args,
      "--model",
      path,
      "--store",
      store,
      "--out",
      out,
      "--json",
    ], "baseline");
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout.trim());
    assert.equal(summary.model, path);
    const parent = expectRight(await readSnapshot(store, summary.parent)());
    assert.equal(parent.meta.stage, "import");
    assert.deepEqual(parent.meta.options, { file: path });
    const trained = expectRight(await readSnapshot(store, summary.snapshot)());
    assert.equal(trained.meta.parent, parent.meta.id);
    assert.equal(trained.meta.stage, "train");
    assert.equal(trained.meta.options && (trained.meta.options as { lr: number }).lr, 0.01);
  });
});

Deno.test("deno task prune refuses an imported model whose input does not fit the images", async () => {
  await tf.setBackend("cpu");
  await withTempDir("prune-import-", async (dir) => {
    const path = await exportTo(await netSnapshot([28, 28, 1], 10), dir, "mnist");
    const store = join(dir, "store");
    const run = await runPrune(["--model", path, "--train-limit", "64", "--store", store]);
    assert.equal(run.code, 1);
    assert.ok(
      run.stderr.endsWith(
        `error: ${path}: the model takes inputs of [28, 28, 1]; cifar10 images are [32, 32, 3]\n`,
      ),
      run.stderr,
    );
    assert.equal(await Deno.stat(store).catch(() => null), null, "nothing stored");
  });
});
