/**
 * Our replacement kernels and gradients against the `cpu` backend on random shapes.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../backend/select_backend.ts";

type Build = () => tf.Tensor | tf.Tensor[];

/** Seeded random values (mulberry32), so failures reproduce. */
function randomValues(size: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296 * 2 - 1;
  }
  return out;
}

const rand = (shape: number[], seed: number) =>
  tf.tensor(randomValues(tf.util.sizeFromShape(shape), seed), shape);

/** Runs `build` on `backend`, reads every output with `await data()` and frees them. */
async function runOn(backend: string, build: Build): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const outs = tf.tidy(() => [build()].flat());
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  return values;
}

/** Asserts that `build` gives the same numbers on `backend` and on cpu, leaking nothing. */
async function assertMatchesCpu(build: Build, label: string, backend = "wasm", tol = 1e-4) {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const got = await runOn(backend, build);
  assert.equal(tf.memory().numTensors, before, `${label}: tensors leaked on ${backend}`);
  const want = await runOn("cpu", build);
  assert.equal(got.length, want.length);
  got.forEach((g, i) => {
    assert.equal(g.length, want[i].length, `${label}: output ${i} size`);
    let worst = 0;
    g.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - want[i][j]))));
    assert.ok(
      worst <= tol * want[i].reduce((m, v) => Math.max(m, Math.abs(v)), 1),
      `${label}: output ${i} off by ${worst}`,
    );
  });
}

// selectBackend registers our kernels on wasm and our gradients everywhere.
const selected = await selectBackend("wasm");
assert.ok(selected._tag === "Right");

const convCases: [number, number, "same" | "valid", number, number][] = [];
for (const kernel of [1, 3, 5]) {
  for (const stride of [1, 2, 3]) {
    for (const pad of ["same", "valid"] as const) convCases.push([kernel, stride, pad, 3, 5]);
  }
}
convCases.push([3, 1, "same", 5, 3], [3, 2, "same", 5, 7], [5, 1, "valid", 2, 3]);

Deno.test("Conv2DBackpropFilter on wasm matches cpu (kernels 1/3/5, strides 1-3, same/valid)", async () => {
  for (const [kernel, stride, pad, ci, co] of convCases) {
    await assertMatchesCpu(() => {
      const x = rand([2, 7, 9, ci], 1) as tf.Tensor4D;
      const y = tf.conv2d(x, rand([kernel, kernel, ci, co], 2) as tf.Tensor4D, stride, pad);
      const dy = rand(y.shape, 3);
      return tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: stride,
        pad,
        dataFormat: "NHWC",
        filterShape: [kernel, kernel, ci, co],
      }) as tf.Tensor;
    }, `dW k${kernel} s${stride} ${pad} ci${ci}`);
  }
});

// Filters of 64 x 64 channels and more take OpenBLAS at stride 1 (where it is present).
const largeFilterCases: typeof convCases = [
  [3, 1, "same", 64, 64],
  [1, 1, "valid", 96, 64],
  [5, 1, "valid", 64, 72],
  [3, 2, "same", 64, 64],
];

Deno.test("Conv2DBackpropInput on wasm matches cpu (kernels 1/3/5, strides 1-3, same/valid)", async () => {
  for (const [kernel, stride, pad, ci, co] of [...convCases, ...largeFilterCases]) {
    await assertMatchesCpu(() => {
      const filter = rand([kernel, kernel, ci, co], 2) as tf.Tensor4D;
      const y = tf.conv2d(rand([2, 7, 9, ci], 1) as tf.Tensor4D, filter, stride, pad);
      return tf.engine().runKernel(tf.Conv2DBackpropInput, { dy: rand(y.shape, 3), filter }, {
        strides: stride,
        pad,
        dataFormat: "NHWC",
        inputShape: [2, 7, 9, ci],
      }) as tf.Tensor;
    }, `dX k${kernel} s${stride} ${pad} ci${ci}`);
  }
});

