/**
 * `MaxPoolGrad` for wasm: through oneDNN where it is installed, else as one pass over the
 * backend's own memory: for each output, the first maximum of its window (as the cpu backend
 * picks it) receives dy. The wasm backend's own loop
 * took 94 ms a call in CifarNet; its `MaxPoolWithArgmax` gives wrong results on some shapes,
 * so it is not used. Data is read and written in place in the wasm heap (no copy).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";
import { kernelRunner } from "./kernel_util.ts";
import { oneDnn } from "../native/onednn.ts";
import { poolInfo } from "./max_pool.ts";

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

/**
 * The gradient through oneDNN (where installed): its pooling run again to record where each
 * maximum is, then its backward pass; null where oneDNN does not take the geometry.
 */
function maxPoolGradDnnl(
  heap: WasmHeapBackend,
  dy: tf.TensorInfo,
  input: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo | null {
  const prims = oneDnn()?.maxPool(info);
  if (prims == null) return null;
  const y = heap.makeOutput(dy.shape, "float32");
  const workspace = heap.makeOutput([Math.ceil(prims.workspaceBytes / 4)], "float32");
  const dx = heap.makeOutput(input.shape, "float32");
  const at = (t: tf.TensorInfo) => heapOffset(heap, t);
  prims.forward.run(heap.wasm.HEAPU8, { src: at(input), dst: at(y), workspace: at(workspace) });
  prims.backward.run(heap.wasm.HEAPU8, {
    diffDst: at(dy),
    workspace: at(workspace),
    diffSrc: at(dx),
  });
  heap.disposeData(y.dataId);
  heap.disposeData(workspace.dataId);
  return dx;
}

/** The kernel config of our MaxPoolGrad for the wasm backend. */
export function maxPoolGradConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.MaxPoolGrad,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const heap = backend as WasmHeapBackend;
      const { dy, input } = inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
      if (input.dtype !== "float32") {
        return kernelRunner(heap, backendName).run("MaxPoolGrad", inputs, attrs);
      }
      const info = poolInfo(input.shape, attrs as unknown as tf.MaxPoolGradAttrs);
      const viaDnnl = maxPoolGradDnnl(heap, dy, input, info);
      if (viaDnnl != null) return viaDnnl;
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
