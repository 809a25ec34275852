/**
 * `Conv2DBackpropFilter` on WebGPU as one tiled matrix product with a split reduction, in
 * two shaders of our own:
 *
 *   dW[r, co] = sum over k of A[r, k] * dy[k, co],   r = (kh, kw, ci), k = (n, oh, ow),
 *   A[r, k] = x[n, oh*sh + kh - top, ow*sw + kw - left, ci] (0 outside the image),
 *
 * read straight from x (no patches in memory). The reduction over k (every pixel of every
 * image: 65,536 for a CIFAR layer at batch 64) is far longer than the output is wide (2,304
 * values for 3x3x16x16), so it is split into chunks, one workgroup per chunk and 64 x TN
 * tile of dW; each writes its partial tile, and a second shader sums the partials in chunk
 * order: deterministic, the same bits every run. tfjs's own shader (one thread per output
 * value walking the whole reduction) took 88 % of a ResNet-20 training step on an H200.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { filterGradientInfo } from "./kernel_util.ts";
import { ints, runWgsl, type WebGpuBackendLike } from "./wgsl.ts";

/** Rows of dW a workgroup computes (16 threads x 4). */
const TM = 64;
/** Steps of the reduction a workgroup loads into workgroup memory at a time. */
const KT = 16;
/** About this many workgroups in all: enough to fill a large GPU several times over. */
const TARGET_WORKGROUPS = 1024;

/** Columns of dW a workgroup computes: 16, 32 or 64 (16 threads x 1, 2 or 4). */
function tileColumns(co: number): number {
  return co <= 16 ? 16 : co <= 32 ? 32 : 64;
}

/**
 * How the reduction of length `k` is split for `tiles` output tiles: chunks of a multiple of
 * {@link KT} steps, about {@link TARGET_WORKGROUPS} workgroups in all.
 *
 * @example
 * ```ts
 * import { reductionChunks } from "./conv2d_backprop_filter_wgsl.ts";
 * console.log(reductionChunks(64 * 32 * 32, 3)); // { chunk: 192, chunks: 342 }
 * ```
 */
export function reductionChunks(k: number, tiles: number): { chunk: number; chunks: number } {
  const wanted = Math.max(1, Math.ceil(TARGET_WORKGROUPS / tiles));
  const chunk = Math.ceil(Math.ceil(k / wanted) / KT) * KT;
  return { chunk, chunks: Math.ceil(k / chunk) };
}

