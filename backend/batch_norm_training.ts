/**
 * Batch normalisation in training mode as one operation with its own gradient.
 *
 * tfjs-layers normalises a batch with `moments` and `batchNormalization` and leaves the
 * gradient to autodiff: about thirty kernels per layer and step (Sub, Square, Mean, Tile,
 * Sum, Multiply, Add, ...), 70 % of a ResNet-20 training step on wasm once the convolutions
 * ran on oneDNN. Here the forward pass is y = (x - mean) * gamma / sqrt(var + eps) + beta
 * with the batch's mean and (biased) variance over every axis but the last, and the
 * gradient is the closed form through the batch statistics (M values per channel):
 *
 *   dbeta = sum(dy), dgamma = sum(dy * xhat), xhat = (x - mean) / sqrt(var + eps)
 *   dx = gamma / sqrt(var + eps) * (dy - dbeta / M - xhat * dgamma / M)
 *
 * On wasm with oneDNN both directions are one oneDNN primitive each (kernels
 * `OicsrBatchNormTraining` / `OicsrBatchNormTrainingGrad` on the wasm heap), on WebGPU five
 * shaders of ours each (`kernels/batch_norm_wgsl.ts`); elsewhere they are five or six tfjs
 * operations. `useBatchNormTraining` routes the training-mode call of
 * tfjs-layers' `BatchNormalization` here on the backends it names (the `cpu` backend, our
 * reference, keeps tfjs's own), with the moving statistics updated as tfjs does.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { oneDnn } from "./native/onednn.ts";
import { MOVING_AVERAGE } from "./kernels/fused_updates.ts";
import { heapOffset, type WasmHeapBackend } from "./wasm_heap.ts";
import { batchNormTrainingGradWgsl, batchNormTrainingWgsl } from "./kernels/batch_norm_wgsl.ts";
import type { WebGpuBackendLike } from "./kernels/wgsl.ts";

const FORWARD = "OicsrBatchNormTraining";
const GRADIENT = "OicsrBatchNormTrainingGrad";

/** The normalised batch and the statistics it was normalised with. */
export interface BatchNormResult {
  readonly y: tf.Tensor;
  readonly mean: tf.Tensor1D;
  readonly variance: tf.Tensor1D;
}

/** The axes statistics are taken over: all but the last. */
function leadingAxes(x: tf.Tensor): number[] {
  return [...Array(x.rank - 1).keys()];
}

/** Whether our kernels serve `x` on the current backend (oneDNN's on wasm, WGSL on webgpu). */
function native(x: tf.Tensor, epsilon: number): boolean {
  const backend = tf.getBackend();
  if (tf.getKernel(FORWARD, backend) == null || x.dtype !== "float32") return false;
  if (backend === "webgpu") return x.rank >= 2;
  return backend === "wasm" && oneDnn()?.batchNorm(x.shape, epsilon) != null;
}

/**
 * Training-mode batch normalisation of `x` over all axes but the last, differentiable with
 * respect to `x`, `gamma` and `beta`. The statistics are outputs, not differentiated, and
 * outlive any `tidy` around the call: the caller disposes them.
 *
 * @example
 * ```ts
 * const x = tf.randomNormal([8, 4, 4, 3]);
 * const { y, mean, variance } = batchNormTraining(x, tf.ones([3]), tf.zeros([3]), 1e-3);
 * ```
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
): BatchNormResult {
  const stats: tf.Tensor1D[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xs, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    if (native(xs, epsilon)) {
      const [y, mean, variance] = tf.engine().runKernel(
        FORWARD,
        { x: xs, scale: g, offset: b },
        { epsilon },
      ) as tf.Tensor[];
      save([xs, g, b, mean, variance]);
      stats.push(tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D));
      return {
        value: y,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.engine().runKernel(GRADIENT, {
            x: saved[0],
            scale: saved[1],
            offset: saved[2],
            mean: saved[3],
            variance: saved[4],
            dy,
          }, { epsilon }) as tf.Tensor[],
      };
    }
    const axes = leadingAxes(xs);
    const mean = tf.mean(xs, axes) as tf.Tensor1D;
    const centred = tf.sub(xs, mean);
    const variance = tf.mean(tf.square(centred), axes) as tf.Tensor1D;
    const inv = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
    const y = tf.add(tf.mul(centred, tf.mul(inv, g)), b);
    save([centred, inv, g]);
    stats.push(tf.keep(mean), tf.keep(variance));
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xc, invStd, scale] = saved as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
        const count = xc.size / xc.shape[xc.rank - 1];
        const dBeta = tf.sum(dy, axes);
        const dCentred = tf.sum(tf.mul(dy, xc), axes);
        const a = tf.mul(scale, invStd);
        const bCoef = tf.mul(tf.neg(a), tf.mul(tf.square(invStd), tf.div(dCentred, count)));
        const cCoef = tf.mul(tf.neg(a), tf.div(dBeta, count));
        const dx = tf.add(tf.add(tf.mul(dy, a), tf.mul(xc, bCoef)), cCoef);
        return [dx, tf.mul(dCentred, invStd), dBeta];
      },
    };
  });
  const y = op(x, gamma, beta);
  const [mean, variance] = stats;
  return { y, mean, variance };
}

/** The forward kernel on the wasm heap: outputs y, mean, variance. */
function forwardKernel(): tf.KernelConfig {
  return {
    kernelName: FORWARD,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmHeapBackend;
      const { x, scale, offset } = inputs as Record<string, tf.TensorInfo>;
      const prims = oneDnn()!.batchNorm(x.shape, attrs!.epsilon as number)!;
      const c = x.shape[x.shape.length - 1];
      const [y, mean, variance] = [x.shape, [c], [c]].map((s) => b.makeOutput(s, "float32"));
      const at = (t: tf.TensorInfo) => heapOffset(b, t);
      prims.forward.run(b.wasm.HEAPU8, {
        src: at(x),
        scale: at(scale),
        shift: at(offset),
        dst: at(y),
        mean: at(mean),
        variance: at(variance),
      });
      return [y, mean, variance];
    },
  };
}

