/**
 * Fused kernels of a training step as WebGPU shaders, each in place of several tfjs kernels
 * (every dispatch costs tens of microseconds of tfjs and WebGPU bookkeeping on the CPU,
 * whatever its size): the kernels of `fused_updates.ts` and `relu.ts` (SGD with momentum in
 * two dispatches, velocity then weights, instead of four to six; the moving average of batch
 * norm's statistics in one instead of three; ReLU's gradient in one instead of two) and
 * `OicsrSumAll`, the sum of every weight a step checks for divergence, in one dispatch per
 * seven tensors instead of one per tensor and a sum of sums.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { MOVING_AVERAGE, SGD_MOMENTUM, SUM_ALL } from "./fused_updates.ts";
import { elementwiseWgsl, runWgsl, type WebGpuBackendLike } from "./wgsl.ts";
import { RELU_GRAD } from "./relu.ts";

/** `OicsrSgdMomentum` on WebGPU: v' = momentum v + (g + decay w), then w' = w - lr v'. */
export function sgdMomentumWgslConfig(): tf.KernelConfig {
  return {
    kernelName: SGD_MOMENTUM,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WebGpuBackendLike;
      const { w, v, g } = inputs as Record<string, tf.TensorInfo>;
      const { lr, momentum, decay } = attrs as { lr: number; momentum: number; decay: number };
      const nv = elementwiseWgsl(
        b,
        "sgd_velocity",
        w.shape,
        { w, v, g },
        { momentum, decay },
        "uniforms.momentum * v[i] + (g[i] + uniforms.decay * w[i])",
      );
      const nw = elementwiseWgsl(
        b,
        "sgd_weights",
        w.shape,
        { w, nv },
        { lr },
        "w[i] - uniforms.lr * nv[i]",
      );
      return [nw, nv];
    },
  };
}

/** `OicsrMovingAverage` on WebGPU: moving - (moving - value)(1 - momentum). */
export function movingAverageWgslConfig(): tf.KernelConfig {
  return {
    kernelName: MOVING_AVERAGE,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const { moving, value } = inputs as Record<string, tf.TensorInfo>;
      const decay = 1 - (attrs as { momentum: number }).momentum;
      return elementwiseWgsl(
        backend as unknown as WebGpuBackendLike,
        "moving_average",
        moving.shape,
        { moving, value },
        { decay },
        "moving[i] - (moving[i] - value[i]) * uniforms.decay",
      );
    },
  };
}

/** `OicsrReluGrad` on WebGPU: dy where x > 0, else 0 (tfjs's dy * step(x)). */
export function reluGradWgslConfig(): tf.KernelConfig {
  return {
    kernelName: RELU_GRAD,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend }) => {
      const { dy, x } = inputs as Record<string, tf.TensorInfo>;
      return elementwiseWgsl(
        backend as unknown as WebGpuBackendLike,
        "relu_grad",
        x.shape,
        { dy, x },
        {},
        "select(0.0, dy[i], x[i] > 0.0)",
      );
    },
  };
}

/** Inputs one dispatch binds (WebGPU guarantees 8 storage buffers, the output is one). */
const PER_DISPATCH = 7;

/** A workgroup's sum of t0..t{count-1} (and nothing else), reduced in a fixed order. */
function sumAllCode(count: number): string {
  const loops = [...Array(count).keys()].map((k) => `
  for (var j = lane; j < uniforms.t${k}Shape; j = j + 256) {
    s = s + t${k}[j];
  }`).join("");
  return `
var<workgroup> partial : array<f32, 256>;

fn main() {
  let lane = i32(localIndex);
  var s = 0.0;${loops}
  partial[lane] = s;
  workgroupBarrier();
  for (var half = 128; half > 0; half = half / 2) {
    if (lane < half) {
      partial[lane] = partial[lane] + partial[lane + half];
    }
    workgroupBarrier();
  }
  if (lane == 0) {
    result[0] = partial[0];
  }
}
`;
}

/**
 * `OicsrSumAll` on WebGPU: one workgroup per dispatch, each summing the running total and the
 * next six tensors (seven at first); the same order, hence the same bits, every run.
 */
export function sumAllWgslConfig(): tf.KernelConfig {
  return {
    kernelName: SUM_ALL,
    backendName: "webgpu",
    kernelFunc: ({ inputs, backend }) => {
      const b = backend as unknown as WebGpuBackendLike;
      const flat = Object.values(inputs).map((t) => ({
        ...t!,
        shape: [tf.util.sizeFromShape(t!.shape)],
      }));
      let total: tf.TensorInfo | null = null;
      let next = 0;
      do {
        const room = total === null ? PER_DISPATCH : PER_DISPATCH - 1;
        const group = [...(total === null ? [] : [total]), ...flat.slice(next, next + room)];
        next += room;
        const sum = runWgsl(b, {
          key: `sum_all_${group.length}`,
          inputs: group.map((_, k) => `t${k}`),
          outputShape: [],
          workgroupSize: [256, 1, 1],
          workgroups: [1, 1, 1],
          code: sumAllCode(group.length),
        }, group);
        if (total !== null) b.disposeData(total.dataId);
        total = sum;
      } while (next < flat.length);
      return total!;
    },
  };
}
