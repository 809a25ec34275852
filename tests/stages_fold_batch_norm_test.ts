import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { buildModel } from "../models/zoo.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import { tinyModel } from "../snapshot/_fixtures.ts";
import { copySnapshot, type Snapshot } from "../snapshot/snapshot.ts";
import { snapshotId } from "../snapshot/id.ts";
import { foldBatchNorm } from "../stages/fold_batch_norm.ts";
import { architectureArb, buildArchitecture, randomizeWeights } from "./_architectures.ts";
import { snapshotOf } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

const classes = (s: Snapshot) =>
  (s.topology.config as { layers: { class_name: string }[] }).layers.map((l) => l.class_name);

/** Largest difference between the two snapshots' predictions, relative to the largest output. */
async function predictionGap(a: Snapshot, b: Snapshot, shape: number[], seed: number) {
  const [ma, mb] = [await modelFromSnapshot(a), await modelFromSnapshot(b)];
  const x = tf.randomNormal([3, ...shape], 0, 1, "float32", seed);
  const [ya, yb] = [ma.predict(x) as tf.Tensor, mb.predict(x) as tf.Tensor];
  const [va, vb] = [await ya.data(), await yb.data()];
  tf.dispose([x, ya, yb]), ma.dispose(), mb.dispose();
  const scale = Math.max(1e-3, ...Array.from(va, Math.abs));
  return Math.max(...Array.from(va, (v, i) => Math.abs(v - vb[i]))) / scale;
}

Deno.test("foldBatchNorm() folds conv -> BN -> ReLU of a Sequential model, same predictions", async () => {
  const start = tf.memory().numTensors;
  const dense = await snapshotOf(tinyModel(3));
  const before = copySnapshot(dense);
  const folded = expectRight(foldBatchNorm(dense));
  assert.deepEqual(classes(dense), [
    "Conv2D",
    "BatchNormalization",
    "Activation",
    "Flatten",
    "Dense",
  ]);
  assert.deepEqual(classes(folded), ["Conv2D", "Flatten", "Dense"]);
  assert.deepEqual(folded.weights.map((w) => w.name), [
    "conv1/kernel",
    "conv1/bias",
    "fc/kernel",
    "fc/bias",
  ]);
  assert.equal(folded.meta.stage, "fold-bn");
  assert.equal(folded.meta.parent, dense.meta.id);
  assert.equal(folded.meta.id, snapshotId(folded.topology, folded.weights));
  assert.deepEqual(dense, before, "the input snapshot is not mutated");
  assert.ok(await predictionGap(dense, folded, [6, 6, 3], 1) < 1e-5);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("foldBatchNorm() of ResNet-20 leaves no batch norm and the same predictions", async () => {
  const model = E.getOrElseW(() => assert.fail("resnet20"))(
    buildModel("resnet20", { seed: 2, classes: 10 }),
  );
  randomizeWeights(model, 5); // non-trivial moving statistics
  const dense = await snapshotOf(model);
  const folded = expectRight(foldBatchNorm(dense));
  assert.equal(classes(dense).filter((c) => c === "BatchNormalization").length, 21);
  assert.equal(classes(folded).filter((c) => c === "BatchNormalization").length, 0);
  // The ReLU after a block's first BN goes into the conv; the one after the add stays.
  assert.equal(classes(folded).filter((c) => c === "Activation").length, 9);
  assert.ok(await predictionGap(dense, folded, [32, 32, 3], 2) < 1e-4);
  assert.equal(expectRight(foldBatchNorm(folded)), folded, "nothing left to fold: same snapshot");
});

Deno.test("foldBatchNorm() keeps outputs equal on random architectures", async () => {
  let folds = 0;
  await fc.assert(
    fc.asyncProperty(architectureArb(4), async (arch) => {
      const model = buildArchitecture(arch);
      randomizeWeights(model, arch.seed);
      const dense = await snapshotOf(model);
      const folded = expectRight(foldBatchNorm(dense));
      folds += classes(dense).length - classes(folded).length;
      const gap = await predictionGap(dense, folded, [...arch.input], arch.seed);
      assert.ok(gap < 1e-4, `outputs differ by ${gap} (relative)`);
    }),
    { numRuns: 40, seed: 7 },
  );
  assert.ok(folds >= 20, `only ${folds} layers folded away in 40 architectures`);
});

Deno.test("foldBatchNorm() leaves a batch norm whose input another layer also reads", async () => {
  const input = tf.input({ shape: [4, 4, 2], name: "input" });
  const conv = tf.layers.conv2d({ name: "conv", filters: 3, kernelSize: 1 }).apply(input);
  const bn = tf.layers.batchNormalization({ name: "bn" }).apply(conv);
  const out = tf.layers.add({ name: "add" }).apply([conv, bn] as tf.SymbolicTensor[]);
  const dense = await snapshotOf(tf.model({ inputs: input, outputs: out as tf.SymbolicTensor }));
  assert.equal(expectRight(foldBatchNorm(dense)), dense);
});
