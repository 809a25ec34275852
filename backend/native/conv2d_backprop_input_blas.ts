/**
 * `Conv2DBackpropInput` for stride-1 convolutions on the wasm heap with OpenBLAS: one GEMM
 * per filter tap accumulating into the padded input gradient, with no filter to pack.
 *
 * The forward pass reads xPadded[n, oh + i, ow + j] under tap (i, j). Embed dy in a zero grid
 * of the padded size [N, Hp, Wp, Co]; seen as matrices of N*Hp*Wp rows, row r of that grid
 * sends dy[r] * W[i, j]^T to row r + (i*Wp + j) of the padded input gradient. Rows of the grid
 * past the output are zero, so the rows they reach get nothing from them. Hence
 * dxPadded[off .. off+R] += DY[0 .. R] · W[i, j]^T with R = N*Hp*Wp - off; tap (0, 0) covers
 * every row and goes first, with beta 0, so the output needs no zeroing. XNNPACK, by
 * contrast, packs the filter anew each step (the weights change): 135 ms of a 140 ms 1x1
 * 2048->512 input gradient on 2x7x7 in one measurement.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelRunner } from "../kernels/kernel_util.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";
import { unitSteps } from "./conv2d_backprop_filter_blas.ts";
import type { Blas } from "./openblas.ts";

/**
 * Filters with fewer input x output channels than this stay on XNNPACK: packing them is
 * cheap, and GEMMs with few output channels (DenseNet-40's 12) run slower than its kernels
 * (DenseNet-40 trained 22 % slower with every layer on the GEMMs; ResNet-50 50 % faster).
 */
const MIN_CHANNEL_PRODUCT = 64 * 64;

/** Whether the BLAS formulation applies: stride 1, dilation 1, NHWC, a large filter. */
export function blasInputGradientApplies(
  attrs: tf.Conv2DBackpropInputAttrs,
  filterShape: readonly number[],
): boolean {
  return unitSteps(attrs.strides) && attrs.dataFormat !== "NCHW" &&
    filterShape[2] * filterShape[3] >= MIN_CHANNEL_PRODUCT;
}

/** The input gradient of a stride-1 convolution by per-tap GEMMs (see the module doc). */
export function conv2dBackpropInputBlas(
  k: KernelRunner,
  blas: Blas,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.Conv2DBackpropInputAttrs,
): tf.TensorInfo {
  const [n, h, w, ci] = attrs.inputShape;
  const [fh, fw, , co] = filter.shape;
  const info = tf.backend_util.computeConv2DInfo(
    [n, h, w, ci],
    [fh, fw, ci, co],
    1,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { top, left, bottom, right } = info.padInfo;
  const hp = h + top + bottom, wp = w + left + right;
  const padded = hp !== info.outHeight || wp !== info.outWidth;
  const grid = padded
    ? k.run("PadV2", { x: dy }, {
      paddings: [[0, 0], [0, hp - info.outHeight], [0, wp - info.outWidth], [0, 0]],
      constantValue: 0,
    })
    : dy;
  const backend = k.backend as WasmHeapBackend;
  const dxp = backend.makeOutput([n, hp, wp, ci], "float32");
  const heap = backend.wasm.HEAPU8;
  const [gridOff, wOff, dxOff] = [grid, filter, dxp].map((t) => heapOffset(backend, t));
  const rows = n * hp * wp;
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      const shift = i * wp + j;
      blas.sgemm(
        heap,
        { m: rows - shift, n: ci, k: co },
        { offset: gridOff, ld: co },
        { offset: wOff + 4 * (i * fw + j) * ci * co, ld: co, trans: true },
        { offset: dxOff + 4 * shift * ci, ld: ci },
        shift === 0 ? 0 : 1,
      );
    }
  }
  if (grid !== dy) k.release(grid);
  if (hp === h && wp === w) return dxp;
  return k.consume("Slice", { x: dxp }, { begin: [0, top, left, 0], size: [n, h, w, ci] }, dxp);
}
