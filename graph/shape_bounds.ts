/**
 * Bounds on the sizes a topology declares, checked before anything is allocated from
 * them: the channel analysis allocates arrays as long as a layer's output, and tfjs
 * allocates every weight its config declares. A file that declares a billion filters is
 * refused here, not by running out of memory.
 *
 * @module
 */
import type { JsonObject } from "../snapshot/snapshot.ts";
import type { Topology } from "./keras_topology.ts";
import type { LayerGraph } from "./layer_graph.ts";
import type { Shape } from "./shapes.ts";
import { invalidTopology, type TopologyError } from "./topology_errors.ts";

/** The most channels (filters, units) one layer may declare. */
export const MAX_CHANNELS = 2 ** 20;
/** The largest kernel side or stride one layer may declare. */
export const MAX_WINDOW = 2 ** 16;
/** The most values one layer's output may hold per image (224x224x64 is 3.2 M). */
export const MAX_LAYER_VALUES = 2 ** 25;

/**
 * The first layer whose inferred output shape is not a list of non-negative integers or
 * holds more than {@linkcode MAX_LAYER_VALUES} values per image; undefined when all fit.
 * `fieldOf` names a layer's field in the file.
 *
 * @example
 * ```ts
 * import { oversizedLayer } from "./shape_bounds.ts";
 * const graph = {
 *   layers: [{ name: "in", className: "InputLayer", config: {}, inputs: [], irregular: null }],
 *   inputs: ["in"],
 *   outputs: ["in"],
 * };
 * const shapes = new Map([["in", [1e6, 1e6, 3]]]);
 * oversizedLayer(graph, shapes, "model.json", (name) => `layer ${name}`)?.actual;
 * // "[1000000, 1000000, 3] (3000000000000 values)"
 * ```
 */
export function oversizedLayer(
  graph: LayerGraph,
  shapes: ReadonlyMap<string, Shape | null>,
  file: string,
  fieldOf: (layer: string) => string,
): TopologyError | undefined {
  for (const layer of graph.layers) {
    const shape = shapes.get(layer.name);
    if (shape === null || shape === undefined) continue;
    const dims = shape.filter((d): d is number => d !== null);
    const shown = `[${shape.map((d) => d ?? "any").join(", ")}]`;
    if (!dims.every((d) => Number.isInteger(d) && d >= 0)) {
      return invalidTopology(file, fieldOf(layer.name), "an output shape of whole sizes", shown);
    }
    const values = dims.reduce((n, d) => n * d, 1);
    if (values > MAX_LAYER_VALUES) {
      const expected = `an output of at most ${MAX_LAYER_VALUES} values per image`;
      return invalidTopology(file, fieldOf(layer.name), expected, `${shown} (${values} values)`);
    }
  }
  return undefined;
}

/**
 * The field of the layer `name` in a `model.json`: `modelTopology.config.layers.<i>`, or
 * the first layer's `batch_input_shape` for the input a Sequential model implies.
 *
 * @example
 * ```ts
 * import { layerField } from "./shape_bounds.ts";
 * const seq = { class_name: "Sequential", config: { name: "s", layers: [
 *   { class_name: "Dense", config: { name: "fc", units: 2 } },
 * ] } } as const;
 * layerField(seq, "fc"); // "modelTopology.config.layers.0"
 * ```
 */
export function layerField(topology: Topology, name: string): string {
  const layers: ReadonlyArray<{ readonly name?: string; readonly config: JsonObject }> =
    topology.config.layers;
  const i = layers.findIndex((l) => (l.name ?? l.config.name) === name);
  return i >= 0
    ? `modelTopology.config.layers.${i}`
    : "modelTopology.config.layers.0.config.batch_input_shape";
}
