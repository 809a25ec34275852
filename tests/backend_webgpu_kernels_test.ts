/**
 * Our WebGPU filter gradients (our shader, the default; the convolution and the patches
 * formulations, opt-in) against the `cpu` backend, on the adapter this machine has (a software
 * one without a GPU).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  gpuFilterGradient,
  gpuFilterGradients,
} from "../backend/kernels/conv2d_backprop_filter.ts";
import { reductionChunks } from "../backend/kernels/conv2d_backprop_filter_wgsl.ts";
import { reductionBatches } from "../backend/kernels/conv2d_backprop_filter_patches.ts";
import { selectBackend } from "../backend/select_backend.ts";
import { batchNormTraining } from "../backend/batch_norm_training.ts";
import { sgdMomentum } from "../stages/sgd.ts";
import { assertClose, runOn, seededTensor } from "./_helpers.ts";

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, "float32", seed);

/** [kernel, stride, padding, in channels, out channels, images, height, width] */
const cases = [
  [3, 1, "same", 3, 5, 2, 7, 9],
  [3, 2, "same", 4, 6, 3, 8, 9],
  [5, 3, "valid", 3, 5, 2, 11, 9],
  [1, 2, "same", 3, 5, 2, 7, 9],
  [3, 1, "same", 16, 16, 64, 8, 8], // 4096 rows: the product is split into 4 batches
  [3, 2, "valid", 5, 7, 1, 9, 9],
  [3, 1, "same", 20, 40, 16, 8, 8], // two 32-wide column tiles, the last one partly outside
  [3, 2, "same", 70, 65, 4, 9, 7], // four row tiles, two 64-wide column tiles
  [1, 1, "same", 8, 3, 1, 2, 2], // one chunk: no sum of partials
] as const;

async function filterGradient(backend: string, c: (typeof cases)[number]): Promise<Float32Array> {
  const [kernel, stride, pad, ci, co, n, h, w] = c;
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const dw = tf.tidy(() => {
    const x = rand([n, h, w, ci], 1) as tf.Tensor4D;
    const y = tf.conv2d(x, rand([kernel, kernel, ci, co], 2) as tf.Tensor4D, stride, pad);
    const attrs = {
      strides: stride,
      pad,
      dataFormat: "NHWC",
      filterShape: [kernel, kernel, ci, co],
    };
    return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy: rand(y.shape, 3) }, attrs);
  }) as tf.Tensor;
  const values = await dw.data() as Float32Array;
  dw.dispose();
  assert.equal(tf.memory().numTensors, before, `${c}: tensors leaked on ${backend}`);
  return values;
}

const gpu = await selectBackend("webgpu");

for (const formulation of gpuFilterGradients) {
  Deno.test({
    name: `Conv2DBackpropFilter on webgpu (${formulation}) matches cpu`,
    ignore: gpu._tag === "Left",
    fn: async () => {
      gpuFilterGradient.formulation = formulation;
      try {
        for (const c of cases) {
          const got = await filterGradient("webgpu", c);
          const want = await filterGradient("cpu", c);
          assert.equal(got.length, want.length);
          const scale = Math.max(1, ...want.map(Math.abs));
          got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * scale, `${c}: ${i}`));
        }
      } finally {
        gpuFilterGradient.formulation = "wgsl";
      }
    },
  });
}

Deno.test("reductionChunks() splits the reduction into chunks of whole 16-step loads", () => {
  for (const [k, tiles] of [[65536, 3], [4096, 9], [7, 1], [100, 2000], [1, 1]]) {
    const { chunk, chunks } = reductionChunks(k, tiles);
    assert.equal(chunk % 16, 0, `${k}, ${tiles}`);
    assert.ok(chunk * chunks >= k && chunk * (chunks - 1) < k, `${k}, ${tiles}: covers k once`);
  }
  assert.deepEqual(reductionChunks(65536, 3), { chunk: 192, chunks: 342 });
  assert.deepEqual(
    reductionChunks(100, 2000),
    { chunk: 112, chunks: 1 },
    "enough tiles: one chunk",
  );
});

Deno.test("reductionBatches() splits the images so each batch keeps 1024 rows or more", () => {
  assert.equal(reductionBatches(64, 8 * 8, 3 * 3 * 16 * 16), 4);
  assert.equal(reductionBatches(64, 32 * 32, 3 * 3 * 16 * 16), 64);
  assert.equal(reductionBatches(32, 7 * 7, 3 * 3 * 512 * 512), 1);
  assert.equal(reductionBatches(6, 300, 10), 1, "no divisor of 6 leaves 1024 rows in a batch");
  assert.equal(reductionBatches(64, 32 * 32, 1 << 20), 16, "partial products stay under 2^24");
});

const seeded = seededTensor;

