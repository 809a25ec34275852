/**
 * Batch normalisation in training mode on WebGPU (the kernels `OicsrBatchNormTraining` and
 * `OicsrBatchNormTrainingGrad` of `../batch_norm_training.ts`), five dispatches each way in
 * place of the thirty-odd tfjs kernels the formula takes op by op.
 *
 * Per-channel statistics over the M rows of x seen as [M, C]: workgroups of 256 threads take
 * a block of channels (one lane each, 16 to 64 lanes) and a chunk of rows; each thread walks
 * its rows with Welford's update, the workgroup merges its lanes' (count, mean, M2) in lane
 * order and writes one partial per chunk; a second shader merges the chunks in chunk order
 * (Chan's formula). Fixed orders throughout: the same bits every run. The gradient's two sums
 * (of dy, and of dy times the centred x) are split the same way.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import {
  elementwiseWgsl,
  FLAT_INDEX,
  flatWorkgroups,
  runWgsl,
  type WebGpuBackendLike,
} from "./wgsl.ts";

/** About this many workgroups for the partial statistics. */
const TARGET_WORKGROUPS = 512;

/** How rows are split: channel lanes per workgroup, rows per chunk, chunks. */
export function statisticsSplit(rows: number, channels: number) {
  const lanes = channels <= 16 ? 16 : channels <= 32 ? 32 : 64;
  const blocks = Math.ceil(channels / lanes);
  const wanted = Math.max(1, Math.floor(TARGET_WORKGROUPS / blocks));
  const perChunk = Math.max(256 / lanes, Math.ceil(rows / wanted));
  return { lanes, blocks, perChunk, chunks: Math.ceil(rows / perChunk) };
}

/**
 * Partial sums over a chunk of rows per channel: "moments" gives (mean, M2) of x; "grad"
 * gives (sum of dy, sum of dy * (x - mean)).
 */
function partialsCode(lanes: number, mode: "moments" | "grad"): string {
  const step = mode === "moments"
    ? `let v = x[r * channels + c];
      n = n + 1.0;
      let d = v - a;
      a = a + d / n;
      b = b + d * (v - a);`
    : `let g = dy[r * channels + c];
      a = a + g;
      b = b + g * (x[r * channels + c] - centre);`;
  const merge = mode === "moments"
    ? `let nb = sN[j];
        if (nb > 0.0) {
          let n2 = n + nb;
          let d = sA[j] - a;
          a = a + d * nb / n2;
          b = b + sB[j] + d * d * n * nb / n2;
          n = n2;
        }`
    : `a = a + sA[j];
        b = b + sB[j];`;
  return `
const LANES = ${lanes};
const ROW_LANES = ${256 / lanes};
var<workgroup> sA : array<f32, 256>;
var<workgroup> sB : array<f32, 256>;
var<workgroup> sN : array<f32, 256>;

fn main() {
  let lane = i32(localIndex) % LANES;
  let rowLane = i32(localIndex) / LANES;
  let channels = uniforms.xShape.y;
  let c = i32(workgroupId.x) * LANES + lane;
  let chunk = i32(workgroupId.y);
  let r0 = chunk * uniforms.perChunk;
  let r1 = min(r0 + uniforms.perChunk, uniforms.xShape.x);
  var a = 0.0;
  var b = 0.0;
  var n = 0.0;
  if (c < channels) {
    ${mode === "grad" ? "let centre = mean[c];" : ""}
    for (var r = r0 + rowLane; r < r1; r = r + ROW_LANES) {
      ${step}
    }
  }
  sA[localIndex] = a;
  sB[localIndex] = b;
  sN[localIndex] = n;
  workgroupBarrier();
  if (rowLane == 0 && c < channels) {
    for (var k = 1; k < ROW_LANES; k = k + 1) {
      let j = k * LANES + lane;
      ${merge}
    }
    result[(chunk * 2) * channels + c] = a;
    result[(chunk * 2 + 1) * channels + c] = b;
  }
}
`;
}

/** Merges [chunks, 2, C] partials into [2, C]: (mean, variance) or the two sums. */
function mergeCode(mode: "moments" | "grad"): string {
  const step = mode === "moments"
    ? `let nb = f32(min(uniforms.perChunk, uniforms.rows - k * uniforms.perChunk));
      let n2 = n + nb;
      let d = parts[(k * 2) * channels + c] - a;
      a = a + d * nb / n2;
      b = b + parts[(k * 2 + 1) * channels + c] + d * d * n * nb / n2;
      n = n2;`
    : `a = a + parts[(k * 2) * channels + c];
      b = b + parts[(k * 2 + 1) * channels + c];`;
  return `
fn main() {
  let c = ${FLAT_INDEX};
  let channels = uniforms.outShape.y;
  if (c < channels) {
    var a = 0.0;
    var b = 0.0;
    var n = 0.0;
    for (var k = 0; k < uniforms.partsShape.x; k = k + 1) {
      ${step}
    }
    result[c] = a;
    result[channels + c] = ${mode === "moments" ? "b / n" : "b"};
  }
}
`;
}

