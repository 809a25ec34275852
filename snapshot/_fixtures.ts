/**
 * Test fixtures (not exported from mod.ts): a small seeded CNN and stage metadata.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { runtimeVersions } from "./from_model.ts";
import type { SnapshotMetaInput } from "./snapshot.ts";

/**
 * A conv → BN → ReLU → dense model on 6x6x3 input with explicit names and seeded
 * initializers (every weight, BN statistics included, is non-trivial), so two calls with
 * the same seed give the same topology and weights.
 *
 * @example
 * ```ts
 * import { tinyModel } from "./_fixtures.ts";
 * const model = tinyModel(7);
 * ```
 */
export function tinyModel(seed = 1): tf.LayersModel {
  const u = (s: number, minval = -0.5, maxval = 0.5) =>
    tf.initializers.randomUniform({ minval, maxval, seed: seed * 100 + s });
  return tf.sequential({
    name: "tiny",
    layers: [
      tf.layers.conv2d({
        name: "conv1",
        inputShape: [6, 6, 3],
        filters: 4,
        kernelSize: 3,
        padding: "same",
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 }),
        biasInitializer: u(1),
      }),
      tf.layers.batchNormalization({
        name: "bn1",
        gammaInitializer: u(2, 0.5, 1.5),
        betaInitializer: u(3),
        movingMeanInitializer: u(4),
        movingVarianceInitializer: u(5, 0.5, 2),
      }),
      tf.layers.activation({ name: "relu1", activation: "relu" }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({
        name: "fc",
        units: 3,
        kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 100 + 6 }),
        biasInitializer: u(7),
      }),
    ],
  });
}

/**
 * Metadata for a snapshot of {@linkcode tinyModel}, with a fixed clock.
 *
 * @example
 * ```ts
 * import { tinyMeta } from "./_fixtures.ts";
 * tinyMeta({ stage: "train" }).stage; // "train"
 * ```
 */
export function tinyMeta(overrides: Partial<SnapshotMetaInput> = {}): SnapshotMetaInput {
  return {
    parent: null,
    stage: "init",
    options: { widths: [4], note: "fixture" },
    seed: 1,
    metrics: { params: 563, top1: 0.1 },
    backend: { name: "cpu", adapter: "", threads: 1 },
    versions: runtimeVersions("0.0.0-test"),
    createdAt: "2026-11-27T00:00:00.000Z",
    ...overrides,
  };
}
