/**
 * Replay (METHOD.md section 4): re-run the stage that made a snapshot, from its parent,
 * with the options its metadata records, and compare the content ids. On the backend the
 * snapshot records the result is promised bit-identical; on another one it is not.
 *
 * @module
 */
import { foldBatchNorm } from "./fold_batch_norm.ts";
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import * as t from "io-ts";
import type { DataError } from "../datasets/errors.ts";
import type { ImageSet } from "../datasets/image_set.ts";
import type { AnalysisError } from "../graph/out_in_groups.ts";
import { applyPrunePlan, maskPlan, type PlanError, PrunePlan } from "../graph/prune_plan.ts";
import type { TopologyError } from "../graph/keras_topology.ts";
import type { UnknownModel } from "../models/zoo.ts";
import { describeValidation } from "../snapshot/errors.ts";
import { canonicalJson } from "../snapshot/id.ts";
import type { Json, Snapshot } from "../snapshot/snapshot.ts";
import type { StageEnv } from "./env.ts";
import { init } from "./init.ts";
import { pruneStep, PruneStepOptions } from "./prune_step.ts";
import { RegularizerOptions } from "./regularizer.ts";
import { train } from "./train.ts";
import type { Diverged } from "./train_model.ts";

/** The stages {@linkcode replayStage} can re-run. */
export const REPLAYABLE_STAGES = [
  "init",
  "train",
  "fine-tune",
  "prune",
  "mask",
  "fold-bn",
] as const;

/** The data set a training stage recorded (`data`, `count`) is not available. */
export interface DataUnavailable {
  readonly _tag: "DataUnavailable";
  readonly name: string;
  readonly count: number;
  readonly message: string;
}

/** What a replay needs from outside: the stage context and the recorded data sets. */
export interface ReplayEnv extends StageEnv {
  /** The first `count` images of the data set recorded as `name` (e.g. "cifar10/train"). */
  readonly data: (
    name: string,
    count: number,
  ) => TE.TaskEither<DataError | DataUnavailable, ImageSet>;
}

/** The snapshot was made by a stage replay does not know (e.g. "import", from a file). */
export interface UnknownStage {
  readonly _tag: "UnknownStage";
  readonly stage: string;
  readonly message: string;
}

/** The recorded options do not fit the stage (a field missing or of the wrong type). */
export interface BadRecordedOptions {
  readonly _tag: "BadRecordedOptions";
  readonly stage: string;
  readonly field: string;
  readonly message: string;
}

/** The parent given is not the one the snapshot records (or one is missing). */
export interface WrongParent {
  readonly _tag: "WrongParent";
  readonly expected: string | null;
  readonly actual: string | null;
  readonly message: string;
}

/** Why a replay could not run. A replay that runs and differs is a result, not an error. */
export type ReplayError =
  | UnknownStage
  | BadRecordedOptions
  | WrongParent
  | DataUnavailable
  | DataError
  | Diverged
  | AnalysisError
  | PlanError
  | UnknownModel
  | TopologyError;

/** What a replay found. */
export interface ReplayResult {
  readonly stage: string;
  /** The id the snapshot has. */
  readonly expected: string;
  /** The id the replay produced. */
  readonly actual: string;
  /** Same id (and, for a selected prune, the same plan recomputed). */
  readonly identical: boolean;
  /** The backend replayed on has the name the snapshot records. */
  readonly sameBackend: boolean;
  /** What differed beyond the id, e.g. the recomputed plan; null when nothing. */
  readonly detail: string | null;
}

const Schedule = t.union([
  t.type({ kind: t.literal("cosine") }),
  t.type({ kind: t.literal("step"), milestones: t.array(t.number), gamma: t.number }),
]);

/** Options a "train" / "fine-tune" snapshot records: TrainOptions + `data`, `count`. */
const RecordedTraining = t.intersection([
  t.type({
    epochs: t.number,
    batchSize: t.number,
    lr: t.number,
    momentum: t.number,
    weightDecay: t.number,
    schedule: Schedule,
    augment: t.boolean,
    seed: t.number,
    stepsPerEpoch: t.union([t.number, t.null]),
    normalisation: t.type({ mean: t.array(t.number), std: t.array(t.number) }),
    data: t.string,
    count: t.number,
  }),
  t.partial({ regularizer: RegularizerOptions }),
]);

const RecordedPrune = t.intersection([
  t.type({ plan: PrunePlan }),
  t.partial({ selection: PruneStepOptions }),
]);

const RecordedInit = t.type({ model: t.string, classes: t.number, seed: t.number });

/**
 * Re-runs the stage that made `snapshot` from `parent` (null for "init") with the recorded
 * options and compares the new id with the snapshot's. Stages: "init", "train",
 * "fine-tune" (data from `env.data`), "prune" (with a recorded selection the plan is
 * recomputed by `pruneStep` and must equal the recorded one; else the plan is applied),
 * "mask", "fold-bn" (the batch norms folded again). Neither input is modified.
 *
 * @example
 * ```ts
 * import { replayStage } from "./replay.ts";
 * declare const trained: Snapshot, initial: Snapshot, env: ReplayEnv;
 * const r = await replayStage(trained, initial, env)();
 * if (r._tag === "Right") r.right.identical; // true on the recorded backend
 * ```
 */
