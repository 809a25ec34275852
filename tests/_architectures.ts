/**
 * Random small functional tfjs models for the property tests of the channel graph and the
 * slicer. An {@linkcode Architecture} is plain data (fast-check prints and shrinks it);
 * {@linkcode buildArchitecture} turns it into a model that predicts in milliseconds on the
 * `cpu` backend, with every weight (BN statistics included) random and seeded.
 *
 * Any description builds: a block that does not fit the current feature map adapts (a
 * stride-2 or valid 3x3 step on a map too small for it runs with stride 1 or "same"
 * padding, a pooling of a 1-pixel map is left out).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import { splitmix32 } from "../datasets/rng.ts";
import { block, type Feature } from "./_architecture_blocks.ts";

/** The activation of a plain convolution. */
export type Activation = "relu" | "linear" | "sigmoid";

/** How that activation is written: in the conv's config, an Activation layer, a ReLU layer. */
export type ActivationStyle = "config" | "layer" | "relu_layer";

/** One block of a random architecture; widths are output channels. */
export type Block =
  | {
    readonly kind: "conv";
    readonly filters: number;
    readonly kernel: 1 | 3;
    readonly stride: 1 | 2;
    readonly padding: "same" | "valid";
    readonly bias: boolean;
    readonly bn: boolean;
    readonly activation: Activation;
    readonly style: ActivationStyle;
  }
  | { readonly kind: "pool"; readonly op: "max" | "avg"; readonly padding: "same" | "valid" }
  /** conv3x3(mid)-BN-ReLU-conv3x3-BN + shortcut, then ReLU; null projection: identity. */
  | {
    readonly kind: "residual";
    readonly mid: number;
    readonly projection: null | { readonly filters: number; readonly stride: 1 | 2 };
  }
  /**
   * DenseNet: `layers` times BN-ReLU-conv3x3(growth) on the running concatenation, on the
   * channel axis written as -1 or 3.
   */
  | {
    readonly kind: "dense";
    readonly growth: number;
    readonly layers: number;
    readonly axis: -1 | 3;
  }
  /** Squeeze-and-excitation; `gateFirst` puts the gate first in the Multiply. */
  | { readonly kind: "se"; readonly hidden: number; readonly gateFirst: boolean }
  /** DepthwiseConv2D 3x3 - BN - ReLU - Conv2D 1x1. */
  | {
    readonly kind: "separable";
    readonly multiplier: 1 | 2;
    readonly filters: number;
    readonly stride: 1 | 2;
  }
  | { readonly kind: "zero_padding"; readonly pad: 1 | 2 }
  | { readonly kind: "dropout"; readonly rate: number };

/** The classifier: global average pooling or Flatten -> Dense(hidden, relu), then logits. */
export type Head = { readonly kind: "gap" } | { readonly kind: "flatten"; readonly hidden: number };

/** A random architecture: input `[height, width, channels]`, blocks, head, weight seed. */
export interface Architecture {
  readonly input: readonly [number, number, number];
  readonly blocks: ReadonlyArray<Block>;
  readonly head: Head;
  readonly classes: number;
  readonly seed: number;
}

const width = fc.integer({ min: 1, max: 6 });
const stride = fc.constantFrom<1 | 2>(1, 2);

/** Arbitrary of one {@linkcode Block}. */
export const blockArb: fc.Arbitrary<Block> = fc.oneof(
  { arbitrary: convArb(), weight: 4 },
  fc.record({
    kind: fc.constant("pool" as const),
    op: fc.constantFrom<"max" | "avg">("max", "avg"),
    padding: fc.constantFrom<"same" | "valid">("same", "valid"),
  }),
  {
    arbitrary: fc.record({
      kind: fc.constant("residual" as const),
      mid: width,
      projection: fc.option(fc.record({ filters: width, stride }), { nil: null }),
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("dense" as const),
      growth: width,
      layers: fc.integer({ min: 1, max: 3 }),
      axis: fc.constantFrom<-1 | 3>(-1, 3),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("se" as const),
      hidden: width,
      gateFirst: fc.boolean(),
    }),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      kind: fc.constant("separable" as const),
      multiplier: fc.constantFrom<1 | 2>(1, 2),
      filters: width,
      stride,
    }),
    weight: 2,
  },
  fc.record({ kind: fc.constant("zero_padding" as const), pad: fc.constantFrom<1 | 2>(1, 2) }),
  fc.record({ kind: fc.constant("dropout" as const), rate: fc.constantFrom(0.1, 0.5) }),
);