Deno.test("matMul with transposed operands on wasm matches cpu", async () => {
  for (const [ta, tb] of [[true, false], [false, true], [true, true], [false, false]]) {
    await assertMatchesCpu(() => {
      const a = rand(ta ? [3, 5, 7] : [3, 7, 5], 4);
      const b = rand(tb ? [3, 9, 5] : [3, 5, 9], 5);
      const bias = rand([9], 6);
      return [
        tf.matMul(a, b, ta, tb),
        tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation: "relu" }),
        // One operand's batch broadcast over the other's.
        tf.matMul(rand([1, 4, 6], 7), rand([3, 6, 2], 8)),
        tf.matMul(rand([3, 4, 6], 9), rand([1, 2, 6], 10), false, true),
        // Plain matrices, as Dense layers multiply them.
        tf.matMul(rand(ta ? [6, 4] : [4, 6], 11), rand(tb ? [3, 6] : [6, 3], 12), ta, tb),
        // One row (a Dense layer at batch 1) and one column: OpenBLAS's GEMV.
        tf.fused.matMul({
          a: rand(ta ? [6, 1] : [1, 6], 13),
          b: rand(tb ? [3, 6] : [6, 3], 14),
          transposeA: ta,
          transposeB: tb,
          bias: rand([3], 15),
          activation: "relu",
        }),
        tf.matMul(rand(ta ? [6, 4] : [4, 6], 16), rand(tb ? [1, 6] : [6, 1], 17), ta, tb),
        tf.matMul(rand(ta ? [6, 1] : [1, 6], 18), rand(tb ? [1, 6] : [6, 1], 19), ta, tb),
        tf.matMul(
          rand(ta ? [2, 6, 1] : [2, 1, 6], 20),
          rand(tb ? [2, 3, 6] : [2, 6, 3], 21),
          ta,
          tb,
        ),
      ];
    }, `matMul ${ta} ${tb}`);
  }
});

Deno.test("Tile on wasm matches cpu (broadcast and fallback cases)", async () => {
  const cases: [number[], number[]][] = [
    [[1, 1, 1, 5], [2, 7, 9, 1]],
    [[3, 1, 5], [1, 4, 2]],
    [[2, 3], [3, 2]],
    [[2, 1, 3, 1, 2], [2, 2, 2, 3, 2]],
    [[7], [1]],
  ];
  for (const [shape, reps] of cases) {
    await assertMatchesCpu(() => tf.tile(rand(shape, 7), reps), `tile ${shape} x ${reps}`);
  }
});

const poolCases = [[3, 2, "same"], [2, 2, "valid"], [3, 1, "same"], [3, 3, "valid"]] as const;

Deno.test("MaxPool on wasm matches cpu (one thread and, above a million values, two)", async () => {
  for (const [size, stride, pad] of poolCases) {
    await assertMatchesCpu(
      () => [
        tf.maxPool(rand([2, 7, 9, 5], 8) as tf.Tensor4D, size, stride, pad),
        tf.maxPool(rand([1, 3, 4, 1], 9) as tf.Tensor4D, size, stride, pad),
      ],
      `maxPool ${size}/${stride} ${pad}`,
      "wasm",
      0,
    );
  }
  const large = () => tf.maxPool(rand([16, 32, 32, 64], 10) as tf.Tensor4D, 3, 2, "same");
  await assertMatchesCpu(large, "maxPool 16x32x32x64", "wasm", 0);
});

Deno.test("MaxPoolGrad on wasm matches cpu", async () => {
  for (const [size, stride, pad] of poolCases) {
    await assertMatchesCpu(() => {
      const x = rand([2, 7, 9, 5], 8) as tf.Tensor4D;
      return tf.grad((t: tf.Tensor) => {
        const y = tf.maxPool(t as tf.Tensor4D, size, stride, pad);
        return tf.mul(y, rand(y.shape, 9)).sum();
      })(x);
    }, `maxPoolGrad ${size}/${stride} ${pad}`);
  }
});

/** Training-mode BatchNorm as tfjs-layers computes it: moments, then batchNorm. */
function batchNormTraining(x: tf.Tensor4D, gamma: tf.Tensor1D, beta: tf.Tensor1D) {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.batchNorm4d(x, mean as tf.Tensor1D, variance as tf.Tensor1D, beta, gamma, 1e-3);
}

