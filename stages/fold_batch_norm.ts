/**
 * Batch normalisation folded into the convolution or dense layer before it, for inference:
 * the layer's kernel is scaled by gamma / sqrt(variance + epsilon) per output channel and
 * its bias becomes beta + (bias - mean) * that scale; a ReLU right after the batch norm
 * becomes the layer's activation. One fused kernel runs where three did, and the outputs
 * are the same up to float rounding. A model that is trained further keeps its batch norms:
 * this is for the model a user deploys.
 * @module
 */
import * as E from "fp-ts/Either";
import { decodeTopology, SNAPSHOT_TOPOLOGY_FILE } from "../graph/keras_topology.ts";
import { type GraphLayer, layerGraph } from "../graph/layer_graph.ts";
import type { TopologyError } from "../graph/topology_errors.ts";
import { snapshotId } from "../snapshot/id.ts";
import {
  copySnapshot,
  type JsonObject,
  type Snapshot,
  type WeightEntry,
} from "../snapshot/snapshot.ts";

/** The layer classes a batch norm folds into. */
const FOLDS_INTO: Readonly<Record<string, true>> = {
  Conv2D: true,
  Dense: true,
  DepthwiseConv2D: true,
};

/** One batch norm to fold: the layer before it, and the ReLU after it to absorb, if any. */
interface Fold {
  readonly into: string;
  readonly norm: string;
  readonly relu: string | null;
  readonly epsilon: number;
}

/**
 * The snapshot with every foldable batch norm folded (stage `fold-bn`, parent the input);
 * the input itself when none folds. A batch norm folds when it normalises the last axis of
 * the output of a Conv2D, DepthwiseConv2D or Dense layer with a linear activation that
 * nothing else reads; a following `Activation` ReLU that reads only the batch norm is
 * absorbed too.
 *
 * @example
 * ```ts
 * import { foldBatchNorm } from "./fold_batch_norm.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const compact: Snapshot;
 * const deployed = foldBatchNorm(compact); // Right(snapshot without BatchNormalization layers)
 * ```
 */
export function foldBatchNorm(snapshot: Snapshot): E.Either<TopologyError, Snapshot> {
  return E.map((folds: readonly Fold[]) => {
    if (folds.length === 0) return snapshot;
    const weights = foldWeights(snapshot.weights, folds);
    const topology = foldTopology(snapshot.topology, folds);
    return copySnapshot({
      topology,
      weights,
      meta: {
        ...snapshot.meta,
        id: snapshotId(topology, weights),
        parent: snapshot.meta.id,
        stage: "fold-bn",
        options: { folded: folds.map((f) => f.norm) },
        createdAt: new Date().toISOString(),
      },
    });
  })(foldsOf(snapshot));
}

function foldsOf(snapshot: Snapshot): E.Either<TopologyError, Fold[]> {
  return E.map((topology: Parameters<typeof layerGraph>[0]) => {
    const graph = layerGraph(topology);
    const names = new Set(snapshot.weights.map((w) => w.name));
    const has = (name: string) => names.has(name);
    const readers = new Map<string, GraphLayer[]>();
    for (const l of graph.layers) {
      for (const i of l.inputs) readers.set(i, [...readers.get(i) ?? [], l]);
    }
    const byName = new Map(graph.layers.map((l) => [l.name, l]));
    const onlyReader = (name: string) => {
      const r = readers.get(name) ?? [];
      return r.length === 1 && !graph.outputs.includes(name) ? r[0] : null;
    };
    const folds: Fold[] = [];
    for (const norm of graph.layers) {
      if (norm.className !== "BatchNormalization" || norm.irregular !== null) continue;
      const into = norm.inputs.length === 1 ? byName.get(norm.inputs[0]) : undefined;
      if (into === undefined || !FOLDS_INTO[into.className] || into.irregular !== null) continue;
      if (onlyReader(into.name) !== norm || !linear(into.config)) continue;
      if (!normalisesLastAxis(norm.config, into.className)) continue;
      const next = onlyReader(norm.name);
      const relu = next !== null && next.irregular === null && next.className === "Activation" &&
          next.config.activation === "relu"
        ? next.name
        : null;
      if (!has(`${into.name}/kernel`) && !has(`${into.name}/depthwise_kernel`)) continue;
      if (!has(`${norm.name}/moving_mean`) || !has(`${norm.name}/moving_variance`)) continue;
      const epsilon = typeof norm.config.epsilon === "number" ? norm.config.epsilon : 1e-3;
      folds.push({ into: into.name, norm: norm.name, relu, epsilon });
    }
    return folds;
  })(decodeTopology(snapshot.topology, SNAPSHOT_TOPOLOGY_FILE));
}

