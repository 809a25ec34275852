/**
 * The oneDNN paths of the wasm backend (convolutions, training-mode batch normalisation,
 * ReLU) and the fused batch normalisation on every backend, against tfjs's own formulas on
 * the `cpu` backend. Where oneDNN is not installed (or `OICSR_NO_DNNL=1`), the same tests
 * check the fallbacks, and the tests that need the library say so and pass vacuously only
 * for the assertion that the native kernel ran.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../backend/select_backend.ts";
import {
  batchNormTraining,
  stockBatchNormTraining,
  useBatchNormTraining,
} from "../backend/batch_norm_training.ts";
import { oneDnn } from "../backend/native/onednn.ts";
import { seededTensor } from "./_helpers.ts";

const selected = await selectBackend("wasm");
assert.ok(selected._tag === "Right");
const dnnl = oneDnn();

const rand = seededTensor;

/** Every output of `build` on `backend`, read back; nothing left behind. */
async function valuesOn(backend: string, build: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const outs = tf.tidy(build);
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
  return values;
}

function assertClose(got: Float32Array[], want: Float32Array[], label: string, tol = 1e-4) {
  assert.equal(got.length, want.length, `${label}: outputs`);
  got.forEach((g, i) => {
    const scale = Math.max(1, ...want[i].map(Math.abs));
    const worst = g.reduce((m, v, j) => Math.max(m, Math.abs(v - want[i][j])), 0);
    assert.ok(worst <= tol * scale, `${label}: output ${i} off by ${worst} (scale ${scale})`);
  });
}

/** Kernel names one run of `build` dispatched on the current backend. */
async function kernelsOf(build: () => tf.Tensor[]): Promise<string[]> {
  const info = await tf.profile(() => tf.tidy(build));
  tf.dispose(info.result as tf.Tensor[]);
  return info.kernels.map((k) => k.name);
}

/** y, mean, variance and the gradients of sum(y * w) as tfjs-layers computes them. */
function stockBatchNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, w: tf.Tensor) {
  const axes = [...Array(x.rank - 1).keys()];
  const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { mean, variance } = tf.moments(a, axes);
    return tf.sum(tf.mul(tf.batchNorm(a, mean, variance, b, g, 1e-3), w));
  };
  const { mean, variance } = tf.moments(x, axes);
  return [
    tf.batchNorm(x, mean, variance, beta, gamma, 1e-3),
    mean,
    variance,
    ...tf.grads(f)([x, gamma, beta]),
  ];
}

function fusedBatchNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, w: tf.Tensor) {
  const { y, mean, variance } = batchNormTraining(x, gamma, beta, 1e-3);
  const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const out = batchNormTraining(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3);
    tf.dispose([out.mean, out.variance]);
    return tf.sum(tf.mul(out.y, w));
  };
  return [y, mean, variance, ...tf.grads(f)([x, gamma, beta])];
}

const bnShapes = [[6, 5, 7, 16], [4, 3, 3, 5], [32, 10]];

Deno.test("fused training batch norm: values, statistics and gradients as tfjs's formula gives them", async () => {
  for (const [i, shape] of bnShapes.entries()) {
    const c = shape[shape.length - 1];
    const inputs = () =>
      [rand(shape, 10 + i), rand([c], 20 + i), rand([c], 30 + i), rand(shape, 40 + i)] as const;
    const want = await valuesOn("cpu", () => {
      const [x, g, b, w] = inputs();
      return stockBatchNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, w);
    });
    for (const backend of ["cpu", "wasm"]) {
      const got = await valuesOn(backend, () => {
        const [x, g, b, w] = inputs();
        return fusedBatchNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, w);
      });
      assertClose(got, want, `${shape} on ${backend}`, 2e-4);
    }
  }
});

Deno.test("on wasm with oneDNN the fused batch norm is one kernel each way", async () => {
  if (dnnl == null) {
    console.log(
      "oneDNN not in use (libdnnl2 missing or OICSR_NO_DNNL=1): the composite formula ran, tested above",
    );
    return;
  }
  await tf.setBackend("wasm");
  const names = await kernelsOf(() => {
    const [x, g, b, w] = [
      rand([6, 5, 7, 16], 1),
      rand([16], 2),
      rand([16], 3),
      rand([6, 5, 7, 16], 4),
    ];
    return fusedBatchNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, w);
  });
  assert.ok(names.includes("OicsrBatchNormTraining"), names.join());
  assert.ok(names.includes("OicsrBatchNormTrainingGrad"), names.join());
  assert.ok(!names.includes("Square"), `the composite formula ran too: ${names.join()}`);
});

