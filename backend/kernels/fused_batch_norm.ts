/**
 * `FusedBatchNorm` (batch normalisation with given statistics, as in inference) on wasm
 * through oneDNN where it is installed: the stock kernel runs on one thread without AVX and
 * took a third of a ResNet-20 forward pass. Anything else (a missing scale or offset,
 * statistics not of one value per channel, no library) runs the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, runKernel } from "./kernel_util.ts";
import { oneDnn } from "../native/onednn.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";

/** `FusedBatchNorm` for `backendName` (wasm): oneDNN, else the stock kernel. */
export function fusedBatchNormConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.FusedBatchNorm,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { x, mean, variance, offset, scale } = inputs as Record<
        string,
        tf.TensorInfo | undefined
      >;
      const params = [mean, variance, offset, scale];
      const channels = x!.shape[x!.shape.length - 1];
      const perChannel = params.every((t) =>
        t != null && t.dtype === "float32" && tf.util.sizeFromShape(t.shape) === channels
      );
      const epsilon = (attrs as unknown as tf.FusedBatchNormAttrs).varianceEpsilon;
      const prim = perChannel && x!.dtype === "float32"
        ? oneDnn()?.batchNormInference(x!.shape, epsilon)
        : null;
      if (prim == null) {
        return runKernel(
          backend as KernelBackendLike,
          backendName,
          tf.FusedBatchNorm,
          inputs,
          attrs,
        );
      }
      const b = backend as WasmHeapBackend;
      const y = b.makeOutput(x!.shape, "float32");
      const at = (t: tf.TensorInfo) => heapOffset(b, t);
      prim.run(b.wasm.HEAPU8, {
        src: at(x!),
        mean: at(mean!),
        variance: at(variance!),
        scale: at(scale!),
        shift: at(offset!),
        dst: at(y),
      });
      return y;
    },
  };
}
