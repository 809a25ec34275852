/**
 * DenseNet for CIFAR (Huang et al. 2017, "Densely connected convolutional networks"):
 * the plain DenseNet (no bottleneck, no compression) of depth `3n + 4` and growth rate k.
 *
 * Definition (every convolution "same" padding, no bias: a BN always reads its output):
 *
 * ```
 * stem_conv 3x3, 16 channels                       (32x32)
 * dense block 1: n layers                          (32x32)
 * transition 1: BN, ReLU, conv 1x1 (same channels), average pool 2x2   -> 16x16
 * dense block 2: n layers, transition 2            (16x16 -> 8x8)
 * dense block 3: n layers                          (8x8)
 * BN, ReLU, global average pooling, dense `classes`
 * ```
 *
 * where a dense layer is BN, ReLU, conv 3x3 with k filters, its output concatenated after its
 * input (channel axis), so block b ends with `c + n·k` channels. DenseNet-40 (n = 12, k = 12):
 * 16 -> 160, 160 -> 304, 304 -> 448 channels. The paper's dropout (only used without data
 * augmentation) is left out.
 *
 * Counted by `countCost` for 32x32 inputs and 10 classes, DenseNet-40, k = 12: 264,812,928
 * multiply-accumulates (0.26 G; the paper quotes none, pruning papers quote 0.27-0.29 G
 * FLOPs, counting BN, pooling or the classifier differently) and 1,037,818 parameters
 * (1.04 M, BN moving statistics included, as `model.countParams()` counts them; 1,019,722
 * trainable, the paper's "1.0 M").
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { poolLogits, type Sym } from "./blocks.ts";
import { type SeedSource, seedSource } from "./init.ts";

/** Options of {@linkcode densenet}. */
export interface DenseNetOptions {
  /** 3n + 4 with n >= 1: 40, 100, ... (default 40). */
  readonly depth?: number;
  /** Growth rate k: filters of each dense layer (default 12). */
  readonly growth?: number;
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
}

/** Batch normalisation, ReLU, convolution (no bias). */
function bnReluConv(x: Sym, name: string, filters: number, kernelSize: number, seeds: SeedSource) {
  const bn = tf.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9, epsilon: 1e-5 });
  const relu = tf.layers.activation({ name: `${name}_relu`, activation: "relu" });
  const conv = tf.layers.conv2d({
    name: `${name}_conv`,
    filters,
    kernelSize,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.heNormal(),
  });
  return conv.apply(relu.apply(bn.apply(x))) as Sym;
}

/** n dense layers: each appends its k new channels to everything before it. */
function denseBlock(x: Sym, block: number, layers: number, growth: number, seeds: SeedSource) {
  for (let i = 1; i <= layers; i++) {
    const name = `b${block}l${i}`;
    const y = bnReluConv(x, name, growth, 3, seeds);
    x = tf.layers.concatenate({ name: `${name}_concat`, axis: -1 }).apply([x, y]) as Sym;
  }
  return x;
}

/** BN, ReLU, 1x1 convolution keeping the channel count, 2x2 average pooling. */
function transition(x: Sym, index: number, seeds: SeedSource): Sym {
  const y = bnReluConv(x, `t${index}`, x.shape[3]!, 1, seeds);
  return tf.layers.averagePooling2d({ name: `t${index}_pool`, poolSize: 2, strides: 2 })
    .apply(y) as Sym;
}

/**
 * The CIFAR DenseNet of depth 3n+4 and growth rate k: a 3x3 16-channel stem, three dense
 * blocks of n BN-ReLU-conv3x3(k) layers joined by transitions (BN, ReLU, 1x1 convolution,
 * 2x2 average pooling), then BN, ReLU, global average pooling and a dense classifier.
 * DenseNet-40 (k = 12): 264.8 M multiply-accumulates, 1.04 M parameters.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { densenet } from "./densenet.ts";
 * const model = densenet({ depth: 40, growth: 12, seed: 1 });
 * model.predict(tf.zeros([1, 32, 32, 3])); // shape [1, 10]
 * ```
 */
export function densenet(options: DenseNetOptions = {}): tf.LayersModel {
  const { depth = 40, growth = 12, seed = 0, classes = 10 } = options;
  if (!Number.isInteger(depth) || depth < 7 || (depth - 4) % 3 !== 0) {
    throw new RangeError(`DenseNet depth must be 3n+4 with n >= 1 (40, 100), not ${depth}`);
  }
  if (!Number.isInteger(growth) || growth < 1) {
    throw new RangeError(`DenseNet growth rate must be a positive integer, not ${growth}`);
  }
  const n = (depth - 4) / 3;
  const seeds = seedSource(seed);
  const input = tf.input({ shape: [32, 32, 3], name: "input" });
  let x = tf.layers.conv2d({
    name: "stem_conv",
    filters: 16,
    kernelSize: 3,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.heNormal(),
  }).apply(input) as Sym;
  for (let b = 1; b <= 3; b++) {
    x = denseBlock(x, b, n, growth, seeds);
    if (b < 3) x = transition(x, b, seeds);
  }
  x = tf.layers.batchNormalization({ name: "final_bn", momentum: 0.9, epsilon: 1e-5 })
    .apply(x) as Sym;
  x = tf.layers.activation({ name: "final_relu", activation: "relu" }).apply(x) as Sym;
  const logits = poolLogits(x, classes, seeds);
  return tf.model({ inputs: input, outputs: logits, name: `densenet${depth}` });
}
