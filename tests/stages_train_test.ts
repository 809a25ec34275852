import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import { copySnapshot } from "../snapshot/snapshot.ts";
import { evaluate } from "../stages/evaluate.ts";
import { train } from "../stages/train.ts";
import { type StepReport, trainModel } from "../stages/train_model.ts";
import { quickTraining, smallNet, smallSnapshot, testEnv, tintedImages } from "./_fixtures.ts";

const data = tintedImages(96);

async function use(backend: "cpu" | "wasm" | "webgpu") {
  const selected = await selectBackend(backend);
  assert.ok(E.isRight(selected), `backend ${backend} must start`);
}

function meanLoss(reports: readonly StepReport[]): number {
  return reports.reduce((a, r) => a + r.loss, 0) / reports.length;
}

for (const backend of ["wasm", "cpu", "webgpu"] as const) {
  Deno.test(`train() lowers the loss on the ${backend} backend`, async () => {
    await use(backend);
    const start = tf.memory().numTensors;
    const initial = await smallSnapshot();
    const reports: StepReport[] = [];
    const steps = backend === "webgpu" ? 2 : null;
    const trained = await train(initial, data, quickTraining({ stepsPerEpoch: steps }), {
      ...testEnv(),
      onStep: (r) => reports.push(r),
    })();
    assert.ok(E.isRight(trained), "training must not diverge");
    const first = meanLoss(reports.slice(0, 2)), last = meanLoss(reports.slice(-2));
    assert.ok(last < first * 0.9, `loss went from ${first} to ${last}`);
    assert.equal(trained.right.meta.parent, initial.meta.id);
    assert.equal(trained.right.meta.stage, "train");
    assert.notEqual(trained.right.meta.id, initial.meta.id);
    assert.equal(tf.memory().numTensors, start);
  });
}

Deno.test("train() gives bit-identical weights for the same seed on the same backend", async () => {
  await use("wasm");
  const initial = await smallSnapshot();
  const run = () => train(initial, data, quickTraining({ epochs: 1 }), testEnv())();
  const [a, b] = [await run(), await run()];
  assert.ok(E.isRight(a) && E.isRight(b));
  assert.equal(a.right.meta.id, b.right.meta.id);
  const other = await train(initial, data, quickTraining({ epochs: 1, seed: 8 }), testEnv())();
  assert.ok(E.isRight(other));
  assert.notEqual(other.right.meta.id, a.right.meta.id, "another seed gives other weights");
});

Deno.test("train() leaves its input snapshot unchanged", async () => {
  await use("wasm");
  const initial = await smallSnapshot();
  const before = copySnapshot(initial);
  await train(initial, data, quickTraining({ epochs: 1 }), testEnv())();
  assert.deepEqual(initial, before);
});

Deno.test("trainModel() holds the number of live tensors constant across steps", async () => {
  await use("wasm");
  const model = smallNet();
  const counts: number[] = [];
  const result = await trainModel(model, data, quickTraining(), {
    onStep: () => counts.push(tf.memory().numTensors),
  });
  assert.ok(E.isRight(result));
  assert.equal(counts.length, 18);
  assert.deepEqual(new Set(counts).size, 1, `live tensors per step: ${counts.join(", ")}`);
  model.dispose();
});

Deno.test("trainModel() stops with the step when the loss stops being finite", async () => {
  await use("wasm");
  const model = smallNet();
  const result = await trainModel(model, data, quickTraining({ lr: 1e38 }));
  assert.ok(E.isLeft(result), "a learning rate of 1e38 must diverge");
  assert.equal(result.left._tag, "Diverged");
  assert.match(
    result.left.message,
    /^Training diverged at step [0-2] \(epoch 1\): (loss is (NaN|Infinity)|the weights are no longer finite); lower the learning rate \(1e\+38\)$/,
  );
  model.dispose();
});

Deno.test("evaluate() counts the examples whose label is the top prediction", async () => {
  await use("wasm");
  const initial = await smallSnapshot();
  const trained = await train(initial, data, quickTraining({ epochs: 4 }), testEnv())();
  assert.ok(E.isRight(trained));
  const norm = quickTraining().normalisation;
  const accuracy = await evaluate(trained.right, tintedImages(64, 2), norm);
  assert.equal(accuracy.count, 64);
  assert.ok(accuracy.top1 > 0.9, `top-1 on held-out tinted images is ${accuracy.top1}`);
  assert.equal(accuracy.top5, undefined);
});

Deno.test("train() gives the same snapshot every time in one process (weight decay by saved names)", async () => {
  await use("wasm");
  const initial = await smallSnapshot(4);
  const ids = [];
  for (let i = 0; i < 3; i++) {
    const trained = await train(initial, data, quickTraining({ epochs: 1 }), testEnv())();
    assert.ok(E.isRight(trained));
    ids.push(trained.right.meta.id);
  }
  assert.equal(new Set(ids).size, 1, ids.join(", "));
});

// On WebGPU a step is read after the next one is dispatched (trainModel).
Deno.test("trainModel() on webgpu: each step reported once, in order; same weights; stops at divergence", async () => {
  await use("webgpu");
  const start = tf.memory().numTensors;
  const initial = await smallSnapshot();
  const options = quickTraining({ stepsPerEpoch: 2, epochs: 2 });
  const runs = [];
  for (let i = 0; i < 2; i++) {
    const reports: StepReport[] = [];
    const trained = await train(initial, data, options, {
      ...testEnv(),
      onStep: (r) => reports.push(r),
    })();
    assert.ok(E.isRight(trained), "training must not diverge");
    assert.deepEqual(reports.map((r) => [r.epoch, r.step]), [[1, 1], [1, 2], [2, 3], [2, 4]]);
    runs.push(trained.right.meta.id);
  }
  assert.equal(runs[0], runs[1]);
  const model = smallNet();
  const result = await trainModel(model, data, quickTraining({ lr: 1e38 }));
  assert.ok(E.isLeft(result), "a learning rate of 1e38 must diverge");
  assert.match(result.left.message, /^Training diverged at step [0-2] \(epoch 1\)/);
  model.dispose();
  assert.equal(tf.memory().numTensors, start, "the step in flight is freed too");
});
