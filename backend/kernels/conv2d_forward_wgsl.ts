/**
 * `Conv2D` and `FusedConv2D` (bias, ReLU) on WebGPU for any number of channels, as one tiled
 * product of our own read straight from x (no patches in memory):
 *
 *   y[r, co] = sum over k of A[r, k] * W[k, co],   r = (n, oh, ow), k = (kh, kw, ci),
 *   A[r, k] = x[n, oh*sh + kh*dh - top, ow*sw + kw*dw - left, ci] (0 outside the image).
 *
 * tfjs's shader (`conv2d_mm`, tfjs 4.22) reads four channels at a time only when the input
 * channels are a multiple of 4 (or 3) and the output channels a multiple of 4; any other width,
 * the widths channel pruning leaves, takes its scalar shader, 2 x 2 outputs a thread in 32-wide
 * tiles: a layer cut from 16 to 11 channels ran slower than the dense one. Here a thread
 * computes 4 x 4 outputs and a workgroup's tile is as wide as the output channels need, in
 * steps of 4 (up to 64; wider layers take several tiles of even width), so a layer of 11
 * channels computes 12 columns, not 32; and the reduction runs over each tap's input channels
 * padded to a multiple of 4, so A is read four channels at a time whatever the width.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { runWgsl, type WebGpuBackendLike } from "./wgsl.ts";

/** Steps of the reduction a workgroup loads into workgroup memory at a time. */
const KT = 16;
/** Rows (output pixels) of the tile at most: 32 threads x 4. */
const MAX_ROW_THREADS = 32;
/** Output channels of the tile at most: 16 threads x 4. */
const MAX_COLUMNS = 64;

/** What `conv2dForwardWgsl` adds after the product. */
export interface ConvEpilogue {
  readonly bias?: tf.TensorInfo;
  readonly relu?: boolean;
}

/**
 * The tile width for `co` output channels: a multiple of 4, at most 64, the tiles of one layer
 * as even as possible (co = 100: two tiles of 52).
 *
 * @example
 * ```ts
 * import { tileWidth } from "./conv2d_forward_wgsl.ts";
 * console.log(tileWidth(11), tileWidth(64), tileWidth(100)); // 12 64 52
 * ```
 */
export function tileWidth(co: number): number {
  const tiles = Math.ceil(co / MAX_COLUMNS);
  return 4 * Math.ceil(Math.ceil(co / tiles) / 4);
}

/** The workgroup's threads: `cols` x 4 channels by `rows` x 4 pixels, 32 to 256 threads. */
function threadGrid(tn: number): { cols: number; rows: number } {
  const cols = tn / 4;
  return { cols, rows: cols <= 8 ? MAX_ROW_THREADS : MAX_ROW_THREADS / 2 };
}

/**
 * Four steps of A: one tap, four channels in a row. The reduction runs over each tap's channels
 * padded to a multiple of 4 (`cp`), so four steps never straddle two taps; where the input's
 * channels are not a multiple of 4, the lanes past the last channel stay 0 (and so do B's
 * rows for them).
 */
function loadA(aligned: boolean): string {
  const read = aligned ? "v = vec4<f32>(x[at], x[at + 1], x[at + 2], x[at + 3]);" : `
        let left = ci - step.x;
        v.x = x[at];
        if (left > 1) { v.y = x[at + 1]; }
        if (left > 2) { v.z = x[at + 2]; }
        if (left > 3) { v.w = x[at + 3]; }`;
  return `
      let step = stepAt[k4];
      let ih = row.y + step.y;
      let iw = row.z + step.z;
      if (step.y > -(1 << 20) && ih >= 0 && ih < h && iw >= 0 && iw < w) {
        let at = row.x + (ih * w + iw) * ci + step.x;
        ${read}
      }`;
}