/** Per-channel (mean, variance) or gradient sums of x seen as [rows, C]: [2, C]. */
function channelSums(
  backend: WebGpuBackendLike,
  mode: "moments" | "grad",
  inputs: Record<string, tf.TensorInfo>,
): tf.TensorInfo {
  const x = inputs.x;
  const channels = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / channels;
  const { lanes, blocks, perChunk, chunks } = statisticsSplit(rows, channels);
  const flat = (t: tf.TensorInfo) => ({ ...t, shape: [rows, channels] });
  const names = Object.keys(inputs);
  const parts = runWgsl(
    backend,
    {
      key: `bn_${mode}_partials_${lanes}`,
      inputs: names,
      outputShape: [chunks, 2, channels],
      workgroupSize: [256, 1, 1],
      workgroups: [blocks, chunks, 1],
      uniforms: "perChunk : i32,",
      code: partialsCode(lanes, mode),
    },
    names.map((n) => inputs[n].shape.length > 1 ? flat(inputs[n]) : inputs[n]),
    [{ type: "int32", data: [perChunk] }],
  );
  const merged = runWgsl(
    backend,
    {
      key: `bn_${mode}_merge`,
      inputs: ["parts"],
      outputShape: [2, channels],
      workgroupSize: [256, 1, 1],
      workgroups: flatWorkgroups(channels),
      uniforms: "perChunk : i32, rows : i32,",
      code: mergeCode(mode),
    },
    [parts],
    [{ type: "int32", data: [perChunk] }, { type: "int32", data: [rows] }],
  );
  backend.disposeData(parts.dataId);
  return merged;
}

/** Inputs x, scale, offset; outputs y, mean, variance (biased), as the wasm kernel. */
export function batchNormTrainingWgsl(
  backend: WebGpuBackendLike,
  inputs: Record<string, tf.TensorInfo>,
  epsilon: number,
): tf.TensorInfo[] {
  const { x, scale, offset } = inputs;
  const c = x.shape[x.shape.length - 1];
  const stats = channelSums(backend, "moments", { x });
  const y = elementwiseWgsl(
    backend,
    "bn_apply",
    x.shape,
    { x, stats, scale, offset },
    { epsilon },
    `(x[i] - stats[c]) *
      (scale[c] * inverseSqrt(stats[uniforms.channels + c] + uniforms.epsilon)) + offset[c]`,
  );
  const mean = elementwiseWgsl(backend, "bn_row0", [c], { stats }, {}, "stats[c]");
  const variance = elementwiseWgsl(
    backend,
    "bn_row1",
    [c],
    { stats },
    {},
    "stats[uniforms.channels + c]",
  );
  backend.disposeData(stats.dataId);
  return [y, mean, variance];
}

/** Inputs x, scale, mean, variance, dy; outputs dx, dscale, doffset, as the wasm kernel. */
export function batchNormTrainingGradWgsl(
  backend: WebGpuBackendLike,
  inputs: Record<string, tf.TensorInfo>,
  epsilon: number,
): tf.TensorInfo[] {
  const { x, scale, mean, variance, dy } = inputs;
  const c = x.shape[x.shape.length - 1];
  const rows = x.shape.reduce((a, b) => a * b, 1) / c;
  const sums = channelSums(backend, "grad", { x, dy, mean });
  const dx = elementwiseWgsl(
    backend,
    "bn_grad_x",
    x.shape,
    { x, dy, scale, mean, variance, sums },
    { epsilon, count: rows },
    `scale[c] * inverseSqrt(variance[c] + uniforms.epsilon) * (dy[i] - sums[c] / uniforms.count -
      (x[i] - mean[c]) * sums[uniforms.channels + c] /
        ((variance[c] + uniforms.epsilon) * uniforms.count))`,
  );
  const dScale = elementwiseWgsl(
    backend,
    "bn_grad_scale",
    [c],
    { sums, variance },
    { epsilon },
    "sums[uniforms.channels + c] * inverseSqrt(variance[c] + uniforms.epsilon)",
  );
  const dOffset = elementwiseWgsl(backend, "bn_row0", [c], { stats: sums }, {}, "stats[c]");
  backend.disposeData(sums.dataId);
  return [dx, dScale, dOffset];
}
