/**
 * `Conv2DBackpropFilter` as a forward convolution, for backends whose own filter gradient is
 * missing (wasm) or slow (webgpu on a software adapter).
 *
 * dW[kh, kw, ci, co] = sum over n, oh, ow of x[n, oh*s + kh - top, ow*s + kw - left, ci] *
 * dy[n, oh, ow, co]: a convolution whose batch is `ci`, whose channels are `n`, whose filter
 * is dy seen as [OH, OW, N, Co] and whose dilation is the forward stride.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  filterGradientInfo,
  type KernelBackendLike,
  type KernelRunner,
  kernelRunner,
} from "./kernel_util.ts";
import {
  blasFilterGradientApplies,
  conv2dBackpropFilterBlas,
} from "../native/conv2d_backprop_filter_blas.ts";
import { openBlas } from "../native/openblas.ts";
import { conv2dBackpropFilterDnnl } from "../native/conv2d_dnnl.ts";
import { oneDnn } from "../native/onednn.ts";
import { conv2dBackpropFilterPatches } from "./conv2d_backprop_filter_patches.ts";
import { conv2dBackpropFilterWgsl } from "./conv2d_backprop_filter_wgsl.ts";
import type { WebGpuBackendLike } from "./wgsl.ts";

/** The formulations of the filter gradient WebGPU can take. */
export const gpuFilterGradients = ["wgsl", "conv", "patches"] as const;

/**
 * Which formulation WebGPU takes: our shader (`conv2d_backprop_filter_wgsl.ts`, the default),
 * the convolution below or the patches product (`conv2d_backprop_filter_patches.ts`);
 * `selectBackend` sets it from `OICSR_GPU_FILTER_GRAD`.
 */
export const gpuFilterGradient: { formulation: typeof gpuFilterGradients[number] } = {
  formulation: "wgsl",
};

/**
 * The kernel config of our filter gradient for `backendName` ("wasm" or "webgpu"). On wasm
 * with OpenBLAS, stride-1 convolutions take the per-tap GEMM of
 * `../native/conv2d_backprop_filter_blas.ts`.
 */
export function conv2dBackpropFilterConfig(backendName: string): tf.KernelConfig {
  const blas = backendName === "wasm" ? openBlas() : null;
  const dnnl = backendName === "wasm" ? oneDnn() : null;
  return {
    kernelName: tf.Conv2DBackpropFilter,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = kernelRunner(backend as KernelBackendLike, backendName);
      const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
      const viaDnnl = dnnl && a.dataFormat !== "NCHW" &&
        conv2dBackpropFilterDnnl(k, dnnl, x, dy, filterGradientInfo(x, a));
      if (viaDnnl) return viaDnnl;
      if (blas != null && blasFilterGradientApplies(a)) {
        return conv2dBackpropFilterBlas(k, blas, x, dy, a);
      }
      if (backendName === "webgpu" && a.dataFormat !== "NCHW") {
        const how = gpuFilterGradient.formulation;
        if (how === "wgsl") return conv2dBackpropFilterWgsl(backend as WebGpuBackendLike, x, dy, a);
        if (how === "patches") return conv2dBackpropFilterPatches(k, x, dy, a);
      }
      return chooseFilterGradient(x, attrs as unknown as tf.Conv2DBackpropFilterAttrs)(
        k,
        x,
        dy,
        attrs as unknown as tf.Conv2DBackpropFilterAttrs,
      );
    },
  };
}

type FilterGradient = (
  k: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
) => tf.TensorInfo;

/**
 * Picks the fastest formulation measured on wasm (64 images of 32x32): a product of matrices
 * for 1x1 filters, im2col for first layers (<= 4 input channels, stride 1), else the
 * convolution.
 */
export function chooseFilterGradient(
  x: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): FilterGradient {
  const [fh, fw] = attrs.filterShape;
  const [sh, sw] = typeof attrs.strides === "number"
    ? [attrs.strides, attrs.strides]
    : attrs.strides;
  if (fh === 1 && fw === 1 && typeof attrs.pad === "string") return conv2dBackpropFilter1x1;
  if (x.shape[3] <= 4 && sh === 1 && sw === 1) return conv2dBackpropFilterIm2col;
  return conv2dBackpropFilter;
}

