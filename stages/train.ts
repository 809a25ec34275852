/**
 * The training stage over snapshots: a new snapshot whose parent is the input.
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import type { ImageSet } from "../datasets/image_set.ts";
import type { TopologyError } from "../graph/keras_topology.ts";
import { modelFromSnapshot, snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { recordedBackend, type StageEnv } from "./env.ts";
import { withCostMetrics } from "./metrics.ts";
import { type Diverged, type StepReport, trainModel, type TrainOptions } from "./train_model.ts";

/**
 * Trains the model of `snapshot` on `data` and returns the trained model as a new
 * snapshot (stage "train"; parent, options and seed recorded; metrics: loss, images/s,
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
  env: StageEnv & { readonly onStep?: (report: StepReport) => void },
): TE.TaskEither<Diverged | TopologyError, Snapshot> {
  return async () => {
    const model = await modelFromSnapshot(snapshot);
    try {
      const result = await trainModel(model, data, options, env.onStep);
      if (E.isLeft(result)) return result;
      return withCostMetrics(
        await snapshotFromModel(model, {
          parent: snapshot.meta.id,
          stage: "train",
          options: { ...options, data: data.name, count: data.count },
          seed: options.seed,
          metrics: {
            loss: result.right.loss,
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
