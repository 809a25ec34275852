/**
 * Small data and models the stage tests train in seconds on any backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { cifarImageSet, type ImageSet } from "../datasets/image_set.ts";
import { splitmix32 } from "../datasets/rng.ts";
import { runtimeVersions, snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import type { StageEnv } from "../stages/env.ts";
import type { TrainOptions } from "../stages/train_model.ts";

/**
 * `count` noisy 32x32 images in two classes a small network learns quickly: class 0 is
 * tinted red, class 1 blue.
 */
export function tintedImages(count: number, seed = 1): ImageSet {
  const rng = splitmix32(seed);
  const images = new Uint8Array(count * 3072);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) {
        const tint = (c === 0 && labels[i] === 0) || (c === 2 && labels[i] === 1) ? 60 : 0;
        images[i * 3072 + p * 3 + c] = Math.min(255, Math.floor(rng() / 2 ** 32 * 160) + tint);
      }
    }
  }
  return cifarImageSet(`tinted-${count}`, images, labels, 2);
}

/** A seeded conv -> BN -> ReLU -> global pool -> dense network for 32x32x3 inputs. */
export function smallNet(seed = 1, classes = 2): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3], name: "input" });
  const conv = tf.layers.conv2d({
    name: "conv1",
    filters: 4,
    kernelSize: 3,
    strides: 2,
    padding: "same",
    kernelInitializer: tf.initializers.heNormal({ seed }),
  }).apply(input);
  const bn = tf.layers.batchNormalization({ name: "bn1", momentum: 0.9 }).apply(conv);
  const relu = tf.layers.activation({ name: "relu1", activation: "relu" }).apply(bn);
  const pool = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(relu);
  const logits = tf.layers.dense({
    name: "logits",
    units: classes,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }),
  }).apply(pool) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/**
 * conv(a, /2) -> BN -> ReLU -> conv(b, /2) -> BN -> ReLU -> pool -> dense(2), seeded, for
 * 32x32x3 inputs (the golden record uses [4, 6]: changing this changes it); `side` and
 * `strides` give other inputs and strides.
 */
export function twoConvNet(
  filters: readonly [number, number],
  { side = 32, strides = 2 }: { readonly side?: number; readonly strides?: number } = {},
): tf.LayersModel {
  const input = tf.input({ shape: [side, side, 3], name: "input" });
  let x = input;
  for (const [i, width] of [[1, filters[0]], [2, filters[1]]]) {
    x = tf.layers.conv2d({
      name: `conv${i}`,
      filters: width,
      kernelSize: 3,
      strides,
      padding: "same",
      kernelInitializer: tf.initializers.heNormal({ seed: i }),
    }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: `bn${i}` }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ name: `relu${i}`, activation: "relu" })
      .apply(x) as tf.SymbolicTensor;
  }
  const pool = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(x);
  const logits = tf.layers.dense({
    name: "logits",
    units: 2,
    kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
  }).apply(pool) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits });
}

/** A stage environment for the current backend. */
export function testEnv(): StageEnv {
  return {
    backend: { name: tf.getBackend(), adapter: "test", threads: 1 },
    versions: runtimeVersions("test"),
  };
}

/** A model as an "init" snapshot (seed 1, no metrics); the model is disposed. */
export async function snapshotOf(model: tf.LayersModel): Promise<Snapshot> {
  const snapshot = await snapshotFromModel(model, {
    ...testEnv(),
    parent: null,
    stage: "init",
    options: {},
    seed: 1,
    metrics: {},
  });
  model.dispose();
  return snapshot;
}

/** The small network as an "init" snapshot. */
export async function smallSnapshot(seed = 1): Promise<Snapshot> {
  const model = smallNet(seed);
  const snapshot = await snapshotFromModel(model, {
    ...testEnv(),
    parent: null,
    stage: "init",
    options: {},
    seed,
    metrics: {},
  });
  model.dispose();
  return snapshot;
}

/** Training options for a few quick steps. */
export function quickTraining(overrides: Partial<TrainOptions> = {}): TrainOptions {
  return {
    epochs: 3,
    batchSize: 16,
    lr: 0.1,
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: { kind: "cosine" },
    augment: true,
    seed: 7,
    stepsPerEpoch: null,
    normalisation: { mean: [0.4, 0.4, 0.4], std: [0.25, 0.25, 0.25] },
    ...overrides,
  };
}
