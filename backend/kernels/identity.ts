/**
 * `Identity` that shares the input's buffer (a reference count, as the cpu and webgl
 * backends do) instead of copying it. tfjs clones every tensor it saves for the backward
 * pass through this kernel: over 500 full copies of activations in one ResNet-20 training
 * step on wasm. Sharing is safe because no kernel writes into its inputs and variables
 * change by pointing at new buffers, never by writing into old ones.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, kernelRunner } from "./kernel_util.ts";

/** The kernel config of our Identity for `backendName`. */
export function identityConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Identity,
    backendName,
    kernelFunc: ({ inputs, backend }) => {
      const { x } = inputs as { x: tf.TensorInfo };
      if (x.dtype === "string") {
        return kernelRunner(backend as KernelBackendLike, backendName).run("Identity", { x });
      }
      (backend as KernelBackendLike).incRef(x.dataId);
      return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
    },
  };
}
