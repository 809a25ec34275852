/**
 * Output shapes of a model's layers, read from the topology alone (no tfjs, no weights):
 * one rule per layer class applied in dependency order.
 *
 * @module
 */
import type { LayerGraph } from "./layer_graph.ts";
import { SHAPE_RULES } from "./shape_rules.ts";

/**
 * The shape of a layer's output without the batch axis: `[rows, cols, channels]` for an
 * image, `[units]` after Dense. A dimension is null where it is unknown (e.g. an input of
 * any size to a fully convolutional model).
 */
export type Shape = ReadonlyArray<number | null>;

/**
 * True if shape inference has a rule for layers of `className`.
 *
 * @example
 * ```ts
 * import { knowsShapeOf } from "./shapes.ts";
 * knowsShapeOf("Conv2D"); // true
 * knowsShapeOf("Conv3D"); // false
 * ```
 */
export function knowsShapeOf(className: string): boolean {
  return Object.hasOwn(SHAPE_RULES, className);
}

/**
 * The output shape of every layer of `graph` (keyed by layer name), as tfjs's
 * `layer.outputShape` less the batch axis. Null for a layer of a class it does not know
 * (see `shape_rules.ts`), with a config it cannot follow (channels first, a window that
 * does not fit), that reads a layer whose shape is null, or that is irregular (shared).
 *
 * @example
 * ```ts
 * import { layerGraph } from "./layer_graph.ts";
 * import { inferShapes } from "./shapes.ts";
 * const graph = layerGraph({ class_name: "Sequential", config: { name: "s", layers: [
 *   { class_name: "Conv2D", config: {
 *     name: "conv", filters: 8, kernel_size: [3, 3], strides: [2, 2], padding: "same",
 *     batch_input_shape: [null, 32, 32, 3],
 *   } },
 *   { class_name: "Flatten", config: { name: "flat" } },
 * ] } });
 * inferShapes(graph).get("conv"); // [16, 16, 8]
 * inferShapes(graph).get("flat"); // [2048]
 * ```
 */
export function inferShapes(graph: LayerGraph): ReadonlyMap<string, Shape | null> {
  const shapes = new Map<string, Shape | null>();
  for (const layer of graph.layers) {
    let shape: Shape | null = null;
    const inputs = layer.inputs.map((name) => shapes.get(name) ?? null);
    if (layer.irregular === null && knowsShapeOf(layer.className) && !inputs.includes(null)) {
      shape = SHAPE_RULES[layer.className](inputs as Shape[], layer.config);
    }
    shapes.set(layer.name, shape);
  }
  return shapes;
}
