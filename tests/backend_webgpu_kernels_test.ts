/**
 * Our WebGPU filter gradients (the convolution formulation, the default, and the patches
 * one, opt-in) against the `cpu` backend, on the adapter this machine has (a software one
 * without a GPU).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { patchesOnGpu } from "../backend/kernels/conv2d_backprop_filter.ts";
import { reductionBatches } from "../backend/kernels/conv2d_backprop_filter_patches.ts";
import { selectBackend } from "../backend/select_backend.ts";

const rand = (shape: number[], seed: number) => tf.randomUniform(shape, -1, 1, "float32", seed);

/** [kernel, stride, padding, in channels, out channels, images, height, width] */
const cases = [
  [3, 1, "same", 3, 5, 2, 7, 9],
  [3, 2, "same", 4, 6, 3, 8, 9],
  [5, 3, "valid", 3, 5, 2, 11, 9],
  [1, 2, "same", 3, 5, 2, 7, 9],
  [3, 1, "same", 16, 16, 64, 8, 8], // 4096 rows: the product is split into 4 batches
  [3, 2, "valid", 5, 7, 1, 9, 9],
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

for (const patches of [false, true]) {
  Deno.test({
    name: `Conv2DBackpropFilter on webgpu (${patches ? "patches" : "convolution"}) matches cpu`,
    ignore: gpu._tag === "Left",
    fn: async () => {
      patchesOnGpu.enabled = patches;
      try {
        for (const c of cases) {
          const got = await filterGradient("webgpu", c);
          const want = await filterGradient("cpu", c);
          const scale = Math.max(1, ...want.map(Math.abs));
          got.forEach((v, i) => assert.ok(Math.abs(v - want[i]) <= 1e-5 * scale, `${c}: ${i}`));
        }
      } finally {
        patchesOnGpu.enabled = false;
      }
    },
  });
}

Deno.test("reductionBatches() splits the images so each batch keeps 1024 rows or more", () => {
  assert.equal(reductionBatches(64, 8 * 8, 3 * 3 * 16 * 16), 4);
  assert.equal(reductionBatches(64, 32 * 32, 3 * 3 * 16 * 16), 64);
  assert.equal(reductionBatches(32, 7 * 7, 3 * 3 * 512 * 512), 1);
  assert.equal(reductionBatches(6, 300, 10), 1, "no divisor of 6 leaves 1024 rows in a batch");
  assert.equal(reductionBatches(64, 32 * 32, 1 << 20), 16, "partial products stay under 2^24");
});
