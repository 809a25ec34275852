/**
 * Metrics that every snapshot carries.
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import { countCost } from "../graph/count_cost.ts";
import type { TopologyError } from "../graph/keras_topology.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";

/**
 * Multiply-accumulates (of the layers that could be counted) and parameters of a
 * snapshot, as snapshot metrics. Fails when the topology does not decode.
 *
 * @example
 * ```ts
 * import { costMetrics } from "./metrics.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot; // CifarNet
 * costMetrics(snapshot); // right({ macs: 32_778_112, params: 1_756_426 })
 * ```
 */
export function costMetrics(
  snapshot: Snapshot,
): E.Either<TopologyError, { macs: number; params: number }> {
  return pipe(countCost(snapshot), E.map(({ macs, params }) => ({ macs, params })));
}

/**
 * The same snapshot with its cost metrics (`macs`, `params`) added after the others.
 *
 * @example
 * ```ts
 * import { withCostMetrics } from "./metrics.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * const counted = withCostMetrics(trained); // right(snapshot with macs and params)
 * ```
 */
export function withCostMetrics(snapshot: Snapshot): E.Either<TopologyError, Snapshot> {
  return pipe(costMetrics(snapshot), E.map((cost) => withMetrics(snapshot, cost)));
}

/**
 * The same snapshot with more metrics (its id is unchanged: metrics annotate the content).
 * The new snapshot, its meta and metrics are frozen; topology and weights are shared.
 *
 * @example
 * ```ts
 * import { withMetrics } from "./metrics.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * const scored = withMetrics(trained, { top1: 0.71 });
 * ```
 */
export function withMetrics(snapshot: Snapshot, metrics: Record<string, number>): Snapshot {
  const merged = Object.freeze({ ...snapshot.meta.metrics, ...metrics });
  return Object.freeze({
    ...snapshot,
    meta: Object.freeze({ ...snapshot.meta, metrics: merged }),
  });
}
