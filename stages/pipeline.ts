/**
 * The iterative method of METHOD.md section 4 as a state machine over snapshots:
 * regularized training, then prune / retrain with the regularizer until the MACs target,
 * then fine-tuning without it. Each call of {@linkcode advance} makes exactly one new
 * snapshot, so a caller can store it and journal the state after every step, and a run
 * resumes from its last complete snapshot.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import type { ImageSet } from "../datasets/image_set.ts";
import type { AnalysisError } from "../graph/out_in_groups.ts";
import type { PlanError } from "../graph/prune_plan.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import type { StageEnv } from "./env.ts";
import type { Accuracy } from "./evaluate_model.ts";
import { withMetrics } from "./metrics.ts";
import {
  type PruneReference,
  pruneReference,
  pruneStep,
  type PruneStepOptions,
} from "./prune_step.ts";
import { NO_REGULARIZER, type RegularizerOptions } from "./regularizer.ts";
import { train } from "./train.ts";
import { type StageDiverged, stageDiverged } from "./stage_diverged.ts";
import type { StepReport, TrainOptions } from "./train_model.ts";

/** Options of a pruning run (METHOD.md sections 2 to 4). */
export interface PipelineOptions {
  readonly regularizer: RegularizerOptions;
  readonly prune: Omit<PruneStepOptions, "reference">;
  /** Everything but the epochs of every training in the run. */
  readonly train: Omit<TrainOptions, "epochs" | "stepsPerEpoch" | "regularizer">;
  /** Regularized training before the first removal (fractions of an epoch allowed). */
  readonly regularizedEpochs: number;
  /** Regularized training after each removal but the last. */
  readonly iterationEpochs: number;
  /** Training without the regularizer at the end, at `fineTuneLr`. */
  readonly fineTuneEpochs: number;
  readonly fineTuneLr: number;
  readonly maxIterations: number;
}

/** What one iteration did. */
export interface IterationRecord {
  readonly iteration: number;
  readonly removedChannels: number;
  readonly macs: number;
  readonly params: number;
  readonly top1Pruned: number;
  readonly top1Trained: number | null;
  /** The snapshot after removal, and after retraining (null until then). */
  readonly pruned: string;
  readonly trained: string | null;
}

/** Where a run is. */
export interface PipelineState {
  readonly phase: "regularize" | "prune" | "train" | "finetune" | "done";
  readonly snapshot: Snapshot;
  readonly reference: PruneReference | null;
  readonly records: ReadonlyArray<IterationRecord>;
}

/** What the pipeline needs from outside: the stage context, evaluation, progress. */
export interface PipelineEnv extends StageEnv {
  readonly evaluate: (snapshot: Snapshot) => Promise<Accuracy>;
  readonly onStep?: (report: StepReport) => void;
}

/** Why a run stopped. */
export type PipelineError = StageDiverged | AnalysisError | PlanError;

/** The state a run starts in from a (trained) snapshot. */
export function startPipeline(snapshot: Snapshot, options: PipelineOptions): PipelineState {
  const phase = options.regularizedEpochs > 0 ? "regularize" : "prune";
  return { phase, snapshot, reference: null, records: [] };
}

/** TrainOptions for `epochs` (possibly fractional) over `count` examples. */
export function trainFor(
  template: PipelineOptions["train"],
  epochs: number,
  count: number,
  extra: Partial<TrainOptions> = {},
): TrainOptions {
  const whole = Math.max(1, Math.ceil(epochs));
  const full = Math.floor(count / template.batchSize);
  const steps = Number.isInteger(epochs) ? null : Math.max(1, Math.round(epochs * full / whole));
  return { ...template, epochs: whole, stepsPerEpoch: steps, ...extra };
}

/**
 * One step of the run: one new snapshot, evaluated, and the next state.
 *
 * @example
 * ```ts
 * import { advance, startPipeline } from "./pipeline.ts";
 * declare const trained: Snapshot, data: ImageSet, options: PipelineOptions, env: PipelineEnv;
 * let state = startPipeline(trained, options);
 * while (state.phase !== "done") {
 *   const next = await advance(state, data, options, env)();
 *   if (next._tag === "Left") throw new Error(next.left.message);
 *   state = next.right;
 * }
 * ```
 */
