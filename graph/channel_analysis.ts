/**
 * Follows every channel of a snapshot through its graph: the layouts of all tensors, the
 * spaces they form, and the weight axes each space indexes, checked against the
 * snapshot's weights. Groups and plans are both read off this one analysis.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import type { Snapshot, WeightEntry } from "../snapshot/snapshot.ts";
import { type Binding, type LayerChannels, layerChannels } from "./channel_rules.ts";
import { type Layout, settled, Spaces, spacesIn } from "./channel_spaces.ts";
import {
  decodeTopology,
  SNAPSHOT_TOPOLOGY_FILE,
  type Topology,
  type TopologyError,
} from "./keras_topology.ts";
import { type LayerGraph, layerGraph } from "./layer_graph.ts";
import { layerField, oversizedLayer } from "./shape_bounds.ts";
import { inferShapes, type Shape } from "./shapes.ts";

/** A snapshot whose weights do not fit its topology. */
export interface WeightMismatch {
  readonly _tag: "WeightMismatch";
  readonly layer: string;
  readonly weight: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

/** Why a snapshot cannot be analysed. */
export type AnalysisError = TopologyError | WeightMismatch;

/** Everything known about the channels of one snapshot. */
export interface ChannelAnalysis {
  readonly topology: Topology;
  readonly graph: LayerGraph;
  readonly spaces: Spaces;
  /** What each layer does to channels, by layer name. */
  readonly layers: ReadonlyMap<string, LayerChannels>;
  readonly bindings: ReadonlyArray<Binding>;
  readonly weights: ReadonlyMap<string, WeightEntry>;
}

/**
 * Analyses the channels of a snapshot. Unknown layer classes never fail it: they make
 * the spaces that touch them unprunable. It fails only for a topology that does not
 * decode, a layer whose output holds more values than `graph/shape_bounds.ts` allows
 * (refused before any array of that size is made), or weights that do not match what the
 * topology says. `file` names the topology's file in errors.
 *
 * @example
 * ```ts
 * import { analyzeChannels } from "./channel_analysis.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot;
 * const r = analyzeChannels(snapshot);
 * if (r._tag === "Right") r.right.spaces.roots().length;
 * ```
 */
export function analyzeChannels(
  snapshot: Pick<Snapshot, "topology" | "weights">,
  file: string = SNAPSHOT_TOPOLOGY_FILE,
): E.Either<AnalysisError, ChannelAnalysis> {
  return pipe(
    decodeTopology(snapshot.topology, file),
    E.chainW((topology): E.Either<AnalysisError, ChannelAnalysis> => {
      const weights = new Map(snapshot.weights.map((w) => [w.name, w]));
      const graph = layerGraph(topology);
      const shapes = inferShapes(graph);
      const huge = oversizedLayer(graph, shapes, file, (name) => layerField(topology, name));
      if (huge !== undefined) return E.left(huge);
      const analysis = follow(topology, graph, shapes, weights);
      const problem = checkBindings(analysis.bindings, weights);
      return problem === undefined ? E.right(analysis) : E.left(problem);
    }),
  );
}

function follow(
  topology: Topology,
  graph: LayerGraph,
  shapes: ReadonlyMap<string, Shape | null>,
  weights: ReadonlyMap<string, WeightEntry>,
): ChannelAnalysis {
  const spaces = new Spaces();
  const layers = new Map<string, LayerChannels>();
  const bindings: Binding[] = [];
  for (const layer of graph.layers) {
    const result = layerChannels({
      layer,
      inputs: layer.inputs.map((name) => layers.get(name)?.output ?? null),
      outShape: shapes.get(layer.name) ?? null,
      spaces,
      weightShape: (param) => weights.get(`${layer.name}/${param}`)?.shape,
    });
    layers.set(layer.name, result);
    bindings.push(...result.bindings);
  }
  for (const name of graph.outputs) {
    const output = layers.get(name)?.output;
    for (const s of output ? spacesIn(output, spaces) : []) {
      spaces.flag(s, `it reaches the model output "${name}"`);
    }
  }
  return { topology, graph, spaces, weights, ...settleAll(layers, bindings, spaces) };
}

/** Every layout moved to the unsplit spaces, now that no more splits happen. */
function settleAll(
  layers: ReadonlyMap<string, LayerChannels>,
  bindings: ReadonlyArray<Binding>,
  spaces: Spaces,
) {
  const memo = new Map<Layout, Layout>();
  const settle = (l: Layout) => memo.get(l) ?? memo.set(l, settled(l, spaces)).get(l) as Layout;
  return {
    layers: new Map(
      [...layers].map(([name, c]) => [name, { ...c, output: c.output && settle(c.output) }]),
    ),
    bindings: bindings.map((b) => ({ ...b, layout: settle(b.layout) })),
  };
}

function checkBindings(
  bindings: ReadonlyArray<Binding>,
  weights: ReadonlyMap<string, WeightEntry>,
): WeightMismatch | undefined {
  for (const b of bindings) {
    const w = weights.get(b.weight);
    const want = b.layout.space.length;
    if (w === undefined) {
      return mismatch(b, `a weight with ${want} entries on axis ${b.axis}`, "no such weight");
    }
    if (w.shape[b.axis] !== want) {
      return mismatch(b, `${want} entries on axis ${b.axis}`, `shape [${w.shape.join(", ")}]`);
    }
  }
  return undefined;
}

function mismatch(b: Binding, expected: string, actual: string): WeightMismatch {
  const message = `Layer "${b.layer}": weight "${b.weight}": expected ${expected}, got ${actual}`;
  return { _tag: "WeightMismatch", layer: b.layer, weight: b.weight, expected, actual, message };
}

/**
 * The indices of a layout that survive removing `removed` (root space -> channels).
 *
 * @example
 * ```ts
 * import { keptIndices } from "./channel_analysis.ts";
 * import { freshLayout, Spaces } from "./channel_spaces.ts";
 * const spaces = new Spaces();
 * const s = spaces.create(3, "conv");
 * keptIndices(freshLayout(s, 3), spaces, new Map([[s, new Set([1])]])); // Int32Array [0, 2]
 * ```
 */
export function keptIndices(
  layout: Layout,
  spaces: Spaces,
  removed: ReadonlyMap<number, ReadonlySet<number>>,
): Int32Array {
  const kept: number[] = [];
  for (let i = 0; i < layout.space.length; i++) {
    const gone = removed.get(spaces.find(layout.space[i]));
    if (gone === undefined || !gone.has(layout.channel[i])) kept.push(i);
  }
  return Int32Array.from(kept);
}
