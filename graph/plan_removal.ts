/**
 * A prune plan: which channels of which out-in-channel groups to remove, and its
 * validation against a snapshot's groups.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { NonNegativeInt } from "../codecs.ts";
import type { Json } from "../snapshot/snapshot.ts";
import type { AnalysisError, ChannelAnalysis } from "./channel_analysis.ts";

/** Group id (see `outInGroups`) -> the channels of that group to remove. */
export const PrunePlan = t.readonly(t.record(t.string, t.readonlyArray(NonNegativeInt)));
/** Group id (see `outInGroups`) -> the channels of that group to remove. */
export type PrunePlan = t.TypeOf<typeof PrunePlan>;

/** A plan that does not fit the snapshot it is applied to. */
export interface InvalidPlan {
  readonly _tag: "InvalidPlan";
  readonly group: string;
  readonly message: string;
}

/** Why a plan cannot be applied. */
export type PlanError = AnalysisError | InvalidPlan;

/** Root space -> channels to remove, for the groups a plan names. */
export type Removal = ReadonlyMap<number, ReadonlySet<number>>;

function invalid(group: string, problem: string): InvalidPlan {
  return { _tag: "InvalidPlan", group, message: `Cannot prune group "${group}": ${problem}` };
}

/**
 * The channels a plan removes, by root space, once every entry is checked: the group
 * exists and may be pruned, each index is an integer below its width and listed once,
 * and at least one channel stays.
 *
 * @example
 * ```ts
 * import { planRemoval } from "./plan_removal.ts";
 * import type { ChannelAnalysis } from "./channel_analysis.ts";
 * declare const analysis: ChannelAnalysis; // conv1 has 64 channels
 * const r = planRemoval(analysis, { conv1: [70] });
 * // Left: 'Cannot prune group "conv1": index 70 exceeds its 64 channels'
 * ```
 */
export function planRemoval(
  analysis: ChannelAnalysis,
  plan: PrunePlan,
): E.Either<PlanError, Removal> {
  const { spaces } = analysis;
  const roots = new Map(spaces.roots().map((r) => [spaces.origin(r), r]));
  const removal = new Map<number, Set<number>>();
  for (const [group, indices] of Object.entries(plan)) {
    if (indices.length === 0) continue;
    const root = roots.get(group);
    if (root === undefined) {
      return E.left(invalid(group, `no such group (${groupList(analysis)})`));
    }
    const reasons = spaces.reasons(root);
    if (reasons.length > 0) {
      return E.left(invalid(group, `it cannot be pruned: ${reasons.join("; ")}`));
    }
    const width = spaces.size(root);
    const gone = new Set<number>();
    for (const index of indices) {
      if (!Number.isInteger(index) || index < 0) {
        return E.left(invalid(group, `index ${index} is not a channel index (an integer >= 0)`));
      }
      if (index >= width) {
        return E.left(invalid(group, `index ${index} exceeds its ${width} channels`));
      }
      if (gone.has(index)) return E.left(invalid(group, `index ${index} is listed twice`));
      gone.add(index);
    }
    if (gone.size === width) {
      return E.left(
        invalid(group, `removing all ${width} channels would leave its layers with none`),
      );
    }
    removal.set(root, gone);
  }
  return E.right(removal);
}

function groupList({ spaces }: ChannelAnalysis): string {
  const names = spaces.roots().filter((r) => spaces.reasons(r).length === 0)
    .map((r) => spaces.origin(r));
  const shown = names.slice(0, 8).join(", ");
  const more = names.length > 8 ? `, ... (${names.length} in all)` : "";
  return `the prunable groups are ${shown}${more}`;
}

/**
 * The plan in canonical form for a snapshot's lineage: groups sorted by name, indices
 * ascending, empty entries dropped.
 *
 * @example
 * ```ts
 * import { canonicalPlan } from "./plan_removal.ts";
 * canonicalPlan({ b: [3, 1], a: [], c: [0] }); // { b: [1, 3], c: [0] }
 * ```
 */
export function canonicalPlan(plan: PrunePlan): { readonly [group: string]: Json } {
  const entries = Object.entries(plan)
    .filter(([, indices]) => indices.length > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([group, indices]) => [group, [...indices].sort((x, y) => x - y)]);
  return Object.fromEntries(entries);
}
