/**
 * Does a topology fit the weights a file supplies? Checked on import, before tfjs builds
 * the model (tfjs allocates every weight the config declares, so a config that declares
 * more than the file holds must be refused first).
 *
 * @module
 */
import type { JsonObject, WeightSpec } from "../snapshot/snapshot.ts";
import { analyzeChannels } from "./channel_analysis.ts";
import { decodeTopology, type Topology } from "./keras_topology.ts";
import { layerGraph } from "./layer_graph.ts";
import { pairOf, type SizePair } from "./shape_configs.ts";
import { layerField } from "./shape_bounds.ts";
import { invalidTopology, type TopologyError } from "./topology_errors.ts";

/** The kernel weight of the layer classes whose kernel has a spatial window. */
const WINDOWED: Readonly<Record<string, string>> = {
  Conv2D: "kernel",
  DepthwiseConv2D: "depthwise_kernel",
};

/**
 * The first way the weights do not fit the topology `json` (from `file`): a topology that
 * does not decode, a layer output too large, a missing weight, or a weight whose shape is
 * not what its layer's config and input say (a Conv2D kernel must be
 * `[kh, kw, in, filters]`, a Dense kernel `[in, units]`, ...). Undefined when they fit.
 * Errors name `file` and the layer's field.
 *
 * @example
 * ```ts
 * import { weightsMisfit } from "./weight_fit.ts";
 * const seq = { class_name: "Sequential", config: { name: "s", layers: [
 *   { class_name: "Dense", config: { name: "fc", units: 2, batch_input_shape: [null, 4] } },
 * ] } };
 * weightsMisfit(seq, [{ name: "fc/kernel", shape: [4, 2], dtype: "float32" }], "m.json")
 *   ?.message;
 * // 'm.json: modelTopology.config.layers.0: expected a weight "fc/bias" with 2 entries ...'
 * ```
 */
export function weightsMisfit(
  json: JsonObject,
  weights: ReadonlyArray<WeightSpec>,
  file: string,
): TopologyError | undefined {
  const decoded = decodeTopology(json, file);
  if (decoded._tag === "Left") return decoded.left;
  const topology = decoded.right;
  const byName = new Map(weights.map((w) => [w.name, w]));
  const window = windowMisfit(topology, byName, file);
  if (window !== undefined) return window;
  const withData = weights.map((w) => ({ ...w, data: new Float32Array(0) }));
  const analysis = analyzeChannels({ topology: json, weights: withData }, file);
  if (analysis._tag === "Right") return undefined;
  const e = analysis.left;
  if (e._tag === "InvalidTopology") return e;
  return invalidTopology(
    file,
    layerField(topology, e.layer),
    `a weight "${e.weight}" with ${e.expected}`,
    e.actual,
  );
}

/** A Conv2D / DepthwiseConv2D kernel of another rank or window than its config says. */
function windowMisfit(
  topology: Topology,
  weights: ReadonlyMap<string, WeightSpec>,
  file: string,
): TopologyError | undefined {
  for (const layer of layerGraph(topology).layers) {
    const param = WINDOWED[layer.className];
    const kernel = param === undefined ? undefined : weights.get(`${layer.name}/${param}`);
    if (kernel === undefined) continue;
    const [kh, kw] = pairOf(layer.config.kernel_size as SizePair, [1, 1]);
    if (kernel.shape.length !== 4 || kernel.shape[0] !== kh || kernel.shape[1] !== kw) {
      return invalidTopology(
        file,
        `${layerField(topology, layer.name)}.config.kernel_size`,
        `a kernel_size that fits weight "${kernel.name}" of shape [${kernel.shape.join(", ")}]`,
        JSON.stringify(layer.config.kernel_size),
      );
    }
  }
  return undefined;
}
