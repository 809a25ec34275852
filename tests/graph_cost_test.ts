import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { countCost, type SnapshotCost } from "../graph/count_cost.ts";
import { SNAPSHOT_TOPOLOGY_FILE } from "../graph/keras_topology.ts";
import { cifarnet } from "../models/cifarnet.ts";
import { resnet } from "../models/resnet.ts";
import { snapshotFromModel } from "../snapshot/from_model.ts";
import { copySnapshot, type JsonObject, type Snapshot } from "../snapshot/snapshot.ts";
import { withCostMetrics } from "../stages/metrics.ts";
import { smallSnapshot, testEnv } from "./_fixtures.ts";
import { expectLeft, expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

type Sym = tf.SymbolicTensor;
const L = tf.layers;

/** The model as a snapshot, and its `countParams()`; the model is disposed. */
async function snapshotOf(model: tf.LayersModel): Promise<[Snapshot, number]> {
  const meta = { ...testEnv(), parent: null, stage: "init", options: {}, seed: 0, metrics: {} };
  const snapshot = await snapshotFromModel(model, meta);
  const params = model.countParams();
  model.dispose();
  return [snapshot, params];
}

async function costOf(model: tf.LayersModel): Promise<SnapshotCost & { countParams: number }> {
  const [snapshot, countParams] = await snapshotOf(model);
  return { ...expectRight(countCost(snapshot)), countParams };
}

const macsByName = (cost: SnapshotCost) =>
  Object.fromEntries(cost.layers.map((l) => [l.name, l.macs]));

/** MACs of a 3x3 convolution at `side`x`side` output positions. */
const conv3 = (side: number, cin: number, cout: number) => side * side * 9 * cin * cout;

Deno.test("countCost() gives ResNet-20 40.81 M MACs and 0.274 M parameters", async () => {
  const cost = await costOf(resnet({ depth: 20 }));
  // Stem; 6 convs per stage at 32², 16², 8² (the first of stages 2 and 3 reads half the
  // channels); 1x1 stride-2 projections; the classifier. Publications leave out the
  // projections and classifier: ~40.6 M.
  const stage = (side: number, c: number, first: number) =>
    conv3(side, first, c) + 5 * conv3(side, c, c);
  const expected = conv3(32, 3, 16) + stage(32, 16, 16) + stage(16, 32, 16) +
    stage(8, 64, 32) + 16 * 16 * 16 * 32 + 8 * 8 * 32 * 64 + 64 * 10;
  assert.equal(expected, 40_813_184);
  assert.equal(cost.macs, expected);
  assert.equal(cost.params, 274_042);
  assert.equal(cost.params, cost.countParams);
  assert.deepEqual(cost.uncounted, []);
});

Deno.test("countCost() gives ResNet-56 125.7 M MACs and 0.86 M parameters", async () => {
  const cost = await costOf(resnet({ depth: 56 }));
  const stage = (side: number, c: number, first: number) =>
    conv3(side, first, c) + 17 * conv3(side, c, c);
  const expected = conv3(32, 3, 16) + stage(32, 16, 16) + stage(16, 32, 16) +
    stage(8, 64, 32) + 16 * 16 * 16 * 32 + 8 * 8 * 32 * 64 + 64 * 10;
  assert.equal(cost.macs, expected);
  assert.equal(cost.macs, 125_747_840);
  assert.equal(cost.params, 860_026);
  assert.equal(cost.params, cost.countParams);
});

Deno.test("countCost() counts the frozen option-A shortcuts' MACs and parameters", async () => {
  const cost = await costOf(resnet({ depth: 20, shortcut: "A" }));
  assert.equal(cost.macs, 40_813_184);
  assert.equal(cost.params, 273_658);
  assert.equal(cost.params, cost.countParams);
});

Deno.test("countCost() counts CifarNet layer by layer", async () => {
  const cost = await costOf(cifarnet());
  const byName = Object.fromEntries(cost.layers.map((l) => [l.name, l]));
  assert.equal(byName.conv1.macs, 32 * 32 * 5 * 5 * 3 * 64);
  assert.equal(byName.conv2.macs, 16 * 16 * 5 * 5 * 64 * 64);
  assert.equal(byName.fc3.macs, 8 * 8 * 64 * 384);
  assert.equal(byName.fc3.params, 8 * 8 * 64 * 384 + 384);
  assert.equal(byName.pool1.macs, 0);
  assert.equal(cost.macs, 32_778_112);
  assert.equal(cost.params, 1_756_426);
  assert.equal(cost.params, cost.countParams);
});

Deno.test("countCost() counts depthwise, separable and Dense-on-image MACs", async () => {
  const x = tf.input({ shape: [9, 7, 3], name: "in" });
  const dw = L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: "dw" }).apply(x);
  const sep = L.separableConv2d({
    filters: 5,
    kernelSize: [3, 2],
    depthMultiplier: 2,
    strides: 2,
    padding: "same",
    name: "sep",
  }).apply(dw);
  const fc = L.dense({ units: 4, name: "fc" }).apply(sep) as Sym;
  const cost = await costOf(tf.model({ inputs: x, outputs: fc }));
  assert.deepEqual(macsByName(cost), {
    in: 0,
    dw: 7 * 5 * 3 * 3 * 3 * 2, // [7, 5, 6]
    sep: 4 * 3 * (3 * 2 * 6 * 2 + 6 * 2 * 5), // [4, 3, 5]
    fc: 4 * 3 * 5 * 4,
  });
  assert.equal(cost.params, cost.countParams);
});

