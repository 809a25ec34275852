import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type GroupAnalysis, outInGroups } from "../graph/out_in_groups.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { type RegularizerKind, regularizerTerms } from "../stages/regularizer.ts";
import { bindRegularizer } from "../stages/regularizer_grads.ts";
import { scoreGroups } from "../stages/score.ts";
import { train } from "../stages/train.ts";
import { quickTraining, smallSnapshot, snapshotOf, testEnv, tintedImages } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";
import { randomizeWeights } from "./_architectures.ts";

await tf.setBackend("cpu");

const snap = snapshotOf;

/** `lambda * R` and its gradients for the model of `snapshot`, read back by weight name. */
async function evaluate(snapshot: Snapshot, kind: RegularizerKind, lambda: number) {
  const groups = expectRight(outInGroups(snapshot));
  const terms = regularizerTerms(groups, snapshot.weights.map((w) => w.name), { kind, lambda });
  const model = await modelFromSnapshot(snapshot);
  const variables = new Map(
    model.trainableWeights.map((w) => [w.originalName, w.read() as tf.Variable]),
  );
  const reg = bindRegularizer(terms, variables);
  const { value, grads } = tf.tidy(() => reg.evaluate());
  const byName = new Map<string, Float32Array>();
  for (const [name, v] of variables) {
    const g = grads[v.name];
    if (g !== undefined) byName.set(name, (await g.data()) as Float32Array);
  }
  const r = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  reg.dispose();
  return { value: r, grads: byName, groups, model };
}

Deno.test("oicsr-gl's value and gradient equal the hand-derived ones on a Dense -> Dense net", async () => {
  const start = tf.memory().numTensors;
  const input = tf.input({ shape: [2], name: "x" });
  const hidden = tf.layers.dense({ name: "hidden", units: 2, useBias: false }).apply(input);
  const out = tf.layers.dense({ name: "out", units: 1, useBias: false }).apply(hidden);
  const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  tf.tidy(() => {
    model.getLayer("hidden").setWeights([tf.tensor([[3, 1], [4, 0]])]);
    model.getLayer("out").setWeights([tf.tensor([[0], [2]])]);
  });
  const { value, grads, model: copy } = await evaluate(await snap(model), "oicsr-gl", 0.1);
  // Channel 0: hidden column (3, 4), out row (0): norm 5. Channel 1: (1, 0), (2): norm √5.
  const close = (a: ArrayLike<number>, b: number[]) =>
    b.forEach((x, i) => assert.ok(Math.abs(a[i] - x) < 1e-6, `${a[i]} vs ${x}`));
  close([value], [0.1 * (5 + Math.sqrt(5))]);
  close(grads.get("hidden/kernel")!, [0.1 * 3 / 5, 0.1 / Math.sqrt(5), 0.1 * 4 / 5, 0]);
  close(grads.get("out/kernel")!, [0, 0.1 * 2 / Math.sqrt(5)]);
  copy.dispose();
  assert.equal(tf.memory().numTensors, start);
});

function convNet(): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2], name: "x" });
  let x = tf.layers.conv2d({ name: "c1", filters: 4, kernelSize: 3 }).apply(
    input,
  ) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: "bn1" }).apply(x) as tf.SymbolicTensor;
  const a = tf.layers.conv2d({ name: "c2", filters: 3, kernelSize: 1 }).apply(
    x,
  ) as tf.SymbolicTensor;
  const b = tf.layers.depthwiseConv2d({ name: "dw", kernelSize: 3, padding: "same" }).apply(x);
  const cat = tf.layers.concatenate({ name: "cat" }).apply([a, b as tf.SymbolicTensor]);
  const flat = tf.layers.flatten({ name: "flat" }).apply(cat);
  const out = tf.layers.dense({ name: "out", units: 2 }).apply(flat) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  randomizeWeights(model, 31);
  return model;
}

