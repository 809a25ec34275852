import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { applyPrunePlan, maskPlan } from "../graph/prune_plan.ts";
import { buildModel } from "../models/zoo.ts";
import { modelFromSnapshot, snapshotFromModel } from "../snapshot/from_model.ts";
import { copySnapshot, type Snapshot } from "../snapshot/snapshot.ts";
import { testEnv } from "./_fixtures.ts";
import { expectLeft, expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

async function resnet20(): Promise<Snapshot> {
  const model = (buildModel("resnet20", { seed: 3, classes: 10 }) as { right: tf.LayersModel })
    .right;
  const s = await snapshotFromModel(model, {
    ...testEnv(),
    parent: null,
    stage: "init",
    options: {},
    seed: 3,
    metrics: {},
  });
  model.dispose();
  return s;
}

const snapshot = await resnet20();

Deno.test("applyPrunePlan() refuses plans that do not fit, saying which group and why", () => {
  const cases: Array<[Record<string, number[]>, RegExp]> = [
    [
      { nope: [1] },
      /Cannot prune group "nope": no such group \(the prunable groups are stem_conv, s1b1/,
    ],
    [{ logits: [1] }, /"logits": it cannot be pruned: it reaches the model output "logits"/],
    [{ input: [0] }, /"input": it cannot be pruned: the network input "input"/],
    [{ s1b1_1_conv: [16] }, /"s1b1_1_conv": index 16 exceeds its 16 channels/],
    [{ s1b1_1_conv: [2, 2] }, /"s1b1_1_conv": index 2 is listed twice/],
    [{ s1b1_1_conv: [-1] }, /"s1b1_1_conv": index -1 is not a channel index/],
    [
      { s3b1_2_conv: [...Array(64).keys()] },
      /"s3b1_2_conv": removing all 64 channels would leave its layers with none/,
    ],
  ];
  for (const [plan, message] of cases) {
    const error = expectLeft(applyPrunePlan(snapshot, plan));
    assert.equal(error._tag, "InvalidPlan");
    assert.match(error.message, message);
    assert.match(expectLeft(maskPlan(snapshot, plan)).message, message);
  }
});

Deno.test("applyPrunePlan() with an empty plan gives the same weights and id", () => {
  for (const plan of [{}, { s1b1_1_conv: [] }] as Array<Record<string, number[]>>) {
    const same = expectRight(applyPrunePlan(snapshot, plan));
    assert.equal(same.meta.id, snapshot.meta.id);
    assert.deepEqual(same.weights, snapshot.weights);
  }
});

Deno.test("applyPrunePlan() leaves its input as it was and records the plan in the lineage", () => {
  const before = copySnapshot(snapshot);
  const pruned = expectRight(applyPrunePlan(snapshot, { s2b1_2_conv: [5, 1], s1b1_1_conv: [0] }));
  assert.deepEqual(snapshot, before);
  assert.equal(pruned.meta.parent, snapshot.meta.id);
  assert.equal(pruned.meta.stage, "prune");
  assert.deepEqual(pruned.meta.options, { plan: { s1b1_1_conv: [0], s2b1_2_conv: [1, 5] } });
  assert.notEqual(pruned.meta.id, snapshot.meta.id);
  const shape = (name: string) => pruned.weights.find((w) => w.name === name)?.shape;
  assert.deepEqual(shape("s1b1_1_conv/kernel"), [3, 3, 16, 15]);
  assert.deepEqual(shape("s1b1_2_conv/kernel"), [3, 3, 15, 16]);
  assert.deepEqual(shape("s1b1_1_bn/moving_variance"), [15]);
  assert.deepEqual(shape("s2b1_proj_conv/kernel"), [1, 1, 16, 30]);
  assert.deepEqual(shape("s2b2_1_conv/kernel"), [3, 3, 30, 32]);
  assert.ok(pruned.meta.metrics.macs < 40.81e6 && pruned.meta.metrics.macs > 39e6);
});

Deno.test("applyPrunePlan() gives a model tf.loadLayersModel opens in strict mode", async () => {
  const start = tf.memory().numTensors;
  const pruned = expectRight(applyPrunePlan(snapshot, { stem_conv: [0, 3], s3b2_1_conv: [7] }));
  const model = await modelFromSnapshot(pruned);
  const filters = (name: string) => (model.getLayer(name).getConfig().filters as number);
  assert.equal(filters("stem_conv"), 14);
  assert.equal(filters("s1b3_2_conv"), 14);
  assert.equal(filters("s3b2_1_conv"), 63);
  assert.equal(model.countParams(), pruned.meta.metrics.params);
  model.dispose();
  assert.equal(tf.memory().numTensors, start);
});
