/**
 * io-ts codecs of the config fields shape inference reads, in the forms tfjs and Keras
 * write them: a window as one integer or one per spatial axis, margins as one integer,
 * one per axis or `[[top, bottom], [left, right]]`, and `null` where a default applies.
 * A config with `data_format: "channels_first"` does not match: only channels-last
 * layers are inferred. Also the rule type the shape tables share.
 *
 * @module
 */
import * as t from "io-ts";
import { Integer, NonNegativeInt, PositiveInt } from "../codecs.ts";
import type { JsonObject } from "../snapshot/snapshot.ts";
import type { Shape } from "./shapes.ts";

/** `codec`, `null` or absent (a default applies). */
const orDefault = <C extends t.Mixed>(codec: C) => t.union([codec, t.null, t.undefined]);

/** A size per spatial axis: `n` or `[rows, cols]`. */
export const SizePair = t.union([PositiveInt, t.tuple([PositiveInt, PositiveInt])]);
/** A size per spatial axis: `n` or `[rows, cols]`. */
export type SizePair = t.TypeOf<typeof SizePair>;

const Margin = t.tuple([NonNegativeInt, NonNegativeInt]);
/** Padding or cropping: `n`, `[rows, cols]` (symmetric) or `[[top, bottom], [left, right]]`. */
export const Margins = t.union([
  NonNegativeInt,
  Margin,
  t.tuple([Margin, Margin]),
]);
/** Padding or cropping: `n`, `[rows, cols]` (symmetric) or `[[top, bottom], [left, right]]`. */
export type Margins = t.TypeOf<typeof Margins>;

/** Channels last (the default); anything else does not match. */
const ChannelsLast = orDefault(t.literal("channels_last"));
/** The padding modes of a 2-D window ("causal" exists for 1-D layers only). */
const WindowPadding = orDefault(t.keyof({ valid: null, same: null }));

/** Config of Conv2D, DepthwiseConv2D and SeparableConv2D as far as shapes go. */
export const ConvShapeConfig = t.intersection([
  t.type({ kernel_size: SizePair }),
  t.partial({
    strides: orDefault(SizePair),
    padding: WindowPadding,
    dilation_rate: orDefault(SizePair),
    data_format: ChannelsLast,
    filters: orDefault(PositiveInt),
    depth_multiplier: orDefault(PositiveInt),
  }),
]);
/** Config of Conv2D, DepthwiseConv2D and SeparableConv2D as far as shapes go. */
export type ConvShapeConfig = t.TypeOf<typeof ConvShapeConfig>;

/** Config of MaxPooling2D and AveragePooling2D (strides default to the pool size). */
export const PoolShapeConfig = t.partial({
  pool_size: orDefault(SizePair),
  strides: orDefault(SizePair),
  padding: WindowPadding,
  data_format: ChannelsLast,
});
/** Config of MaxPooling2D and AveragePooling2D (strides default to the pool size). */
export type PoolShapeConfig = t.TypeOf<typeof PoolShapeConfig>;

/** Config of GlobalAveragePooling2D and GlobalMaxPooling2D (`keepdims` is Keras 2.6+). */
export const GlobalPoolShapeConfig = t.partial({
  data_format: ChannelsLast,
  keepdims: orDefault(t.boolean),
});

/** Config of ZeroPadding2D. */
export const PaddingShapeConfig = t.partial({
  padding: orDefault(Margins),
  data_format: ChannelsLast,
});
/** Config of Cropping2D. */
export const CroppingShapeConfig = t.partial({
  cropping: orDefault(Margins),
  data_format: ChannelsLast,
});
/** Config of UpSampling2D. */
export const UpSamplingShapeConfig = t.partial({
  size: orDefault(SizePair),
  data_format: ChannelsLast,
});

/** Config of Dense. */
export const DenseShapeConfig = t.type({ units: PositiveInt });

/** A target dimension of Reshape: a size, or -1 / null for the one inferred dimension. */
const TargetDim = t.union([PositiveInt, t.literal(-1), t.null]);
/** Config of Reshape (tfjs writes the inferred dimension -1 as `null`). */
export const ReshapeShapeConfig = t.type({ target_shape: t.readonlyArray(TargetDim) });

/** Config of Permute: a permutation of 1..rank (axis 0 is the batch). */
export const PermuteShapeConfig = t.type({ dims: t.readonlyArray(PositiveInt) });

/** Config of Concatenate: the axis, counted with the batch axis, negative from the end. */
export const ConcatenateShapeConfig = t.partial({ axis: orDefault(Integer) });

/** The model input's shape, batch axis first (`batch_shape` in Keras 3). */
export const InputShapeConfig = t.union([
  t.type({ batch_input_shape: t.readonlyArray(t.union([NonNegativeInt, t.null])) }),
  t.type({ batch_shape: t.readonlyArray(t.union([NonNegativeInt, t.null])) }),
]);

/**
 * `[rows, cols]` of a size pair; `fallback` for null or absent.
 *
 * @example
 * ```ts
 * import { pairOf } from "./shape_configs.ts";
 * pairOf(3, [1, 1]); // [3, 3]
 * pairOf(null, [2, 2]); // [2, 2]
 * ```
 */
export function pairOf(
  value: SizePair | null | undefined,
  fallback: readonly [number, number],
): readonly [number, number] {
  if (value === null || value === undefined) return fallback;
  return typeof value === "number" ? [value, value] : value;
}

/**
 * `[[top, bottom], [left, right]]` of padding or cropping; `fallback` pixels everywhere
 * for null or absent.
 *
 * @example
 * ```ts
 * import { marginsOf } from "./shape_configs.ts";
 * marginsOf([1, 2], 0); // [[1, 1], [2, 2]]
 * ```
 */
export function marginsOf(
  value: Margins | null | undefined,
  fallback: number,
): readonly [readonly [number, number], readonly [number, number]] {
  if (value === null || value === undefined) return marginsOf(fallback, 0);
  if (typeof value === "number") return [[value, value], [value, value]];
  const side = (m: number | readonly [number, number]) =>
    typeof m === "number" ? [m, m] as const : m;
  return [side(value[0]), side(value[1])];
}

/** Infers a layer's output shape from its inputs' shapes and its config; null if it cannot. */
export type ShapeRule = (inputs: ReadonlyArray<Shape>, config: JsonObject) => Shape | null;

/**
 * A rule for a layer that reads exactly one tensor.
 *
 * @example
 * ```ts
 * import { single } from "./shape_configs.ts";
 * const identity = single((input) => input);
 * identity([[4, 4, 3]], {}); // [4, 4, 3]
 * identity([[4], [4]], {}); // null
 * ```
 */
export function single(rule: (input: Shape, config: JsonObject) => Shape | null): ShapeRule {
  return (inputs, config) => inputs.length === 1 ? rule(inputs[0], config) : null;
}
