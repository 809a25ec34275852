/**
 * The golden record: `deno run -A cli/golden.ts` trains a tiny two-conv network on
 * synthetic tinted images (cpu backend, seeded), stores the trained snapshot under
 * `tests/golden/store/`, runs ONE pruning iteration from it (`pruneStep`, then a short
 * `oicsr-gl` training) and writes what came out to `tests/golden/record.json`.
 * `tests/golden_test.ts` re-runs that iteration from the committed snapshot and expects
 * the same ids, shapes and metrics: any change in the numbers of scoring, selection,
 * removal or training shows there. Regenerate only after checking that the change in
 * behaviour is intended.
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import { selectBackend } from "../backend/select_backend.ts";
import { runtimeVersions, snapshotFromModel } from "../snapshot/from_model.ts";
import type { Json, Snapshot } from "../snapshot/snapshot.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import type { StageEnv } from "../stages/env.ts";
import { withCostMetrics } from "../stages/metrics.ts";
import { pruneReference, pruneStep } from "../stages/prune_step.ts";
import { train } from "../stages/train.ts";
import type { TrainOptions } from "../stages/train_model.ts";
import { tintedImages, twoConvNet } from "../tests/_fixtures.ts";
import { OICSR_VERSION } from "../version.ts";

/** The folder of the golden record and its store. */
export const GOLDEN_DIR = new URL("../tests/golden/", import.meta.url).pathname;
/** The command that writes the golden record. */
export const GOLDEN_COMMAND = "deno run -A cli/golden.ts";

const training = {
  epochs: 2,
  batchSize: 16,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: { kind: "cosine" },
  augment: true,
  seed: 7,
  stepsPerEpoch: null,
  normalisation: { mean: [0.4, 0.4, 0.4], std: [0.25, 0.25, 0.25] },
} satisfies TrainOptions;

/** Everything the golden iteration depends on; record.json repeats it. */
export const GOLDEN_OPTIONS = {
  /** `tintedImages(count, seed)`. */
  data: { count: 64, seed: 1 },
  /** The training that makes the start snapshot (not replayed by the test). */
  start: training,
  prune: { score: { normalise: "none", costAware: false }, step: 0.2, target: 0.5, cap: 0.5 },
  retrain: {
    ...training,
    epochs: 1,
    lr: 0.05,
    seed: 8,
    regularizer: { kind: "oicsr-gl", lambda: 1e-3 },
  },
} as const satisfies Record<string, Json>;

/** What the record keeps of one snapshot. */
export interface GoldenSnapshot {
  readonly id: string;
  readonly stage: string;
  readonly shapes: { readonly [weight: string]: readonly number[] };
  readonly metrics: { readonly [name: string]: number };
}

/** `tests/golden/record.json`. */
export interface GoldenRecord {
  readonly command: string;
  readonly backend: string;
  readonly start: string;
  readonly options: typeof GOLDEN_OPTIONS;
  readonly pruned: GoldenSnapshot & { readonly plan: Json };
  readonly trained: GoldenSnapshot;
}

/** Metrics that are a function of the content (not of the clock), loss rounded to 1e-6. */
const KEPT = ["macs", "params", "loss", "penalty"];

/** What the record keeps of `s`: id, stage, weight shapes, deterministic metrics. */
export function goldenSnapshot(s: Snapshot): GoldenSnapshot {
  const metrics = Object.fromEntries(
    KEPT.filter((k) => s.meta.metrics[k] !== undefined)
      .map((k) => [k, Math.round(s.meta.metrics[k] * 1e6) / 1e6]),
  );
  const shapes = Object.fromEntries(s.weights.map((w) => [w.name, [...w.shape]]));
  return { id: s.meta.id, stage: s.meta.stage, shapes, metrics };
}

/**
 * The golden iteration from `start`: `pruneStep` with the golden options (the reference is
 * `start`), then the regularized training on the golden data. Both snapshots.
 */
export function goldenIteration(
  start: Snapshot,
  env: StageEnv,
): TE.TaskEither<{ readonly message: string }, { pruned: Snapshot; trained: Snapshot }> {
  const data = tintedImages(GOLDEN_OPTIONS.data.count, GOLDEN_OPTIONS.data.seed);
  return pipe(
    TE.fromEither(pruneReference(start)),
    TE.chainEitherKW((reference) => pruneStep(start, { ...GOLDEN_OPTIONS.prune, reference })),
    TE.bindTo("pruned"),
    TE.bindW("trained", ({ pruned }) => train(pruned, data, GOLDEN_OPTIONS.retrain, env)),
  );
}

/** The record of an iteration from `start`. */
export function goldenRecord(start: Snapshot, pruned: Snapshot, trained: Snapshot): GoldenRecord {
  return {
    command: GOLDEN_COMMAND,
    backend: "cpu",
    start: start.meta.id,
    options: GOLDEN_OPTIONS,
    pruned: { ...goldenSnapshot(pruned), plan: (pruned.meta.options as { plan: Json }).plan },
    trained: goldenSnapshot(trained),
  };
}

function orThrow<A>(r: E.Either<{ readonly message: string }, A>): A {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
}

async function main(): Promise<void> {
  const backend = orThrow(await selectBackend("cpu"));
  const env: StageEnv = { backend, versions: runtimeVersions(OICSR_VERSION) };
  const model = twoConvNet([4, 6]);
  const initial = orThrow(withCostMetrics(
    await snapshotFromModel(model, {
      ...env,
      parent: null,
      stage: "init",
      options: { model: "golden two-conv net" },
      seed: 1,
      metrics: {},
    }),
  ));
  model.dispose();
  const data = tintedImages(GOLDEN_OPTIONS.data.count, GOLDEN_OPTIONS.data.seed);
  const start = orThrow(await train(initial, data, GOLDEN_OPTIONS.start, env)());
  const { pruned, trained } = orThrow(await goldenIteration(start, env)());
  const store = `${GOLDEN_DIR}store`;
  await Deno.remove(store, { recursive: true }).catch(() => undefined);
  orThrow(await writeSnapshot(store, start)());
  const record = goldenRecord(start, pruned, trained);
  await Deno.writeTextFile(`${GOLDEN_DIR}record.json`, JSON.stringify(record));
  // Committed files pass `deno fmt --check`; the store reads formatted JSON all the same.
  const fmt = new Deno.Command(Deno.execPath(), { args: ["fmt", "--quiet", GOLDEN_DIR] });
  if (!(await fmt.output()).success) throw new Error(`deno fmt ${GOLDEN_DIR} failed`);
  console.log(`wrote ${store}/${start.meta.id} and ${GOLDEN_DIR}record.json`);
  console.log(
    `start ${start.meta.id.slice(0, 12)} -> pruned ${pruned.meta.id.slice(0, 12)} ` +
      `-> trained ${trained.meta.id.slice(0, 12)}`,
  );
}

if (import.meta.main) await main();
