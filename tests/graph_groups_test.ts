import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { outInGroups } from "../graph/out_in_groups.ts";
import { buildModel } from "../models/zoo.ts";
import type { JsonObject, Snapshot } from "../snapshot/snapshot.ts";
import { snapshotOf } from "./_fixtures.ts";
import { expectLeft, expectRight } from "./_helpers.ts";
import { checkPlan } from "./_prune_checks.ts";

await tf.setBackend("cpu");

const snap = snapshotOf;

async function zoo(name: string): Promise<Snapshot> {
  const built = buildModel(name, { seed: 1, classes: 10 });
  assert.equal(built._tag, "Right");
  return await snap((built as { right: tf.LayersModel }).right);
}

const slices = (list: ReadonlyArray<{ weight: string; axis: number }>) =>
  list.map((s) => `${s.weight}@${s.axis}`).sort();

Deno.test("outInGroups() finds ResNet-20's block groups and one group per residual stream", async () => {
  const groups = expectRight(outInGroups(await zoo("resnet20")));
  const ids = groups.groups.map((g) => g.id);
  assert.equal(ids.length, 12);
  const internal = ids.filter((id) => /^s\db\d_1_conv$/.test(id));
  assert.equal(internal.length, 9);
  assert.deepEqual(ids.filter((id) => !internal.includes(id)), [
    "stem_conv",
    "s2b1_2_conv",
    "s3b1_2_conv",
  ]);
  const stream = groups.groups.find((g) => g.id === "s2b1_2_conv")!;
  assert.equal(stream.channels, 32);
  assert.deepEqual(slices(stream.producers), [
    "s2b1_2_conv/kernel@3",
    "s2b1_proj_conv/kernel@3",
    "s2b2_2_conv/kernel@3",
    "s2b3_2_conv/kernel@3",
  ]);
  assert.deepEqual(slices(stream.consumers), [
    "s2b2_1_conv/kernel@2",
    "s2b3_1_conv/kernel@2",
    "s3b1_1_conv/kernel@2",
    "s3b1_proj_conv/kernel@2",
  ]);
  assert.equal(stream.passThrough.length, 4 * 4);
  const block = groups.groups.find((g) => g.id === "s1b2_1_conv")!;
  assert.deepEqual(slices(block.producers), ["s1b2_1_conv/kernel@3"]);
  assert.deepEqual(slices(block.consumers), ["s1b2_2_conv/kernel@2"]);
  assert.deepEqual(
    slices(block.passThrough),
    ["beta", "gamma", "moving_mean", "moving_variance"].map((p) => `s1b2_1_bn/${p}@0`),
  );
  const unprunable = groups.unprunable.map((g) => [g.id, g.reasons.join("; ")]);
  assert.deepEqual(unprunable, [
    ["input", 'the network input "input"'],
    ["logits", 'it reaches the model output "logits"'],
  ]);
});

Deno.test("outInGroups() maps channel c of a flattened map to the Dense rows (h*W + w)*C + c", async () => {
  const groups = expectRight(outInGroups(await zoo("cifarnet")));
  const conv2 = groups.groups.find((g) => g.id === "conv2")!;
  const rows = conv2.consumers.find((s) => s.weight === "fc3/kernel")!;
  const width = conv2.channels;
  assert.equal(rows.axis, 0);
  assert.equal(rows.channelOf.length % width, 0);
  for (let i = 0; i < rows.channelOf.length; i++) assert.equal(rows.channelOf[i], i % width);
  assert.deepEqual(groups.groups.map((g) => g.id), ["conv1", "conv2", "fc3", "fc4"]);
});

function seBlock(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 3], name: "x" });
  const conv = tf.layers.conv2d({ name: "conv", filters: 4, kernelSize: 3, padding: "same" })
    .apply(input) as tf.SymbolicTensor;
  const squeeze = tf.layers.globalAveragePooling2d({ name: "squeeze" }).apply(conv);
  const fc1 = tf.layers.dense({ name: "se1", units: 2, activation: "relu" }).apply(squeeze);
  const fc2 = tf.layers.dense({ name: "se2", units: 4, activation: "sigmoid" }).apply(fc1);
  const gate = tf.layers.reshape({ name: "gate", targetShape: [1, 1, 4] }).apply(fc2);
  const scaled = tf.layers.multiply({ name: "scale" }).apply([conv, gate as tf.SymbolicTensor]);
  const a = tf.layers.conv2d({ name: "a", filters: 2, kernelSize: 1 }).apply(scaled);
  const b = tf.layers.conv2d({ name: "b", filters: 3, kernelSize: 1 }).apply(scaled);
  const cat = tf.layers.concatenate({ name: "cat" }).apply([
    a as tf.SymbolicTensor,
    b as tf.SymbolicTensor,
  ]);
  const out = tf.layers.conv2d({ name: "out", filters: 2, kernelSize: 1 }).apply(cat);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