/** Computes the filter gradient with the backend's Conv2D and Transpose kernels. */
export function conv2dBackpropFilter(
  k: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const { dataFormat } = attrs;
  if (dataFormat !== "NHWC") throw new Error(`Conv2DBackpropFilter: only NHWC, got ${dataFormat}`);
  const info = filterGradientInfo(x, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const [n, h, w, ci] = x.shape;
  const { top, left } = info.padInfo;
  // Rows/columns the last window reaches beyond the input (negative: input rows unused).
  const bottom = fh + (info.outHeight - 1) * sh - h - top;
  const right = fw + (info.outWidth - 1) * sw - w - left;
  const xUsed = bottom < 0 || right < 0
    ? k.run("Slice", { x }, {
      begin: [0, 0, 0, 0],
      size: [n, h + Math.min(0, bottom), w + Math.min(0, right), ci],
    })
    : x;
  const xT = k.run("Transpose", { x: xUsed }, { perm: [3, 1, 2, 0] });
  if (xUsed !== x) k.release(xUsed);
  const dyT = k.run("Transpose", { x: dy }, { perm: [1, 2, 0, 3] });
  const grad = k.consume(
    "Conv2D",
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]],
      dataFormat: "NHWC",
      dilations: [sh, sw],
    },
    xT,
    dyT,
  );
  return k.consume("Transpose", { x: grad }, { perm: [1, 2, 0, 3] }, grad);
}

/**
 * The filter gradient as im2col and one matrix product: patches [fh*fw*ci, n*oh*ow] (sliced
 * from the transposed, padded input) times dy [n*oh*ow, co]. Stride 1 only (the backend's
 * StridedSlice is slow).
 */
export function conv2dBackpropFilterIm2col(
  k: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = filterGradientInfo(x, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  if (sh !== 1 || sw !== 1) return conv2dBackpropFilter(k, x, dy, attrs);
  const { outHeight: oh, outWidth: ow, outChannels: co } = info;
  const [n, h, w, ci] = x.shape;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, fh + (oh - 1) * sh - h - top);
  const right = Math.max(0, fw + (ow - 1) * sw - w - left);
  const xT = k.run("Transpose", { x }, { perm: [3, 0, 1, 2] });
  const xP = top + bottom + left + right > 0
    ? k.consume("PadV2", { x: xT }, {
      paddings: [[0, 0], [0, 0], [top, bottom], [left, right]],
      constantValue: 0,
    }, xT)
    : xT;
  const slices: tf.TensorInfo[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      slices.push(k.run("Slice", { x: xP }, { begin: [0, 0, i, j], size: [ci, n, oh, ow] }));
    }
  }
  k.release(xP);
  const patches = slices.length === 1
    ? slices[0]
    : k.consume("Concat", slices, { axis: 0 }, ...slices);
  const a = k.consume(
    "Reshape",
    { x: patches },
    { shape: [1, fh * fw * ci, n * oh * ow] },
    patches,
  );
  const b = k.run("Reshape", { x: dy }, { shape: [1, n * oh * ow, co] });
  const grad = k.consume("BatchMatMul", { a, b }, { transposeA: false, transposeB: false }, a, b);
  return k.consume("Reshape", { x: grad }, { shape: [fh, fw, ci, co] }, grad);
}

/**
 * The filter gradient of a 1x1 convolution (padding "same"/"valid": none for 1x1): the input
 * subsampled by the stride, transposed, times dy.
 */
export function conv2dBackpropFilter1x1(
  k: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const [n, h, w, ci] = x.shape;
  const [, oh, ow, co] = dy.shape;
  const [sh, sw] = typeof attrs.strides === "number"
    ? [attrs.strides, attrs.strides]
    : attrs.strides;
  let rows = x;
  if (sh !== 1 || sw !== 1) {
    // Rows 0, s, 2s, ...: make the input exactly oh*sh x ow*sw, then keep offset 0 of each block.
    const fit = oh * sh <= h && ow * sw <= w
      ? k.run("Slice", { x }, { begin: [0, 0, 0, 0], size: [n, oh * sh, ow * sw, ci] })
      : k.run("PadV2", { x }, {
        paddings: [[0, 0], [0, Math.max(0, oh * sh - h)], [0, Math.max(0, ow * sw - w)], [0, 0]],
        constantValue: 0,
      });
    const exact = oh * sh === fit.shape[1] && ow * sw === fit.shape[2] ? fit : k.consume(
      "Slice",
      { x: fit },
      { begin: [0, 0, 0, 0], size: [n, oh * sh, ow * sw, ci] },
      fit,
    );
    const blocks = k.consume("Reshape", { x: exact }, { shape: [n * oh, sh, ow, sw * ci] }, exact);
    rows = k.consume(
      "Slice",
      { x: blocks },
      { begin: [0, 0, 0, 0], size: [n * oh, 1, ow, ci] },
      blocks,
    );
  }
  const a = k.run("Reshape", { x: rows }, { shape: [n * oh * ow, ci] });
  if (rows !== x) k.release(rows);
  const aT = k.consume("Transpose", { x: a }, { perm: [1, 0] }, a);
  const a3 = k.consume("Reshape", { x: aT }, { shape: [1, ci, n * oh * ow] }, aT);
  const b = k.run("Reshape", { x: dy }, { shape: [1, n * oh * ow, co] });
  const grad = k.consume(
    "BatchMatMul",
    { a: a3, b },
    { transposeA: false, transposeB: false },
    a3,
    b,
  );
  return k.consume("Reshape", { x: grad }, { shape: [1, 1, ci, co] }, grad);
}
