/**
 * `MaxPool` on wasm through oneDNN where it is installed, on one thread below a million
 * values: the backend's own kernel hands every call to its thread pool, whose threads sleep
 * while oneDNN runs the convolutions around it, and waking them cost CifarNet 0.5-1.5 ms a
 * pooling at batch 1 (a 14-24 microsecond pooling when they are awake). The maximum is
 * exact, so the result is the backend's own to the bit. Anything oneDNN does not take runs
 * the stock kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";
import { runKernel } from "./kernel_util.ts";
import { oneDnn } from "../native/onednn.ts";

/** The geometry of a max pooling of `shape` (NHWC) with tfjs's attributes. */
export function poolInfo(
  shape: readonly number[],
  attrs: Pick<tf.MaxPoolAttrs, "filterSize" | "strides" | "pad" | "dimRoundingMode">,
): tf.backend_util.Conv2DInfo {
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  return tf.backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
}

/** The kernel config of our MaxPool for the wasm backend. */
export function maxPoolConfig(backendName: string): tf.KernelConfig {
  const dnnl = oneDnn();
  return {
    kernelName: tf.MaxPool,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const heap = backend as WasmHeapBackend;
      const { x } = inputs as { x: tf.TensorInfo };
      if (dnnl != null && x.dtype === "float32" && x.shape.length === 4) {
        const info = poolInfo(x.shape, attrs as unknown as tf.MaxPoolAttrs);
        const pool = dnnl.maxPoolForward(info);
        if (pool != null) {
          const y = heap.makeOutput(info.outShape, "float32");
          pool.run(heap.wasm.HEAPU8, { src: heapOffset(heap, x), dst: heapOffset(heap, y) });
          return y;
        }
      }
      return runKernel(heap, backendName, tf.MaxPool, inputs, attrs);
    },
  };
}
