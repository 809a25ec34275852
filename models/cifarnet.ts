/**
 * TF-slim CifarNet without its local response normalisation.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { seedSource } from "./init.ts";

/** Options of {@linkcode cifarnet}. */
export interface CifarNetOptions {
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
  /** Input side in pixels (default 32). */
  readonly size?: number;
}

/**
 * TF-slim's CifarNet: conv5x5-64, max-pool 3/2, conv5x5-64, max-pool 3/2, dense 384,
 * dense 192, dense `classes`, ReLU after every hidden layer. TF-slim puts a local response
 * normalisation after each pooling; LRN mixes neighbouring channels, so removing a channel
 * would change its neighbours' outputs. It is left out, as is the training-time dropout.
 * 32.8 M multiply-accumulates and 1.76 M parameters for 32x32 inputs.
 *
 * @example
 * ```ts
 * const model = cifarnet({ seed: 1 });
 * model.predict(tf.zeros([1, 32, 32, 3]));
 * ```
 */
export function cifarnet(options: CifarNetOptions = {}): tf.LayersModel {
  const { seed = 0, classes = 10, size = 32 } = options;
  const seeds = seedSource(seed);
  const conv = (name: string) =>
    tf.layers.conv2d({
      name,
      filters: 64,
      kernelSize: 5,
      padding: "same",
      activation: "relu",
      kernelInitializer: seeds.heNormal(),
    });
  const pool = (name: string) =>
    tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2, padding: "same" });
  const dense = (name: string, units: number, activation: "relu" | "linear") =>
    tf.layers.dense({
      name,
      units,
      activation,
      kernelInitializer: activation === "relu" ? seeds.heNormal() : seeds.glorotUniform(),
    });
  const input = tf.input({ shape: [size, size, 3], name: "input" });
  let x = pool("pool1").apply(conv("conv1").apply(input)) as tf.SymbolicTensor;
  x = pool("pool2").apply(conv("conv2").apply(x)) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as tf.SymbolicTensor;
  x = dense("fc3", 384, "relu").apply(x) as tf.SymbolicTensor;
  x = dense("fc4", 192, "relu").apply(x) as tf.SymbolicTensor;
  const logits = dense("logits", classes, "linear").apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: "cifarnet" });
}