export function replayStage(
  snapshot: Snapshot,
  parent: Snapshot | null,
  env: ReplayEnv,
): TE.TaskEither<ReplayError, ReplayResult> {
  return async () => {
    const { stage, options } = snapshot.meta;
    if (!(REPLAYABLE_STAGES as readonly string[]).includes(stage)) {
      const known = REPLAYABLE_STAGES.join(", ");
      const message = `Cannot replay stage "${stage}" of snapshot ${short(snapshot)}: ` +
        `replay knows the stages ${known}`;
      return E.left({ _tag: "UnknownStage", stage, message });
    }
    const wrong = checkParent(snapshot, stage === "init" ? null : parent);
    if (wrong !== null) return E.left(wrong);
    const rerun = stage === "init"
      ? await replayInit(options, env)
      : stage === "train" || stage === "fine-tune"
      ? await replayTraining(parent as Snapshot, stage, options, env)
      : stage === "fold-bn"
      ? E.map(idOnly)(foldBatchNorm(parent as Snapshot))
      : replayPlan(parent as Snapshot, stage, options);
    return E.map(({ actual, detail }: Rerun) => ({
      stage,
      expected: snapshot.meta.id,
      actual,
      identical: actual === snapshot.meta.id && detail === null,
      sameBackend: snapshot.meta.backend.name === env.backend.name,
      detail,
    }))(rerun);
  };
}

type Rerun = { readonly actual: string; readonly detail: string | null };

const short = (s: Snapshot) => s.meta.id.slice(0, 12);

function checkParent(snapshot: Snapshot, parent: Snapshot | null): WrongParent | null {
  const expected = snapshot.meta.parent, actual = parent?.meta.id ?? null;
  const { stage } = snapshot.meta;
  if (expected === actual && (actual !== null || stage === "init")) return null;
  const name = (id: string | null) => id === null ? "none" : id.slice(0, 12);
  const why = expected === null && actual === null
    ? `it records no parent, and the stage re-runs from one`
    : `it was made from ${name(expected)}, the parent given is ${name(actual)}`;
  const message = `Cannot replay snapshot ${short(snapshot)} (stage "${stage}"): ${why}`;
  return { _tag: "WrongParent", expected, actual, message };
}

function decodeRecorded<A>(
  codec: t.Decoder<unknown, A>,
  stage: string,
  options: Json,
): E.Either<BadRecordedOptions, A> {
  return E.mapLeft((errors: t.Errors): BadRecordedOptions => {
    const { field, detail } = describeValidation(errors);
    const message = `Cannot replay stage "${stage}": its recorded options do not fit (${detail})`;
    return { _tag: "BadRecordedOptions", stage, field, message };
  })(codec.decode(options));
}

async function replayInit(options: Json, env: ReplayEnv): Promise<E.Either<ReplayError, Rerun>> {
  const recorded = decodeRecorded(RecordedInit, "init", options);
  if (E.isLeft(recorded)) return recorded;
  const made = await init(recorded.right, env)();
  return E.map((s: Snapshot) => ({ actual: s.meta.id, detail: null }))(made);
}

async function replayTraining(
  parent: Snapshot,
  stage: string,
  options: Json,
  env: ReplayEnv,
): Promise<E.Either<ReplayError, Rerun>> {
  const recorded = decodeRecorded(RecordedTraining, stage, options);
  if (E.isLeft(recorded)) return recorded;
  const { data: name, count, ...training } = recorded.right;
  const data = await env.data(name, count)();
  if (E.isLeft(data)) return data;
  if (data.right.count !== count) {
    const message = `Cannot replay stage "${stage}": it trained on ${count} images of ` +
      `${name}, only ${data.right.count} are available`;
    return E.left({ _tag: "DataUnavailable", name, count, message });
  }
  const made = await train(parent, data.right, training, { ...env, stage })();
  return E.map((s: Snapshot) => ({ actual: s.meta.id, detail: null }))(made);
}

function replayPlan(parent: Snapshot, stage: string, options: Json): E.Either<ReplayError, Rerun> {
  const recorded = decodeRecorded(RecordedPrune, stage, options);
  if (E.isLeft(recorded)) return recorded;
  const { plan, selection } = recorded.right;
  if (stage === "mask") return E.map(idOnly)(maskPlan(parent, plan));
  if (selection === undefined) return E.map(idOnly)(applyPrunePlan(parent, plan));
  return E.map((s: Snapshot): Rerun => {
    const got = s === parent ? {} : (s.meta.options as { plan: Json }).plan;
    const same = canonicalJson(got) === canonicalJson(plan as Json);
    const detail = same ? null : `the selection chose the plan ${canonicalJson(got)}, ` +
      `the snapshot records ${canonicalJson(plan as Json)}`;
    return { actual: s.meta.id, detail };
  })(pruneStep(parent, selection));
}

const idOnly = (s: Snapshot): Rerun => ({ actual: s.meta.id, detail: null });
