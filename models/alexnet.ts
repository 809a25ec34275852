/**
 * AlexNet for CIFAR (32x32x3 inputs), as pruning papers use it: five convolutions and three
 * dense layers, with batch normalisation and without local response normalisation.
 *
 * Definition (every convolution stride 1, "same" padding, no bias, then BN and ReLU; every
 * max-pool 3x3, stride 2, "same" padding):
 *
 * ```
 * conv1 5x5 64  -> pool1 (16x16)    conv3 3x3 384     flatten (4*4*256 = 4096)
 * conv2 5x5 192 -> pool2 (8x8)      conv4 3x3 256     fc6 384, ReLU
 *                                   conv5 3x3 256     fc7 192, ReLU
 *                                   -> pool5 (4x4)    logits `classes`
 * ```
 *
 * The convolutions are the single-column AlexNet's (Krizhevsky 2014, "One weird trick";
 * torchvision's `alexnet`: 64, 192, 384, 256, 256) with the 11x11 stride-4 first layer made
 * a 5x5 stride-1 one, as 32x32 inputs need. The classifier is the 384/192 one of the
 * TensorFlow CIFAR-10 model (CifarNet) and of the "small AlexNet" of Zhang et al. 2017
 * ("Understanding deep learning requires rethinking generalization"), not ImageNet's
 * 4096/4096: two 4096-wide layers would hold 33.6 M parameters (fc6 alone 16.8 M) for a
 * 10-class problem, and make training on the CPU backends slow without changing what
 * pruning has to handle (conv -> flatten -> dense groups). Local response normalisation is
 * left out (it mixes neighbouring channels, so removing one would change its neighbours),
 * batch normalisation takes its place, and the training-time dropout is left out.
 *
 * Counted by `countCost` for 32x32 inputs and 10 classes: 222,046,080 multiply-accumulates
 * (222.0 M) and 4,103,818 parameters (4.10 M, BN moving statistics included, as
 * `model.countParams()` counts them).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type SeedSource, seedSource } from "./init.ts";

/** Options of {@linkcode alexnet}. */
export interface AlexNetOptions {
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
}

type Sym = tf.SymbolicTensor;

/** Convolution (no bias), batch normalisation, ReLU. */
function convBnRelu(x: Sym, name: string, filters: number, kernelSize: number, seeds: SeedSource) {
  const conv = tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.heNormal(),
  });
  const bn = tf.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9, epsilon: 1e-5 });
  const relu = tf.layers.activation({ name: `${name}_relu`, activation: "relu" });
  return relu.apply(bn.apply(conv.apply(x))) as Sym;
}

const pool = (x: Sym, name: string) =>
  tf.layers.maxPooling2d({ name, poolSize: 3, strides: 2, padding: "same" }).apply(x) as Sym;

/**
 * AlexNet for 32x32x3 inputs: conv5x5-64, pool, conv5x5-192, pool, conv3x3-384, conv3x3-256,
 * conv3x3-256, pool (each convolution followed by BN and ReLU; pools 3x3, stride 2), dense 384,
 * dense 192, dense `classes`. 222.0 M multiply-accumulates and 4.10 M parameters for 10
 * classes (see the module doc for why this variant).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { alexnet } from "./alexnet.ts";
 * const model = alexnet({ seed: 1 });
 * model.predict(tf.zeros([1, 32, 32, 3])); // shape [1, 10]
 * ```
 */
export function alexnet(options: AlexNetOptions = {}): tf.LayersModel {
  const { seed = 0, classes = 10 } = options;
  const seeds = seedSource(seed);
  const dense = (x: Sym, name: string, units: number, activation: "relu" | "linear") =>
    tf.layers.dense({
      name,
      units,
      activation,
      kernelInitializer: activation === "relu" ? seeds.heNormal() : seeds.glorotUniform(),
    }).apply(x) as Sym;
  const input = tf.input({ shape: [32, 32, 3], name: "input" });
  let x = pool(convBnRelu(input, "conv1", 64, 5, seeds), "pool1");
  x = pool(convBnRelu(x, "conv2", 192, 5, seeds), "pool2");
  x = convBnRelu(x, "conv3", 384, 3, seeds);
  x = convBnRelu(x, "conv4", 256, 3, seeds);
  x = pool(convBnRelu(x, "conv5", 256, 3, seeds), "pool5");
  x = tf.layers.flatten({ name: "flatten" }).apply(x) as Sym;
  x = dense(x, "fc6", 384, "relu");
  x = dense(x, "fc7", 192, "relu");
  const logits = dense(x, "logits", classes, "linear");
  return tf.model({ inputs: input, outputs: logits, name: "alexnet" });
}
