/**
 * Multiply-accumulates and parameters of a snapshot, per layer and in total, from its
 * topology and weight shapes alone (no tfjs model is built).
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import { elementCount, type Snapshot, type WeightSpec } from "../snapshot/snapshot.ts";
import { decodeTopology, SNAPSHOT_TOPOLOGY_FILE, type TopologyError } from "./keras_topology.ts";
import { type GraphLayer, type LayerGraph, layerGraph } from "./layer_graph.ts";
import { inferShapes, knowsShapeOf, type Shape } from "./shapes.ts";

/** Cost of one layer. */
export interface LayerCost {
  readonly name: string;
  readonly className: string;
  /** Multiply-accumulates for one input example; null where a shape is unknown. */
  readonly macs: number | null;
  /** Elements of the layer's weights, trainable or not (BN moving statistics included). */
  readonly params: number;
}

/** Cost of a whole model. */
export interface SnapshotCost {
  readonly layers: ReadonlyArray<LayerCost>;
  /** Sum of the layers' multiply-accumulates that could be counted. */
  readonly macs: number;
  /** Elements of all weights, as `model.countParams()` counts them. */
  readonly params: number;
  /** One line per layer with a kernel whose multiply-accumulates are unknown, and why. */
  readonly uncounted: ReadonlyArray<string>;
}

/** What {@linkcode countCost} reads of a snapshot: the topology and the weight shapes. */
export type CostInput = Pick<Snapshot, "topology"> & {
  readonly weights: ReadonlyArray<Pick<WeightSpec, "name" | "shape">>;
};

/** The kernels whose elements each output position multiplies, by layer class. */
const KERNELS: Readonly<Record<string, ReadonlyArray<string>>> = {
  Conv2D: ["kernel"],
  Dense: ["kernel"],
  DepthwiseConv2D: ["depthwise_kernel"],
  SeparableConv2D: ["depthwise_kernel", "pointwise_kernel"],
};

/**
 * Counts the multiply-accumulates for one example and the parameters of every layer.
 * MACs are output positions (every output axis but the last) times the elements of the
 * layer's kernels: Conv2D `h·w·kh·kw·cin·cout`, DepthwiseConv2D `h·w·kh·kw·cin·m`,
 * SeparableConv2D `h·w·(kh·kw·cin·m + cin·m·cout)`, Dense `positions·in·out`; other
 * layers count 0. Weight shapes give the kernels; shape inference gives the positions.
 * A layer with a kernel whose MACs cannot be counted (unknown shape, unknown class) has
 * `macs: null` and a line in `uncounted`. Parameters are the weights named
 * `<layer>/<param>`. Fails only when the topology does not decode.
 *
 * @example
 * ```ts
 * import { countCost } from "./count_cost.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot; // ResNet-20, option B shortcuts
 * const cost = countCost(snapshot);
 * if (cost._tag === "Right") cost.right.macs; // 40_813_184
 * ```
 */
export function countCost(snapshot: CostInput): E.Either<TopologyError, SnapshotCost> {
  return pipe(
    decodeTopology(snapshot.topology, SNAPSHOT_TOPOLOGY_FILE),
    E.map((topology) => costOf(layerGraph(topology), snapshot.weights)),
  );
}

function costOf(graph: LayerGraph, weights: CostInput["weights"]): SnapshotCost {
  const shapes = inferShapes(graph);
  const byLayer = weightsByLayer(weights);
  const uncounted: string[] = [];
  const layers = graph.layers.map((layer): LayerCost => {
    const own = byLayer.get(layer.name) ?? new Map<string, ReadonlyArray<number>>();
    const macs = layerMacs(layer, shapes.get(layer.name) ?? null, own);
    if (typeof macs === "string") {
      const why = macs === UNKNOWN_SHAPE ? unknownShapeCause(layer, graph, shapes) : macs;
      uncounted.push(`layer "${layer.name}" (${layer.className}): ${why}`);
    }
    let params = 0;
    for (const shape of own.values()) params += elementCount(shape);
    return {
      name: layer.name,
      className: layer.className,
      macs: typeof macs === "number" ? macs : null,
      params,
    };
  });
  return {
    layers,
    macs: layers.reduce((sum, l) => sum + (l.macs ?? 0), 0),
    params: weights.reduce((sum, w) => sum + elementCount(w.shape), 0),
    uncounted,
  };
}

/** The weight shapes of each layer by parameter: `conv1/kernel` is `kernel` of `conv1`. */
function weightsByLayer(
  weights: CostInput["weights"],
): Map<string, Map<string, ReadonlyArray<number>>> {
  const byLayer = new Map<string, Map<string, ReadonlyArray<number>>>();
  for (const { name, shape } of weights) {
    const slash = name.lastIndexOf("/");
    const layer = slash < 0 ? "" : name.slice(0, slash);
    const params = byLayer.get(layer) ?? new Map<string, ReadonlyArray<number>>();
    byLayer.set(layer, params.set(name.slice(slash + 1), shape));
  }
  return byLayer;
}

const UNKNOWN_SHAPE = "its output shape is unknown";

/** MACs of one layer, or why they cannot be counted. */
function layerMacs(
  layer: GraphLayer,
  out: Shape | null,
  weights: ReadonlyMap<string, ReadonlyArray<number>>,
): number | string {
  const kernels = Object.hasOwn(KERNELS, layer.className) ? KERNELS[layer.className] : null;
  if (kernels === null) {
    const kernel = [...weights.keys()].find((param) => param.endsWith("kernel"));
    return kernel === undefined
      ? 0
      : `it has a weight "${kernel}", but no rule counts the MACs of class "${layer.className}"`;
  }
  const sizes = kernels.map((param) => weights.get(param));
  const missing = kernels.find((_param, i) => sizes[i] === undefined);
  if (missing !== undefined) return `the snapshot has no weight "${layer.name}/${missing}"`;
  if (out === null) return UNKNOWN_SHAPE;
  const positions = out.slice(0, -1);
  if (positions.includes(null)) {
    return `its output shape [${out.map((d) => d ?? "?").join(", ")}] has unknown dimensions`;
  }
  const perPosition = sizes.reduce((sum, shape) => sum + elementCount(shape ?? []), 0);
  return elementCount(positions as number[]) * perPosition;
}

/**
 * Why the shape of `layer` is unknown: the first layer up its inputs whose shape is
 * unknown although its own inputs' shapes are known.
 */
function unknownShapeCause(
  layer: GraphLayer,
  graph: LayerGraph,
  shapes: ReadonlyMap<string, Shape | null>,
): string {
  const byName = new Map(graph.layers.map((l) => [l.name, l]));
  let cause = layer;
  for (;;) {
    const input = cause.inputs.find((name) => (shapes.get(name) ?? null) === null);
    const next = input === undefined ? undefined : byName.get(input);
    if (next === undefined) break;
    cause = next;
  }
  const which = cause === layer ? "" : `, because layer "${cause.name}" cannot be followed: `;
  const why = cause.irregular !== null
    ? cause.irregular
    : !knowsShapeOf(cause.className)
    ? `shape inference does not know its class "${cause.className}"`
    : `its config gives no output shape (channels first, or a window that does not fit)`;
  return `${UNKNOWN_SHAPE}${which || ": "}${why}`;
}