export function advance(
  state: PipelineState,
  data: ImageSet,
  options: PipelineOptions,
  env: PipelineEnv,
): TE.TaskEither<PipelineError, PipelineState> {
  const seed = options.train.seed + state.records.length;
  const lastGood = state.snapshot.meta.id;
  const trained = (epochs: number, extra: Partial<TrainOptions>, stage: string, label: string) =>
    pipe(
      train(state.snapshot, data, trainFor(options.train, epochs, data.count, { seed, ...extra }), {
        ...env,
        stage,
      }),
      TE.mapLeft((e) => e._tag === "Diverged" ? stageDiverged(e, label, lastGood) : e),
      TE.chainW((s) => TE.fromTask(() => scored(s, env))),
    );
  const { regularizer } = options;
  switch (state.phase) {
    case "regularize":
      return pipe(
        trained(options.regularizedEpochs, { regularizer }, "train", "regularize"),
        TE.map((s) => ({ ...state, phase: "prune" as const, snapshot: s })),
      );
    case "train":
      return pipe(
        trained(
          options.iterationEpochs,
          { regularizer },
          "train",
          `prune-iteration ${state.records.length} train`,
        ),
        TE.map((s) => ({
          ...state,
          phase: "prune" as const,
          snapshot: s,
          records: state.records.map((r, i) =>
            i === state.records.length - 1
              ? { ...r, top1Trained: s.meta.metrics.top1, trained: s.meta.id }
              : r
          ),
        })),
      );
    case "finetune":
      if (options.fineTuneEpochs <= 0) return TE.right({ ...state, phase: "done" as const });
      return pipe(
        trained(
          options.fineTuneEpochs,
          { regularizer: NO_REGULARIZER, lr: options.fineTuneLr },
          "fine-tune",
          "fine-tune",
        ),
        TE.map((s) => ({ ...state, phase: "done" as const, snapshot: s })),
      );
    case "prune":
      return pruned(state, options, env);
    case "done":
      return TE.right(state);
  }
}

async function scored(snapshot: Snapshot, env: PipelineEnv): Promise<Snapshot> {
  const { top1, top5 } = await env.evaluate(snapshot);
  return withMetrics(snapshot, { top1, ...(top5 === undefined ? {} : { top5 }) });
}

function pruned(
  state: PipelineState,
  options: PipelineOptions,
  env: PipelineEnv,
): TE.TaskEither<PipelineError, PipelineState> {
  return pipe(
    TE.fromEither(
      state.reference === null ? pruneReference(state.snapshot) : E.right(state.reference),
    ),
    TE.chain((reference) =>
      pipe(
        TE.fromEither(pruneStep(state.snapshot, { ...options.prune, reference })),
        TE.chain((next) => async (): Promise<E.Either<PipelineError, PipelineState>> => {
          if (next === state.snapshot) {
            return E.right({
              ...state,
              reference,
              phase: "finetune" as const,
            });
          }
          const s = await scored(next, env);
          const plan = (s.meta.options as { plan: Record<string, number[]> }).plan;
          const record: IterationRecord = {
            iteration: state.records.length + 1,
            removedChannels: Object.values(plan).reduce((n, c) => n + c.length, 0),
            macs: s.meta.metrics.macs,
            params: s.meta.metrics.params,
            top1Pruned: s.meta.metrics.top1,
            top1Trained: null,
            pruned: s.meta.id,
            trained: null,
          };
          const done = s.meta.metrics.macs <= options.prune.target * reference.macs ||
            record.iteration >= options.maxIterations;
          const phase = done
            ? "finetune" as const
            : options.iterationEpochs > 0
            ? "train" as const
            : "prune" as const;
          return E.right({ phase, snapshot: s, reference, records: [...state.records, record] });
        }),
      )
    ),
  );
}
