/**
 * `deno task bench --overhead`: what pruning adds to a run (group analysis, scoring,
 * planning, removal) against one training epoch, for the models of the zoo (issue 6's
 * goal: under 1 % of an epoch).
 * @module
 */
import * as E from "fp-ts/Either";
import { pipe } from "fp-ts/function";
import { type BackendName, selectBackend } from "../backend/select_backend.ts";
import type { TopologyError } from "../graph/keras_topology.ts";
import { countCost } from "../graph/count_cost.ts";
import { type AnalysisError, outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan, type PlanError } from "../graph/prune_plan.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { greedyPlan } from "../stages/greedy_plan.ts";
import { median } from "../stages/latency.ts";
import { init } from "../stages/init.ts";
import { scoreGroups } from "../stages/score.ts";
import { OICSR_VERSION } from "../version.ts";
import { orStop } from "./stop.ts";

/** Milliseconds of each part of one removal. */
export interface PruneTimes {
  readonly analysis: number;
  readonly score: number;
  readonly plan: number;
  readonly apply: number;
}

/** The compact model of {@linkcode pruneToFraction} and how long each part took. */
export interface TimedPrune {
  readonly compact: Snapshot;
  readonly macsBefore: number;
  readonly macsAfter: number;
  readonly ms: PruneTimes;
}

/**
 * The method's removal in one go, as the zoo test runs it: out-in-channel groups, OICSR
 * scores (normalised by the group's mean, the default), global greedy selection down to
 * `target` of the MACs (at most half of a group), physical removal.
 *
 * @example
 * ```ts
 * import { pruneToFraction } from "./bench_overhead.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const dense: Snapshot;
 * const half = pruneToFraction(dense, 0.5); // Right({ compact, macsAfter, ms: { analysis, ... } })
 * ```
 */
export function pruneToFraction(
  snapshot: Snapshot,
  target: number,
  multiple = 1,
): E.Either<AnalysisError | PlanError | TopologyError, TimedPrune> {
  const t0 = performance.now();
  return pipe(
    outInGroups(snapshot),
    E.chainW((analysis) => {
      const t1 = performance.now();
      const scores = scoreGroups(snapshot, analysis, { normalise: "mean", costAware: false });
      const t2 = performance.now();
      return pipe(
        countCost(snapshot),
        E.chainW(({ macs }) => {
          const { plan, macsAfter } = greedyPlan(snapshot, analysis, scores, {
            referenceMacs: macs,
            referenceWidths: Object.fromEntries(analysis.groups.map((g) => [g.id, g.channels])),
            step: 1 - target,
            targetMacs: target * macs,
            cap: 0.5,
            multiple,
          });
          const t3 = performance.now();
          return E.map((compact: Snapshot) => {
            const ms = { analysis: t1 - t0, score: t2 - t1, plan: t3 - t2 };
            return {
              compact,
              macsBefore: macs,
              macsAfter,
              ms: { ...ms, apply: performance.now() - t3 },
            };
          })(applyPrunePlan(snapshot, plan));
        }),
      );
    }),
  );
}

/** Images of one training epoch: ImageNet-1K's training set for resnet50, else CIFAR's. */
export function epochImages(model: string): number {
  return model === "resnet50" ? 1_281_167 : 50_000;
}

/**
 * The batch the training rate is measured at: `batch`, except on wasm where ResNet-50 (4)
 * and DenseNet-40 (16) fit its 4 GiB heap only with smaller ones (README, Backends).
 */
export function trainingBatch(model: string, backend: string, batch: number): number {
  const limit = backend !== "wasm"
    ? Infinity
    : model === "resnet50"
    ? 4
    : model === "densenet40"
    ? 16
    : Infinity;
  return Math.min(batch, limit);
}