Deno.test("BatchNorm training gradient matches the hand-derived formula", async () => {
  const start = tf.memory().numTensors;
  const [x, gamma, beta, w] = [
    rand([3, 4, 5, 3], 10),
    rand([3], 11),
    rand([3], 12),
    rand([3, 4, 5, 3], 13),
  ];
  const f = (a: tf.Tensor, g: tf.Tensor) =>
    tf.sum(tf.mul(batchNormTraining(a as tf.Tensor4D, g as tf.Tensor1D, beta as tf.Tensor1D), w));
  const [dx, dg] = tf.grads(f)([x, gamma]);
  // dx = g*s/M * (M*dy - sum(dy) - xhat*sum(dy*xhat)), dg = sum(dy*xhat), with dy = w.
  const want = tf.tidy(() => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const s = tf.rsqrt(tf.add(variance, 1e-3));
    const xhat = tf.mul(tf.sub(x, mean), s);
    const m = 3 * 4 * 5;
    const inner = tf.sub(
      tf.sub(tf.mul(w, m), tf.sum(w, [0, 1, 2])),
      tf.mul(xhat, tf.sum(tf.mul(w, xhat), [0, 1, 2])),
    );
    return [tf.mul(inner, tf.div(tf.mul(gamma, s), m)), tf.sum(tf.mul(w, xhat), [0, 1, 2])];
  });
  for (const [got, exp] of [[dx, want[0]], [dg, want[1]]]) {
    const worst = tf.tidy(() => tf.max(tf.abs(tf.sub(got, exp))));
    const diff = await worst.data();
    worst.dispose();
    assert.ok(diff[0] < 1e-4, `off by ${diff[0]}`);
  }
  tf.dispose([x, gamma, beta, w, dx, dg, ...want]);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("gradient of a small conv net (conv, BN, relu, pool, dense) on wasm matches cpu", async () => {
  await assertMatchesCpu(
    () => {
      const x = rand([4, 9, 7, 3], 20);
      const params = [
        rand([3, 3, 3, 5], 21),
        rand([1, 1, 5, 6], 22),
        rand([5], 23),
        rand([5], 24),
        rand([36, 4], 25),
      ];
      const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 4);
      const loss = (
        w1: tf.Tensor,
        w2: tf.Tensor,
        gamma: tf.Tensor,
        beta: tf.Tensor,
        dense: tf.Tensor,
      ) => {
        let h = tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, "same");
        h = tf.relu(batchNormTraining(h, gamma as tf.Tensor1D, beta as tf.Tensor1D));
        h = tf.maxPool(h, 3, 2, "same");
        h = tf.conv2d(h, w2 as tf.Tensor4D, 2, "valid");
        const logits = tf.matMul(tf.reshape(h, [4, -1]), dense);
        return tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      };
      return tf.grads(loss)(params);
    },
    "conv net gradient",
    "wasm",
    3e-4,
  );
});

Deno.test("Sum and Mean on wasm match cpu over leading and other axes", async () => {
  await selectBackend("wasm");
  const cases: [number[], number | number[] | null, boolean][] = [
    [[6, 5, 7, 3], [0, 1, 2], false],
    [[6, 5, 7, 3], [2, 0, 1], true],
    [[9, 4], 0, false],
    [[9, 4], -2, true],
    [[4, 3, 2], null, false],
    [[4, 3, 2], [1, 2], false],
    [[4, 3, 2], [0, 2], true],
  ];
  for (const [[shape, axis, keepDims], i] of cases.map((c, i) => [c, i] as const)) {
    const label = `${shape} axis ${JSON.stringify(axis)} keepDims ${keepDims}`;
    await assertMatchesCpu(
      () => tf.sum(rand(shape, 40 + i), axis ?? undefined, keepDims),
      `Sum ${label}`,
    );
    await assertMatchesCpu(
      () => tf.mean(rand(shape, 50 + i), axis ?? undefined, keepDims),
      `Mean ${label}`,
    );
  }
});