function linear(config: JsonObject): boolean {
  return config.activation === undefined || config.activation === "linear";
}

function normalisesLastAxis(config: JsonObject, into: string): boolean {
  const axis = config.axis ?? -1;
  const last = into === "Dense" ? 1 : 3;
  return axis === -1 || axis === last || (Array.isArray(axis) && axis.length === 1 &&
    (axis[0] === -1 || axis[0] === last));
}

/** Kernels scaled and biases shifted; the batch norms' weights dropped. */
function foldWeights(weights: readonly WeightEntry[], folds: readonly Fold[]): WeightEntry[] {
  const byName = new Map(weights.map((w) => [w.name, w]));
  const dropped = new Set<string>();
  const replaced = new Map<string, WeightEntry[]>();
  for (const f of folds) {
    // foldsOf() folds only where the kernel and the moving statistics are there.
    const kernel = (byName.get(`${f.into}/kernel`) ??
      byName.get(`${f.into}/depthwise_kernel`)) as WeightEntry;
    const bias = byName.get(`${f.into}/bias`);
    const norm = (part: string) => byName.get(`${f.norm}/${part}`)?.data;
    const mean = norm("moving_mean") as Float32Array;
    const variance = norm("moving_variance") as Float32Array;
    const gamma = norm("gamma"), beta = norm("beta");
    const channels = mean.length;
    const scale = Float64Array.from(
      { length: channels },
      (_, c) => (gamma?.[c] ?? 1) / Math.sqrt(variance[c] + f.epsilon),
    );
    // The output channel is the kernel's last axis (Conv2D, Dense) or, for a depthwise
    // kernel [h, w, in, multiplier], in * multiplier + m: the flat index modulo the width.
    const k = Float32Array.from(kernel.data, (v, i) => v * scale[i % channels]);
    const b = Float32Array.from(
      { length: channels },
      (_, c) => (beta?.[c] ?? 0) + ((bias?.data[c] ?? 0) - mean[c]) * scale[c],
    );
    replaced.set(kernel.name, [
      { ...kernel, data: k },
      { name: `${f.into}/bias`, shape: [channels], dtype: "float32", data: b },
    ]);
    if (bias !== undefined) dropped.add(bias.name);
    for (const w of weights) if (w.name.startsWith(`${f.norm}/`)) dropped.add(w.name);
  }
  return weights.flatMap((w) => replaced.get(w.name) ?? (dropped.has(w.name) ? [] : [w]));
}

/** The batch norms and absorbed ReLUs removed; their readers read the folded layer. */
function foldTopology(topology: JsonObject, folds: readonly Fold[]): JsonObject {
  const next = structuredClone(topology) as { config: { layers: Layer[]; output_layers?: Ref[] } };
  const gone = new Map<string, string>();
  for (const f of folds) {
    gone.set(f.norm, f.into);
    if (f.relu !== null) gone.set(f.relu, f.into);
  }
  const layers = next.config.layers;
  const nameOf = (l: Layer) => (l.name ?? l.config.name) as string;
  for (const f of folds) {
    const into = layers.find((l) => nameOf(l) === f.into) as Layer;
    into.config.use_bias = true;
    if (f.relu !== null) into.config.activation = "relu";
  }
  next.config.layers = layers.filter((l) => !gone.has(nameOf(l)));
  const renamed = (ref: Ref): Ref =>
    gone.has(ref[0]) ? [gone.get(ref[0]) as string, ...ref.slice(1)] : ref;
  for (const l of next.config.layers) {
    if (l.inbound_nodes !== undefined) {
      l.inbound_nodes = l.inbound_nodes.map((node) => node.map(renamed));
    }
  }
  if (next.config.output_layers !== undefined) {
    next.config.output_layers = next.config.output_layers.map(renamed);
  }
  return next as unknown as JsonObject;
}

type Ref = [string, ...unknown[]];
type Layer = {
  name?: string;
  config: Record<string, unknown>;
  inbound_nodes?: Ref[][];
};
