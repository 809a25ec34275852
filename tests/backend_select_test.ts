/**
 * selectBackend(): each backend starts, describes itself as JSON, and bad names are values.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { type BackendName, selectBackend } from "../backend/select_backend.ts";

/** The info must survive a JSON round trip unchanged (it goes into snapshots). */
function assertJsonValue(value: unknown) {
  assert.deepEqual(JSON.parse(JSON.stringify(value)), value);
}

Deno.test("selectBackend('wasm') starts wasm with our kernels, idempotently", async () => {
  const first = await selectBackend("wasm");
  assert.ok(E.isRight(first));
  assert.equal(first.right.name, "wasm");
  assert.match(
    first.right.adapter,
    /^wasm( simd)?, \d+ threads?, (oneDNN \d+\.\d+\.\d+|no oneDNN), (OpenBLAS .* \(\d+ threads?\)|no OpenBLAS)$/,
  );
  assert.ok(first.right.threads >= 1);
  assert.ok(first.right.kernels.includes("Conv2DBackpropFilter"));
  assertJsonValue(first.right);
  const second = await selectBackend("wasm");
  assert.deepEqual(second, first);
  assert.equal(tf.getBackend(), "wasm");
});

Deno.test("selectBackend('cpu') starts the cpu backend", async () => {
  const info = await selectBackend("cpu");
  assert.ok(E.isRight(info));
  assert.equal(info.right.name, "cpu");
  assert.equal(tf.getBackend(), "cpu");
  assertJsonValue(info.right);
});

Deno.test("selectBackend('auto') takes wasm when the only GPU adapter is a fallback", async () => {
  const info = await selectBackend("auto");
  assert.ok(E.isRight(info));
  assert.ok(["wasm", "webgpu"].includes(info.right.name));
  if (info.right.name === "webgpu") assert.ok(!info.right.adapter.endsWith(", fallback"));
});

Deno.test("selectBackend() of an unknown name is an UnknownBackend error value", async () => {
  const info = await selectBackend("tpu" as BackendName);
  assert.ok(E.isLeft(info));
  assert.equal(info.left._tag, "UnknownBackend");
  assert.match(
    info.left.message,
    /Unknown backend "tpu": use one of "auto", "webgpu", "wasm", "cpu"/,
  );
});

Deno.test({
  name: "selectBackend('webgpu') starts the software adapter and its filter gradient matches cpu",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    if ((navigator as { gpu?: unknown }).gpu == null) return; // no WebGPU in this runtime
    const info = await selectBackend("webgpu");
    if (E.isLeft(info)) {
      assert.equal(info.left._tag, "BackendUnavailable"); // no adapter on this machine
      return;
    }
    assert.equal(info.right.name, "webgpu");
    assert.ok(info.right.kernels.includes("Conv2DBackpropFilter"));
    assertJsonValue(info.right);
    const values = (seed: number, n: number) =>
      Array.from({ length: n }, (_, i) => Math.sin(seed * 7.1 + i * 1.3));
    const grad = async () => {
      const x = tf.tensor4d(values(1, 1 * 5 * 7 * 3), [1, 5, 7, 3]);
      const dy = tf.tensor4d(values(2, 1 * 3 * 4 * 2), [1, 3, 4, 2]);
      const dw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, {
        strides: 2,
        pad: "same",
        dataFormat: "NHWC",
        filterShape: [3, 3, 3, 2],
      }) as tf.Tensor;
      const data = await dw.data();
      tf.dispose([x, dy, dw]);
      return data;
    };
    const before = tf.memory().numTensors;
    const got = await grad();
    assert.equal(tf.memory().numTensors, before);
    await tf.setBackend("cpu");
    const want = await grad();
    got.forEach((v, i) =>
      assert.ok(Math.abs(v - want[i]) < 1e-4, `element ${i}: ${v} vs ${want[i]}`)
    );
  },
});
