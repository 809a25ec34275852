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

async function medianMs(model: tf.LayersModel, x: tf.Tensor, runs: number): Promise<number> {
  const once = async () => {
    const start = performance.now();
    // The whole batch at once (predict would cut it into batches of 32).
    const y = model.predict(x, { batchSize: x.shape[0] }) as tf.Tensor;
    await y.data();
    y.dispose();
    return performance.now() - start;
  };
  for (let i = 0; i < 2; i++) await once();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(await once());
  times.sort((a, b) => a - b);
  return Math.round(times[Math.floor(runs / 2)] * 100) / 100;
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
  const model = await modelFromSnapshot(snapshot);
  const one = tf.zeros([1, ...shape]);
  const many = tf.zeros([64, ...shape]);
  try {
    return { batch1: await medianMs(model, one, runs), batch64: await medianMs(model, many, runs) };
  } finally {
    tf.dispose([one, many]);
    model.dispose();
  }
}
