/**
 * Multiply-accumulates and parameters of a tfjs LayersModel, per layer and in total.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** Cost of one layer. */
export interface LayerCost {
  readonly name: string;
  readonly className: string;
  /** Multiply-accumulates for one input example. */
  readonly macs: number;
  readonly params: number;
}

/** Cost of a whole model. */
export interface ModelCost {
  readonly layers: readonly LayerCost[];
  readonly macs: number;
  readonly params: number;
}

function shapeOf(layer: tf.layers.Layer, which: "input" | "output"): number[] {
  const tensor = which === "input" ? layer.input : layer.output;
  const first = Array.isArray(tensor) ? tensor[0] : tensor;
  return first.shape.map((d) => d ?? 1);
}

function positions(shape: readonly number[]): number {
  return shape.slice(1, -1).reduce((a, b) => a * b, 1);
}

/** Multiply-accumulates of one layer for one example (0 for layers without a kernel). */
function layerMacs(layer: tf.layers.Layer): number {
  const config = layer.getConfig();
  const out = shapeOf(layer, "output");
  const inp = shapeOf(layer, "input");
  const kernelSize = config.kernelSize as number[] | undefined;
  const window = kernelSize ? kernelSize.reduce((a, b) => a * b, 1) : 1;
  const cin = inp[inp.length - 1];
  const cout = out[out.length - 1];
  switch (layer.getClassName()) {
    case "Conv2D":
      return positions(out) * window * cin * cout;
    case "DepthwiseConv2D":
      return positions(out) * window * cout;
    case "SeparableConv2D":
      return positions(out) * (window * cin * ((config.depthMultiplier as number) ?? 1) +
        cin * ((config.depthMultiplier as number) ?? 1) * cout);
    case "Dense":
      return positions(out) * cin * cout;
    default:
      return 0;
  }
}

/**
 * Counts the multiply-accumulates of Conv2D, DepthwiseConv2D, SeparableConv2D and Dense
 * layers for one example, and every layer's parameters (trainable or not, BN moving
 * statistics included, as `model.countParams()` does).
 *
 * @example
 * ```ts
 * const { macs, params } = countCost(resnet({ depth: 20 }));
 * // macs ≈ 40.8e6, params ≈ 0.27e6
 * ```
 */
export function countCost(model: tf.LayersModel): ModelCost {
  const layers = model.layers.map((layer) => ({
    name: layer.name,
    className: layer.getClassName(),
    macs: layerMacs(layer),
    params: layer.countParams(),
  }));
  return {
    layers,
    macs: layers.reduce((a, l) => a + l.macs, 0),
    params: layers.reduce((a, l) => a + l.params, 0),
  };
}
