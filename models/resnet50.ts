/**
 * ResNet-50 for ImageNet (He et al. 2016), in torchvision's "v1.5" form.
 *
 * Definition: 224x224x3 input; a 7x7 stride-2 64-channel convolution, BN, ReLU and a 3x3
 * stride-2 max-pool; four stages of 3, 4, 6 and 3 bottleneck blocks of width 64, 128, 256,
 * 512 (output 4x the width: 256, 512, 1024, 2048). A bottleneck is conv1x1(w)-BN-ReLU,
 * conv3x3(w, stride)-BN-ReLU, conv1x1(4w)-BN, added to the shortcut, then ReLU. The stride 2
 * of stages 2-4 sits on the 3x3 convolution, as in torchvision (v1.5; the original v1 and
 * Keras put it on the first 1x1). The shortcut is the identity, or, in the first block of
 * every stage, a projection: a 1x1 strided convolution and BN. The head is global average
 * pooling and a dense classifier. Convolutions have no bias; padding is "same" (the
 * output sizes, hence the counts, are torchvision's).
 *
 * With 1000 classes, as counted by `countCost`: 4,089,184,256 multiply-accumulates
 * (convolutions and the classifier; torchvision's published 4.1 G) and 25,610,152
 * parameters: torchvision's 25,557,032 plus the 53,120 BN moving means and variances that
 * `model.countParams()` counts too (25,557,032 trainable).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { convBn, poolLogits, type Sym } from "./blocks.ts";
import { type SeedSource, seedSource } from "./init.ts";

/** Options of {@linkcode resnet50}. */
export interface ResNet50Options {
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 1000). */
  readonly classes?: number;
}

const relu = (name: string) => tf.layers.activation({ name, activation: "relu" });

function bottleneck(x: Sym, name: string, width: number, strides: number, seeds: SeedSource): Sym {
  let y = relu(`${name}_relu1`).apply(
    convBn(x, `${name}_1`, { filters: width, kernelSize: 1, strides: 1 }, seeds),
  ) as Sym;
  y = relu(`${name}_relu2`).apply(
    convBn(y, `${name}_2`, { filters: width, kernelSize: 3, strides }, seeds),
  ) as Sym;
  y = convBn(y, `${name}_3`, { filters: 4 * width, kernelSize: 1, strides: 1 }, seeds);
  const changes = strides !== 1 || x.shape[3] !== 4 * width;
  const s = changes
    ? convBn(x, `${name}_proj`, { filters: 4 * width, kernelSize: 1, strides }, seeds)
    : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, s]) as Sym;
  return relu(`${name}_relu3`).apply(sum) as Sym;
}

/**
 * ImageNet ResNet-50 (torchvision v1.5: stride on the 3x3 convolutions) for 224x224x3
 * inputs: the definition is in the module documentation. 4.09 G multiply-accumulates and
 * 25.6 M parameters with 1000 classes.
 *
 * @example
 * ```ts
 * const model = resnet50({ seed: 1, classes: 1000 });
 * model.predict(tf.zeros([1, 224, 224, 3])); // [1, 1000]
 * ```
 */
export function resnet50(options: ResNet50Options = {}): tf.LayersModel {
  const { seed = 0, classes = 1000 } = options;
  const seeds = seedSource(seed);
  const input = tf.input({ shape: [224, 224, 3], name: "input" });
  let x = relu("stem_relu").apply(
    convBn(input, "stem", { filters: 64, kernelSize: 7, strides: 2 }, seeds),
  ) as Sym;
  x = tf.layers.maxPooling2d({ name: "stem_pool", poolSize: 3, strides: 2, padding: "same" })
    .apply(x) as Sym;
  [3, 4, 6, 3].forEach((blocks, stage) => {
    for (let i = 0; i < blocks; i++) {
      const strides = stage > 0 && i === 0 ? 2 : 1;
      x = bottleneck(x, `s${stage + 1}b${i + 1}`, 64 * 2 ** stage, strides, seeds);
    }
  });
  const logits = poolLogits(x, classes, seeds);
  return tf.model({ inputs: input, outputs: logits, name: "resnet50" });
}
