/**
 * `Conv2DBackpropFilter` for GPUs: im2col patches and one batched matrix product, with
 * the reduction over images split into batches so that the product has work for every
 * compute unit, then summed (in a fixed order: deterministic, unlike split-K with atomics).
 *
 * dW[(kh*fw + kw)*ci + c, co] = sum over n, oh, ow of
 *   patches[n, oh, ow, (kh*fw + kw)*ci + c] * dy[n, oh, ow, co],
 * where patches[n, oh, ow, (kh*fw + kw)*ci + c] = xPadded[n, oh*sh + kh, ow*sw + kw, c].
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { filterGradientInfo, type KernelRunner } from "./kernel_util.ts";

/** Rows of the reduction each batch of the product takes at least. */
const MIN_ROWS_PER_BATCH = 1024;
/** At most this many partial products (floats) are held before the sum. */
const MAX_PARTIAL_FLOATS = 1 << 24;

/**
 * How many batches the n images are split into: the largest divisor of n that leaves each
 * batch at least {@link MIN_ROWS_PER_BATCH} rows and keeps the partial products small.
 *
 * @example
 * ```ts
 * import { reductionBatches } from "./conv2d_backprop_filter_patches.ts";
 * console.log(reductionBatches(64, 32 * 32, 3 * 3 * 16 * 16)); // 64
 * console.log(reductionBatches(32, 7 * 7, 3 * 3 * 512 * 512)); // 1
 * ```
 */
export function reductionBatches(images: number, pixels: number, filterSize: number): number {
  let best = 1;
  for (let s = 1; s <= images; s++) {
    if (images % s !== 0) continue;
    if ((images / s) * pixels < MIN_ROWS_PER_BATCH || s * filterSize > MAX_PARTIAL_FLOATS) break;
    best = s;
  }
  return best;
}

/** The filter gradient as patches times dy, batched over images (NHWC, dilation 1). */
export function conv2dBackpropFilterPatches(
  k: KernelRunner,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = filterGradientInfo(x, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: oh, outWidth: ow, outChannels: co } = info;
  const [n, h, w, ci] = x.shape;
  const { top, left } = info.padInfo;
  const bottom = Math.max(0, fh + (oh - 1) * sh - h - top);
  const right = Math.max(0, fw + (ow - 1) * sw - w - left);
  const xP = top + bottom + left + right > 0
    ? k.run("PadV2", { x }, {
      paddings: [[0, 0], [top, bottom], [left, right], [0, 0]],
      constantValue: 0,
    })
    : x;
  const taps: tf.TensorInfo[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      taps.push(
        sh === 1 && sw === 1
          ? k.run("Slice", { x: xP }, { begin: [0, i, j, 0], size: [n, oh, ow, ci] })
          : k.run("StridedSlice", { x: xP }, {
            begin: [0, i, j, 0],
            end: [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, ci],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          }),
      );
    }
  }
  if (xP !== x) k.release(xP);
  const patches = taps.length === 1 ? taps[0] : k.consume("Concat", taps, { axis: 3 }, ...taps);
  const rows = fh * fw * ci;
  const s = reductionBatches(n, oh * ow, rows * co);
  const a = k.consume("Reshape", { x: patches }, { shape: [s, (n / s) * oh * ow, rows] }, patches);
  const b = k.run("Reshape", { x: dy }, { shape: [s, (n / s) * oh * ow, co] });
  const partial = k.consume(
    "BatchMatMul",
    { a, b },
    { transposeA: true, transposeB: false },
    a,
    b,
  );
  const grad = s === 1
    ? partial
    : k.consume("Sum", { x: partial }, { axis: [0], keepDims: false }, partial);
  return k.consume("Reshape", { x: grad }, { shape: [fh, fw, ci, co] }, grad);
}