Deno.test("Relu gradient is dy where x > 0 and 0 elsewhere", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const x = tf.tensor1d([-2, -0.5, 0, 0.5, 3]);
  const dy = tf.tensor1d([10, 20, 30, 40, 50]);
  const dx = tf.grad((t: tf.Tensor) => tf.relu(t))(x, dy);
  assert.deepEqual(Array.from(await dx.data()), [0, 0, 0, 40, 50]);
  assert.equal(dx.dtype, "float32");
  tf.dispose([x, dy, dx]);
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("Identity on wasm shares the buffer and each tensor outlives the other", async () => {
  await selectBackend("wasm");
  const before = tf.memory().numTensors;
  const x = tf.tensor2d([[1, 2], [3, 4]]);
  const y = tf.clone(x);
  assert.equal(y.dataId, x.dataId, "the clone takes no second buffer");
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3, 4]);
  const z = tf.clone(y);
  y.dispose();
  assert.deepEqual(Array.from(await z.data()), [1, 2, 3, 4]);
  z.dispose();
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("depthwise convolution gradients on wasm match cpu's backprop kernels", async () => {
  await selectBackend("wasm");
  const cases = [
    { shape: [2, 7, 9, 3], k: 3, m: 1, strides: 1, pad: "same" as const, dilations: 1 },
    { shape: [2, 7, 9, 3], k: 3, m: 2, strides: 2, pad: "same" as const, dilations: 1 },
    { shape: [1, 8, 7, 4], k: 5, m: 1, strides: 3, pad: "valid" as const, dilations: 1 },
    { shape: [1, 9, 9, 2], k: 3, m: 3, strides: 1, pad: "valid" as const, dilations: 2 },
    { shape: [2, 6, 5, 5], k: 1, m: 2, strides: 2, pad: "same" as const, dilations: 1 },
  ];
  for (const [index, c] of cases.entries()) {
    const filterShape = [c.k, c.k, c.shape[3], c.m] as [number, number, number, number];
    const x = () => rand(c.shape, 70 + index) as tf.Tensor4D;
    const w = () => rand(filterShape, 80 + index) as tf.Tensor4D;
    const conv = (a: tf.Tensor, b: tf.Tensor) =>
      tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, "NHWC", c.dilations);
    const outShape = await runOn("cpu", () => conv(x(), w())).then(() =>
      tf.tidy(() => conv(x(), w()).shape)
    );
    const dy = () => rand(outShape, 90 + index) as tf.Tensor4D;
    const ours = await runOn("wasm", () => tf.grads(conv)([x(), w()], dy()));
    // cpu's backprop kernels take dilation 1 only: a dilated filter is a larger one with
    // zeros between its taps, and its gradient is read back at every d-th tap.
    const d = c.dilations, kd = (c.k - 1) * d + 1;
    const dilated = () =>
      tf.slice(
        tf.reshape(
          tf.pad(tf.reshape(w(), [c.k, 1, c.k, 1, c.shape[3], c.m]), [
            [0, 0],
            [0, d - 1],
            [0, 0],
            [0, d - 1],
            [0, 0],
            [0, 0],
          ]),
          [c.k * d, c.k * d, c.shape[3], c.m],
        ),
        [0, 0, 0, 0],
        [kd, kd, c.shape[3], c.m],
      );
    const attrs = { strides: c.strides, pad: c.pad, dilations: 1 };
    const reference = await runOn("cpu", () => [
      tf.engine().runKernel("DepthwiseConv2dNativeBackpropInput", { dy: dy(), filter: dilated() }, {
        ...attrs,
        inputShape: c.shape,
      }) as tf.Tensor,
      tf.stridedSlice(
        tf.engine().runKernel("DepthwiseConv2dNativeBackpropFilter", { x: x(), dy: dy() }, {
          ...attrs,
          filterShape: [kd, kd, c.shape[3], c.m],
        }) as tf.Tensor,
        [0, 0, 0, 0],
        [kd, kd, c.shape[3], c.m],
        [d, d, 1, 1],
      ),
    ]);
    for (const [k, name] of ["input", "filter"].entries()) {
      assert.equal(ours[k].length, reference[k].length, `case ${index} ${name} size`);
      const worst = ours[k].reduce((m, v, i) => Math.max(m, Math.abs(v - reference[k][i])), 0);
      assert.ok(worst < 1e-4, `case ${index}: ${name} gradient differs by ${worst}`);
    }
  }
});
