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
  /**
   * Each group's width after removal is a multiple of this, or its width as it is (default
   * 1: any width). SIMD and GPU kernels work on 8 or 16 channels at a time, so a width of 57
   * costs about what 64 costs; see {@linkcode greedyPlan}.
   */
  readonly multiple?: number;
}

/** A plan and the MACs before and after it. */
export interface GreedyPlan {
  readonly plan: PrunePlan;
  readonly macsBefore: number;
  readonly macsAfter: number;
}

/**
 * The channels to remove in one iteration, lowest score first across all groups (ties
 * broken by group id, then channel, so the plan is deterministic). With `multiple` > 1 the
 * units are chunks of a group's lowest-scored channels that keep its width a multiple (see
 * `chunks`), each ranked by its highest score, where the channel-by-channel greedy would
 * have taken its last channel.
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
  const multiple = options.multiple ?? 1;
  const candidates = analysis.groups.flatMap((g) =>
    chunks(g.channels, scores.get(g.id) ?? [], multiple).map((chunk) => ({ group: g, ...chunk }))
  ).sort((a, b) =>
    a.score - b.score || (a.group.id < b.group.id ? -1 : a.group.id > b.group.id ? 1 : 0) ||
    a.index - b.index
  );
  const plan: Record<string, number[]> = {};
  const taken = new Map<string, number>();
  for (const { group, channels, index } of candidates) {
    if (tracker.total() <= goal) break;
    const removed = plan[group.id] ?? [];
    const reference = options.referenceWidths[group.id] ?? group.channels;
    const left = group.channels - removed.length - channels.length;
    // A group's chunks are taken in order: once one cannot be, the group is done.
    if (index !== (taken.get(group.id) ?? 0)) continue;
    if (left < 1 || reference - left > options.cap * reference) continue;
    for (const channel of channels) tracker.remove(group.id, channel);
    plan[group.id] = removed;
    removed.push(...channels);
    taken.set(group.id, index + 1);
  }
  for (const channels of Object.values(plan)) channels.sort((a, b) => a - b);
  return { plan, macsBefore, macsAfter: tracker.total() };
}

/** A run of a group's channels removed together, with the score that orders it. */
interface Chunk {
  readonly channels: readonly number[];
  /** The highest score in the chunk: per channel, the greedy would reach it last. */
  readonly score: number;
  /** The chunk's place in its group (chunks are taken in this order). */
  readonly index: number;
}

/**
 * A group's channels, lowest score first, in chunks such that the width left after each
 * chunk is a multiple of `multiple`: the first chunk takes `width mod multiple` channels
 * (or `multiple` when that is 0), every later one `multiple`. With `multiple` 1 every
 * channel is its own chunk, the paper's greedy.
 */
function chunks(width: number, scores: ArrayLike<number>, multiple: number): Chunk[] {
  const order = [...Array(width).keys()].sort((a, b) => scores[a] - scores[b] || a - b);
  const out: Chunk[] = [];
  let at = 0;
  for (let size = width % multiple || multiple; at + size <= width; size = multiple) {
    const channels = order.slice(at, at + size);
    out.push({ channels, score: scores[channels[channels.length - 1]], index: out.length });
    at += size;
  }
  return out;
}
