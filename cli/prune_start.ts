/**
 * Where a pruning run starts: a snapshot of the store (`--from`), a user's model file, the
 * published baseline of the model (`--baselines`), or a dense model trained first; and the
 * pipeline's options from the flags.
 * @module
 */
import type { Normalisation } from "../datasets/batches.ts";
import type { Split } from "../datasets/image_set.ts";
import type { PipelineOptions } from "../stages/pipeline.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { readSnapshot, writeSnapshot } from "../snapshot/store.ts";
import { resolveSnapshotId } from "../snapshot/store_list.ts";
import type { StageEnv } from "../stages/env.ts";
import { trainBaseline } from "./baseline.ts";
import { findBaseline } from "./baselines.ts";
import { checkFitsData, classesOf, modelSnapshot } from "./load_model.ts";
import { isModelFile, type PruneOptions } from "./options.ts";
import { orStop } from "./stop.ts";
import { baseLr, trainOptions } from "./train_options.ts";

/**
 * The snapshot a run starts from, written to `--store` so that the run's lineage is
 * complete there.
 *
 * @example
 * ```ts
 * import { startingSnapshot } from "./prune_start.ts";
 * import type { PruneOptions } from "./options.ts";
 * import type { Split } from "../datasets/image_set.ts";
 * import type { StageEnv } from "../stages/env.ts";
 * declare const o: PruneOptions, data: Split, env: StageEnv;
 * const start = await startingSnapshot(o, data, env, console.error);
 * ```
 */
export async function startingSnapshot(
  o: PruneOptions,
  data: Split,
  env: StageEnv,
  log: (line: string) => void,
): Promise<Snapshot> {
  if (o.from !== null) {
    const id = orStop(await resolveSnapshotId(o.store, o.from)());
    log(`start: snapshot ${id.slice(0, 12)} of ${o.store}`);
    return orStop(await readSnapshot(o.store, id)());
  }
  const seeded = { classes: classesOf(o), seed: o.seed };
  if (isModelFile(o.model)) {
    const imported = orStop(await modelSnapshot(o.model, seeded, env)());
    orStop(await checkFitsData(imported, o.model, data.train)());
    orStop(await writeSnapshot(o.store, imported)());
    log(`start: ${o.model} (imported as ${imported.meta.id.slice(0, 12)})`);
    return imported;
  }
  if (o.baselines !== "none") {
    const found = orStop(await findBaseline(o.baselines, o)());
    if (found !== null) {
      orStop(await writeSnapshot(o.store, found)());
      log(`start: the published baseline ${found.meta.id.slice(0, 12)} of ${o.baselines}`);
      return found;
    }
  }
  log(`start: no baseline of ${o.model} on ${o.data} in ${o.baselines}; training one first`);
  const initial = orStop(await modelSnapshot(o.model, seeded, env)());
  return await trainBaseline(o, data, initial, env);
}

/**
 * The pipeline's options from the flags.
 *
 * @example
 * ```ts
 * import { pipelineOptions } from "./prune_start.ts";
 * import type { PruneOptions } from "./options.ts";
 * declare const o: PruneOptions;
 * pipelineOptions(o, { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] }).prune.target; // 0.6
 * ```
 */
export function pipelineOptions(o: PruneOptions, normalisation: Normalisation): PipelineOptions {
  const lr = o.pruneLr ?? baseLr(o) / 5;
  const { epochs: _e, stepsPerEpoch: _s, ...train } = trainOptions(o, normalisation);
  return {
    regularizer: { kind: o.regularizer, lambda: o.lambda },
    prune: {
      score: { normalise: o.normalise, costAware: o.costAware },
      step: o.step,
      target: o.targetFlops,
      cap: o.cap,
      // Recorded only where it changes the plan, so earlier lineages read as they did.
      ...(o.channelMultiple > 1 ? { multiple: o.channelMultiple } : {}),
    },
    train: { ...train, lr },
    regularizedEpochs: o.regEpochs,
    iterationEpochs: o.iterEpochs,
    fineTuneEpochs: o.fineTuneEpochs,
    fineTuneLr: lr,
    maxIterations: o.maxIterations,
  };
}

/**
 * The input normalisation the starting model was trained with (recorded in its training
 * stage's options), so that pruning feeds it what it learned on; null when not recorded.
 *
 * @example
 * ```ts
 * import { recordedNormalisation } from "./prune_start.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * recordedNormalisation(trained); // { mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] }
 * ```
 */
export function recordedNormalisation(snapshot: Snapshot): Normalisation | null {
  const n = (snapshot.meta.options as { normalisation?: unknown } | null)?.normalisation;
  const ok = (v: unknown): v is number[] =>
    Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === "number");
  if (typeof n !== "object" || n === null) return null;
  const { mean, std } = n as { mean?: unknown; std?: unknown };
  return ok(mean) && ok(std) ? { mean, std } : null;
}
