/**
 * The first stage: a freshly initialised model of the zoo, as a snapshot.
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import type { TopologyError } from "../graph/keras_topology.ts";
import { buildModel, type UnknownModel } from "../models/zoo.ts";
import { snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { recordedBackend, type StageEnv } from "./env.ts";
import { withCostMetrics } from "./metrics.ts";

/** Options of {@linkcode init}. */
export interface InitOptions {
  readonly model: string;
  readonly classes: number;
  readonly seed: number;
}

/**
 * Builds the model `options.model` with seeded weights and captures it as a snapshot
 * with no parent (stage "init"; metrics: MACs and parameters, counted on the snapshot).
 *
 * @example
 * ```ts
 * const snap = await init({ model: "cifarnet", classes: 10, seed: 0 }, env)();
 * ```
 */
export function init(
  options: InitOptions,
  env: StageEnv,
): TE.TaskEither<UnknownModel | TopologyError, Snapshot> {
  return async () => {
    const built = buildModel(options.model, options);
    if (E.isLeft(built)) return built;
    const model = built.right;
    try {
      return withCostMetrics(
        await snapshotFromModel(model, {
          parent: null,
          stage: "init",
          options: { ...options },
          seed: options.seed,
          metrics: {},
          backend: recordedBackend(env.backend),
          versions: env.versions,
        }),
      );
    } finally {
      model.dispose();
    }
  };
}
