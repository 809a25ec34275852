/**
 * One pruning iteration's removal as a stage: score the out-in-channels, select the
 * lowest globally, remove them. The new snapshot records the plan and how it was chosen.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan, type PlanError } from "../graph/prune_plan.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { greedyPlan } from "./greedy_plan.ts";
import { scoreGroups, ScoreOptions } from "./score.ts";

/** The model a pruning run started from: the step, the target and the caps refer to it. */
export const PruneReference = t.readonly(t.type({
  macs: t.number,
  /** Width of every prunable group, by group id. */
  widths: t.readonly(t.record(t.string, t.number)),
}));
/** The model a pruning run started from: the step, the target and the caps refer to it. */
export type PruneReference = t.TypeOf<typeof PruneReference>;

/** Options of {@linkcode pruneStep}; all of them go into the lineage. */
export const PruneStepOptions = t.readonly(t.intersection([
  t.type({
    score: ScoreOptions,
    /** MACs removed per iteration, as a fraction of the reference's (default 0.1). */
    step: t.number,
    /** Keep this fraction of the reference's MACs (e.g. 0.6). */
    target: t.number,
    /** At most this fraction of a group's reference width is removed (default 0.5). */
    cap: t.number,
    reference: PruneReference,
  }),
  /** Widths left are multiples of this (absent: 1, any width; see `greedyPlan`). */
  t.partial({ multiple: t.number }),
]));
/** Options of {@linkcode pruneStep}; all of them go into the lineage. */
export type PruneStepOptions = t.TypeOf<typeof PruneStepOptions>;

/**
 * The reference of a run that starts at `snapshot`: its MACs and group widths.
 *
 * @example
 * ```ts
 * import { pruneReference } from "./prune_step.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * const reference = pruneReference(trained); // Right({ macs: 40813184, widths: { stem_conv: 16, ... } })
 * ```
 */
export function pruneReference(snapshot: Snapshot): E.Either<PlanError, PruneReference> {
  return E.map((groups: { groups: ReadonlyArray<{ id: string; channels: number }> }) => ({
    macs: snapshot.meta.metrics.macs,
    widths: Object.fromEntries(groups.groups.map((g) => [g.id, g.channels])),
  }))(outInGroups(snapshot));
}

/**
 * Scores, selects and removes one iteration's channels: a new snapshot (stage "prune",
 * options `{ plan, selection }`), or the input itself when nothing more can be removed
 * (every group at its cap or the target met).
 *
 * @example
 * ```ts
 * import { pruneReference, pruneStep } from "./prune_step.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * const reference = pruneReference(trained);
 * if (reference._tag === "Right") {
 *   const pruned = pruneStep(trained, {
 *     score: { normalise: "none", costAware: false }, step: 0.1, target: 0.6, cap: 0.5,
 *     reference: reference.right,
 *   });
 * }
 * ```
 */
export function pruneStep(
  snapshot: Snapshot,
  options: PruneStepOptions,
): E.Either<PlanError, Snapshot> {
  return pipe(
    outInGroups(snapshot),
    E.chainW((groups) => {
      const scores = scoreGroups(snapshot, groups, options.score);
      const { plan } = greedyPlan(snapshot, groups, scores, {
        referenceMacs: options.reference.macs,
        referenceWidths: options.reference.widths,
        step: options.step,
        targetMacs: options.target * options.reference.macs,
        cap: options.cap,
        multiple: options.multiple,
      });
      return E.map((pruned: Snapshot) =>
        pruned === snapshot ? snapshot : {
          ...pruned,
          meta: {
            ...pruned.meta,
            options: { ...pruned.meta.options as object, selection: options },
          },
        }
      )(applyPrunePlan(snapshot, plan));
    }),
  );
}
