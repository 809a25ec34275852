import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { learningRate } from "../stages/schedule.ts";
import { sgdMomentum } from "../stages/sgd.ts";

await tf.setBackend("cpu");

Deno.test("learningRate() anneals cosine from base to zero", () => {
  const cosine = { kind: "cosine" } as const;
  assert.equal(learningRate(cosine, 0.1, 0, 100), 0.1);
  assert.ok(Math.abs(learningRate(cosine, 0.1, 50, 100) - 0.05) < 1e-12);
  assert.ok(Math.abs(learningRate(cosine, 0.1, 100, 100)) < 1e-12);
});

Deno.test("learningRate() steps down by gamma at each milestone", () => {
  const step = { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 } as const;
  assert.equal(learningRate(step, 1, 49, 100), 1);
  assert.equal(learningRate(step, 1, 50, 100), 0.1);
  assert.ok(Math.abs(learningRate(step, 1, 80, 100) - 0.01) < 1e-12);
});

Deno.test("sgdMomentum() matches hand-computed momentum and weight decay", async () => {
  const start = tf.memory().numTensors;
  const kernel = tf.tidy(() => tf.variable(tf.tensor1d([1, -2]), true, "dense/kernel"));
  const bias = tf.tidy(() => tf.variable(tf.tensor1d([0.5]), true, "dense/bias"));
  const sgd = sgdMomentum([kernel, bias], { momentum: 0.9, weightDecay: 0.1 });
  const grads = () => ({
    "dense/kernel": tf.tensor1d([0.2, 0.4]),
    "dense/bias": tf.tensor1d([1]),
  });
  for (let i = 0; i < 2; i++) {
    const g = grads();
    sgd.step(g, 0.5);
    Object.values(g).forEach((t) => t.dispose());
  }
  // kernel[0]: g1 = 0.2 + 0.1*1 = 0.3, v1 = 0.3, w1 = 1 - 0.15 = 0.85;
  //            g2 = 0.2 + 0.085 = 0.285, v2 = 0.27 + 0.285 = 0.555, w2 = 0.85 - 0.2775 = 0.5725.
  // bias (no decay): v1 = 1, w1 = 0; v2 = 1.9, w2 = -0.95.
  const [k, b] = [await kernel.data(), await bias.data()];
  assert.ok(Math.abs(k[0] - 0.5725) < 1e-6, `kernel[0] = ${k[0]}`);
  // kernel[1]: g1 = 0.4 - 0.2 = 0.2, w1 = -2.1; g2 = 0.4 - 0.21 = 0.19, v2 = 0.37, w2 = -2.285.
  assert.ok(Math.abs(k[1] + 2.285) < 1e-6, `kernel[1] = ${k[1]}`);
  assert.ok(Math.abs(b[0] + 0.95) < 1e-6, `bias = ${b[0]}`);
  sgd.dispose();
  kernel.dispose();
  bias.dispose();
  assert.equal(tf.memory().numTensors, start);
});
