/**
 * `Relu` and its gradient on wasm through oneDNN's eltwise primitive where it is installed
 * (the stock kernels run on one thread without AVX: 2 ms for a ResNet-20 activation of
 * 64x32x32x16, a tenth of that on oneDNN). `OicsrReluGrad` (dy where x > 0, else 0) is the
 * kernel `../gradients/relu_grad.ts` asks for on wasm.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, kernelRunner, runKernel } from "./kernel_util.ts";
import { oneDnn, type ReluPrimitives } from "../native/onednn.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";

/** The name of the gradient kernel. */
export const RELU_GRAD = "OicsrReluGrad";

function primitives(x: tf.TensorInfo): ReluPrimitives | null {
  return x.dtype === "float32" ? oneDnn()?.relu(tf.util.sizeFromShape(x.shape)) ?? null : null;
}

/** `Relu` for `backendName` (wasm): oneDNN, else the stock kernel. */
export function reluConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Relu,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      const prims = primitives(x);
      if (prims == null) {
        return runKernel(backend as KernelBackendLike, backendName, tf.Relu, inputs, attrs);
      }
      const b = backend as WasmHeapBackend;
      const y = b.makeOutput(x.shape, "float32");
      prims.forward.run(b.wasm.HEAPU8, { src: heapOffset(b, x), dst: heapOffset(b, y) });
      return y;
    },
  };
}

/** `OicsrReluGrad` for `backendName` (wasm): oneDNN, else `dy * step(x)` from stock kernels. */
export function reluGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: RELU_GRAD,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as { dy: tf.TensorInfo; x: tf.TensorInfo };
      const prims = primitives(x);
      if (prims == null) {
        const k = kernelRunner(backend as KernelBackendLike, backendName);
        const mask = k.run("Step", { x }, { alpha: 0 });
        return k.consume("Multiply", { a: dy, b: mask }, {}, mask);
      }
      const b = backend as WasmHeapBackend;
      const dx = b.makeOutput(x.shape, "float32");
      prims.backward.run(b.wasm.HEAPU8, {
        src: heapOffset(b, x),
        diffDst: heapOffset(b, dy),
        diffSrc: heapOffset(b, dx),
      });
      return dx;
    },
  };
}
