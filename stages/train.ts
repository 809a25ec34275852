/**
 * The training stage over snapshots: a new snapshot whose parent is the input.
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import type { ImageSet } from "../datasets/image_set.ts";
import { type AnalysisError, outInGroups } from "../graph/out_in_groups.ts";
import { modelFromSnapshot, snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { recordedBackend, type StageEnv } from "./env.ts";
import { withCostMetrics } from "./metrics.ts";
import { NO_REGULARIZER, regularizerTerms } from "./regularizer.ts";
import { type Diverged, type StepReport, trainModel, type TrainOptions } from "./train_model.ts";

/**
 * Trains the model of `snapshot` on `data`, with `options.regularizer` over the
 * snapshot's out-in-channel groups, and returns the trained model as a new snapshot
 * (stage "train"; parent, options and seed recorded; metrics: loss, penalty, images/s,
 * seconds, then MACs and parameters counted on the new snapshot). The input snapshot is
 * never modified.
 *
 * @example
 * ```ts
 * const trained = await train(initial, split.train, options, env)();
 * ```
 */
export function train(
  snapshot: Snapshot,
  data: ImageSet,
  options: TrainOptions,
  env: StageEnv & {
    readonly onStep?: (report: StepReport) => void;
    /** The stage name the lineage records (default "train"; the pipeline's "fine-tune"). */
    readonly stage?: string;
  },
): TE.TaskEither<Diverged | AnalysisError, Snapshot> {
  return async () => {
    const regularizer = options.regularizer ?? NO_REGULARIZER;
    const groups = regularizer.kind === "none" ? null : outInGroups(snapshot);
    if (groups !== null && E.isLeft(groups)) return groups;
    const terms = groups === null ? undefined : regularizerTerms(
      groups.right,
      snapshot.weights.map((w) => w.name),
      regularizer,
    );
    const model = await modelFromSnapshot(snapshot);
    try {
      const result = await trainModel(model, data, options, {
        onStep: env.onStep,
        regularizer: terms,
      });
      if (E.isLeft(result)) return result;
      return withCostMetrics(
        await snapshotFromModel(model, {
          parent: snapshot.meta.id,
          stage: env.stage ?? "train",
          options: { ...options, regularizer, data: data.name, count: data.count },
          seed: options.seed,
          metrics: {
            loss: result.right.loss,
            penalty: result.right.penalty,
            images_per_second: result.right.imagesPerSecond,
            seconds: result.right.seconds,
          },
          backend: recordedBackend(env.backend),
          versions: env.versions,
        }),
      );
    } finally {
      model.dispose();
    }
  };
}