function partialsCode(tn: number): string {
  const rn = tn / 16;
  return `
const TM = ${TM};
const TN = ${tn};
const KT = ${KT};
var<workgroup> tileA : array<f32, ${KT * TM}>;
var<workgroup> tileB : array<f32, ${KT * tn}>;

fn main() {
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let t = ty * 16 + tx;
  let mBase = i32(workgroupId.y) * TM;
  let nBase = i32(workgroupId.x) * TN;
  let chunk = i32(workgroupId.z);
  let h = uniforms.xShape.y;
  let w = uniforms.xShape.z;
  let ci = uniforms.xShape.w;
  let oh = uniforms.dyShape.y;
  let ow = uniforms.dyShape.z;
  let co = uniforms.dyShape.w;
  let m = uniforms.outShape.y;
  let kAll = uniforms.dyShape.x * oh * ow;
  let kBegin = chunk * uniforms.chunk;
  let kEnd = min(kBegin + uniforms.chunk, kAll);
  var acc : array<f32, ${4 * rn}>;
  for (var k0 = kBegin; k0 < kEnd; k0 = k0 + KT) {
    for (var i = 0; i < ${(KT * TM) / 256}; i = i + 1) {
      let e = t + i * 256;
      let kk = e / TM;
      let r = mBase + e % TM;
      let k = k0 + kk;
      var v = 0.0;
      if (k < kEnd && r < m) {
        let c = r % ci;
        let tap = r / ci;
        let x0 = k % ow;
        let rest = k / ow;
        let ih = (rest % oh) * uniforms.stride.x + tap / uniforms.fw - uniforms.pad.x;
        let iw = x0 * uniforms.stride.y + tap % uniforms.fw - uniforms.pad.y;
        if (ih >= 0 && ih < h && iw >= 0 && iw < w) {
          v = x[((rest / oh * h + ih) * w + iw) * ci + c];
        }
      }
      tileA[e] = v;
    }
    for (var i = 0; i < ${(KT * tn) / 256}; i = i + 1) {
      let e = t + i * 256;
      let k = k0 + e / TN;
      let col = nBase + e % TN;
      var v = 0.0;
      if (k < kEnd && col < co) {
        v = dy[k * co + col];
      }
      tileB[e] = v;
    }
    workgroupBarrier();
    for (var kk = 0; kk < KT; kk = kk + 1) {
      var a : array<f32, 4>;
      for (var i = 0; i < 4; i = i + 1) {
        a[i] = tileA[kk * TM + ty + 16 * i];
      }
      for (var j = 0; j < ${rn}; j = j + 1) {
        let b = tileB[kk * TN + tx + 16 * j];
        for (var i = 0; i < 4; i = i + 1) {
          acc[i * ${rn} + j] = acc[i * ${rn} + j] + a[i] * b;
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let r = mBase + ty + 16 * i;
    for (var j = 0; j < ${rn}; j = j + 1) {
      let col = nBase + tx + 16 * j;
      if (r < m && col < co) {
        result[(chunk * m + r) * co + col] = acc[i * ${rn} + j];
      }
    }
  }
}
`;
}

/** Sums partials [chunks, size] over the chunks, in chunk order. */
const SUM_CODE = `
fn main() {
  let i = i32(workgroupId.x) * 256 + i32(localIndex);
  let size = uniforms.outShape;
  if (i < size) {
    var s = 0.0;
    for (var c = 0; c < uniforms.partsShape.x; c = c + 1) {
      s = s + parts[c * size + i];
    }
    result[i] = s;
  }
}
`;

/** The filter gradient of an NHWC convolution (dilation 1) on WebGPU. */
export function conv2dBackpropFilterWgsl(
  backend: WebGpuBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.TensorInfo {
  const info = filterGradientInfo(x, attrs);
  const { filterHeight: fh, filterWidth: fw, strideHeight: sh, strideWidth: sw } = info;
  const [, , , ci] = x.shape;
  const co = dy.shape[3];
  const m = fh * fw * ci;
  const tn = tileColumns(co);
  const tilesX = Math.ceil(co / tn), tilesY = Math.ceil(m / TM);
  const { chunk, chunks } = reductionChunks(
    dy.shape[0] * dy.shape[1] * dy.shape[2],
    tilesX * tilesY,
  );
  const partials = runWgsl(
    backend,
    {
      key: `filter_grad_partials_${tn}`,
      inputs: ["x", "dy"],
      outputShape: [chunks, m, co],
      workgroupSize: [16, 16, 1],
      workgroups: [tilesX, tilesY, chunks],
      uniforms: "fw : i32, stride : vec2<i32>, pad : vec2<i32>, chunk : i32,",
      code: partialsCode(tn),
    },
    [x, dy],
    [
      ...ints(fw),
      { type: "int32", data: [sh, sw] },
      { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
      ...ints(chunk),
    ],
  );
  if (chunks === 1) return { ...partials, shape: [fh, fw, ci, co] };
  const flat = { ...partials, shape: [chunks, m * co] };
  const sum = runWgsl(
    backend,
    {
      key: "sum_leading",
      inputs: ["parts"],
      outputShape: [m * co],
      workgroupSize: [256, 1, 1],
      workgroups: [Math.ceil((m * co) / 256), 1, 1],
      code: SUM_CODE,
    },
    [flat],
  );
  backend.disposeData(partials.dataId);
  return { ...sum, shape: [fh, fw, ci, co] };
}