Deno.test("a BatchNormalization layer in training mode: output and moving statistics as tfjs's own call", async () => {
  await tf.setBackend("wasm");
  const results: Float32Array[][] = [];
  for (const routed of [false, true]) {
    if (routed) useBatchNormTraining("wasm");
    else stockBatchNormTraining("wasm");
    const layer = tf.layers.batchNormalization({ momentum: 0.9, epsilon: 1e-3 });
    const x = rand([8, 4, 4, 6], 7);
    layer.build(x.shape);
    layer.setWeights([rand([6], 8), rand([6], 9), rand([6], 10), tf.abs(rand([6], 11))]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const values = await Promise.all(
      [y, ...layer.getWeights()].map((t) => t.data() as Promise<Float32Array>),
    );
    results.push(values);
    tf.dispose([x, y]);
  }
  assertClose(results[1], results[0], "routed vs tfjs's call");
  // Inference mode is tfjs's own call either way.
  useBatchNormTraining("wasm");
});

Deno.test("ReLU and its gradient on wasm match cpu, through oneDNN where installed", async () => {
  const build = () => {
    const x = rand([4, 9, 9, 8], 3), dy = rand([4, 9, 9, 8], 4);
    const [dx] = tf.grads((a: tf.Tensor) => tf.sum(tf.mul(tf.relu(a), dy)))([x]);
    return [tf.relu(x), dx];
  };
  assertClose(await valuesOn("wasm", build), await valuesOn("cpu", build), "relu", 0);
  await tf.setBackend("wasm");
  const names = await kernelsOf(build);
  assert.ok(names.includes(dnnl ? "OicsrReluGrad" : "Multiply"), names.join());
});

Deno.test("forward convolutions on wasm (plain, bias, bias + ReLU, strided, dilated) match cpu", async () => {
  const cases: [number[], number[], number, number, "same" | "valid"][] = [
    [[2, 9, 9, 16], [3, 3, 16, 32], 1, 1, "same"],
    [[2, 9, 8, 3], [5, 5, 3, 7], 2, 1, "same"],
    [[2, 10, 10, 8], [3, 3, 8, 8], 1, 2, "valid"],
    [[3, 7, 7, 12], [1, 1, 12, 5], 3, 1, "valid"],
  ];
  for (const [i, [xs, fs, stride, dilation, pad]] of cases.entries()) {
    const build = () => {
      const x = rand(xs, 50 + i) as tf.Tensor4D, f = rand(fs, 60 + i) as tf.Tensor4D;
      const bias = rand([fs[3]], 70 + i);
      const conv = { x, filter: f, strides: stride, pad, dilations: dilation };
      return [
        tf.conv2d(x, f, stride, pad, "NHWC", dilation),
        tf.fused.conv2d({ ...conv, bias }),
        tf.fused.conv2d({ ...conv, bias, activation: "relu" }),
      ];
    };
    assertClose(await valuesOn("wasm", build), await valuesOn("cpu", build), `case ${i}`);
  }
});

Deno.test("inference batch norm (FusedBatchNorm) on wasm matches cpu, through oneDNN where installed", async () => {
  // NHWC widths of multiples of 8 run oneDNN's batch norm; others (as pruning leaves them)
  // and [N, C] its binary operation with two post-operations; rank 3 the stock kernel.
  const shapes = [...bnShapes, [2, 6, 6, 37], [3, 9, 11], [1, 4, 4, 48], [2, 3, 3, 24]];
  for (const [i, shape] of shapes.entries()) {
    const c = shape[shape.length - 1];
    const build = () => [
      tf.batchNorm(
        rand(shape, 80 + i),
        rand([c], 81 + i),
        tf.abs(rand([c], 82 + i)),
        rand([c], 83 + i),
        rand([c], 84 + i),
        1e-3,
      ),
    ];
    assertClose(await valuesOn("wasm", build), await valuesOn("cpu", build), `${shape}`);
  }
});

Deno.test("the fused SGD and moving-average kernels on wasm give tfjs's numbers bit for bit", async () => {
  const { sgdMomentum } = await import("../stages/sgd.ts");
  const run = async (backend: string) => {
    await tf.setBackend(backend);
    const w = tf.variable(rand([300], 1), true, `fused_${backend}/kernel`);
    const b = tf.variable(rand([7], 2), true, `fused_${backend}/bias`);
    const sgd = sgdMomentum([w, b], { momentum: 0.9, weightDecay: 5e-4 });
    for (let step = 0; step < 3; step++) {
      const grads = { [w.name]: rand([300], 10 + step), [b.name]: rand([7], 20 + step) };
      sgd.step(grads, 0.05 * (step + 1));
      tf.dispose(Object.values(grads));
    }
    // The moving-statistics update of batch norm, as tfjs-layers writes it.
    const moving = rand([50], 30), value = rand([50], 31);
    const updated = backend === "wasm"
      ? tf.engine().runKernel("OicsrMovingAverage", { moving, value }, { momentum: 0.9 })
      : tf.sub(moving, tf.mul(tf.sub(moving, value), 1 - 0.9));
    const values = await Promise.all(
      [w, b, updated as tf.Tensor].map((t) => t.data() as Promise<Float32Array>),
    );
    sgd.dispose();
    tf.dispose([w, b, moving, value, updated as tf.Tensor]);
    return values.map((v) => [...v]);
  };
  const wasm = await run("wasm");
  assert.ok(tf.getKernel("OicsrSgdMomentum", "wasm") != null, "the fused kernel is registered");
  assert.deepEqual(wasm, await run("cpu"));
});
