/**
 * `MaxPoolGrad` for wasm as one pass over the backend's own memory: for each output, the first
 * maximum of its window (as the cpu backend picks it) receives dy. The wasm backend's own loop
 * took 94 ms a call in CifarNet; its `MaxPoolWithArgmax` gives wrong results on some shapes,
 * so it is not used. Data is read and written in place in the wasm heap (no copy).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { WasmHeapBackend } from "../wasm_heap.ts";
import { kernelRunner } from "./kernel_util.ts";

/** Adds each dy to the first maximum of its pooling window (NHWC). */
function scatterToMaxima(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  info: tf.backend_util.Conv2DInfo,
): void {
  const { batchSize, inHeight, inWidth, inChannels: c, outHeight, outWidth } = info;
  const { strideHeight, strideWidth, filterHeight, filterWidth } = info;
  const { top, left } = info.padInfo;
  dx.fill(0);
  let o = 0;
  for (let b = 0; b < batchSize; b++) {
    const base = b * inHeight * inWidth * c;
    for (let oy = 0; oy < outHeight; oy++) {
      const y0 = oy * strideHeight - top;
      const yStart = Math.max(0, y0), yEnd = Math.min(inHeight, y0 + filterHeight);
      for (let ox = 0; ox < outWidth; ox++) {
        const x0 = ox * strideWidth - left;
        const xStart = Math.max(0, x0), xEnd = Math.min(inWidth, x0 + filterWidth);
        for (let ch = 0; ch < c; ch++, o++) {
          let best = -Infinity, at = -1;
          for (let yy = yStart; yy < yEnd; yy++) {
            let p = base + (yy * inWidth + xStart) * c + ch;
            for (let xx = xStart; xx < xEnd; xx++, p += c) {
              if (x[p] > best) (best = x[p]), (at = p);
            }
          }
          if (at >= 0) dx[at] += dy[o];
        }
      }
    }
  }
}

/** The kernel config of our MaxPoolGrad for the wasm backend. */
export function maxPoolGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const heap = backend as WasmHeapBackend;
      const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
      if (input.dtype !== "float32") {
        return kernelRunner(heap, backendName).run("MaxPoolGrad", inputs, attrs);
      }
      const info = tf.backend_util.computePool2DInfo(
        input.shape as [number, number, number, number],
        filterSize,
        strides,
        1,
        pad,
        dimRoundingMode,
      );
      const dx = heap.makeOutput(input.shape, "float32");
      scatterToMaxima(
        heap.typedArrayFromHeap(input),
        heap.typedArrayFromHeap(dy),
        heap.typedArrayFromHeap(dx),
        info,
      );
      return dx;
    },
  };
}
