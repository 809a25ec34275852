/**
 * `BatchMatMul` and `_FusedMatMul` on wasm: with OpenBLAS, GEMMs on the heap that take
 * transposed operands as they are; without it, the operand is transposed explicitly (the wasm
 * backend's own kernel takes a slow path for transposed operands) before its fast path.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, type KernelRunner, kernelRunner } from "./kernel_util.ts";
import { type Blas, openBlas } from "../native/openblas.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";

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
 * `_FusedMatMul`'s bias and activation after its product `product` (released here), as
 * kernels: the wasm backend's own fused kernel gives wrong results when the batch is larger
 * than 1, and the OpenBLAS product has none.
 */
function biasAndActivation(
  k: KernelRunner,
  inputs: tf.NamedTensorInfoMap,
  product: tf.TensorInfo,
  attrs: tf.NamedAttrMap,
): tf.TensorInfo {
  const { activation, leakyreluAlpha } = attrs as { activation: string; leakyreluAlpha?: number };
  let out = product;
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

/**
 * a · b (each transposed as asked) for float32 operands of rank 2, or rank 3 with batches
 * that match or one of which is 1, as one OpenBLAS GEMM per matrix on the wasm heap; null otherwise. XNNPACK packs
 * the right operand anew whenever it is a new tensor, which in training is every step
 * (CifarNet's dense layers: 54 ms of a 153 ms step).
 */
function blasMatMul(
  k: KernelRunner,
  blas: Blas,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): tf.TensorInfo | null {
  if (a.dtype !== "float32" || b.dtype !== "float32") return null;
  const asBatch = (shape: number[]) =>
    shape.length === 2 ? [1, ...shape] : shape.length === 3 ? shape : null;
  const sa = asBatch(a.shape), sb = asBatch(b.shape);
  if (sa == null || sb == null) return null;
  const [ba, ra, ca] = sa, [bb, rb, cb] = sb;
  const batch = Math.max(ba, bb);
  if ((ba !== batch && ba !== 1) || (bb !== batch && bb !== 1)) return null;
  const [m, depth] = transposeA ? [ca, ra] : [ra, ca];
  const n = transposeB ? rb : cb;
  if (depth !== (transposeB ? cb : rb)) return null;
  const backend = k.backend as WasmHeapBackend;
  const rank2 = a.shape.length === 2 && b.shape.length === 2;
  const out = backend.makeOutput(rank2 ? [m, n] : [batch, m, n], "float32");
  const heap = backend.wasm.HEAPU8;
  const [aOff, bOff, outOff] = [a, b, out].map((t) => heapOffset(backend, t));
  for (let i = 0; i < batch; i++) {
    blas.sgemm(
      heap,
      { m, n, k: depth },
      { offset: aOff + (ba === 1 ? 0 : 4 * i * ra * ca), ld: ca, trans: transposeA },
      { offset: bOff + (bb === 1 ? 0 : 4 * i * rb * cb), ld: cb, trans: transposeB },
      { offset: outOff + 4 * i * m * n, ld: n },
    );
  }
  return out;
}

function matMulConfig(kernelName: string, backendName: string): tf.KernelConfig {
  const blas = backendName === "wasm" ? openBlas() : null;
  return {
    kernelName,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = kernelRunner(backend as KernelBackendLike, backendName);
      const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
      const { a: a0, b: b0 } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      const product = blas && blasMatMul(k, blas, a0, b0, transposeA, transposeB);
      if (product) {
        return kernelName === tf._FusedMatMul
          ? biasAndActivation(k, inputs, product, attrs ?? {})
          : product;
      }
      const a = transposeA ? transposeLastTwo(k, a0) : a0;
      const b = transposeB ? transposeLastTwo(k, b0) : b0;
      const batched = a.shape.length > 2 && tf.util.sizeFromShape(a.shape.slice(0, -2)) > 1;
      const out = kernelName === tf._FusedMatMul && batched
        ? biasAndActivation(
          k,
          inputs,
          k.run("BatchMatMul", { a, b }, { transposeA: false, transposeB: false }),
          attrs ?? {},
        )
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
