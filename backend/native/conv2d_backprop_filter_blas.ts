/**
 * `Conv2DBackpropFilter` for stride-1 convolutions on the wasm heap with OpenBLAS: one GEMM
 * per filter tap, with no im2col.
 *
 * Pad x to [N, Hp, Wp, Ci] and dy with zeros to [N, Hp, Wp, Co] (dy[n, oh, ow] at the same
 * place, zero past the output). Seen as matrices of Hp*Wp*N rows, row r of dy meets row
 * r + (i*Wp + j) of x under tap (i, j), for every r: rows past the output are zero in dy, so
 * whatever x row they meet adds nothing. Hence dW[i, j] = X[off .. off+R]^T · DY[0 .. R], a
 * [Ci, Co] product with R = N*Hp*Wp - off, written straight into the filter gradient.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { filterGradientInfo, type KernelRunner } from "../kernels/kernel_util.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";
import type { Blas } from "./openblas.ts";

/** Whether strides (or dilations) are 1 on both axes; absent counts as 1. */
export function unitSteps(v: number | readonly [number, number] | undefined): boolean {
  return v === undefined || (typeof v === "number" ? v === 1 : v[0] === 1 && v[1] === 1);
}

/** Whether the BLAS formulation applies: stride 1, dilation 1, float32. */
export function blasFilterGradientApplies(attrs: tf.Conv2DBackpropFilterAttrs): boolean {
  return unitSteps(attrs.strides) && attrs.dataFormat !== "NCHW";
}

/** The filter gradient of a stride-1 convolution by per-tap GEMMs (see the module doc). */
export function conv2dBackpropFilterBlas(
  k: KernelRunner,
  blas: Blas,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = filterGradientInfo(x, attrs);
  const [n, h, w, ci] = x.shape;
  const [fh, fw, , co] = attrs.filterShape;
  const { top, left, bottom, right } = info.padInfo;
  const hp = h + top + bottom, wp = w + left + right;
  const xp = k.run("PadV2", { x }, {
    paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
    constantValue: 0,
  });
  const dyp = k.run("PadV2", { x: dy }, {
    paddings: [[0, 0], [0, hp - info.outHeight], [0, wp - info.outWidth], [0, 0]],
    constantValue: 0,
  });
  const backend = k.backend as WasmHeapBackend;
  const out = backend.makeOutput([fh, fw, ci, co], "float32");
  const heap = backend.wasm.HEAPU8;
  const [xOff, dyOff, outOff] = [xp, dyp, out].map((t) => heapOffset(backend, t));
  const rows = n * hp * wp;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const shift = i * wp + j;
      blas.sgemm(
        heap,
        { m: ci, n: co, k: rows - shift },
        { offset: xOff + 4 * shift * ci, ld: ci, trans: true },
        { offset: dyOff, ld: co },
        { offset: outOff + 4 * (i * fw + j) * ci * co, ld: co },
      );
    }
  }
  k.release(xp, dyp);
  return out;
}
