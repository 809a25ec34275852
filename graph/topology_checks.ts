/**
 * Checks of a decoded topology beyond its shape: unique layer names, inbound and
 * endpoint references to layers that exist, and no cycles.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type { FunctionalTopology, SequentialTopology, Topology } from "./keras_topology.ts";
import { MAX_CHANNELS, MAX_WINDOW } from "./shape_bounds.ts";
import { invalidTopology, type TopologyError } from "./topology_errors.ts";

const LAYERS = "modelTopology.config.layers";

/**
 * The topology unchanged when its layer names are unique and every link resolves to an
 * existing layer without a cycle; the first problem found otherwise.
 *
 * @example
 * ```ts
 * import { checkTopologyLinks } from "./topology_checks.ts";
 * const seq = { class_name: "Sequential", config: { name: "s", layers: [] } } as const;
 * checkTopologyLinks(seq, "model.json")._tag; // "Right"
 * ```
 */
export function checkTopologyLinks(
  topology: Topology,
  file: string,
): E.Either<TopologyError, Topology> {
  const problem = checkSizes(topology, file) ??
    (topology.class_name === "Sequential"
      ? checkSequential(topology, file)
      : checkFunctional(topology, file));
  return problem === undefined ? E.right(topology) : E.left(problem);
}

/** Size fields of the typed layer classes and the most each may declare. */
const SIZE_FIELDS: ReadonlyArray<readonly [string, number]> = [
  ["filters", MAX_CHANNELS],
  ["units", MAX_CHANNELS],
  ["depth_multiplier", MAX_CHANNELS],
  ["kernel_size", MAX_WINDOW],
  ["strides", MAX_WINDOW],
];

/** A width or window larger than anything trainable (refused before any allocation). */
function checkSizes(topology: Topology, file: string): TopologyError | undefined {
  for (const [i, layer] of topology.config.layers.entries()) {
    const config: Readonly<Record<string, unknown>> = layer.config;
    for (const [key, max] of SIZE_FIELDS) {
      const value = config[key];
      const sizes = Array.isArray(value) ? value : [value];
      if (sizes.some((n) => typeof n === "number" && n > max)) {
        const field = `${LAYERS}.${i}.config.${key}`;
        return invalidTopology(file, field, `at most ${max}`, JSON.stringify(value));
      }
    }
  }
  return undefined;
}

function checkSequential(topology: SequentialTopology, file: string): TopologyError | undefined {
  const seen = new Set<string>();
  for (const [i, layer] of topology.config.layers.entries()) {
    const name = layer.config.name;
    if (seen.has(name)) {
      return invalidTopology(
        file,
        `${LAYERS}.${i}.config.name`,
        "a unique layer name",
        `"${name}"`,
      );
    }
    seen.add(name);
  }
  return undefined;
}

function checkFunctional(topology: FunctionalTopology, file: string): TopologyError | undefined {
  const { layers, input_layers, output_layers } = topology.config;
  const nodeCounts = new Map<string, number>();
  for (const [i, layer] of layers.entries()) {
    if (nodeCounts.has(layer.name)) {
      return invalidTopology(file, `${LAYERS}.${i}.name`, "a unique layer name", `"${layer.name}"`);
    }
    // An input layer has one node but no inbound nodes.
    nodeCounts.set(layer.name, Math.max(1, layer.inbound_nodes.length));
  }
  const refs = [
    ...layers.flatMap((layer, i) =>
      layer.inbound_nodes.flatMap((node, n) =>
        node.map((ref, k) => ({ ref, at: `${LAYERS}.${i}.inbound_nodes.${n}.${k}` }))
      )
    ),
    ...input_layers.map((ref, k) => ({ ref, at: `modelTopology.config.input_layers.${k}` })),
    ...output_layers.map((ref, k) => ({ ref, at: `modelTopology.config.output_layers.${k}` })),
  ];
  for (const { ref, at } of refs) {
    const [name, nodeIndex] = ref;
    const count = nodeCounts.get(name);
    if (count === undefined) return invalidTopology(file, `${at}.0`, "a layer name", `"${name}"`);
    if (nodeIndex >= count) {
      return invalidTopology(file, `${at}.1`, `a node index below ${count}`, String(nodeIndex));
    }
  }
  return findCycle(topology, file);
}

/** Depth-first search over inbound links; reports the layer that closes a cycle. */
function findCycle(topology: FunctionalTopology, file: string): TopologyError | undefined {
  const layers = topology.config.layers;
  const index = new Map(layers.map((layer, i) => [layer.name, i]));
  const state = new Array<"open" | "done" | undefined>(layers.length);
  const path: number[] = [];
  const visit = (i: number): TopologyError | undefined => {
    if (state[i] === "done") return undefined;
    if (state[i] === "open") {
      const cycle = [...path.slice(path.indexOf(i)), i].map((j) => layers[j].name);
      const field = `${LAYERS}.${i}.name`;
      return invalidTopology(file, field, "a layer that does not feed itself", cycle.join(" -> "));
    }
    state[i] = "open";
    path.push(i);
    for (const node of layers[i].inbound_nodes) {
      for (const [name] of node) {
        const problem = visit(index.get(name) as number);
        if (problem !== undefined) return problem;
      }
    }
    path.pop();
    state[i] = "done";
    return undefined;
  };
  for (let i = 0; i < layers.length; i++) {
    const problem = visit(i);
    if (problem !== undefined) return problem;
  }
  return undefined;
}
