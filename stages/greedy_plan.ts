/**
 * Global greedy selection (METHOD.md section 4, one iteration): the lowest-scored
 * out-in-channels of the whole network are removed one at a time until the MACs have
 * fallen by the step or reached the target, never taking a group past its cap or below
 * one channel.
 *
 * @module
 */
import type { GroupAnalysis } from "../graph/out_in_groups.ts";
import type { PrunePlan } from "../graph/plan_removal.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { MacsTracker } from "./channel_macs.ts";
import type { GroupScores } from "./score.ts";

/** Options of {@linkcode greedyPlan}. */
export interface GreedyOptions {
  /** MACs of the model the run started from (the step and the widths refer to it). */
  readonly referenceMacs: number;
  /** Each group's width in that model; a group not listed counts its current width. */
  readonly referenceWidths: Readonly<Record<string, number>>;
  /** MACs to remove in this iteration, as a fraction of `referenceMacs` (default 0.1). */
  readonly step: number;
  /** Stop once the MACs are at most this many. */
  readonly targetMacs: number;
  /** At most this fraction of a group's reference width is ever removed (default 0.5). */
  readonly cap: number;
}

/** A plan and the MACs before and after it. */
export interface GreedyPlan {
  readonly plan: PrunePlan;
  readonly macsBefore: number;
  readonly macsAfter: number;
}

/**
 * The channels to remove in one iteration, lowest score first across all groups (ties
 * broken by group id, then channel, so the plan is deterministic).
 *
 * @example
 * ```ts
 * import { greedyPlan } from "./greedy_plan.ts";
 * import type { GroupAnalysis } from "../graph/out_in_groups.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * import type { GroupScores } from "./score.ts";
 * declare const snapshot: Snapshot, groups: GroupAnalysis, scores: GroupScores;
 * const { plan } = greedyPlan(snapshot, groups, scores, {
 *   referenceMacs: 40.8e6, referenceWidths: {}, step: 0.1, targetMacs: 24e6, cap: 0.5,
 * });
 * ```
 */
export function greedyPlan(
  snapshot: Snapshot,
  analysis: GroupAnalysis,
  scores: GroupScores,
  options: GreedyOptions,
): GreedyPlan {
  const tracker = new MacsTracker(snapshot, analysis);
  const macsBefore = tracker.total();
  const goal = Math.max(options.targetMacs, macsBefore - options.step * options.referenceMacs);
  const candidates = analysis.groups.flatMap((g) =>
    [...(scores.get(g.id) ?? [])].map((score, channel) => ({ group: g, channel, score }))
  ).sort((a, b) =>
    a.score - b.score || (a.group.id < b.group.id ? -1 : a.group.id > b.group.id ? 1 : 0) ||
    a.channel - b.channel
  );
  const plan: Record<string, number[]> = {};
  for (const { group, channel } of candidates) {
    if (tracker.total() <= goal) break;
    const removed = plan[group.id] ??= [];
    const reference = options.referenceWidths[group.id] ?? group.channels;
    const left = group.channels - removed.length - 1;
    if (left < 1 || reference - left > options.cap * reference) {
      if (removed.length === 0) delete plan[group.id];
      continue;
    }
    tracker.remove(group.id, channel);
    removed.push(channel);
  }
  for (const channels of Object.values(plan)) channels.sort((a, b) => a - b);
  return { plan, macsBefore, macsAfter: tracker.total() };
}
