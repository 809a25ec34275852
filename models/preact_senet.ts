/**
 * Pre-activation ResNet-18 with squeeze-and-excitation (He et al. 2016, "Identity Mappings";
 * Hu et al. 2018, "Squeeze-and-Excitation Networks") for 32x32x3 CIFAR images.
 *
 * Definition: a 3x3 64-channel stem convolution (no BN or ReLU after it: every block starts
 * with its own); four stages of two pre-activation basic blocks with 64, 128, 256 and 512
 * channels (stride 2 in the first block of stages 2-4). A block computes
 * `a = ReLU(BN(x))`, `r = conv3x3(ReLU(BN(conv3x3(a, stride))))`, then squeeze-and-excitation
 * with reduction 16 on `r`: `g = sigmoid(Dense_C(ReLU(Dense_C/16(GAP(r)))))`, reshaped to
 * `[1, 1, C]` and multiplied with `r`; the output is `r * g + shortcut`, where the shortcut is
 * `x`, or a 1x1 strided convolution of `a` (no BN) where the shape changes. The head is
 * BN, ReLU, global average pooling and a dense classifier. Convolutions have no bias; the SE
 * and classifier Dense layers do.
 *
 * With 10 classes, as counted by `countCost`: 555,509,760 multiply-accumulates and 11,269,058
 * parameters (11,261,250 trainable plus 7,808 BN moving means and variances, which
 * `model.countParams()` counts too). Published for the same network: about 0.56 G MACs and
 * 11.2 M parameters.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { poolLogits, type Sym } from "./blocks.ts";
import { type SeedSource, seedSource } from "./init.ts";

/** Options of {@linkcode preactSenet18}. */
export interface PreActSeNetOptions {
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
}

const bn = (name: string) => tf.layers.batchNormalization({ name, momentum: 0.9, epsilon: 1e-5 });
const relu = (name: string) => tf.layers.activation({ name, activation: "relu" });

function conv(
  name: string,
  filters: number,
  kernelSize: number,
  strides: number,
  seeds: SeedSource,
) {
  return tf.layers.conv2d({
    name,
    filters,
    kernelSize,
    strides,
    padding: "same",
    useBias: false,
    kernelInitializer: seeds.heNormal(),
  });
}

/** Squeeze-and-excitation: `x` scaled per channel by a gate computed from its mean. */
function squeezeExcite(x: Sym, name: string, seeds: SeedSource): Sym {
  const c = x.shape[3] as number;
  let s = tf.layers.globalAveragePooling2d({ name: `${name}_squeeze` }).apply(x) as Sym;
  s = tf.layers.dense({
    name: `${name}_reduce`,
    units: c / 16,
    activation: "relu",
    kernelInitializer: seeds.heNormal(),
  }).apply(s) as Sym;
  s = tf.layers.dense({
    name: `${name}_expand`,
    units: c,
    activation: "sigmoid",
    kernelInitializer: seeds.glorotUniform(),
  }).apply(s) as Sym;
  s = tf.layers.reshape({ name: `${name}_gate`, targetShape: [1, 1, c] }).apply(s) as Sym;
  return tf.layers.multiply({ name: `${name}_excite` }).apply([x, s]) as Sym;
}

function block(x: Sym, name: string, filters: number, strides: number, seeds: SeedSource): Sym {
  const a = relu(`${name}_relu1`).apply(bn(`${name}_bn1`).apply(x)) as Sym;
  const changes = strides !== 1 || x.shape[3] !== filters;
  const shortcut = changes ? conv(`${name}_proj_conv`, filters, 1, strides, seeds).apply(a) : x;
  let r = conv(`${name}_conv1`, filters, 3, strides, seeds).apply(a) as Sym;
  r = relu(`${name}_relu2`).apply(bn(`${name}_bn2`).apply(r)) as Sym;
  r = conv(`${name}_conv2`, filters, 3, 1, seeds).apply(r) as Sym;
  r = squeezeExcite(r, `${name}_se`, seeds);
  return tf.layers.add({ name: `${name}_add` }).apply([r, shortcut as Sym]) as Sym;
}

/**
 * Pre-activation ResNet-18 with squeeze-and-excitation (reduction 16) for 32x32x3 inputs:
 * the definition is in the module documentation. 555.5 M multiply-accumulates and 11.27 M
 * parameters with 10 classes.
 *
 * @example
 * ```ts
 * const model = preactSenet18({ seed: 1 });
 * model.predict(tf.zeros([1, 32, 32, 3])); // [1, 10]
 * ```
 */
export function preactSenet18(options: PreActSeNetOptions = {}): tf.LayersModel {
  const { seed = 0, classes = 10 } = options;
  const seeds = seedSource(seed);
  const input = tf.input({ shape: [32, 32, 3], name: "input" });
  let x = conv("stem_conv", 64, 3, 1, seeds).apply(input) as Sym;
  [64, 128, 256, 512].forEach((filters, stage) => {
    for (let i = 0; i < 2; i++) {
      const strides = stage > 0 && i === 0 ? 2 : 1;
      x = block(x, `s${stage + 1}b${i + 1}`, filters, strides, seeds);
    }
  });
  x = relu("final_relu").apply(bn("final_bn").apply(x)) as Sym;
  const logits = poolLogits(x, classes, seeds);
  return tf.model({ inputs: input, outputs: logits, name: "preact_senet18" });
}
