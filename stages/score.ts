/**
 * Importance of out-in-channels (METHOD.md section 3): the energy of each channel over
 * every slice of its group (both layers of the out-in-channel, BN parameters included),
 * optionally normalised per group and divided by the MACs its removal saves.
 *
 * @module
 */
import * as t from "io-ts";
import type { ChannelSlice, GroupAnalysis } from "../graph/out_in_groups.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { channelMacs } from "./channel_macs.ts";

/** Options of {@linkcode scoreGroups}. */
export const ScoreOptions = t.readonly(t.type({
  /** `none` [paper] or `mean`: divide by the mean energy of the group's channels [ours]. */
  normalise: t.keyof({ none: null, mean: null }),
  /** Divide each channel's score by the MACs its removal saves [ours]. */
  costAware: t.boolean,
}));
/** Options of {@linkcode scoreGroups}. */
export type ScoreOptions = t.TypeOf<typeof ScoreOptions>;

/** BatchNormalization's running statistics: removed with their channel, but not weights. */
const STATISTICS = /\/moving_(mean|variance)$/;

/** One score per channel of every prunable group, by group id. */
export type GroupScores = ReadonlyMap<string, Float64Array>;

/**
 * Scores every channel of every prunable group: `E(G)[c] = sum of w^2` over every slice of
 * the group where the slice holds channel `c`: both layers' kernels, biases, BN gamma and
 * beta, depthwise filters. BN moving statistics are not weights and do not count.
 *
 * @example
 * ```ts
 * import { scoreGroups } from "./score.ts";
 * import type { GroupAnalysis } from "../graph/out_in_groups.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const snapshot: Snapshot, groups: GroupAnalysis;
 * const scores = scoreGroups(snapshot, groups, { normalise: "none", costAware: false });
 * scores.get("conv1"); // Float64Array of conv1's channel energies
 * ```
 */
export function scoreGroups(
  snapshot: Snapshot,
  analysis: GroupAnalysis,
  options: ScoreOptions,
): GroupScores {
  const weights = new Map(snapshot.weights.map((w) => [w.name, w]));
  const saved = options.costAware ? channelMacs(snapshot, analysis) : null;
  const scores = new Map<string, Float64Array>();
  for (const group of analysis.groups) {
    const energy = new Float64Array(group.channels);
    for (const slice of [...group.producers, ...group.passThrough, ...group.consumers]) {
      const w = weights.get(slice.weight);
      if (w !== undefined && !STATISTICS.test(w.name)) addEnergy(energy, w.data, w.shape, slice);
    }
    if (options.normalise === "mean") {
      const mean = energy.reduce((a, b) => a + b, 0) / energy.length;
      if (mean > 0) { for (let c = 0; c < energy.length; c++) energy[c] /= mean; }
    }
    const macs = saved?.get(group.id);
    if (macs !== undefined) {
      for (let c = 0; c < energy.length; c++) energy[c] /= Math.max(macs, 1);
    }
    scores.set(group.id, energy);
  }
  return scores;
}

function addEnergy(
  energy: Float64Array,
  data: Float32Array | Int32Array,
  shape: ReadonlyArray<number>,
  slice: ChannelSlice,
): void {
  const width = shape[slice.axis];
  const inner = shape.slice(slice.axis + 1).reduce((a, b) => a * b, 1);
  const outer = data.length / (width * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < width; i++) {
      const c = slice.channelOf[i];
      if (c < 0) continue;
      const from = (o * width + i) * inner;
      let sum = 0;
      for (let k = from; k < from + inner; k++) sum += data[k] * data[k];
      energy[c] += sum;
    }
  }
}