/** One row of `--overhead`. */
export interface OverheadRow {
  readonly model: string;
  readonly backend: string;
  readonly runs: number;
  readonly analysis_ms: number;
  readonly score_ms: number;
  readonly plan_ms: number;
  readonly apply_ms: number;
  /** Median of the runs' totals. */
  readonly overhead_ms: number;
  readonly macs_before: number;
  readonly macs_after: number;
  readonly train_batch: number;
  readonly train_img_s: number;
  readonly epoch_images: number;
  readonly epoch_s: number;
  readonly overhead_pct_of_epoch: number;
  /** The bar: under 1 % of an epoch. */
  readonly under_1_pct: boolean;
}

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * The median time of `runs` removals to half the MACs of `dense` beside the time of one
 * epoch at the training rate `trainRate` measures (images/s of `model` at a batch, over
 * some seconds; the bench's own measurement is passed in).
 *
 * @example
 * ```ts
 * import { benchOverhead } from "./bench_overhead.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const dense: Snapshot;
 * const row = await benchOverhead("resnet56", dense, {
 *   backend: "wasm", batch: 64, runs: 3, trainRate: () => Promise.resolve(27),
 * });
 * // { model: "resnet56", overhead_ms: 90, epoch_s: 1852, overhead_pct_of_epoch: 0.005, ... }
 * ```
 */
export async function benchOverhead(
  model: string,
  dense: Snapshot,
  options: {
    readonly backend: string;
    readonly batch: number;
    readonly runs: number;
    readonly trainRate: (model: string, batch: number) => Promise<number>;
  },
): Promise<E.Either<AnalysisError | PlanError | TopologyError, OverheadRow>> {
  const timed: TimedPrune[] = [];
  for (let i = 0; i < options.runs; i++) {
    const r = pruneToFraction(dense, 0.5);
    if (E.isLeft(r)) return r;
    timed.push(r.right);
  }
  const part = (k: keyof PruneTimes) => round(median(timed.map((t) => t.ms[k])));
  const total = median(timed.map((t) => t.ms.analysis + t.ms.score + t.ms.plan + t.ms.apply));
  const batch = trainingBatch(model, options.backend, options.batch);
  const rate = await options.trainRate(model, batch);
  const epochS = epochImages(model) / rate;
  const pct = 100 * total / 1000 / epochS;
  return E.right({
    model,
    backend: options.backend,
    runs: options.runs,
    analysis_ms: part("analysis"),
    score_ms: part("score"),
    plan_ms: part("plan"),
    apply_ms: part("apply"),
    overhead_ms: round(total),
    macs_before: timed[0].macsBefore,
    macs_after: timed[0].macsAfter,
    train_batch: batch,
    train_img_s: round(rate, 2),
    epoch_images: epochImages(model),
    epoch_s: round(epochS),
    overhead_pct_of_epoch: round(pct, 4),
    under_1_pct: pct < 1,
  });
}

/** One line of text for a row. */
export function overheadText(r: OverheadRow): string {
  return `${r.model} on ${r.backend}: pruning ${r.overhead_ms} ms (analysis ${r.analysis_ms} + ` +
    `scores ${r.score_ms} + plan ${r.plan_ms} + removal ${r.apply_ms}; median of ${r.runs}); ` +
    `epoch ${r.epoch_s} s (${r.epoch_images} images at ${r.train_img_s} img/s, batch ` +
    `${r.train_batch}) -> ${r.overhead_pct_of_epoch} % of an epoch ` +
    (r.under_1_pct ? "(under 1 %)" : "(NOT under 1 %)");
}

/** The flags `--overhead` reads, and the training rate of the bench. */
export interface OverheadFlags {
  readonly models: readonly string[];
  readonly backends: readonly string[];
  readonly seconds: number;
  readonly batch: number;
  readonly json: boolean;
  readonly threads?: number;
  /** Kernels left as tfjs has them (`--stock`); default none. */
  readonly keepStock?: readonly string[];
  /** Training images/s of `model` at `batch` over `seconds` on the current backend. */
  readonly trainRate: (model: string, batch: number, seconds: number) => Promise<number>;
}

/**
 * Each model of `models`, freshly initialised (seed 0, 10 classes), on each backend of
 * `backends` that starts (one that does not is reported, added to `failed` and skipped): what
 * `--overhead` and `--compact` go through.
 */
export async function* denseModels(flags: {
  readonly backends: readonly string[];
  readonly models: readonly string[];
  readonly threads?: number;
  /** Kernels left as tfjs has them (`--stock`); default none. */
  readonly keepStock?: readonly string[];
}, failed: string[]): AsyncGenerator<
  { backend: string; replaced: readonly string[]; model: string; dense: Snapshot }
> {
  for (const name of flags.backends) {
    const selected = await selectBackend(name as BackendName, {
      threads: flags.threads,
      keepStock: flags.keepStock,
    });
    if (E.isLeft(selected)) {
      console.error(`${name}: ${selected.left.message}`);
      failed.push(name);
      continue;
    }
    const env = { backend: selected.right, versions: runtimeVersions(OICSR_VERSION) };
    for (const model of flags.models) {
      const dense = orStop(await init({ model, classes: 10, seed: 0 }, env)());
      yield { backend: selected.right.name, replaced: selected.right.kernels, model, dense };
    }
  }
}

/**
 * `--overhead`: one line (or JSON line) per model and backend; the exit status is 1 when a
 * backend did not start.
 */
export async function overheadMode(flags: OverheadFlags): Promise<number> {
  let rows = 0;
  const failed: string[] = [];
  for await (const { backend, model, dense } of denseModels(flags, failed)) {
    const row = orStop(
      await benchOverhead(model, dense, {
        backend,
        batch: flags.batch,
        runs: 3,
        trainRate: (m, b) => flags.trainRate(m, b, flags.seconds),
      }),
    );
    console.log(flags.json ? JSON.stringify(row) : overheadText(row));
    rows++;
  }
  return rows === 0 || failed.length > 0 ? 1 : 0;
}
