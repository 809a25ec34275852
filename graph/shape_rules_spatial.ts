/**
 * Shape rules of the 2-D layers (channels last, input `[rows, cols, channels]`):
 * convolutions, pooling, padding, cropping, upsampling, global pooling.
 *
 * @module
 */
import {
  ConvShapeConfig,
  CroppingShapeConfig,
  GlobalPoolShapeConfig,
  marginsOf,
  PaddingShapeConfig,
  pairOf,
  PoolShapeConfig,
  type ShapeRule,
  single,
  UpSamplingShapeConfig,
} from "./shape_configs.ts";
import type { Shape } from "./shapes.ts";

type Dim = number | null;

/**
 * Cells a window visits along an axis of `n` cells, as Keras computes it; null where `n`
 * is unknown, 0 where the window does not fit.
 *
 * @example
 * ```ts
 * import { windowLength } from "./shape_rules_spatial.ts";
 * windowLength(32, { size: 3, stride: 2, padding: "valid" }); // 15
 * windowLength(32, { size: 3, stride: 2, padding: "same" }); // 16
 * ```
 */
export function windowLength(
  n: Dim,
  window: {
    readonly size: number;
    readonly stride: number;
    readonly padding: "valid" | "same";
    readonly dilation?: number;
  },
): Dim {
  if (n === null) return null;
  const { size, stride, padding, dilation = 1 } = window;
  const span = size + (size - 1) * (dilation - 1);
  const cells = padding === "same" ? n : n - span + 1;
  return cells < 1 ? 0 : Math.ceil(cells / stride);
}

/** `[rows, cols, channels]`, or null where an axis is empty. */
function image(rows: Dim, cols: Dim, channels: Dim): Shape | null {
  return rows === 0 || cols === 0 ? null : [rows, cols, channels];
}

const plus = (n: Dim, k: number): Dim => n === null ? null : n + k;
const times = (n: Dim, k: number): Dim => n === null ? null : n * k;

/** A rule for a channels-last 2-D layer: input `[rows, cols, channels]`. */
function imageRule(rule: (rows: Dim, cols: Dim, channels: Dim, config: unknown) => Shape | null) {
  return single((input, config) =>
    input.length === 3 ? rule(input[0], input[1], input[2], config) : null
  );
}

/** A convolution whose output channels `channelsOut` gives (undefined: not configured). */
function convolution(
  channelsOut: (channels: Dim, config: ConvShapeConfig) => Dim | undefined,
): ShapeRule {
  return imageRule((rows, cols, channels, config) => {
    if (!ConvShapeConfig.is(config)) return null;
    const out = channelsOut(channels, config);
    if (out === undefined) return null;
    const size = pairOf(config.kernel_size, [1, 1]);
    const stride = pairOf(config.strides, [1, 1]);
    const dilation = pairOf(config.dilation_rate, [1, 1]);
    const padding = config.padding ?? "valid";
    const along = (n: Dim, axis: 0 | 1) =>
      windowLength(n, {
        size: size[axis],
        stride: stride[axis],
        padding,
        dilation: dilation[axis],
      });
    return image(along(rows, 0), along(cols, 1), out);
  });
}

const pooling: ShapeRule = imageRule((rows, cols, channels, config) => {
  if (!PoolShapeConfig.is(config)) return null;
  const size = pairOf(config.pool_size, [2, 2]);
  const stride = pairOf(config.strides, size);
  const padding = config.padding ?? "valid";
  const along = (n: Dim, axis: 0 | 1) =>
    windowLength(n, { size: size[axis], stride: stride[axis], padding });
  return image(along(rows, 0), along(cols, 1), channels);
});

const globalPooling: ShapeRule = imageRule((_rows, _cols, channels, config) => {
  if (!GlobalPoolShapeConfig.is(config)) return null;
  return config.keepdims === true ? [1, 1, channels] : [channels];
});

const zeroPadding: ShapeRule = imageRule((rows, cols, channels, config) => {
  if (!PaddingShapeConfig.is(config)) return null;
  const [[top, bottom], [left, right]] = marginsOf(config.padding, 1);
  return image(plus(rows, top + bottom), plus(cols, left + right), channels);
});

const cropping: ShapeRule = imageRule((rows, cols, channels, config) => {
  if (!CroppingShapeConfig.is(config)) return null;
  const [[top, bottom], [left, right]] = marginsOf(config.cropping, 0);
  const crop = (n: Dim, k: number): Dim => n === null ? null : Math.max(0, n - k);
  return image(crop(rows, top + bottom), crop(cols, left + right), channels);
});

const upSampling: ShapeRule = imageRule((rows, cols, channels, config) => {
  if (!UpSamplingShapeConfig.is(config)) return null;
  const [a, b] = pairOf(config.size, [2, 2]);
  return image(times(rows, a), times(cols, b), channels);
});

/** The rules of the 2-D layers, by class name. */
export const SPATIAL_SHAPE_RULES: Readonly<Record<string, ShapeRule>> = {
  Conv2D: convolution((_channels, config) => config.filters ?? undefined),
  SeparableConv2D: convolution((_channels, config) => config.filters ?? undefined),
  DepthwiseConv2D: convolution((channels, config) => times(channels, config.depth_multiplier ?? 1)),
  MaxPooling2D: pooling,
  AveragePooling2D: pooling,
  GlobalAveragePooling2D: globalPooling,
  GlobalMaxPooling2D: globalPooling,
  ZeroPadding2D: zeroPadding,
  Cropping2D: cropping,
  UpSampling2D: upSampling,
};
