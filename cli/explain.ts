/**
 * `deno task prune --explain`: the out-in-channel groups of a model as text or as JSON,
 * built by pure functions from the graph analysis and the model's cost.
 * @module
 */
import type {
  ChannelSlice,
  GroupAnalysis,
  OutInGroup,
  UnprunableGroup,
} from "../graph/out_in_groups.ts";

/** What the header of an explanation says about the model. */
export interface ModelFacts {
  /** The zoo name or the path of the model.json. */
  readonly model: string;
  /** Layers of the topology. */
  readonly layers: number;
  /** Multiply-accumulates for one example; null where they could not be counted. */
  readonly macs: number | null;
  readonly params: number;
  /** Layers whose MACs are not counted (classes the counter does not know). */
  readonly uncounted: ReadonlyArray<string>;
}

/** A weight slice of a group, without its channel map: which weight, which axis. */
export type SliceRef = Omit<ChannelSlice, "channelOf"> & {
  /** How many indices on `axis` belong to the group (more than its channels after Flatten). */
  readonly indices: number;
};

/** A prunable group as JSON: its slices without their channel maps. */
export type GroupSummary = {
  readonly [K in keyof OutInGroup]: OutInGroup[K] extends ReadonlyArray<ChannelSlice>
    ? ReadonlyArray<SliceRef>
    : OutInGroup[K];
};

/** Everything `--explain` prints (`--json` prints exactly this object). */
export interface Explanation extends ModelFacts {
  readonly groups: ReadonlyArray<GroupSummary>;
  readonly unprunable: ReadonlyArray<UnprunableGroup>;
}

/**
 * The JSON-ready explanation of a model: its facts and its groups, each slice reduced to
 * layer, weight, axis and the number of indices it holds.
 *
 * @example
 * ```ts
 * import { explanation } from "./explain.ts";
 * const facts = { model: "m.json", layers: 2, macs: 10, params: 12, uncounted: [] };
 * explanation(facts, { groups: [], unprunable: [] }).groups; // []
 * ```
 */
export function explanation(facts: ModelFacts, analysis: GroupAnalysis): Explanation {
  const refs = (slices: ReadonlyArray<ChannelSlice>): SliceRef[] =>
    slices.map(({ layer, weight, axis, channelOf }) => ({
      layer,
      weight,
      axis,
      indices: channelOf.reduce((n, c) => n + (c >= 0 ? 1 : 0), 0),
    }));
  return {
    ...facts,
    groups: analysis.groups.map((g) => ({
      id: g.id,
      channels: g.channels,
      layers: [...g.layers],
      producers: refs(g.producers),
      passThrough: refs(g.passThrough),
      consumers: refs(g.consumers),
    })),
    unprunable: analysis.unprunable.map(({ id, channels, layers, reasons }) => ({
      id,
      channels,
      layers: [...layers],
      reasons: [...reasons],
    })),
  };
}

/**
 * Up to `max` names; longer lists keep the first `max - 1` and the last, with the count.
 *
 * @example
 * ```ts
 * import { abbreviate } from "./explain.ts";
 * abbreviate(["a", "b", "c", "d", "e", "f"], 4); // "6 layers: a, b, c, ... f"
 * abbreviate(["a", "b"], 4); // "2 layers: a, b"
 * ```
 */
export function abbreviate(names: ReadonlyArray<string>, max = 5): string {
  const count = plural(names.length);
  if (names.length <= max) return `${count}: ${names.join(", ")}`;
  return `${count}: ${names.slice(0, max - 1).join(", ")}, ... ${names.at(-1)}`;
}

const plural = (n: number) => `${n} layer${n === 1 ? "" : "s"}`;
/** Millions from 10,000 on ("40.81 M"), else the exact count. */
const amount = (n: number) => n >= 1e4 ? `${(n / 1e6).toFixed(2)} M` : String(n);
const sum = (xs: ReadonlyArray<{ readonly channels: number }>) =>
  xs.reduce((n, x) => n + x.channels, 0);

/**
 * The explanation as text: a header (model, layers, MACs, params, group counts), one line
 * per prunable group (id, channels, producer/pass-through/consumer slices, coupled layers)
 * and one per unprunable group with its reasons.
 *
 * @example
 * ```ts
 * import { explainText, explanation } from "./explain.ts";
 * const facts = { model: "m.json", layers: 2, macs: 10, params: 12, uncounted: [] };
 * explainText(explanation(facts, { groups: [], unprunable: [] })).split("\n")[0];
 * // "model       m.json"
 * ```
 */
export function explainText(e: Explanation): string {
  const macs = e.macs === null
    ? "not counted"
    : amount(e.macs) + (e.uncounted.length ? `, not counting ${plural(e.uncounted.length)}:` : "");
  const header = [
    ["model", e.model],
    ["layers", String(e.layers)],
    ["MACs", macs],
    ...e.uncounted.map((why) => ["", `- ${why}`]),
    ["params", amount(e.params) + (e.params >= 1e4 ? ` (${e.params})` : "")],
    ["prunable", `${e.groups.length} groups, ${sum(e.groups)} channels`],
    ["unprunable", `${e.unprunable.length} groups, ${sum(e.unprunable)} channels`],
  ].map(([k, v]) => k.padEnd(12) + v);
  const idWidth = Math.max(2, ...[...e.groups, ...e.unprunable].map((g) => g.id.length)) + 2;
  const groups = e.groups.map((g) =>
    "  " + g.id.padEnd(idWidth) + String(g.channels).padStart(8) +
    `${g.producers.length}/${g.passThrough.length}/${g.consumers.length}`.padStart(12) +
    "  " + abbreviate(g.layers)
  );
  const unprunable = e.unprunable.map((g) =>
    "  " + g.id.padEnd(idWidth) + String(g.channels).padStart(8) + "  " + g.reasons.join("; ") +
    ` (${abbreviate(g.layers)})`
  );
  return [
    ...header,
    "",
    "prunable out-in-channel groups (slices: producer/pass-through/consumer)",
    "  " + "id".padEnd(idWidth) + "channels".padStart(8) + "slices".padStart(12) + "  layers",
    ...(groups.length ? groups : ["  (none)"]),
    "",
    "unprunable channels",
    "  " + "id".padEnd(idWidth) + "channels".padStart(8) + "  why",
    ...(unprunable.length ? unprunable : ["  (none)"]),
  ].join("\n");
}
