/**
 * `Conv2DBackpropInput` as one forward convolution (the backend's fast Conv2D, XNNPACK on
 * wasm): the output gradient, zero-dilated by the stride, convolved with the filter rotated
 * by 180 degrees and with its channel axes swapped. On WebGPU the same identity, for stride 1,
 * feeds our forward shader (`conv2d_forward_wgsl.ts`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, type KernelRunner, kernelRunner } from "./kernel_util.ts";
import {
  blasInputGradientApplies,
  conv2dBackpropInputBlas,
} from "../native/conv2d_backprop_input_blas.ts";
import { openBlas } from "../native/openblas.ts";
import { conv2dBackpropInputDnnl } from "../native/conv2d_dnnl.ts";
import { oneDnn } from "../native/onednn.ts";
import { gpuConvolution, tfjsInputGradientIsVectorised } from "./conv2d_forward.ts";
import { conv2dForwardWgsl } from "./conv2d_forward_wgsl.ts";
import type { WebGpuBackendLike } from "./wgsl.ts";

/**
 * The kernel config of our input gradient for `backendName`. On wasm, oneDNN where it is
 * installed; else, with OpenBLAS, stride-1 convolutions with large filters take the per-tap
 * GEMM of `../native/conv2d_backprop_input_blas.ts`. On WebGPU, stride-1 convolutions whose
 * widths tfjs's shader reads one channel at a time (or all, `OICSR_GPU_CONV=wgsl`) run as our
 * forward convolution shader over the output gradient with the filter flipped; the rest run
 * tfjs's kernel.
 */
export function conv2dBackpropInputConfig(backendName: string): tf.KernelConfig {
  const blas = backendName === "wasm" ? openBlas() : null;
  const dnnl = backendName === "wasm" ? oneDnn() : null;
  return {
    kernelName: tf.Conv2DBackpropInput,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = kernelRunner(backend as KernelBackendLike, backendName);
      const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
      if (backendName === "webgpu") {
        return inputGradientWgsl(k, dy, filter, a) ??
          k.run(tf.Conv2DBackpropInput, inputs, attrs);
      }
      const viaDnnl = dnnl && a.dataFormat !== "NCHW" &&
        conv2dBackpropInputDnnl(k, dnnl, dy, filter, inputGradientInfo(filter, a));
      if (viaDnnl) return viaDnnl;
      if (blas != null && blasInputGradientApplies(a, filter.shape)) {
        return conv2dBackpropInputBlas(k, blas, dy, filter, a);
      }
      return conv2dBackpropInput(k, dy, filter, a);
    },
  };
}

/** The convolution whose input gradient is asked for. */
function inputGradientInfo(filter: tf.TensorInfo, a: tf.Conv2DBackpropInputAttrs) {
  return tf.backend_util.computeConv2DInfo(
    a.inputShape,
    filter.shape as [number, number, number, number],
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
  );
}

/**
 * The input gradient of a stride-1 NHWC convolution through our WebGPU forward shader: the
 * output gradient convolved with the filter rotated by 180 degrees, its channel axes swapped,
 * padded by (filter - 1 - the forward padding) each side. Null where tfjs's shader is kept.
 */
function inputGradientWgsl(
  k: KernelRunner,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  a: tf.Conv2DBackpropInputAttrs,
): tf.TensorInfo | null {
  if (a.dataFormat === "NCHW") return null;
  const info = inputGradientInfo(filter, a);
  if (info.strideHeight !== 1 || info.strideWidth !== 1) return null;
  if (gpuConvolution.use === "auto" && tfjsInputGradientIsVectorised(info)) return null;
  const { filterHeight: fh, filterWidth: fw, padInfo } = info;
  const pads = [
    fh - 1 - padInfo.top,
    fh - 1 - padInfo.bottom,
    fw - 1 - padInfo.left,
    fw - 1 - padInfo.right,
  ];
  if (pads.some((p) => p < 0)) return null;
  const [top, bottom, left, right] = pads;
  const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
  const swapped = k.consume("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }, flipped);
  const forward = tf.backend_util.computeConv2DInfo(
    dy.shape as [number, number, number, number],
    swapped.shape as [number, number, number, number],
    1,
    1,
    [[0, 0], [top, bottom], [left, right], [0, 0]],
  );
  const dx = conv2dForwardWgsl(k.backend as unknown as WebGpuBackendLike, dy, swapped, forward);
  k.release(swapped);
  return dx;
}

/** Inserts `s - 1` zero rows/columns after each row/column of `dy` (NHWC). */
function dilateByStride(k: KernelRunner, dy: tf.TensorInfo, sh: number, sw: number) {
  if (sh === 1 && sw === 1) return dy;
  const [n, oh, ow, c] = dy.shape;
  const dy6 = k.run("Reshape", { x: dy }, { shape: [n, oh, 1, ow, 1, c] });
  const padded = k.consume("PadV2", { x: dy6 }, {
    paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]],
    constantValue: 0,
  }, dy6);
  return k.consume("Reshape", { x: padded }, { shape: [n, oh * sh, ow * sw, c] }, padded);
}

/** Computes the input gradient with the backend's Conv2D, PadV2, Reverse and Transpose. */
export function conv2dBackpropInput(
  k: KernelRunner,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: tf.Conv2DBackpropInputAttrs,
): tf.TensorInfo {
  const { strides, pad, dimRoundingMode, inputShape, dataFormat } = attrs;
  if (dataFormat !== "NHWC") throw new Error(`Conv2DBackpropInput: only NHWC, got ${dataFormat}`);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const [n, h, w] = inputShape;
  const dilated = dilateByStride(k, dy, sh, sw);
  const [, dh, dw, co] = dilated.shape;
  const top = fh - 1 - info.padInfo.top;
  const left = fw - 1 - info.padInfo.left;
  const bottom = h + fh - 1 - dh - top;
  const right = w + fw - 1 - dw - left;
  const used = bottom < 0 || right < 0
    ? k.run("Slice", { x: dilated }, {
      begin: [0, 0, 0, 0],
      size: [n, dh + Math.min(0, bottom), dw + Math.min(0, right), co],
    })
    : dilated;
  if (used !== dilated && dilated !== dy) k.release(dilated);
  const flipped = k.run("Reverse", { x: filter }, { dims: [0, 1] });
  const swapped = k.consume("Transpose", { x: flipped }, { perm: [0, 1, 3, 2] }, flipped);
  const dx = k.run("Conv2D", { x: used, filter: swapped }, {
    strides: [1, 1],
    pad: [[0, 0], [top, Math.max(0, bottom)], [left, Math.max(0, right)], [0, 0]],
    dataFormat: "NHWC",
    dilations: [1, 1],
  });
  k.release(swapped);
  if (used !== dy) k.release(used);
  return dx;
}
