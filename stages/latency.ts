/**
 * Inference latency of a snapshot's model on the current backend.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";

/** Median milliseconds of one prediction at batch 1 and at batch 64. */
export interface Latency {
  readonly batch1: number;
  readonly batch64: number;
}

/** Milliseconds of one prediction of `x`, read back. */
export async function predictMs(model: tf.LayersModel, x: tf.Tensor): Promise<number> {
  const start = performance.now();
  // The whole batch at once (predict would cut it into batches of 32).
  const y = model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
  await y.data();
  y.dispose();
  return performance.now() - start;
}

/** The middle value (the upper one of an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * Median latencies of several snapshots' models, timed in turn (model 1, model 2, ..., then
 * again), so that a change in the machine's load falls on all of them alike; two warm-up runs
 * each, `runs` timed runs each, batch 1 and batch 64 of seeded random inputs of `shape`.
 *
 * @example
 * ```ts
 * import { measureLatencies } from "./latency.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const dense: Snapshot, compact: Snapshot;
 * const [before, after] = await measureLatencies([dense, compact], [32, 32, 3], 20);
 * ```
 */
export async function measureLatencies(
  snapshots: readonly Snapshot[],
  shape: readonly [number, number, number],
  runs: number,
): Promise<Latency[]> {
  const models = await Promise.all(snapshots.map(modelFromSnapshot));
  const one = tf.randomNormal([1, ...shape], 0, 1, "float32", 1);
  const many = tf.randomNormal([64, ...shape], 0, 1, "float32", 2);
  try {
    const medians = async (x: tf.Tensor) => {
      for (let i = 0; i < 2; i++) for (const m of models) await predictMs(m, x);
      const times = models.map(() => [] as number[]);
      for (let i = 0; i < runs; i++) {
        for (const [k, m] of models.entries()) times[k].push(await predictMs(m, x));
      }
      return times.map((t) => Math.round(median(t) * 100) / 100);
    };
    const [ones, manys] = [await medians(one), await medians(many)];
    return models.map((_, k) => ({ batch1: ones[k], batch64: manys[k] }));
  } finally {
    tf.dispose([one, many]);
    for (const m of models) m.dispose();
  }
}

/**
 * Median latency over `runs` timed predictions (after two warm-up runs), reading the
 * result back each time, for inputs of `shape` ([h, w, c]).
 *
 * @example
 * ```ts
 * import { measureLatency } from "./latency.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const compact: Snapshot;
 * const { batch1, batch64 } = await measureLatency(compact, [32, 32, 3], 20);
 * ```
 */
export async function measureLatency(
  snapshot: Snapshot,
  shape: readonly [number, number, number],
  runs: number,
): Promise<Latency> {
  return (await measureLatencies([snapshot], shape, runs))[0];
}