/** R written directly from its definition with masks, for tf.grads to differentiate. */
function definitionR(groups: GroupAnalysis, kind: RegularizerKind, lambda: number) {
  return (weights: Map<string, tf.Tensor>) => {
    const terms: tf.Tensor[] = [];
    const channelEnergy = (slices: GroupAnalysis["groups"][number]["producers"], c: number) =>
      tf.addN(slices.map((s) => {
        const w = weights.get(s.weight)!;
        const shape = w.shape.map((d, a) => (a === s.axis ? d : 1));
        const mask = tf.tensor(Array.from(s.channelOf, (k) => (k === c ? 1 : 0)), shape);
        return tf.sum(tf.mul(tf.square(w), mask));
      }));
    for (const g of groups.groups) {
      const all = [...g.producers, ...g.passThrough, ...g.consumers];
      const sets = kind === "ssr-gl"
        ? g.producers.filter((s) => s.weight.endsWith("kernel")).map((s) => [s])
        : [all.filter((s) => /(kernel|gamma)$/.test(s.weight))];
      for (const slices of sets) {
        for (let c = 0; c < g.channels; c++) terms.push(tf.sqrt(channelEnergy(slices, c)));
      }
    }
    return tf.mul(tf.addN(terms), lambda) as tf.Scalar;
  };
}

for (const kind of ["oicsr-gl", "ssr-gl"] as const) {
  Deno.test(`${kind}'s gradient equals tf.grads of its definition (conv, BN, depthwise, concat, flatten)`, async () => {
    const snapshot = await snap(convNet());
    const { value, grads, groups, model } = await evaluate(snapshot, kind, 0.01);
    const names = [...grads.keys()];
    const variables = new Map(model.trainableWeights.map((w) => [w.originalName, w.read()]));
    const r = definitionR(groups, kind, 0.01);
    const f = (...xs: tf.Tensor[]) => r(new Map(names.map((n, i) => [n, xs[i]])));
    const expected = tf.grads(f)(names.map((n) => variables.get(n)!));
    assert.ok(Math.abs(value - (await f(...names.map((n) => variables.get(n)!)).data())[0]) < 1e-5);
    for (const [i, name] of names.entries()) {
      const want = await expected[i].data();
      const got = grads.get(name)!;
      for (let k = 0; k < want.length; k++) {
        assert.ok(Math.abs(got[k] - want[k]) < 1e-5, `${name}[${k}]: ${got[k]} vs ${want[k]}`);
      }
    }
    assert.ok(names.includes("bn1/gamma") === (kind === "oicsr-gl"));
    tf.dispose(expected);
    model.dispose();
  });
}

Deno.test("l1 and bn-l1 have gradient lambda * sign(w) on kernels and on BN gamma only", async () => {
  const snapshot = await snap(convNet());
  for (const [kind, pattern] of [["l1", /kernel$/], ["bn-l1", /gamma$/]] as const) {
    const { value, grads, model } = await evaluate(snapshot, kind, 0.5);
    let sum = 0;
    for (const w of snapshot.weights.filter((w) => pattern.test(w.name))) {
      const g = grads.get(w.name)!;
      w.data.forEach((x, i) => assert.equal(g[i], 0.5 * Math.sign(x)));
      for (const x of w.data) sum += Math.abs(x);
    }
    assert.deepEqual([...grads.keys()].filter((n) => !pattern.test(n)), []);
    assert.ok(Math.abs(value - 0.5 * sum) < 1e-4 * sum);
    model.dispose();
  }
});

Deno.test("train() with oicsr-gl records the regularizer, reports the penalty and shrinks the groups", async () => {
  const start = tf.memory().numTensors;
  const data = tintedImages(96);
  const initial = await smallSnapshot(5);
  const energy = (s: Snapshot) => {
    const scores = scoreGroups(s, expectRight(outInGroups(s)), {
      normalise: "none",
      costAware: false,
    });
    return [...scores.values()].reduce((a, e) => a + e.reduce((x, y) => x + y, 0), 0);
  };
  const run = async (regularizer: { kind: RegularizerKind; lambda: number }) =>
    expectRight(
      await train(initial, data, quickTraining({ epochs: 1, regularizer }), testEnv())(),
    );
  const plain = await run({ kind: "none", lambda: 0 });
  const sparse = await run({ kind: "oicsr-gl", lambda: 0.05 });
  assert.deepEqual((sparse.meta.options as { regularizer: unknown }).regularizer, {
    kind: "oicsr-gl",
    lambda: 0.05,
  });
  assert.ok(sparse.meta.metrics.penalty > 0);
  assert.equal(plain.meta.metrics.penalty, 0);
  assert.ok(energy(sparse) < energy(plain), `${energy(sparse)} vs ${energy(plain)}`);
  assert.equal(tf.memory().numTensors, start);
});
