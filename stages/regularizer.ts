/**
 * The sparsity regularizers of METHOD.md section 2, as data: which weight slices form
 * each group-lasso term. `oicsr-gl` [paper] takes one term per out-in-channel group (both
 * layers' kernel slices, depthwise filters and BN gamma [ours]); `ssr-gl` [paper] one term
 * per producer kernel, out-channels only; `l1` [paper] every kernel value; `bn-l1` [ours]
 * every BN gamma; `none`.
 *
 * @module
 */
import * as t from "io-ts";
import { NonNegativeNumber } from "../codecs.ts";
import type { ChannelSlice, GroupAnalysis } from "../graph/out_in_groups.ts";

/** The regularizer kinds. */
export const RegularizerKind = t.keyof(
  { "oicsr-gl": null, "ssr-gl": null, l1: null, "bn-l1": null, none: null },
  "one of oicsr-gl, ssr-gl, l1, bn-l1, none",
);
/** The regularizer kinds. */
export type RegularizerKind = t.TypeOf<typeof RegularizerKind>;

/** A regularizer and its weight `lambda` in the loss. */
export const RegularizerOptions = t.readonly(t.type({
  kind: RegularizerKind,
  lambda: NonNegativeNumber,
}));
/** A regularizer and its weight `lambda` in the loss. */
export type RegularizerOptions = t.TypeOf<typeof RegularizerOptions>;

/** No regularization. */
export const NO_REGULARIZER: RegularizerOptions = { kind: "none", lambda: 0 };

/** One group-lasso term: `lambda * sum_c sqrt(sum over slices of w^2 at channel c)`. */
export interface LassoTerm {
  readonly channels: number;
  readonly slices: ReadonlyArray<ChannelSlice>;
}

/** What a regularizer adds to the loss, in terms of named weights. */
export interface RegularizerTerms {
  readonly lambda: number;
  /** Group-lasso terms (`oicsr-gl`, `ssr-gl`). */
  readonly lasso: ReadonlyArray<LassoTerm>;
  /** Weights whose absolute values are summed (`l1`, `bn-l1`). */
  readonly l1: ReadonlyArray<string>;
}

/** Slices that are trained weights of the out-in-channel: kernels and BN gamma. */
const REGULARIZED = /(kernel|\/gamma)$/;

/**
 * The terms of `options` over a snapshot's groups and weight names.
 *
 * @example
 * ```ts
 * import { regularizerTerms } from "./regularizer.ts";
 * import type { GroupAnalysis } from "../graph/out_in_groups.ts";
 * declare const groups: GroupAnalysis;
 * const terms = regularizerTerms(groups, ["conv1/kernel"], { kind: "oicsr-gl", lambda: 1e-4 });
 * terms.lasso.length; // one per prunable group
 * ```
 */
export function regularizerTerms(
  analysis: GroupAnalysis,
  weightNames: ReadonlyArray<string>,
  options: RegularizerOptions,
): RegularizerTerms {
  const { kind, lambda } = options;
  const none = { lambda, lasso: [], l1: [] };
  if (kind === "none" || lambda === 0) return { ...none, lambda: 0 };
  if (kind === "l1") return { ...none, l1: weightNames.filter((n) => /kernel$/.test(n)) };
  if (kind === "bn-l1") return { ...none, l1: weightNames.filter((n) => /\/gamma$/.test(n)) };
  if (kind === "ssr-gl") {
    const lasso = analysis.groups.flatMap((g) =>
      g.producers.filter((s) => /kernel$/.test(s.weight))
        .map((s) => ({ channels: g.channels, slices: [s] }))
    );
    return { ...none, lasso };
  }
  const lasso = analysis.groups.map((g) => ({
    channels: g.channels,
    slices: [...g.producers, ...g.passThrough, ...g.consumers]
      .filter((s) => REGULARIZED.test(s.weight)),
  }));
  return { ...none, lasso };
}
