import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { countCost } from "../graph/count_cost.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { preactSenet18 } from "../models/preact_senet.ts";
import { resnet50 } from "../models/resnet50.ts";
import { snapshotOf } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";
import { checkPlan, halfPlan } from "./_prune_checks.ts";

await tf.setBackend("cpu");

const slices = (list: ReadonlyArray<{ weight: string; axis: number }>) =>
  list.map((s) => `${s.weight}@${s.axis}`).sort();

const NETWORK_ENDS = [
  ["input", 'the network input "input"'],
  ["logits", 'it reaches the model output "logits"'],
];

/** Elements of the weights training changes (BN moving statistics left out). */
function trainableCount(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + tf.util.sizeFromShape(w.shape as number[]), 0);
}

async function firstWeights(model: tf.LayersModel, count: number): Promise<Float32Array[]> {
  const data = await Promise.all(model.getWeights().slice(0, count).map((w) => w.data()));
  return data as Float32Array[];
}

Deno.test("preactSenet18() maps 32x32x3 images to logits and is seeded", async () => {
  const before = tf.memory().numTensors;
  const a = preactSenet18({ seed: 2, classes: 7 });
  const b = preactSenet18({ seed: 2, classes: 7 });
  const c = preactSenet18({ seed: 3, classes: 7 });
  const x = tf.randomNormal([2, 32, 32, 3], 0, 1, "float32", 1);
  const y = a.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 7]);
  const [wa, wb] = [a, b].map((m) => m.getWeights());
  for (let i = 0; i < wa.length; i++) {
    assert.deepEqual(await wa[i].data(), await wb[i].data(), `weight ${i}`);
  }
  assert.notDeepEqual(await firstWeights(a, 1), await firstWeights(c, 1), "another seed");
  tf.dispose([x, y]);
  [a, b, c].forEach((m) => m.dispose());
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("preactSenet18() costs 555,509,760 MACs and 11,269,058 parameters", async () => {
  const model = preactSenet18();
  const trainable = trainableCount(model);
  assert.equal(trainable, 11_261_250);
  const cost = expectRight(countCost(await snapshotOf(model)));
  assert.equal(cost.macs, 555_509_760);
  assert.equal(cost.params, 11_269_058);
  assert.deepEqual(cost.uncounted, []);
});

Deno.test("outInGroups() finds preactSenet18's block, SE-hidden and stream groups", async () => {
  const groups = expectRight(outInGroups(await snapshotOf(preactSenet18())));
  assert.deepEqual(groups.unprunable.map((g) => [g.id, g.reasons.join("; ")]), NETWORK_ENDS);
  const ids = groups.groups.map((g) => g.id);
  assert.equal(ids.length, 20);
  const blocks = ["s1b1", "s1b2", "s2b1", "s2b2", "s3b1", "s3b2", "s4b1", "s4b2"];
  for (const b of blocks) assert.ok(ids.includes(`${b}_conv1`) && ids.includes(`${b}_se_reduce`));
  const streams = ids.filter((id) => !/_(conv1|se_reduce)$/.test(id));
  assert.deepEqual(streams, ["stem_conv", "s2b1_conv2", "s3b1_conv2", "s4b1_conv2"]);
  const stream = groups.groups.find((g) => g.id === "s2b1_conv2")!;
  assert.equal(stream.channels, 128);
  assert.deepEqual(slices(stream.producers), [
    "s2b1_conv2/kernel@3",
    "s2b1_proj_conv/kernel@3",
    "s2b1_se_expand/bias@0",
    "s2b1_se_expand/kernel@1",
    "s2b2_conv2/kernel@3",
    "s2b2_se_expand/bias@0",
    "s2b2_se_expand/kernel@1",
  ]);
  assert.deepEqual(slices(stream.consumers), [
    "s2b1_se_reduce/kernel@0",
    "s2b2_conv1/kernel@2",
    "s2b2_se_reduce/kernel@0",
    "s3b1_conv1/kernel@2",
    "s3b1_proj_conv/kernel@2",
  ]);
  const hidden = groups.groups.find((g) => g.id === "s4b2_se_reduce")!;
  assert.equal(hidden.channels, 32);
  assert.deepEqual(slices(hidden.producers), [
    "s4b2_se_reduce/bias@0",
    "s4b2_se_reduce/kernel@1",
  ]);
  assert.deepEqual(slices(hidden.consumers), ["s4b2_se_expand/kernel@0"]);
});

Deno.test("preactSenet18: removing half of every group matches masking and reloads", async () => {
  const snapshot = await snapshotOf(preactSenet18({ seed: 1 }));
  const analysis = expectRight(outInGroups(snapshot));
  const compact = await checkPlan(snapshot, analysis, halfPlan(analysis, 3), [32, 32, 3]);
  const cost = expectRight(countCost(compact));
  assert.ok(cost.macs < 555_509_760 / 3, `${cost.macs} MACs after halving every group`);
});

Deno.test("resnet50() costs 4,089,184,256 MACs and 25,610,152 parameters (torchvision's 25,557,032 + BN statistics)", async () => {
  const model = resnet50();
  const trainable = trainableCount(model);
  assert.equal(trainable, 25_557_032);
  assert.deepEqual(model.outputs[0].shape, [null, 1000]);
  assert.equal(model.getLayer("s2b1_2_conv").getConfig().strides?.toString(), "2,2");
  assert.equal(model.getLayer("s2b1_1_conv").getConfig().strides?.toString(), "1,1");
  const snapshot = await snapshotOf(model);
  const cost = expectRight(countCost(snapshot));
  assert.equal(cost.macs, 4_089_184_256);
  assert.equal(cost.params, 25_610_152);
  assert.deepEqual(cost.uncounted, []);
  const groups = expectRight(outInGroups(snapshot));
  assert.deepEqual(groups.unprunable.map((g) => [g.id, g.reasons.join("; ")]), NETWORK_ENDS);
  const streams = groups.groups.filter((g) => /_3_conv$/.test(g.id)).map((g) => g.channels);
  assert.deepEqual(streams, [256, 512, 1024, 2048]);
  assert.equal(groups.groups.length, 1 + 16 * 2 + 4);
});

Deno.test("resnet50() is seeded and classifies one 224x224 image", async () => {
  const before = tf.memory().numTensors;
  const a = resnet50({ seed: 4, classes: 5 });
  const b = resnet50({ seed: 4, classes: 5 });
  assert.deepEqual(await firstWeights(a, 3), await firstWeights(b, 3));
  const last = (m: tf.LayersModel) => m.getLayer("logits").getWeights()[0].data();
  assert.deepEqual(await last(a), await last(b));
  b.dispose();
  const x = tf.randomNormal([1, 224, 224, 3], 0, 1, "float32", 1);
  const y = a.predict(x) as tf.Tensor;
  assert.deepEqual(y.shape, [1, 5]);
  assert.ok((await y.data()).every(Number.isFinite));
  tf.dispose([x, y]);
  a.dispose();
  assert.equal(tf.memory().numTensors, before);
});
