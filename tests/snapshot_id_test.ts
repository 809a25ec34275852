import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import { canonicalJson, snapshotFromModel, snapshotId, type WeightEntry } from "../snapshot/mod.ts";

await tf.setBackend("cpu");

const topology = { class_name: "Sequential", config: { name: "m", layers: [] } };
const weights: WeightEntry[] = [
  { name: "d/kernel", shape: [2, 2], dtype: "float32", data: new Float32Array([1, -2, 0.5, 3]) },
  { name: "d/bias", shape: [2], dtype: "float32", data: new Float32Array([0, 1]) },
  { name: "steps", shape: [], dtype: "int32", data: new Int32Array([7]) },
];

Deno.test("canonicalJson() sorts keys at every depth and keeps array order", () => {
  assert.equal(
    canonicalJson({ b: [{ z: 1, y: 2 }, 3], a: null, c: "x" }),
    '{"a":null,"b":[{"y":2,"z":1},3],"c":"x"}',
  );
});

Deno.test("canonicalJson() rejects numbers JSON cannot hold", () => {
  assert.throws(() => canonicalJson({ a: NaN }), RangeError);
});

// The golden value was reproduced independently with Python hashlib and struct from the
// serialisation documented on snapshotId().
Deno.test("snapshotId() of a fixed input is the same in every run (golden value)", () => {
  assert.equal(
    snapshotId(topology, weights),
    "c36c9336e13b66c62e32c1cc73c796f105db29d8128c571b6450bc9a2616fe21",
  );
});

Deno.test("snapshotId() ignores key order in the topology", () => {
  const reordered = { config: { layers: [], name: "m" }, class_name: "Sequential" };
  assert.equal(snapshotId(reordered, weights), snapshotId(topology, weights));
});

Deno.test("snapshotId() changes when the bytes move between two weights", () => {
  const a: WeightEntry[] = [
    { name: "a", shape: [1], dtype: "float32", data: new Float32Array([1]) },
    { name: "b", shape: [2], dtype: "float32", data: new Float32Array([2, 3]) },
  ];
  const b: WeightEntry[] = [
    { name: "a", shape: [2], dtype: "float32", data: new Float32Array([1, 2]) },
    { name: "b", shape: [1], dtype: "float32", data: new Float32Array([3]) },
  ];
  assert.notEqual(snapshotId(topology, a), snapshotId(topology, b));
});

Deno.test("snapshotId() changes when a name, shape or dtype changes", () => {
  const base = snapshotId(topology, weights);
  const renamed = weights.map((w, i) => i === 1 ? { ...w, name: "d/bias2" } : w);
  const reshaped = weights.map((w, i) => i === 0 ? { ...w, shape: [4, 1] } : w);
  const retyped = weights.map((w, i) =>
    i === 2
      ? { ...w, dtype: "float32" as const, data: new Float32Array(new Int32Array([7]).buffer) }
      : w
  );
  for (const changed of [renamed, reshaped, retyped]) {
    assert.notEqual(snapshotId(topology, changed), base);
  }
});

Deno.test("snapshotId() changes when any one float changes (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: 1 }),
      fc.nat(),
      fc.float({ noNaN: true }),
      (which, index, value) => {
        const w = weights[which];
        const i = index % w.data.length;
        if (Object.is(w.data[i], Math.fround(value))) return;
        const data = w.data.slice();
        data[i] = value;
        const changed = weights.map((x, j) => j === which ? { ...x, data } : x);
        assert.notEqual(snapshotId(topology, changed), snapshotId(topology, weights));
      },
    ),
  );
});

Deno.test("snapshotFromModel() gives the same id for the same seeded model, in every run", async () => {
  const start = tf.memory().numTensors;
  const [m1, m2] = [tinyModel(1), tinyModel(1)];
  const s1 = await snapshotFromModel(m1, tinyMeta());
  const s2 = await snapshotFromModel(m2, tinyMeta({ stage: "other", seed: 9 }));
  assert.equal(s1.meta.id, s2.meta.id);
  assert.equal(s1.meta.id, "c2e9991f16bd50b0e97634d4414c02c7588c69262e6f91cccd756d4e599820a6");
  m1.dispose();
  m2.dispose();
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("snapshotFromModel() gives a different id when one float differs", async () => {
  const start = tf.memory().numTensors;
  const model = tinyModel(1);
  const before = await snapshotFromModel(model, tinyMeta());
  const bias = model.getLayer("fc").getWeights()[1];
  const values = await bias.data();
  const changed = tf.tensor(values.map((v, i) => i === 0 ? v + 1e-6 : v));
  model.getLayer("fc").setWeights([model.getLayer("fc").getWeights()[0], changed]);
  changed.dispose();
  const after = await snapshotFromModel(model, tinyMeta());
  assert.notEqual(after.meta.id, before.meta.id);
  model.dispose();
  assert.equal(tf.memory().numTensors, start);
});