function convArb(): fc.Arbitrary<Block> {
  return fc.record({
    kind: fc.constant("conv" as const),
    filters: width,
    kernel: fc.constantFrom<1 | 3>(1, 3),
    stride,
    padding: fc.constantFrom<"same" | "valid">("same", "valid"),
    bias: fc.boolean(),
    bn: fc.boolean(),
    activation: fc.constantFrom<Activation>("relu", "linear", "sigmoid"),
    style: fc.constantFrom<ActivationStyle>("config", "layer", "relu_layer"),
  });
}

/** Arbitrary of an {@linkcode Architecture} with 1 to `maxBlocks` blocks (default 5). */
export function architectureArb(maxBlocks = 5): fc.Arbitrary<Architecture> {
  const side = fc.integer({ min: 6, max: 10 });
  return fc.record({
    input: fc.tuple(side, side, fc.integer({ min: 1, max: 3 })),
    blocks: fc.array(blockArb, { minLength: 1, maxLength: maxBlocks }),
    head: fc.oneof(
      fc.record({ kind: fc.constant("gap" as const) }),
      fc.record({ kind: fc.constant("flatten" as const), hidden: width }),
    ),
    classes: fc.integer({ min: 2, max: 4 }),
    seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
  });
}

type Sym = tf.SymbolicTensor;

/**
 * The model an architecture describes, named `arch`, with all weights drawn from its seed
 * by {@linkcode randomizeWeights}. Layers are named `b<i>_...` after their block; the input
 * is `input`, the classifier `logits`.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { architectureArb, buildArchitecture } from "./_architectures.ts";
 * const [arch] = fc.sample(architectureArb(), { numRuns: 1, seed: 1 });
 * const model = buildArchitecture(arch);
 * ```
 */
export function buildArchitecture(arch: Architecture): tf.LayersModel {
  const [h, w, c] = arch.input;
  const input = tf.input({ name: "input", shape: [h, w, c] });
  let f: Feature = { x: input, h, w, c };
  arch.blocks.forEach((b, i) => f = block(f, `b${i}_`, b));
  let x: Sym;
  if (arch.head.kind === "gap") {
    x = tf.layers.globalAveragePooling2d({ name: "head_pool" }).apply(f.x) as Sym;
  } else {
    x = tf.layers.flatten({ name: "head_flatten" }).apply(f.x) as Sym;
    x = tf.layers.dense({ name: "head_fc", units: arch.head.hidden, activation: "relu" })
      .apply(x) as Sym;
  }
  const logits = tf.layers.dense({ name: "logits", units: arch.classes }).apply(x) as Sym;
  const model = tf.model({ name: "arch", inputs: input, outputs: logits });
  randomizeWeights(model, arch.seed);
  return model;
}

/**
 * Replaces every weight of `model` with seeded random values: kernels uniform with unit
 * fan-in variance, biases, BN beta and moving mean in [-0.5, 0.5], BN gamma in [0.5, 1.5],
 * moving variance in [0.5, 2] (positive).
 */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const rng = splitmix32(seed);
  const uniform = (lo: number, hi: number) => lo + (hi - lo) * rng() / 2 ** 32;
  for (const layer of model.layers) {
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((v) => {
      const shape = v.shape as number[];
      const [lo, hi] = weightRange(v.originalName, shape);
      const size = shape.reduce((a, b) => a * b, 1);
      return tf.tensor(Float32Array.from({ length: size }, () => uniform(lo, hi)), shape);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

function weightRange(name: string, shape: number[]): [number, number] {
  if (name.endsWith("moving_variance")) return [0.5, 2];
  if (name.endsWith("gamma")) return [0.5, 1.5];
  if (!name.endsWith("kernel")) return [-0.5, 0.5];
  // Depthwise [kh, kw, in, multiplier]: each output reads kh*kw values.
  const fanIn = name.endsWith("depthwise_kernel")
    ? shape[0] * shape[1]
    : shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const limit = Math.sqrt(3 / fanIn);
  return [-limit, limit];
}
