/**
 * Physical channel removal, and its reference: masking the same channels in place.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import { snapshotId } from "../snapshot/id.ts";
import {
  copySnapshot,
  type Json,
  type JsonObject,
  type Snapshot,
  type WeightEntry,
} from "../snapshot/snapshot.ts";
import { OICSR_VERSION } from "../version.ts";
import { takeAlongAxis, zeroAlongAxis } from "./axis_slicing.ts";
import { analyzeChannels, type ChannelAnalysis, keptIndices } from "./channel_analysis.ts";
import type { Binding } from "./channel_rules.ts";
import { countCost } from "./count_cost.ts";
import {
  canonicalPlan,
  type PlanError,
  planRemoval,
  type PrunePlan,
  type Removal,
} from "./plan_removal.ts";

export { type InvalidPlan, type PlanError, PrunePlan } from "./plan_removal.ts";

/**
 * A new snapshot with the plan's channels removed for real: every weight axis they index
 * is sliced (kernels, biases, BatchNormalization parameters and statistics, depthwise
 * filters, Dense rows after Flatten, squeeze-and-excitation weights) and the topology's
 * `filters` / `units` / Reshape targets shrink to match. The lineage records the plan
 * (stage "prune", parent = the input's id). An empty plan returns the input itself. The
 * input is never modified.
 *
 * @example
 * ```ts
 * import { applyPrunePlan } from "./prune_plan.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const resnet20: Snapshot;
 * const r = applyPrunePlan(resnet20, { s1b1_1_conv: [0, 5, 7] });
 * if (r._tag === "Right") r.right.meta.options; // { plan: { s1b1_1_conv: [0, 5, 7] } }
 * ```
 */
export function applyPrunePlan(snapshot: Snapshot, plan: PrunePlan): E.Either<PlanError, Snapshot> {
  return pipe(
    withRemoval(snapshot, plan),
    E.map(({ analysis, removal }) => {
      if (removal.size === 0) return snapshot;
      const byWeight = Map.groupBy(analysis.bindings, (b) => b.weight);
      const weights = snapshot.weights.map((w) =>
        slicedWeight(w, byWeight.get(w.name) ?? [], analysis, removal)
      );
      const topology = resizedTopology(snapshot.topology, analysis, removal);
      return derived(snapshot, topology, weights, "prune", plan);
    }),
  );
}

/**
 * The reference that {@linkcode applyPrunePlan} must match: the same model, with the
 * plan's channels masked: their consumer slices zeroed, so they reach nothing.
 *
 * @example
 * ```ts
 * import { maskPlan } from "./prune_plan.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const resnet20: Snapshot;
 * const masked = maskPlan(resnet20, { s1b1_1_conv: [0, 5, 7] });
 * ```
 */
export function maskPlan(snapshot: Snapshot, plan: PrunePlan): E.Either<PlanError, Snapshot> {
  return pipe(
    withRemoval(snapshot, plan),
    E.map(({ analysis, removal }) => {
      if (removal.size === 0) return snapshot;
      const consumers = analysis.bindings.filter((b) => b.role === "consumer");
      const weights = snapshot.weights.map((w) => {
        let data = w.data;
        for (const b of consumers.filter((b) => b.weight === w.name)) {
          data = zeroAlongAxis(data, w.shape, b.axis, droppedIndices(b, analysis, removal));
        }
        return data === w.data ? w : { ...w, data };
      });
      return derived(snapshot, snapshot.topology, weights, "mask", plan);
    }),
  );
}

function withRemoval(snapshot: Snapshot, plan: PrunePlan) {
  return pipe(
    analyzeChannels(snapshot),
    E.chainW((analysis) =>
      E.map((removal: Removal) => ({ analysis, removal }))(planRemoval(analysis, plan))
    ),
  );
}

function droppedIndices(b: Binding, analysis: ChannelAnalysis, removal: Removal): Int32Array {
  const kept = new Set(keptIndices(b.layout, analysis.spaces, removal));
  return Int32Array.from(b.layout.space.keys()).filter((i) => !kept.has(i));
}

function slicedWeight(
  w: WeightEntry,
  bindings: ReadonlyArray<Binding>,
  analysis: ChannelAnalysis,
  removal: Removal,
): WeightEntry {
  const axes = new Map(bindings.map((b) => [b.axis, b]));
  let data = w.data;
  let shape = [...w.shape];
  for (const [axis, b] of [...axes].sort(([a], [c]) => a - c)) {
    const keep = keptIndices(b.layout, analysis.spaces, removal);
    if (keep.length === shape[axis]) continue;
    ({ data, shape } = takeAlongAxis(data, shape, axis, keep));
  }
  return { name: w.name, shape, dtype: w.dtype, data };
}

function resizedTopology(
  topology: JsonObject,
  analysis: ChannelAnalysis,
  removal: Removal,
): JsonObject {
  const next = structuredClone(topology) as { config: { layers: Array<Record<string, Json>> } };
  for (const layer of next.config.layers) {
    const config = layer.config as Record<string, Json>;
    const name = String(layer.name ?? config.name);
    const channels = analysis.layers.get(name);
    if (channels?.width === undefined || channels.output === null) continue;
    const width = keptIndices(channels.output, analysis.spaces, removal).length;
    if (channels.width !== "target_shape") config[channels.width] = width;
    else {
      const target = [...(config.target_shape as number[])];
      if (target[target.length - 1] !== -1) target[target.length - 1] = width;
      config.target_shape = target;
    }
  }
  return next as unknown as JsonObject;
}

function derived(
  parent: Snapshot,
  topology: JsonObject,
  weights: ReadonlyArray<WeightEntry>,
  stage: string,
  plan: PrunePlan,
): Snapshot {
  const cost = countCost({ ...parent, topology, weights });
  const metrics: Record<string, number> = E.isRight(cost)
    ? { macs: cost.right.macs, params: cost.right.params }
    : {};
  return copySnapshot({
    topology,
    weights,
    meta: {
      ...parent.meta,
      id: snapshotId(topology, weights),
      parent: parent.meta.id,
      stage,
      options: { plan: canonicalPlan(plan) },
      metrics,
      versions: { ...parent.meta.versions, oicsr: OICSR_VERSION },
      createdAt: new Date().toISOString(),
    },
  });
}
