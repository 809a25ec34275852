/**
 * One uniform view of a decoded topology, functional or Sequential: the layers in an
 * order where every layer comes after the layers it reads, each with its class, config
 * and the names of the layers it reads.
 *
 * @module
 */
import type { JsonObject } from "../snapshot/snapshot.ts";
import type { Topology } from "./keras_topology.ts";

/** One layer of a {@linkcode LayerGraph}. */
export interface GraphLayer {
  readonly name: string;
  readonly className: string;
  readonly config: JsonObject;
  /** Names of the layers whose outputs this layer reads, in argument order. */
  readonly inputs: ReadonlyArray<string>;
  /**
   * Why the graph cannot follow this layer's tensors, or null: a layer called more than
   * once (shared), or one that reads the second output or call of another layer.
   */
  readonly irregular: string | null;
}

/** The layers of a model in dependency order, with its inputs and outputs. */
export interface LayerGraph {
  readonly layers: ReadonlyArray<GraphLayer>;
  /** Names of the model's input layers. */
  readonly inputs: ReadonlyArray<string>;
  /** Names of the layers whose outputs are the model's outputs. */
  readonly outputs: ReadonlyArray<string>;
}

/**
 * The graph of a decoded topology. A Sequential model gets its implicit input layer
 * (named `<first layer>_input`, as tfjs names it), configured from the first layer's
 * `batch_input_shape`. Links were checked by `decodeTopology`, so this never fails.
 *
 * @example
 * ```ts
 * import { layerGraph } from "./layer_graph.ts";
 * const g = layerGraph({ class_name: "Sequential", config: { name: "s", layers: [
 *   { class_name: "Dense", config: { name: "fc", units: 2, batch_input_shape: [null, 4] } },
 * ] } });
 * g.layers.map((l) => l.name); // ["fc_input", "fc"]
 * ```
 */
export function layerGraph(topology: Topology): LayerGraph {
  return topology.class_name === "Sequential"
    ? sequentialGraph(topology.config.layers)
    : functionalGraph(topology.config);
}

function sequentialGraph(
  layers: ReadonlyArray<{ readonly class_name: string; readonly config: JsonObject }>,
): LayerGraph {
  if (layers.length === 0) return { layers: [], inputs: [], outputs: [] };
  const first = layers[0];
  const explicitInput = first.class_name === "InputLayer";
  const inputName = explicitInput
    ? String(first.config.name)
    : `${String(first.config.name)}_input`;
  const input: GraphLayer = {
    name: inputName,
    className: "InputLayer",
    config: explicitInput
      ? first.config
      : { name: inputName, batch_input_shape: first.config.batch_input_shape ?? null },
    inputs: [],
    irregular: null,
  };
  const rest = explicitInput ? layers.slice(1) : layers;
  const chain: GraphLayer[] = [input];
  for (const layer of rest) {
    chain.push({
      name: String(layer.config.name),
      className: layer.class_name,
      config: layer.config,
      inputs: [chain[chain.length - 1].name],
      irregular: null,
    });
  }
  return { layers: chain, inputs: [inputName], outputs: [chain[chain.length - 1].name] };
}

type FunctionalConfig = Extract<Topology, { class_name: "Model" | "Functional" }>["config"];

function functionalGraph(config: FunctionalConfig): LayerGraph {
  const byName = new Map(config.layers.map((layer) => [layer.name, layer]));
  const ordered: GraphLayer[] = [];
  const placed = new Set<string>();
  // Depth-first post-order: a layer is placed after everything it reads. The topology's
  // links were checked acyclic, so the recursion ends.
  const place = (name: string): void => {
    if (placed.has(name)) return;
    placed.add(name);
    const layer = byName.get(name);
    if (layer === undefined) return;
    const node = layer.inbound_nodes[0] ?? [];
    for (const [from] of node) place(from);
    ordered.push({
      name,
      className: layer.class_name,
      config: layer.config,
      inputs: node.map(([from]) => from),
      irregular: irregularity(layer.inbound_nodes),
    });
  };
  for (const layer of config.layers) place(layer.name);
  return {
    layers: ordered,
    inputs: config.input_layers.map(([name]) => name),
    outputs: config.output_layers.map(([name]) => name),
  };
}

function irregularity(
  nodes: ReadonlyArray<ReadonlyArray<readonly [string, number, number, ...unknown[]]>>,
): string | null {
  if (nodes.length > 1) return `it is called ${nodes.length} times (a shared layer)`;
  for (const [from, node, tensor] of nodes[0] ?? []) {
    if (node !== 0) return `it reads call ${node} of the shared layer "${from}"`;
    if (tensor !== 0) return `it reads output ${tensor} of "${from}"`;
  }
  return null;
}