function forwardCode(tn: number, aligned: boolean, bias: boolean, relu: boolean): string {
  const { cols, rows } = threadGrid(tn);
  const tm = rows * 4, threads = cols * rows;
  const value = `acc[i][j]${bias ? " + bias[col]" : ""}`;
  return `
const TM = ${tm};
const TN = ${tn};
const KT = ${KT};
const THREADS = ${threads};
// A as 4 reduction steps a value, B as 4 output channels a value: the product below reads
// workgroup memory a vector at a time.
var<workgroup> tileA : array<vec4<f32>, ${(KT * tm) / 4}>;
var<workgroup> tileB : array<vec4<f32>, ${(KT * tn) / 4}>;
// Per row of the tile: where its image starts in x, its first input row and column
// (-1 << 20 for rows past the end, so that every tap falls outside the image).
var<workgroup> rowAt : array<vec3<i32>, ${tm}>;
// Per reduction step of the current load: its channel and the tap's offsets.
var<workgroup> stepAt : array<vec3<i32>, ${KT}>;

fn main() {
  let t = i32(localIndex);
  let tx = t % ${cols};
  let ty = t / ${cols};
  let nBase = i32(workgroupId.x) * TN;
  let mBase = (i32(workgroupId.z) * i32(numWorkgroups.y) + i32(workgroupId.y)) * TM;
  let h = uniforms.xShape.y;
  let w = uniforms.xShape.z;
  let ci = uniforms.xShape.w;
  let oh = uniforms.outShape.y;
  let ow = uniforms.outShape.z;
  let co = uniforms.outShape.w;
  let m = uniforms.outShape.x * oh * ow;
  let fw = uniforms.wShape.y;
  let cp = (ci + 3) / 4 * 4;
  let kAll = uniforms.wShape.x * fw * cp;
  for (var mm = t; mm < TM; mm = mm + THREADS) {
    let r = mBase + mm;
    let p = r % (oh * ow);
    let far = -(1 << 20);
    rowAt[mm] = select(
      vec3<i32>(0, far, far),
      vec3<i32>(r / (oh * ow) * h * w * ci, p / ow * uniforms.stride.x - uniforms.pad.x,
        p % ow * uniforms.stride.y - uniforms.pad.y),
      r < m);
  }
  var acc : array<vec4<f32>, 4>;
  for (var k0 = 0; k0 < kAll; k0 = k0 + KT) {
    if (t < KT) {
      let k = k0 + t;
      let tap = k / cp;
      stepAt[t] = select(
        vec3<i32>(0, -(1 << 20), 0),
        vec3<i32>(k % cp, tap / fw * uniforms.dilation.x, tap % fw * uniforms.dilation.y),
        k < kAll);
    }
    workgroupBarrier();
    for (var e = t; e < KT * TM / 4; e = e + THREADS) {
      let row = rowAt[e / (KT / 4)];
      let k4 = e % (KT / 4) * 4;
      var v = vec4<f32>(0.0);
${loadA(aligned)}
      tileA[e] = v;
    }
    for (var e = t; e < KT * TN / 4; e = e + THREADS) {
      let k = k0 + e / (TN / 4);
      let col = nBase + e % (TN / 4) * 4;
      var v = vec4<f32>(0.0);
      // Step k is channel k % cp of tap k / cp: W's row tap * ci + channel, if there is one.
      let c = k % cp;
      let at = (k / cp * ci + c) * co + col;
      let real = k < kAll && c < ci;
      if (real && col + 3 < co) {
        v = vec4<f32>(W[at], W[at + 1], W[at + 2], W[at + 3]);
      } else if (real) {
        for (var q = 0; q < co - col; q = q + 1) {
          v[q] = W[at + q];
        }
      }
      tileB[e] = v;
    }
    workgroupBarrier();
    for (var k4 = 0; k4 < KT / 4; k4 = k4 + 1) {
      var b : array<vec4<f32>, 4>;
      for (var q = 0; q < 4; q = q + 1) {
        b[q] = tileB[(k4 * 4 + q) * (TN / 4) + tx];
      }
      for (var i = 0; i < 4; i = i + 1) {
        let a = tileA[(ty + ${rows} * i) * (KT / 4) + k4];
        acc[i] = acc[i] + a.x * b[0] + a.y * b[1] + a.z * b[2] + a.w * b[3];
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < 4; i = i + 1) {
    let r = mBase + ty + ${rows} * i;
    for (var j = 0; j < 4; j = j + 1) {
      let col = nBase + tx * 4 + j;
      if (r < m && col < co) {
        result[r * co + col] = ${relu ? `max(${value}, 0.0)` : value};
      }
    }
  }
}
`;
}

/**
 * The convolution `info` describes (NHWC) on WebGPU, with the bias and ReLU of `epilogue`.
 * Row tiles beyond the device's limit a dimension go on to the z dimension.
 */
export function conv2dForwardWgsl(
  backend: WebGpuBackendLike,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  epilogue: ConvEpilogue = {},
): tf.TensorInfo {
  const co = info.outChannels;
  const tn = tileWidth(co);
  const tm = threadGrid(tn).rows * 4;
  const rowTiles = Math.ceil((info.batchSize * info.outHeight * info.outWidth) / tm);
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  const z = Math.ceil(rowTiles / limit);
  const hasBias = epilogue.bias != null, relu = epilogue.relu === true;
  const aligned = info.inChannels % 4 === 0;
  const { cols, rows } = threadGrid(tn);
  return runWgsl(
    backend,
    {
      key: `conv2d_forward_${tn}_${aligned}_${hasBias}_${relu}`,
      inputs: hasBias ? ["x", "W", "bias"] : ["x", "W"],
      outputShape: info.outShape,
      workgroupSize: [cols * rows, 1, 1],
      workgroups: [Math.ceil(co / tn), Math.ceil(rowTiles / z), z],
      uniforms: "stride : vec2<i32>, dilation : vec2<i32>, pad : vec2<i32>,",
      code: forwardCode(tn, aligned, hasBias, relu),
    },
    hasBias ? [x, filter, epilogue.bias!] : [x, filter],
    [
      { type: "int32", data: [info.strideHeight, info.strideWidth] },
      { type: "int32", data: [info.dilationHeight, info.dilationWidth] },
      { type: "int32", data: [info.padInfo.top, info.padInfo.left] },
    ],
  );
}