Deno.test("countCost() counts a Sequential model, its implicit input layer included", async () => {
  const model = tf.sequential({
    layers: [
      L.conv2d({ inputShape: [8, 8, 2], filters: 3, kernelSize: 3, name: "c" }),
      L.flatten({ name: "f" }),
      L.dense({ units: 2, name: "d" }),
    ],
  });
  const cost = await costOf(model);
  assert.deepEqual(macsByName(cost), { c_input: 0, c: 6 * 6 * 9 * 2 * 3, f: 0, d: 108 * 2 });
  assert.equal(cost.params, cost.countParams);
});

/** `snapshot` with the class of layer `name` replaced by `className`. */
function withClass(snapshot: Snapshot, name: string, className: string): Snapshot {
  const topology = structuredClone(snapshot.topology) as {
    config: { layers: Array<{ name: string; class_name: string }> };
  };
  const layer = topology.config.layers.find((l) => l.name === name);
  assert.ok(layer !== undefined, `layer ${name}`);
  layer.class_name = className;
  return { ...snapshot, topology: topology as unknown as JsonObject };
}

Deno.test("countCost() lists a layer after an unknown class as uncounted, not a crash", async () => {
  const cost = expectRight(countCost(withClass(await smallSnapshot(), "relu1", "Mystery")));
  assert.deepEqual(macsByName(cost), {
    input: 0,
    conv1: 16 * 16 * 9 * 3 * 4,
    bn1: 0,
    relu1: 0,
    pool: 0,
    logits: null,
  });
  assert.deepEqual(cost.uncounted, [
    'layer "logits" (Dense): its output shape is unknown, because layer "relu1" cannot be ' +
    'followed: shape inference does not know its class "Mystery"',
  ]);
  assert.equal(cost.macs, 16 * 16 * 9 * 3 * 4);
  assert.equal(cost.params, 3 * 3 * 3 * 4 + 4 + 4 * 4 + 4 * 2 + 2);
});

Deno.test("countCost() lists an unknown class that has a kernel as uncounted", async () => {
  const cost = expectRight(countCost(withClass(await smallSnapshot(), "conv1", "Conv2DPlus")));
  const conv = cost.layers.find((l) => l.name === "conv1");
  assert.deepEqual(conv, { name: "conv1", className: "Conv2DPlus", macs: null, params: 112 });
  assert.equal(cost.uncounted.length, 2);
  assert.match(cost.uncounted[0], /"kernel", but no rule counts the MACs of class "Conv2DPlus"/);
  assert.match(cost.uncounted[1], /^layer "logits".*"conv1" cannot be followed/);
});

Deno.test("countCost() lists convolutions over an input of unknown size as uncounted", async () => {
  const x = tf.input({ shape: [null, null, 3], name: "any" });
  const conv = L.conv2d({ filters: 4, kernelSize: 3, name: "conv" }).apply(x);
  const gap = L.globalAveragePooling2d({ name: "gap" }).apply(conv);
  const fc = L.dense({ units: 2, name: "fc" }).apply(gap) as Sym;
  const cost = await costOf(tf.model({ inputs: x, outputs: fc }));
  assert.deepEqual(macsByName(cost), { any: 0, conv: null, gap: 0, fc: 8 });
  assert.deepEqual(cost.uncounted, [
    'layer "conv" (Conv2D): its output shape [?, ?, 4] has unknown dimensions',
  ]);
  assert.equal(cost.params, cost.countParams);
});

Deno.test("countCost() reports a topology that does not decode, naming the snapshot", async () => {
  const snapshot = await smallSnapshot();
  const broken = { ...snapshot, topology: { class_name: "Sequential", config: [] } };
  const error = expectLeft(countCost(broken));
  assert.equal(error._tag, "InvalidTopology");
  assert.equal(error.file, SNAPSHOT_TOPOLOGY_FILE);
  assert.equal(error.field, "modelTopology.config");
});

Deno.test("countCost() and withCostMetrics() leave their input as it was", async () => {
  const snapshot = copySnapshot(await smallSnapshot());
  const before = JSON.stringify(snapshot.topology) + JSON.stringify(snapshot.meta);
  countCost(snapshot);
  const counted = expectRight(withCostMetrics(snapshot));
  assert.equal(JSON.stringify(snapshot.topology) + JSON.stringify(snapshot.meta), before);
  assert.deepEqual(snapshot.meta.metrics, {});
  assert.equal(counted.meta.id, snapshot.meta.id);
  assert.deepEqual(counted.meta.metrics, { macs: 16 * 16 * 9 * 3 * 4 + 4 * 2, params: 138 });
  assert.ok(Object.isFrozen(counted) && Object.isFrozen(counted.meta.metrics));
  assert.ok(E.isRight(countCost(counted)));
});
