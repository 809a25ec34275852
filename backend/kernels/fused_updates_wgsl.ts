/**
 * The two fused updates of `fused_updates.ts` as WebGPU shaders: SGD with momentum in two
 * dispatches (velocity, then weights) instead of four to six, and the moving average of
 * batch norm's statistics in one instead of three.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MOVING_AVERAGE, SGD_MOMENTUM } from "./fused_updates.ts";
import { FLAT_INDEX, flatWorkgroups, runWgsl, type WebGpuBackendLike } from "./wgsl.ts";

function elementwise(
  backend: WebGpuBackendLike,
  key: string,
  inputs: Record<string, tf.TensorInfo>,
  uniforms: Record<string, number>,
  expression: string,
): tf.TensorInfo {
  const names = Object.keys(inputs), fields = Object.keys(uniforms);
  const size = inputs[names[0]].shape.reduce((a, b) => a * b, 1);
  return runWgsl(
    backend,
    {
      key,
      inputs: names,
      outputShape: inputs[names[0]].shape,
      workgroupSize: [256, 1, 1],
      workgroups: flatWorkgroups(size),
      uniforms: fields.map((f) => `${f} : f32,`).join(" ") + " size : i32,",
      code: `
fn main() {
  let i = ${FLAT_INDEX};
  if (i < uniforms.size) {
    result[i] = ${expression};
  }
}
`,
    },
    names.map((n) => inputs[n]),
    [
      ...fields.map((f) => ({ type: "float32" as const, data: [uniforms[f]] })),
      { type: "int32", data: [size] },
    ],
  );
}

/** `OicsrSgdMomentum` on WebGPU: v' = momentum v + (g + decay w), then w' = w - lr v'. */
export function sgdMomentumWgslConfig(): tf.KernelConfig {
  return {
    kernelName: SGD_MOMENTUM,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as unknown as WebGpuBackendLike;
      const { w, v, g } = inputs as Record<string, tf.TensorInfo>;
      const { lr, momentum, decay } = attrs as { lr: number; momentum: number; decay: number };
      const nv = elementwise(
        b,
        "sgd_velocity",
        { w, v, g },
        { momentum, decay },
        "uniforms.momentum * v[i] + (g[i] + uniforms.decay * w[i])",
      );
      const nw = elementwise(b, "sgd_weights", { w, nv }, { lr }, "w[i] - uniforms.lr * nv[i]");
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
      return elementwise(
        backend as unknown as WebGpuBackendLike,
        "moving_average",
        { moving, value },
        { decay },
        "moving[i] - (moving[i] - value[i]) * uniforms.decay",
      );
    },
  };
}
