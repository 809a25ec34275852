/**
 * The table of shape rules by layer class: the input layer, layers that keep their
 * input's shape, Dense, Flatten, Reshape, Permute, the element-wise merges and
 * Concatenate, and the 2-D layers of `shape_rules_spatial.ts`.
 *
 * @module
 */
import type { JsonObject } from "../snapshot/snapshot.ts";
import {
  ConcatenateShapeConfig,
  DenseShapeConfig,
  InputShapeConfig,
  PermuteShapeConfig,
  ReshapeShapeConfig,
  type ShapeRule,
  single,
} from "./shape_configs.ts";
import { SPATIAL_SHAPE_RULES } from "./shape_rules_spatial.ts";
import type { Shape } from "./shapes.ts";

/** Classes whose output has the shape of their input. */
const SHAPE_KEEPING = [
  "BatchNormalization",
  "LayerNormalization",
  "Activation",
  "ReLU",
  "LeakyReLU",
  "ELU",
  "PReLU",
  "Softmax",
  "ThresholdedReLU",
  "Dropout",
  "SpatialDropout2D",
  "GaussianNoise",
  "GaussianDropout",
  "AlphaDropout",
  "Rescaling",
] as const;

const product = (dims: ReadonlyArray<number>): number => dims.reduce((a, b) => a * b, 1);
const known = (shape: Shape): shape is ReadonlyArray<number> => shape.every((d) => d !== null);

const inputLayer: ShapeRule = (inputs, config) => {
  if (inputs.length !== 0 || !InputShapeConfig.is(config)) return null;
  const batchShape = "batch_input_shape" in config ? config.batch_input_shape : config.batch_shape;
  return batchShape.length === 0 ? null : batchShape.slice(1);
};

const dense = single((input, config) =>
  input.length === 0 || !DenseShapeConfig.is(config) ? null : [...input.slice(0, -1), config.units]
);

const flatten = single((input) => known(input) ? [product(input)] : null);

/** Reshape: the target, its one -1 (or null) inferred from the input's size. */
const reshape = single((input, config) => {
  if (!ReshapeShapeConfig.is(config)) return null;
  const target = config.target_shape;
  const free = target.filter((d) => d === null || d === -1).length;
  const fixed = product(target.filter((d): d is number => d !== null && d > 0));
  const size = known(input) ? product(input) : null;
  if (free === 0) return size === null || size === fixed ? target : null;
  if (free > 1 || (size !== null && size % fixed !== 0)) return null;
  const missing = size === null ? null : size / fixed;
  return target.map((d) => d === null || d === -1 ? missing : d);
});

/** Permute: `dims` is a permutation of 1..rank. */
const permute = single((input, config) => {
  if (!PermuteShapeConfig.is(config)) return null;
  const { dims } = config;
  const isPermutation = dims.length === input.length &&
    new Set(dims).size === dims.length && dims.every((d) => d <= input.length);
  return isPermutation ? dims.map((d) => input[d - 1]) : null;
});

/**
 * The broadcast of two shapes as tfjs's Merge layers compute it: aligned at the last
 * axis, 1 stretches, an unknown dimension on either side stays unknown.
 */
function broadcast(a: Shape, b: Shape): Shape | null {
  if (a.length < b.length) return broadcast(b, a);
  const lead = a.slice(0, a.length - b.length);
  const tail = b.map((j, k) => {
    const i = a[a.length - b.length + k];
    if (i === null || j === null) return null;
    if (i === 1 || i === j) return j;
    return j === 1 ? i : undefined;
  });
  return tail.includes(undefined) ? null : [...lead, ...tail as Array<number | null>];
}

/** An element-wise merge of `arity` (or at least two) inputs. */
function elementwise(arity?: number): ShapeRule {
  return (inputs) => {
    if (inputs.length < 2 || (arity !== undefined && inputs.length !== arity)) return null;
    let shape: Shape | null = inputs[0];
    for (const next of inputs.slice(1)) shape = shape === null ? null : broadcast(shape, next);
    return shape;
  };
}

/** Concatenate along `axis` (counted with the batch axis; negative from the end). */
const concatenate: ShapeRule = (inputs, config: JsonObject) => {
  if (inputs.length < 1 || !ConcatenateShapeConfig.is(config)) return null;
  const rank = inputs[0].length;
  const axis = config.axis ?? -1;
  const at = axis > 0 ? axis - 1 : rank + axis;
  if (axis === 0 || at < 0 || at >= rank || inputs.some((s) => s.length !== rank)) return null;
  const agree = inputs.every((s) =>
    s.every((d, i) => i === at || d === null || inputs[0][i] === null || d === inputs[0][i])
  );
  if (!agree) return null;
  const out = [...inputs[0]];
  out[at] = inputs.reduce<number | null>(
    (n, s) => n === null || s[at] === null ? null : n + s[at],
    0,
  );
  return out;
};

/** The shape rule of each layer class shape inference knows, by class name. */
export const SHAPE_RULES: Readonly<Record<string, ShapeRule>> = {
  InputLayer: inputLayer,
  Dense: dense,
  Flatten: flatten,
  Reshape: reshape,
  Permute: permute,
  Add: elementwise(),
  Subtract: elementwise(2),
  Multiply: elementwise(),
  Average: elementwise(),
  Maximum: elementwise(),
  Minimum: elementwise(),
  Concatenate: concatenate,
  ...SPATIAL_SHAPE_RULES,
  ...Object.fromEntries(SHAPE_KEEPING.map((cls) => [cls, single((input) => input)])),
};
