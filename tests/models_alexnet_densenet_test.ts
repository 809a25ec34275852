import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { countCost } from "../graph/count_cost.ts";
import { type GroupAnalysis, outInGroups } from "../graph/out_in_groups.ts";
import { alexnet } from "../models/alexnet.ts";
import { densenet } from "../models/densenet.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { randomizeWeights } from "./_architectures.ts";
import { snapshotOf } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";
import { checkPlan, halfPlan } from "./_prune_checks.ts";

await tf.setBackend("cpu");

const weightsOf = async (model: tf.LayersModel) => {
  const data = await Promise.all(model.getWeights().map((w) => w.data()));
  model.dispose();
  return data;
};

/** The model with every weight random (BN statistics too), so masking checks see them all. */
async function randomSnapshot(model: tf.LayersModel): Promise<Snapshot> {
  randomizeWeights(model, 17);
  return await snapshotOf(model);
}

const layersOf = (slices: ReadonlyArray<{ layer: string }>) =>
  [...new Set(slices.map((s) => s.layer))].sort();

const unprunableOf = (analysis: GroupAnalysis) =>
  analysis.unprunable.map((g) => [g.id, g.reasons.join("; ")]);

const ENDS = [
  ["input", 'the network input "input"'],
  ["logits", 'it reaches the model output "logits"'],
];

Deno.test("alexnet() maps [2, 32, 32, 3] to [2, classes] and holds its documented cost", async () => {
  const start = tf.memory().numTensors;
  const model = alexnet({ classes: 7 });
  tf.tidy(() =>
    assert.deepEqual((model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor).shape, [2, 7])
  );
  model.dispose();
  const snapshot = await snapshotOf(alexnet());
  const cost = expectRight(countCost(snapshot));
  assert.equal(cost.macs, 222_046_080);
  assert.equal(cost.params, 4_103_818);
  assert.deepEqual(cost.uncounted, []);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("alexnet() gives the same weights for the same seed and others for another", async () => {
  for (const seed of [0, 3]) {
    assert.deepEqual(await weightsOf(alexnet({ seed })), await weightsOf(alexnet({ seed })));
  }
  const [a, b] = [await weightsOf(alexnet({ seed: 3 })), await weightsOf(alexnet({ seed: 4 }))];
  assert.notDeepEqual(a[0], b[0]);
});

Deno.test("alexnet has one group per hidden layer; halving them all matches masking", async () => {
  const start = tf.memory().numTensors;
  const snapshot = await randomSnapshot(alexnet({ seed: 1 }));
  const analysis = expectRight(outInGroups(snapshot));
  assert.deepEqual(
    analysis.groups.map((g) => [layersOf(g.producers), g.channels, layersOf(g.consumers)]),
    [
      [["conv1"], 64, ["conv2"]],
      [["conv2"], 192, ["conv3"]],
      [["conv3"], 384, ["conv4"]],
      [["conv4"], 256, ["conv5"]],
      [["conv5"], 256, ["fc6"]],
      [["fc6"], 384, ["fc7"]],
      [["fc7"], 192, ["logits"]],
    ],
  );
  assert.deepEqual(unprunableOf(analysis), ENDS);
  const compact = await checkPlan(snapshot, analysis, halfPlan(analysis, 1), [32, 32, 3]);
  const kernel = (name: string) => compact.weights.find((w) => w.name === name)?.shape;
  assert.deepEqual(kernel("conv2/kernel"), [5, 5, 32, 96]);
  assert.deepEqual(kernel("fc6/kernel"), [4 * 4 * 128, 192]);
  assert.deepEqual(kernel("logits/kernel"), [96, 10]);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("densenet() maps [2, 32, 32, 3] to [2, classes] and holds DenseNet-40's cost", async () => {
  const start = tf.memory().numTensors;
  const model = densenet({ depth: 40, growth: 12, classes: 100 });
  tf.tidy(() =>
    assert.deepEqual((model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor).shape, [2, 100])
  );
  model.dispose();
  const snapshot = await snapshotOf(densenet({ depth: 40, growth: 12 }));
  const cost = expectRight(countCost(snapshot));
  assert.equal(cost.macs, 264_812_928);
  assert.equal(cost.params, 1_037_818);
  assert.deepEqual(cost.uncounted, []);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("densenet() gives the same weights for the same seed and others for another", async () => {
  const build = (seed: number) => densenet({ depth: 10, seed });
  for (const seed of [0, 3]) {
    assert.deepEqual(await weightsOf(build(seed)), await weightsOf(build(seed)));
  }
  const [a, b] = [await weightsOf(build(3)), await weightsOf(build(4))];
  assert.notDeepEqual(a[0], b[0]);
});

Deno.test("densenet() rejects a depth that is not 3n+4 and a bad growth rate", () => {
  assert.throws(() => densenet({ depth: 41 }), /3n\+4/);
  assert.throws(() => densenet({ depth: 4 }), /3n\+4/);
  assert.throws(() => densenet({ growth: 0 }), /growth rate/);
});

Deno.test("densenet40 has a group per dense layer, stem and transition; halving them matches masking", async () => {
  const start = tf.memory().numTensors;
  const snapshot = await randomSnapshot(densenet({ depth: 40, growth: 12, seed: 1 }));
  const analysis = expectRight(outInGroups(snapshot));
  const layers = (b: number) => [...Array(12).keys()].map((i) => `b${b}l${i + 1}_conv`);
  assert.deepEqual(analysis.groups.map((g) => g.id), [
    "stem_conv",
    ...layers(1),
    "t1_conv",
    ...layers(2),
    "t2_conv",
    ...layers(3),
  ]);
  const channels = Object.fromEntries(analysis.groups.map((g) => [g.id, g.channels]));
  assert.deepEqual([channels.stem_conv, channels.b2l5_conv, channels.t1_conv, channels.t2_conv], [
    16,
    12,
    160,
    304,
  ]);
  // A dense layer's channels are read by every later layer of its block and what follows it.
  const b1l1 = analysis.groups.find((g) => g.id === "b1l1_conv")!;
  assert.deepEqual(layersOf(b1l1.consumers), [...layers(1).slice(1), "t1_conv"].sort());
  const b3l12 = analysis.groups.find((g) => g.id === "b3l12_conv")!;
  assert.deepEqual(layersOf(b3l12.consumers), ["logits"]);
  assert.deepEqual(unprunableOf(analysis), ENDS);
  const compact = await checkPlan(snapshot, analysis, halfPlan(analysis, 1), [32, 32, 3]);
  const kernel = (name: string) => compact.weights.find((w) => w.name === name)?.shape;
  assert.deepEqual(kernel("b1l2_conv/kernel"), [3, 3, 8 + 6, 6]);
  assert.deepEqual(kernel("t1_conv/kernel"), [1, 1, 8 + 12 * 6, 80]);
  assert.deepEqual(kernel("logits/kernel"), [152 + 12 * 6, 10]);
  assert.equal(tf.memory().numTensors, start);
});
