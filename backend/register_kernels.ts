/**
 * Our replacement kernels, per backend, and their idempotent registration.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { conv2dBackpropFilterConfig } from "./kernels/conv2d_backprop_filter.ts";
import { conv2dBackpropInputConfig } from "./kernels/conv2d_backprop_input.ts";
import { conv2dConfig, fusedConv2dConfig } from "./kernels/conv2d_forward.ts";
import { batchMatMulConfig, fusedMatMulConfig } from "./kernels/mat_mul_transposed.ts";
import { replaceKernel } from "./kernels/kernel_util.ts";
import { maxPoolConfig } from "./kernels/max_pool.ts";
import { maxPoolGradConfig } from "./kernels/max_pool_grad.ts";
import { identityConfig } from "./kernels/identity.ts";
import { meanConfig, sumConfig } from "./kernels/reduce_leading.ts";
import { tileConfig } from "./kernels/tile.ts";
import { fusedBatchNormConfig } from "./kernels/fused_batch_norm.ts";
import {
  MOVING_AVERAGE,
  movingAverageConfig,
  SGD_MOMENTUM,
  sgdMomentumConfig,
  SUM_ALL,
} from "./kernels/fused_updates.ts";
import { RELU_GRAD, reluConfig, reluGradConfig } from "./kernels/relu.ts";
import {
  movingAverageWgslConfig,
  reluGradWgslConfig,
  sgdMomentumWgslConfig,
  sumAllWgslConfig,
} from "./kernels/fused_wgsl.ts";

/** Replacement kernel factories by backend name, keyed by kernel name. */
const replacements: Record<string, Record<string, (backendName: string) => tf.KernelConfig>> = {
  wasm: {
    Conv2D: conv2dConfig,
    FusedConv2D: fusedConv2dConfig,
    Conv2DBackpropFilter: conv2dBackpropFilterConfig,
    Conv2DBackpropInput: conv2dBackpropInputConfig,
    BatchMatMul: batchMatMulConfig,
    _FusedMatMul: fusedMatMulConfig,
    Tile: tileConfig,
    MaxPool: maxPoolConfig,
    MaxPoolGrad: maxPoolGradConfig,
    Sum: sumConfig,
    Mean: meanConfig,
    Identity: identityConfig,
    Relu: reluConfig,
    FusedBatchNorm: fusedBatchNormConfig,
    [SGD_MOMENTUM]: sgdMomentumConfig,
    [MOVING_AVERAGE]: movingAverageConfig,
    [RELU_GRAD]: reluGradConfig,
  },
  webgpu: {
    Conv2D: conv2dConfig,
    FusedConv2D: fusedConv2dConfig,
    Conv2DBackpropFilter: conv2dBackpropFilterConfig,
    Conv2DBackpropInput: conv2dBackpropInputConfig,
    [SGD_MOMENTUM]: sgdMomentumWgslConfig,
    [MOVING_AVERAGE]: movingAverageWgslConfig,
    [RELU_GRAD]: reluGradWgslConfig,
    [SUM_ALL]: sumAllWgslConfig,
  },
};

const registered = new Map<string, readonly string[]>();

/** In `keepStock`, every replacement: the backend's kernels exactly as tfjs publishes them. */
export const ALL_STOCK = "all";

/** Whether `keepStock` leaves `name` (a kernel, gradient or operation) as tfjs has it. */
export function keepsStock(keepStock: readonly string[], name: string): boolean {
  return keepStock.includes(name) || keepStock.includes(ALL_STOCK);
}

/**
 * Registers our kernels for `backendName` once (later calls return the first answer).
 * `keepStock` names kernels to leave as the backend has them (for measurements), or is
 * ["all"].
 * Returns the names of the kernels now replaced.
 */
export function registerKernels(
  backendName: string,
  keepStock: readonly string[] = [],
): readonly string[] {
  const done = registered.get(backendName);
  if (done != null) return done;
  const table = replacements[backendName] ?? {};
  const names = Object.keys(table).filter((name) => !keepsStock(keepStock, name));
  for (const name of names) replaceKernel(table[name](backendName));
  registered.set(backendName, names);
  return names;
}
