/**
 * `BatchMatMul` and `_FusedMatMul` with a transposed operand: the wasm backend's own kernel
 * takes a slow path then, so we transpose the operand explicitly and call the fast path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, type KernelRunner, kernelRunner } from "./kernel_util.ts";

/** Swaps the last two axes of `x` (a new tensor). */
function transposeLastTwo(k: KernelRunner, x: tf.TensorInfo): tf.TensorInfo {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return k.run("Transpose", { x }, { perm });
}

/** Activation kernels by `_FusedMatMul` activation name ("linear": none). */
const activationKernels: Record<string, string> = {
  relu: "Relu",
  relu6: "Relu6",
  elu: "Elu",
  sigmoid: "Sigmoid",
};

/**
 * `_FusedMatMul` over a batch of matrices as product, bias and activation kernels: the wasm
 * backend's own fused kernel gives wrong results when the batch is larger than 1.
 */
function unfusedMatMul(
  k: KernelRunner,
  inputs: tf.NamedTensorInfoMap,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const { activation, leakyreluAlpha } = attrs as { activation: string; leakyreluAlpha?: number };
  let out = k.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false });
  if (inputs.bias != null) out = k.consume("Add", { a: out, b: inputs.bias }, {}, out);
  if (activation === "prelu") {
    return k.consume("Prelu", { x: out, alpha: inputs.preluActivationWeights }, {}, out);
  }
  if (activation === "leakyrelu") {
    return k.consume("LeakyRelu", { x: out }, { alpha: leakyreluAlpha ?? 0.2 }, out);
  }
  const kernel = activationKernels[activation];
  return kernel == null ? out : k.consume(kernel, { x: out }, {}, out);
}

function matMulConfig(kernelName: string, backendName: string): tf.KernelConfig {
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = kernelRunner(backend as KernelBackendLike, backendName);
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const { a: a0, b: b0 } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const a = transposeA ? transposeLastTwo(k, a0) : a0;
      const b = transposeB ? transposeLastTwo(k, b0) : b0;
      const batched = a.shape.length > 2 && tf.util.sizeFromShape(a.shape.slice(0, -2)) > 1;
      const out = kernelName === tf._FusedMatMul && batched
        ? unfusedMatMul(k, inputs, a, b, attrs ?? {})
        : k.run(kernelName, { ...inputs, a, b }, {
          ...attrs,
          transposeA: false,
          transposeB: false,
        });
      if (a !== a0) k.release(a);
      if (b !== b0) k.release(b);
      return out;
    },
  };
}

/** `BatchMatMul` that transposes explicitly before the backend's untransposed product. */
export function batchMatMulConfig(backendName: string): tf.KernelConfig {
  return matMulConfig(tf.BatchMatMul, backendName);
}

/** `_FusedMatMul` (bias, activation) likewise; unfused over a batch of matrices. */
export function fusedMatMulConfig(backendName: string): tf.KernelConfig {
  return matMulConfig(tf._FusedMatMul, backendName);
}
