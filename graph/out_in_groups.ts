/**
 * Out-in-channel groups of any snapshot (METHOD.md section 1): for every set of channels
 * that must be removed together, the producer slices, the pass-through per-channel
 * parameters and the consumer slices; and the sets that cannot be removed, with why.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { type AnalysisError, analyzeChannels, type ChannelAnalysis } from "./channel_analysis.ts";
import type { Binding, Role } from "./channel_rules.ts";

export type { AnalysisError, WeightMismatch } from "./channel_analysis.ts";

/** The part of one weight that belongs to a group. */
export interface ChannelSlice {
  readonly layer: string;
  /** Full weight name, e.g. `conv2/kernel`. */
  readonly weight: string;
  /** The axis of the weight that the group's channels index. */
  readonly axis: number;
  /** For every index on `axis`: the group's channel there, or -1 (another group's). */
  readonly channelOf: Int32Array;
}

/** Channels that are removed together: channel `c` of the group is one out-in-channel. */
export interface OutInGroup {
  /** The name of the layer that first creates these channels. */
  readonly id: string;
  readonly channels: number;
  /** Every layer the channels pass through, in graph order. */
  readonly layers: ReadonlyArray<string>;
  readonly producers: ReadonlyArray<ChannelSlice>;
  readonly passThrough: ReadonlyArray<ChannelSlice>;
  readonly consumers: ReadonlyArray<ChannelSlice>;
}

/** Channels that must stay, and why. */
export interface UnprunableGroup {
  readonly id: string;
  readonly channels: number;
  readonly layers: ReadonlyArray<string>;
  readonly reasons: ReadonlyArray<string>;
}

/** All channel groups of a snapshot. */
export interface GroupAnalysis {
  readonly groups: ReadonlyArray<OutInGroup>;
  readonly unprunable: ReadonlyArray<UnprunableGroup>;
}

/**
 * The out-in-channel groups of a snapshot. Layers of unknown classes do not fail it: the
 * groups that reach them are listed as unprunable, with the reason.
 *
 * @example
 * ```ts
 * import { outInGroups } from "./out_in_groups.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const resnet20: Snapshot;
 * const r = outInGroups(resnet20);
 * if (r._tag === "Right") r.right.groups.map((g) => `${g.id}: ${g.channels}`);
 * // ["stem_conv: 16", "s1b1_1_conv: 16", ...]
 * ```
 */
export function outInGroups(snapshot: Snapshot): E.Either<AnalysisError, GroupAnalysis> {
  return E.map(groupsOf)(analyzeChannels(snapshot));
}

/** The groups of an analysis (see {@linkcode outInGroups}). */
export function groupsOf(analysis: ChannelAnalysis): GroupAnalysis {
  const { spaces } = analysis;
  const members = new Map<number, { layers: Set<string>; slices: Record<Role, ChannelSlice[]> }>();
  const entry = (root: number) => {
    let m = members.get(root);
    if (m === undefined) {
      m = { layers: new Set(), slices: { producer: [], passThrough: [], consumer: [] } };
      members.set(root, m);
    }
    return m;
  };
  for (const layer of analysis.graph.layers) {
    const output = analysis.layers.get(layer.name)?.output;
    for (const s of output ? new Set(output.space) : []) {
      entry(spaces.find(s)).layers.add(layer.name);
    }
  }
  for (const b of analysis.bindings) {
    for (const [root, slice] of slicesByRoot(b, analysis)) {
      const m = entry(root);
      m.layers.add(b.layer);
      m.slices[b.role].push(slice);
    }
  }
  const order = new Map(analysis.graph.layers.map((l, i) => [l.name, i]));
  const groups: OutInGroup[] = [];
  const unprunable: UnprunableGroup[] = [];
  for (const root of spaces.roots()) {
    const m = entry(root);
    const layers = [...m.layers].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
    const head = { id: spaces.origin(root), channels: spaces.size(root), layers };
    const reasons = spaces.reasons(root);
    if (reasons.length > 0) unprunable.push({ ...head, reasons });
    else {
      const { producer, passThrough, consumer } = m.slices;
      groups.push({ ...head, producers: producer, passThrough, consumers: consumer });
    }
  }
  return { groups, unprunable };
}

/** One slice per root space the binding's layout touches. */
function slicesByRoot(b: Binding, analysis: ChannelAnalysis): Map<number, ChannelSlice> {
  const out = new Map<number, ChannelSlice>();
  const n = b.layout.space.length;
  for (let i = 0; i < n; i++) {
    const root = analysis.spaces.find(b.layout.space[i]);
    let slice = out.get(root);
    if (slice === undefined) {
      slice = {
        layer: b.layer,
        weight: b.weight,
        axis: b.axis,
        channelOf: new Int32Array(n).fill(-1),
      };
      out.set(root, slice);
    }
    slice.channelOf[i] = b.layout.channel[i];
  }
  return out;
}
