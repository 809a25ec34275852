/**
 * Registers our gradient replacements (all backends; same numbers as tfjs's own, fewer
 * operations and allocations). Idempotent.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { depthwiseConv2dGradConfig } from "./depthwise_conv2d_grad.ts";
import { fusedBatchNormGradConfig } from "./fused_batch_norm_grad.ts";
import { meanGradConfig } from "./mean_grad.ts";
import { reluGradConfig } from "./relu_grad.ts";
import { keepsStock } from "../register_kernels.ts";

/** The gradients we replace. */
export const gradientReplacements: readonly tf.GradConfig[] = [
  meanGradConfig,
  fusedBatchNormGradConfig,
  reluGradConfig,
  depthwiseConv2dGradConfig,
];

let registered: readonly string[] | null = null;

/**
 * Registers `gradientReplacements` once (later calls return the first answer), leaving out
 * those named in `keepStock` ("MeanGrad", ...; "all": every one). Returns the names of the
 * gradients replaced.
 */
export function registerGradients(keepStock: readonly string[] = []): readonly string[] {
  if (registered == null) {
    const chosen = gradientReplacements.filter((c) => !keepsStock(keepStock, gradName(c)));
    for (const config of chosen) tf.registerGradient(config);
    registered = chosen.map(gradName);
  }
  return registered;
}

const gradName = (config: tf.GradConfig) => `${config.kernelName}Grad`;
