/**
 * The record of a pruning run that `report.html` shows, as an io-ts codec (the single
 * source of its type): MACs and params are counts, top-1 in [0, 1].
 *
 * @module
 */
import * as t from "io-ts";
import { NonNegativeInt, NonNegativeNumber, orNull, PositiveInt } from "../codecs.ts";
import { JsonObject } from "../snapshot/snapshot.ts";

const Fraction = new t.Type<number, number, unknown>(
  "a number in [0, 1]",
  (u): u is number => typeof u === "number" && u >= 0 && u <= 1,
  (u, c) => typeof u === "number" && u >= 0 && u <= 1 ? t.success(u) : t.failure(u, c),
  t.identity,
);
const IsoTime = new t.Type<string, string, unknown>(
  "an ISO time",
  (u): u is string => typeof u === "string" && !Number.isNaN(Date.parse(u)),
  (u, c) => typeof u === "string" && !Number.isNaN(Date.parse(u)) ? t.success(u) : t.failure(u, c),
  t.identity,
);
const Cost = { macs: NonNegativeNumber, params: NonNegativeNumber, snapshot: t.string };
const Latency = orNull(
  t.readonly(t.type({ batch1: NonNegativeNumber, batch64: NonNegativeNumber })),
);

/** Everything the report shows about one run; MACs and params are counts, top-1 in [0, 1]. */
export const RunReport = t.readonly(t.type({
  title: t.string,
  createdAt: IsoTime,
  model: t.string,
  data: t.string,
  backend: t.string,
  adapter: t.string,
  options: JsonObject,
  baseline: t.readonly(t.type({ top1: Fraction, top5: orNull(Fraction), ...Cost })),
  iterations: t.readonlyArray(t.readonly(t.type({
    iteration: PositiveInt,
    ...Cost,
    /** Right after the channels were removed, before training. */
    top1Pruned: orNull(Fraction),
    top1Trained: orNull(Fraction),
    removedChannels: NonNegativeInt,
  }))),
  final: t.readonly(t.type({
    top1: Fraction,
    top5: orNull(Fraction),
    ...Cost,
    latencyMs: t.readonly(t.type({ dense: Latency, compact: Latency })),
  })),
  widths: t.readonlyArray(t.readonly(t.type({
    group: t.string,
    layers: t.readonlyArray(t.string),
    before: NonNegativeInt,
    after: NonNegativeInt,
  }))),
  /** What the user should know about the compact model (shown under its latency). */
  notes: t.readonlyArray(t.string),
}));
/** Everything the report shows about one run; MACs and params are counts, top-1 in [0, 1]. */
export type RunReport = t.TypeOf<typeof RunReport>;
