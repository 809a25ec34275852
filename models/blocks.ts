/**
 * Building blocks the zoo's residual and dense networks share.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { SeedSource } from "./init.ts";

/** A symbolic tensor of the functional API. */
export type Sym = tf.SymbolicTensor;

/**
 * A bias-free convolution (`same` padding, He-normal) followed by batch normalisation
 * (momentum 0.9, epsilon 1e-5), named `<name>_conv` and `<name>_bn`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { convBn } from "./blocks.ts";
 * import { seedSource } from "./init.ts";
 * const x = tf.input({ shape: [32, 32, 3] });
 * const y = convBn(x, "stem", { filters: 16, kernelSize: 3, strides: 1 }, seedSource(0));
 * ```
 */
export function convBn(
  x: Sym,
  name: string,
  shape: { readonly filters: number; readonly kernelSize: number; readonly strides: number },
  seeds: SeedSource,
): Sym {
  const conv = tf.layers.conv2d({
    name: `${name}_conv`,
    ...shape,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.heNormal(),
  });
  const bn = tf.layers.batchNormalization({ name: `${name}_bn`, momentum: 0.9, epsilon: 1e-5 });
  return bn.apply(conv.apply(x)) as Sym;
}

/**
 * The classifier head: global average pooling (`pool`) and a Glorot-uniform Dense of
 * `classes` logits (`logits`).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { poolLogits } from "./blocks.ts";
 * import { seedSource } from "./init.ts";
 * const logits = poolLogits(tf.input({ shape: [8, 8, 64] }), 10, seedSource(0));
 * ```
 */
export function poolLogits(x: Sym, classes: number, seeds: SeedSource): Sym {
  const pooled = tf.layers.globalAveragePooling2d({ name: "pool" }).apply(x) as Sym;
  return tf.layers.dense({
    name: "logits",
    units: classes,
    kernelInitializer: seeds.glorotUniform(),
  }).apply(pooled) as Sym;
}
