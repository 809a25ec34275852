import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import { modelFromSnapshot, snapshotFromModel } from "../snapshot/mod.ts";
import { predictValues as predict } from "./_helpers.ts";

await tf.setBackend("cpu");

Deno.test("snapshotFromModel() keeps the weight names, shapes and values tfjs saves", async () => {
  const start = tf.memory().numTensors;
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  assert.deepEqual(
    snapshot.weights.map((w) => `${w.name}:${w.shape.join("x")}:${w.dtype}`),
    model.weights.map((w) => `${w.originalName}:${w.shape.join("x")}:${w.dtype}`),
  );
  for (const [i, w] of model.weights.entries()) {
    assert.deepEqual(snapshot.weights[i].data, await w.read().data());
  }
  assert.equal((snapshot.topology.config as { name: string }).name, "tiny");
  model.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("modelFromSnapshot() predicts exactly what the original model predicts", async () => {
  const start = tf.memory().numTensors;
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  const copy = await modelFromSnapshot(snapshot);
  const x = tf.randomNormal([4, 6, 6, 3], 0, 1, "float32", 11);
  assert.deepEqual(await predict(copy, x), await predict(model, x));
  x.dispose();
  model.dispose();
  copy.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("a snapshot shares no memory with the model it came from or went to", async () => {
  const start = tf.memory().numTensors;
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  const before = structuredClone(snapshot);
  const copy = await modelFromSnapshot(snapshot);
  const zeros = model.getLayer("fc").getWeights().map((w) => tf.zerosLike(w));
  model.getLayer("fc").setWeights(zeros);
  copy.getLayer("fc").setWeights(zeros);
  zeros.forEach((z) => z.dispose());
  assert.deepEqual(snapshot, before);
  model.dispose();
  copy.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("a snapshot's objects are frozen: topology, weight list and meta", async () => {
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  assert.ok(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.weights));
  assert.ok(Object.isFrozen(snapshot.topology.config) && Object.isFrozen(snapshot.meta.metrics));
  assert.throws(() => {
    (snapshot.weights[0].shape as number[]).push(1);
  }, TypeError);
});

Deno.test("snapshotFromModel() records the id, the given meta and a clock time", async () => {
  const model = tinyModel();
  const { createdAt: _, ...meta } = tinyMeta();
  const snapshot = await snapshotFromModel(model, { ...meta, parent: "ab".repeat(32) });
  model.dispose();
  assert.match(snapshot.meta.id, /^[0-9a-f]{64}$/);
  assert.equal(snapshot.meta.parent, "ab".repeat(32));
  assert.ok(!Number.isNaN(Date.parse(snapshot.meta.createdAt)));
  assert.deepEqual(Object.keys(snapshot.meta)[0], "id");
});

Deno.test("snapshotFromModel() rejects metadata JSON cannot hold, naming the field", async () => {
  const model = tinyModel();
  await assert.rejects(
    snapshotFromModel(model, tinyMeta({ metrics: { loss: NaN } })),
    /field "metrics\.loss" should be FiniteNumber, got NaN/,
  );
  model.dispose();
});
