/**
 * Metrics that every snapshot carries.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { countCost } from "../models/cost.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";

/** Multiply-accumulates and parameters of a model, as snapshot metrics. */
export function costMetrics(model: tf.LayersModel): { macs: number; params: number } {
  const { macs, params } = countCost(model);
  return { macs, params };
}

/**
 * The same snapshot with more metrics (its id is unchanged: metrics annotate the content).
 *
 * @example
 * ```ts
 * const scored = withMetrics(trained, { top1: 0.71 });
 * ```
 */
export function withMetrics(snapshot: Snapshot, metrics: Record<string, number>): Snapshot {
  return {
    ...snapshot,
    meta: { ...snapshot.meta, metrics: { ...snapshot.meta.metrics, ...metrics } },
  };
}
