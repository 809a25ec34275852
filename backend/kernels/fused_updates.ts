/**
 * Two small fused kernels for the wasm backend, each one pass over the heap in place of
 * several tfjs kernels: a training step of ResNet-20 calls about 450 elementwise kernels on
 * tiny tensors for these updates, at some 40 microseconds of dispatch each.
 *
 * - `OicsrSgdMomentum` (w, v, g; lr, momentum, decay) -> [w', v']: g' = g + decay w,
 *   v' = momentum v + g', w' = w - lr v' (PyTorch's SGD, `stages/sgd.ts`);
 * - `OicsrMovingAverage` (moving, value; momentum) -> moving - (moving - value)(1 - momentum)
 *   (tfjs-layers' update of batch norm's moving statistics).
 *
 * Every product and sum is rounded to float32 as the separate kernels round it, so the results
 * are the same, bit for bit, as the kernels they replace.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { WasmHeapBackend } from "../wasm_heap.ts";

export const SGD_MOMENTUM = "OicsrSgdMomentum";
export const MOVING_AVERAGE = "OicsrMovingAverage";
/** The sum of every value of every input (the weights a step checks); WebGPU only. */
export const SUM_ALL = "OicsrSumAll";

const f = Math.fround;

/** `OicsrSgdMomentum` on the wasm heap. */
export function sgdMomentumConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: SGD_MOMENTUM,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmHeapBackend;
      const { w, v, g } = inputs as Record<string, tf.TensorInfo>;
      const { lr, momentum, decay } = attrs as { lr: number; momentum: number; decay: number };
      const nw = b.makeOutput(w.shape, "float32"), nv = b.makeOutput(v.shape, "float32");
      const [W, V, G, NW, NV] = [w, v, g, nw, nv].map((t) => b.typedArrayFromHeap(t));
      const [fl, fm, fd] = [f(lr), f(momentum), f(decay)];
      for (let i = 0; i < W.length; i++) {
        const grad = fd === 0 ? G[i] : f(G[i] + f(W[i] * fd));
        const vel = fm === 0 ? grad : f(f(V[i] * fm) + grad);
        NV[i] = vel;
        NW[i] = f(W[i] - f(vel * fl));
      }
      return [nw, nv];
    },
  };
}

/** `OicsrMovingAverage` on the wasm heap. */
export function movingAverageConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: MOVING_AVERAGE,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmHeapBackend;
      const { moving, value } = inputs as Record<string, tf.TensorInfo>;
      const decay = f(1 - (attrs as { momentum: number }).momentum);
      const out = b.makeOutput(moving.shape, "float32");
      const [M, X, O] = [moving, value, out].map((t) => b.typedArrayFromHeap(t));
      for (let i = 0; i < M.length; i++) O[i] = f(M[i] - f(f(M[i] - X[i]) * decay));
      return out;
    },
  };
}