Deno.test("outInGroups() couples an SE gate with the channels it scales, and offsets concatenations", async () => {
  const groups = expectRight(outInGroups(await snap(seBlock())));
  const conv = groups.groups.find((g) => g.id === "conv")!;
  assert.deepEqual(slices(conv.producers), [
    "conv/bias@0",
    "conv/kernel@3",
    "se2/bias@0",
    "se2/kernel@1",
  ]);
  assert.deepEqual(slices(conv.consumers), ["a/kernel@2", "b/kernel@2", "se1/kernel@0"]);
  const hidden = groups.groups.find((g) => g.id === "se1")!;
  assert.deepEqual(slices(hidden.consumers), ["se2/kernel@0"]);
  const b = groups.groups.find((g) => g.id === "b")!;
  assert.deepEqual([...b.consumers[0].channelOf], [-1, -1, 0, 1, 2]);
  const a = groups.groups.find((g) => g.id === "a")!;
  assert.deepEqual([...a.consumers[0].channelOf], [0, 1, -1, -1, -1]);
});

Deno.test("outInGroups() makes the groups that reach an unknown layer unprunable, naming it", async () => {
  const s = await snap(seBlock());
  const topology = structuredClone(s.topology) as {
    config: { layers: Array<{ name: string; class_name: string }> };
  };
  topology.config.layers.find((l) => l.name === "squeeze")!.class_name = "MyPooling";
  const groups = expectRight(
    outInGroups({ ...s, topology: topology as unknown as JsonObject }),
  );
  const conv = groups.unprunable.find((g) => g.id === "conv")!;
  assert.match(
    conv.reasons.join(),
    /"squeeze" is a MyPooling, a layer the analysis does not understand/,
  );
  assert.ok(groups.groups.some((g) => g.id === "a"));
});

Deno.test("outInGroups() rejects weights that do not fit the topology, naming the weight", async () => {
  const s = await snap(seBlock());
  const weights = s.weights.filter((w) => w.name !== "se2/bias");
  const error = expectLeft(outInGroups({ ...s, weights }));
  assert.equal(error._tag, "WeightMismatch");
  assert.match(error.message, /Layer "se2": weight "se2\/bias": expected a weight with 4 entries/);
});

Deno.test("outInGroups() reports a bad topology field with its path", async () => {
  const s = await snap(seBlock());
  const topology = structuredClone(s.topology) as { config: { layers: Array<JsonObject> } };
  (topology.config.layers[1].config as Record<string, unknown>).filters = -3;
  const error = expectLeft(outInGroups({ ...s, topology: topology as unknown as JsonObject }));
  assert.match(
    error.message,
    /snapshot topology: modelTopology\.config\.layers\.1\.config\.filters/,
  );
});

function addOfConcat(): tf.LayersModel {
  const input = tf.input({ shape: [5, 5, 2], name: "x" });
  const conv = (name: string, filters: number, from: tf.SymbolicTensor) =>
    tf.layers.conv2d({ name, filters, kernelSize: 1 }).apply(from) as tf.SymbolicTensor;
  const a = conv("a", 2, input);
  const b = conv("b", 3, input);
  const cat = tf.layers.concatenate({ name: "cat" }).apply([a, b]) as tf.SymbolicTensor;
  const c = conv("c", 5, input);
  const sum = tf.layers.add({ name: "sum" }).apply([cat, c]) as tf.SymbolicTensor;
  const pool = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(sum);
  const gate = tf.layers.dense({ name: "gate", units: 5, activation: "sigmoid" }).apply(pool);
  const scaled = tf.layers.multiply({ name: "scaled" }).apply([
    tf.layers.reshape({ name: "gate_map", targetShape: [1, 1, 5] }).apply(
      gate,
    ) as tf.SymbolicTensor,
    sum,
  ]);
  const out = tf.layers.conv2d({ name: "out", filters: 2, kernelSize: 1 }).apply(scaled);
  return tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
}

Deno.test("outInGroups() splits a plain tensor added to a concatenation into the concatenated groups", async () => {
  const s = await snap(addOfConcat());
  const groups = expectRight(outInGroups(s));
  const byId = new Map(groups.groups.map((g) => [g.id, g]));
  assert.deepEqual([...byId.keys()].sort(), ["a", "b"]);
  assert.deepEqual(slices(byId.get("a")!.producers), [
    "a/bias@0",
    "a/kernel@3",
    "c/bias@0",
    "c/kernel@3",
    "gate/bias@0",
    "gate/kernel@1",
  ]);
  const cOut = byId.get("b")!.producers.find((p) => p.weight === "c/kernel")!;
  assert.deepEqual([...cOut.channelOf], [-1, -1, 0, 1, 2]);
  const pooled = byId.get("b")!.consumers.find((p) => p.weight === "gate/kernel")!;
  assert.deepEqual([...pooled.channelOf], [-1, -1, 0, 1, 2]);
  await checkPlan(s, groups, { a: [1], b: [0, 2] }, [5, 5, 2]);
});
