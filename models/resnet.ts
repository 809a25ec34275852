/**
 * ResNet for CIFAR (He et al. 2016, section 4.2): depth 6n+2.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { convBn, poolLogits, type Sym } from "./blocks.ts";
import { type SeedSource, seedSource } from "./init.ts";

/**
 * How a block that changes the width and halves the resolution joins its shortcut:
 * `"B"`, a 1x1 stride-2 convolution and batch normalisation (trainable; the default);
 * `"A"`, the paper's parameter-free shortcut: every second pixel, new channels zero. tfjs
 * has no serialisable channel-padding layer, so A is a frozen 1x1 stride-2 convolution whose
 * kernel is the identity padded with zeros; it is not trainable and holds no parameters
 * that training changes, but the counter sees its multiply-accumulates.
 */
export type Shortcut = "A" | "B";

/** Options of {@linkcode resnet}. */
export interface ResNetOptions {
  /** 6n+2: 20, 32, 44, 56, 110 (default 20). */
  readonly depth?: number;
  /** Initialisation seed (default 0). */
  readonly seed?: number;
  /** Number of classes (default 10). */
  readonly classes?: number;
  /** Shortcut type where the shape changes (default "B"). */
  readonly shortcut?: Shortcut;
}

function shortcut(x: Sym, name: string, filters: number, kind: Shortcut, seeds: SeedSource): Sym {
  const conv = tf.layers.conv2d({
    name: `${name}_proj_conv`,
    filters,
    kernelSize: 1,
    strides: 2,
    useBias: false,
    trainable: kind === "B",
    kernelInitializer: seeds.heNormal(),
  });
  const y = conv.apply(x) as Sym;
  if (kind === "A") return y;
  return tf.layers.batchNormalization({ name: `${name}_proj_bn`, momentum: 0.9, epsilon: 1e-5 })
    .apply(y) as Sym;
}

function block(x: Sym, name: string, filters: number, strides: number, opts: {
  kind: Shortcut;
  seeds: SeedSource;
}): Sym {
  const relu = (n: string) => tf.layers.activation({ name: n, activation: "relu" });
  let y = relu(`${name}_relu1`).apply(
    convBn(x, `${name}_1`, { filters, kernelSize: 3, strides }, opts.seeds),
  ) as Sym;
  y = convBn(y, `${name}_2`, { filters, kernelSize: 3, strides: 1 }, opts.seeds);
  const changes = strides !== 1 || x.shape[3] !== filters;
  const s = changes ? shortcut(x, name, filters, opts.kind, opts.seeds) : x;
  const sum = tf.layers.add({ name: `${name}_add` }).apply([y, s]) as Sym;
  return relu(`${name}_relu2`).apply(sum) as Sym;
}

/**
 * The CIFAR ResNet of depth 6n+2: a 3x3 16-channel stem, three stages of n basic blocks
 * (16, 32, 64 channels; stride 2 at the start of stages 2 and 3), global average pooling
 * and a dense classifier. ResNet-20 (option B): 40.8 M multiply-accumulates, 0.27 M
 * parameters; ResNet-56: 126 M, 0.86 M.
 *
 * @example
 * ```ts
 * const model = resnet({ depth: 20, seed: 1 });
 * model.predict(tf.zeros([1, 32, 32, 3]));
 * ```
 */
export function resnet(options: ResNetOptions = {}): tf.LayersModel {
  const { depth = 20, seed = 0, classes = 10, shortcut: kind = "B" } = options;
  if (depth < 8 || (depth - 2) % 6 !== 0) {
    throw new RangeError(`ResNet depth must be 6n+2 with n >= 1 (20, 32, 56, 110), not ${depth}`);
  }
  const n = (depth - 2) / 6;
  const seeds = seedSource(seed);
  const input = tf.input({ shape: [32, 32, 3], name: "input" });
  let x = tf.layers.activation({ name: "stem_relu", activation: "relu" })
    .apply(convBn(input, "stem", { filters: 16, kernelSize: 3, strides: 1 }, seeds)) as Sym;
  [16, 32, 64].forEach((filters, stage) => {
    for (let i = 0; i < n; i++) {
      const strides = stage > 0 && i === 0 ? 2 : 1;
      x = block(x, `s${stage + 1}b${i + 1}`, filters, strides, { kind, seeds });
    }
  });
  const logits = poolLogits(x, classes, seeds);
  const model = tf.model({ inputs: input, outputs: logits, name: `resnet${depth}` });
  if (kind === "A") freezeOptionAShortcuts(model);
  return model;
}

/** Sets each option-A shortcut kernel to the identity on the first channels, zero after. */
function freezeOptionAShortcuts(model: tf.LayersModel): void {
  for (const layer of model.layers) {
    if (!layer.name.endsWith("_proj_conv")) continue;
    const [, , cin, cout] = layer.getWeights()[0].shape;
    const kernel = new Float32Array(cin * cout);
    for (let c = 0; c < Math.min(cin, cout); c++) kernel[c * cout + c] = 1;
    const identity = tf.tensor4d(kernel, [1, 1, cin, cout]);
    layer.setWeights([identity]);
    identity.dispose();
  }
}
