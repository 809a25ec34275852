/**
 * What `deno task ablate` measured, its ranking, and the table it prints.
 * @module
 */

/** One regularizer's run: trained from the shared start, then pruned without training. */
export interface AblationRow {
  readonly regularizer: string;
  readonly lambda: number;
  /** `lambda * R` at the initial weights. */
  readonly initial_penalty: number;
  readonly top1_trained: number;
  /** MACs of the trained (dense) model: the reference of the target. */
  readonly reference_macs: number;
  /** MACs and parameters after pruning. */
  readonly macs: number;
  readonly params: number;
  readonly top1_pruned: number;
  /** Pruning iterations that removed channels. */
  readonly prune_steps: number;
  /** Snapshot ids: the trained model and the last pruned one. */
  readonly trained: string;
  readonly pruned: string;
  /** 1 for the best top-1 after pruning; equal top-1 share a rank. */
  readonly rank: number;
}

/** How the lambdas were chosen. */
export type LambdaRule =
  | { readonly kind: "budget"; readonly budget: number }
  | { readonly kind: "fixed"; readonly lambda: number };

/** The whole ablation, as `--json` prints it. */
export interface Ablation {
  readonly model: string;
  readonly data: string;
  readonly train_images: number;
  readonly test_images: number;
  readonly backend: string;
  readonly adapter: string;
  readonly seed: number;
  readonly epochs: number;
  readonly target: number;
  readonly cap: number;
  /** Importance normalisation used for every regularizer. */
  readonly normalise: "none" | "mean";
  readonly lambda_rule: LambdaRule;
  readonly initial: string;
  readonly rows: ReadonlyArray<AblationRow>;
  /** The regularizers from best to worst top-1 after pruning. */
  readonly ranking: ReadonlyArray<string>;
  readonly store: string;
  readonly total_seconds: number;
}

/**
 * The rows with their ranks by top-1 after pruning (competition ranking: 1, 1, 3), in
 * their given order.
 *
 * @example
 * ```ts
 * import { ranked } from "./ablate_table.ts";
 * ranked([{ top1_pruned: 0.3 }, { top1_pruned: 0.5 }]); // ranks 2 and 1
 * ```
 */
export function ranked<R extends { readonly top1_pruned: number }>(
  rows: ReadonlyArray<R>,
): Array<R & { readonly rank: number }> {
  return rows.map((r) => ({
    ...r,
    rank: 1 + rows.filter((o) => o.top1_pruned > r.top1_pruned).length,
  }));
}

/** The regularizers by rank, equal ranks in their given order. */
export function ranking(rows: ReadonlyArray<AblationRow>): string[] {
  return [...rows].sort((a, b) => a.rank - b.rank).map((r) => r.regularizer);
}

/** `oicsr-gl > ssr-gl = l1 > none`. */
export function rankingLine(rows: ReadonlyArray<AblationRow>): string {
  const sorted = [...rows].sort((a, b) => a.rank - b.rank);
  return sorted.map((r, i) =>
    i === 0 ? r.regularizer : `${r.rank === sorted[i - 1].rank ? "=" : ">"} ${r.regularizer}`
  ).join(" ");
}

const mega = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const percent = (n: number) => `${(n * 100).toFixed(2)} %`;
const lambdaText = (n: number) => n === 0 ? "0" : n.toExponential(2);

/** What the lambda line says. */
export function lambdaLine(rule: LambdaRule): string {
  return rule.kind === "budget"
    ? `each regularizer's lambda makes lambda * R = ${rule.budget} at the initial weights ` +
      `(the same penalty budget; --budget)`
    : `${rule.lambda} for every regularizer (--lambda)`;
}

/** Renders columns left-aligned (text) or right-aligned (numbers), two spaces apart. */
function columns(rows: string[][], right: readonly boolean[]): string[] {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) =>
    r.map((cell, c) => right[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))
      .join("  ").trimEnd()
  );
}

/**
 * The ablation as text: the set-up, one row per regularizer, the ranking.
 *
 * @example
 * ```ts
 * import { ablationTable, type Ablation } from "./ablate_table.ts";
 * declare const ablation: Ablation;
 * console.log(ablationTable(ablation, (s) => `${s} s`));
 * ```
 */
export function ablationTable(a: Ablation, clock: (seconds: number) => string): string {
  const reference = a.rows[0]?.reference_macs ?? 0;
  const epochs = `${a.epochs} epoch${a.epochs === 1 ? "" : "s"}`;
  const setup = [
    ["model", `${a.model}, seed ${a.seed}, ${epochs} on ${a.train_images} ${a.data} images`],
    ["top-1", `on ${a.test_images} test images`],
    ["backend", `${a.backend} (${a.adapter})`],
    ["lambda", lambdaLine(a.lambda_rule)],
    [
      "pruning",
      `to <= ${percent(a.target)} of ${mega(reference)} MACs, no fine-tuning, ` +
      `at most ${percent(a.cap)} of each group's channels, importance normalised: ${a.normalise}`,
    ],
  ];
  const width = Math.max(...setup.map(([k]) => k.length)) + 2;
  const head = ["regularizer", "lambda", "top-1 trained", "MACs pruned", "params pruned"];
  const table = columns([
    [...head, "top-1 pruned", "rank"],
    ...a.rows.map((r) => [
      r.regularizer,
      lambdaText(r.lambda),
      percent(r.top1_trained),
      `${mega(r.macs)} (${percent(r.macs / r.reference_macs)})`,
      mega(r.params),
      percent(r.top1_pruned),
      String(r.rank),
    ]),
  ], [false, true, true, true, true, true, true]);
  return [
    ...setup.map(([k, v]) => k.padEnd(width) + v),
    "",
    ...table,
    "",
    `ranking by top-1 after pruning: ${rankingLine(a.rows)}`,
    `time ${clock(a.total_seconds)}; snapshots in ${a.store} (initial ${a.initial})`,
  ].join("\n");
}