/** The gradient kernel on the wasm heap: outputs dx, dgamma, dbeta. */
function gradientKernel(): tf.KernelConfig {
  return {
    kernelName: GRADIENT,
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as WasmHeapBackend;
      const { x, scale, offset, mean, variance, dy } = inputs as Record<string, tf.TensorInfo>;
      const prims = oneDnn()!.batchNorm(x.shape, attrs!.epsilon as number)!;
      const c = x.shape[x.shape.length - 1];
      const [dx, dScale, dShift] = [x.shape, [c], [c]].map((s) => b.makeOutput(s, "float32"));
      const at = (t: tf.TensorInfo) => heapOffset(b, t);
      prims.backward.run(b.wasm.HEAPU8, {
        src: at(x),
        mean: at(mean),
        variance: at(variance),
        diffDst: at(dy),
        scale: at(scale),
        shift: at(offset),
        diffSrc: at(dx),
        diffScale: at(dScale),
        diffShift: at(dShift),
      });
      return [dx, dScale, dShift];
    },
  };
}

/** `kernelName` on WebGPU, computed by `run` (a function of `kernels/batch_norm_wgsl.ts`). */
function webgpuKernel(
  kernelName: string,
  run: typeof batchNormTrainingWgsl,
): tf.KernelConfig {
  return {
    kernelName,
    backendName: "webgpu",
    kernelFunc: ({ inputs, attrs, backend }) =>
      run(
        backend as unknown as WebGpuBackendLike,
        inputs as Record<string, tf.TensorInfo>,
        attrs!.epsilon as number,
      ),
  };
}

/** What of tfjs-layers' BatchNormalization the replacement reads. */
interface BatchNormLayer {
  readonly axis: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly epsilon: number;
  readonly momentum: number;
  readonly gamma: tf.LayerVariable;
  readonly beta: tf.LayerVariable;
  readonly movingMean: tf.LayerVariable;
  readonly movingVariance: tf.LayerVariable;
}

type LayerCall = (
  this: BatchNormLayer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
) => tf.Tensor | tf.Tensor[];

const routed = { backends: new Set<string>(), stockCall: null as LayerCall | null };

/**
 * moving <- moving - (moving - value) * (1 - momentum), as tfjs-layers updates it; one fused
 * kernel where the backend has it (wasm: the same numbers; webgpu).
 */
function updateMoving(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    const fused = tf.getKernel(MOVING_AVERAGE, tf.getBackend()) != null;
    variable.write(
      fused
        ? tf.engine().runKernel(MOVING_AVERAGE, { moving: current, value }, {
          momentum,
        }) as tf.Tensor
        : tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)),
    );
  });
}

/** The training-mode call through `batchNormTraining`; anything else runs tfjs's own. */
function call(
  this: BatchNormLayer,
  inputs: tf.Tensor | tf.Tensor[],
  kwargs: Record<string, unknown>,
): tf.Tensor | tf.Tensor[] {
  const stock = routed.stockCall!;
  const input = Array.isArray(inputs) ? (inputs.length === 1 ? inputs[0] : null) : inputs;
  const lastAxis = input != null && (this.axis === -1 || this.axis === input.rank - 1);
  if (
    kwargs?.training !== true || input == null || !lastAxis || !this.center || !this.scale ||
    !routed.backends.has(tf.getBackend())
  ) {
    return stock.call(this, inputs, kwargs);
  }
  return tf.tidy(() => {
    const gamma = this.gamma.read() as tf.Tensor1D, beta = this.beta.read() as tf.Tensor1D;
    const { y, mean, variance } = batchNormTraining(input, gamma, beta, this.epsilon);
    updateMoving(this.movingMean, mean, this.momentum);
    updateMoving(this.movingVariance, variance, this.momentum);
    mean.dispose();
    variance.dispose();
    return y;
  });
}

/**
 * Routes training-mode calls of tfjs-layers' `BatchNormalization` to `batchNormTraining`
 * while `backendName` is the active backend, and registers the wasm kernels where oneDNN is
 * installed and the WebGPU shaders. Idempotent. Returns the name our replacement is listed under.
 */
export function useBatchNormTraining(backendName: string): string {
  const prototype = Object.getPrototypeOf(tf.layers.batchNormalization({})) as {
    call: LayerCall;
  };
  if (routed.stockCall == null) {
    routed.stockCall = prototype.call;
    prototype.call = call;
  }
  routed.backends.add(backendName);
  if (backendName === "wasm" && oneDnn() != null && tf.getKernel(FORWARD, "wasm") == null) {
    tf.registerKernel(forwardKernel());
    tf.registerKernel(gradientKernel());
  }
  if (backendName === "webgpu" && tf.getKernel(FORWARD, "webgpu") == null) {
    tf.registerKernel(webgpuKernel(FORWARD, batchNormTrainingWgsl));
    tf.registerKernel(webgpuKernel(GRADIENT, batchNormTrainingGradWgsl));
  }
  return "BatchNormTraining";
}

/** Undoes `useBatchNormTraining` for `backendName` (tests compare both). */
export function stockBatchNormTraining(backendName: string): void {
  routed.backends.delete(backendName);
}