Deno.test({
  name: "training batch norm on webgpu: our shaders give tfjs's values, statistics and gradients",
  ignore: gpu._tag === "Left",
  fn: async () => {
    // 16,384 rows: several chunks; 70 channels: two blocks of 64 lanes; [32, 10]: rank 2.
    for (const [i, shape] of [[64, 16, 16, 16], [4, 3, 3, 5], [32, 10], [3, 5, 2, 70]].entries()) {
      const c = shape[shape.length - 1];
      const build = (fused: boolean) => () => {
        // An offset of 3 makes a one-pass variance lose digits; Welford's update does not.
        const x = tf.add(seeded(shape, 10 + i), 3);
        const [g, b, w] = [seeded([c], 20 + i), seeded([c], 30 + i), seeded(shape, 40 + i)];
        const axes = [...Array(shape.length - 1).keys()];
        const forward = (a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
          if (fused) return batchNormTraining(a, gg as tf.Tensor1D, bb as tf.Tensor1D, 1e-3);
          const { mean, variance } = tf.moments(a, axes);
          return { y: tf.batchNorm(a, mean, variance, bb, gg, 1e-3), mean, variance };
        };
        const { y, mean, variance } = forward(x, g, b);
        const grads = tf.grads((a: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
          const out = forward(a, gg, bb);
          if (fused) tf.dispose([out.mean, out.variance]); // they outlive tidy (see its doc)
          return tf.sum(tf.mul(out.y, w));
        })([x, g, b]);
        return [y, mean, variance, ...grads];
      };
      const want = await runOn("cpu", build(false));
      const got = await runOn("webgpu", build(true));
      assertClose(got.values, want.values, `${shape}`, 2e-4);
      for (const name of ["OicsrBatchNormTraining", "OicsrBatchNormTrainingGrad"]) {
        assert.ok(got.kernels.includes(name), `${shape}: ${name} did not run`);
      }
      assert.ok(!got.kernels.includes("Square"), `${shape}: tfjs's formula ran too`);
    }
  },
});

Deno.test({
  name:
    "SGD with momentum and batch norm's moving averages on webgpu: one fused kernel each, cpu's numbers",
  ignore: gpu._tag === "Left",
  fn: async () => {
    const build = () => {
      // 70,000 values: more than one row of workgroups' worth of a small dispatch.
      const shapes = [[3, 3, 16, 16], [70000], [10]];
      const vars = shapes.map((s, i) => tf.variable(seeded(s, 50 + i), true, `kernel_${i}`));
      const sgd = sgdMomentum(vars, {
        momentum: 0.9,
        weightDecay: 5e-4,
        decayed: new Set([vars[0].name, vars[1].name]),
      });
      for (let step = 0; step < 3; step++) {
        const grads = Object.fromEntries(
          vars.map((v, i) => [v.name, seeded(v.shape, 60 + 3 * i + step)]),
        );
        sgd.step(grads, 0.1);
      }
      const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
      const x = seeded([8, 4, 4, 6], 7);
      layer.build(x.shape);
      layer.setWeights([seeded([6], 8), seeded([6], 9), seeded([6], 10), tf.abs(seeded([6], 11))]);
      const y = layer.apply(x, { training: true }) as tf.Tensor;
      const out = [...vars.map((v) => v.clone()), y, ...layer.getWeights().map((t) => t.clone())];
      sgd.dispose();
      tf.dispose([...vars, ...layer.getWeights()]);
      return out;
    };
    const want = await runOn("cpu", build);
    const got = await runOn("webgpu", build);
    assertClose(got.values, want.values, "sgd and moving averages", 1e-5);
    assert.equal(got.kernels.filter((k) => k === "OicsrSgdMomentum").length, 9);
    assert.equal(got.kernels.filter((k) => k === "OicsrMovingAverage").length, 2);
  },
});

Deno.test({
  name: "ReLU's gradient on webgpu is one kernel of ours with cpu's values",
  ignore: gpu._tag === "Left",
  fn: async () => {
    const build = () => {
      // Exact zeros in x: their gradient is 0, as tfjs's step(x) gives.
      const x = tf.mul(tf.round(tf.mul(seeded([70000], 5), 3)), 0.5);
      return [tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.relu(t), seeded([70000], 6))))(x)];
    };
    const want = await runOn("cpu", build);
    const got = await runOn("webgpu", build);
    assertClose(got.values, want.values, "relu gradient", 0);
    assert.ok(got.kernels.includes("OicsrReluGrad"), got.kernels.join());
    assert.ok(!got.kernels.includes("Step"), got.kernels.join());
  },
});

Deno.test({
  name: "OicsrSumAll on webgpu sums every value of 1 to 20 tensors, as cpu's sum of sums",
  ignore: gpu._tag === "Left",
  fn: async () => {
    // 1, 7 and 13 fill whole dispatches (7, then 6 more each); 8 and 20 leave part of one.
    for (const count of [1, 7, 8, 13, 20]) {
      const shapes = [...Array(count).keys()].map((i) => i % 3 === 0 ? [3, 3, 4, 5] : [i * 97 + 1]);
      const tensors = () => shapes.map((s, i) => seeded(s, 70 + i));
      const want = await runOn("cpu", () => [tf.addN(tensors().map((t) => tf.sum(t)))]);
      const got = await runOn(
        "webgpu",
        () => [
          tf.engine().runKernel(
            "OicsrSumAll",
            tensors() as unknown as tf.NamedTensorMap,
          ) as tf.Tensor,
        ],
      );
      assert.deepEqual(got.values[0].length, 1);
      assertClose(got.values, want.values, `${count} tensors`, 1e-5);
    }
  },
});
