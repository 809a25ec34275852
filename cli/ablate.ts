/**
 * `deno task ablate`: the paper's ablation of the regularizer (METHOD.md section 6). One
 * seeded model is trained once per regularizer, from the same start with the same seed and
 * penalty budget, each trained model is pruned to the same MACs target WITHOUT any
 * training, and the top-1 of every pruned model is printed and ranked.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import { channelStats, type Normalisation } from "../datasets/batches.ts";
import type { Split } from "../datasets/image_set.ts";
import { type AnalysisError, outInGroups } from "../graph/out_in_groups.ts";
import { modelFromSnapshot, runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import type { StageEnv } from "../stages/env.ts";
import { evaluate } from "../stages/evaluate.ts";
import { withMetrics } from "../stages/metrics.ts";
import { trainFor } from "../stages/pipeline.ts";
import { pruneReference, pruneStep } from "../stages/prune_step.ts";
import { type RegularizerKind, regularizerTerms } from "../stages/regularizer.ts";
import { bindRegularizer } from "../stages/regularizer_grads.ts";
import { train } from "../stages/train.ts";
import { OICSR_VERSION } from "../version.ts";
import { type Ablation, type AblationRow, ablationTable, ranked, ranking } from "./ablate_table.ts";
import {
  ablateHelp,
  type AblateOptions,
  checkAblateOptions,
  parseAblateOptions,
} from "./ablate_options.ts";
import { loadData } from "./load_data.ts";
import { checkFitsData, modelSnapshot } from "./load_model.ts";
import { isModelFile, parseOptions, type PruneOptions } from "./options.ts";
import { clock, progressBar } from "./progress.ts";
import { orStop, reportStop, Stop } from "./stop.ts";

/** What every regularizer's run shares. */
interface Shared {
  readonly o: AblateOptions;
  readonly env: StageEnv;
  readonly data: Split;
  readonly normalisation: Normalisation;
  readonly initial: Snapshot;
  readonly log: (line: string) => void;
}

/** `R` of `kind` (lambda 1) at the snapshot's weights, by the training's own code. */
async function penaltyAt(
  snapshot: Snapshot,
  kind: RegularizerKind,
): Promise<E.Either<AnalysisError, number>> {
  const groups = outInGroups(snapshot);
  if (E.isLeft(groups)) return groups;
  const names = snapshot.weights.map((w) => w.name);
  const terms = regularizerTerms(groups.right, names, { kind, lambda: 1 });
  const model = await modelFromSnapshot(snapshot);
  const variables = new Map(
    model.trainableWeights.map((w) => [w.originalName, w.read() as tf.Variable]),
  );
  const bound = bindRegularizer(terms, variables);
  try {
    const value = tf.tidy(() => bound.evaluate().value);
    const [r] = await value.data();
    value.dispose();
    return E.right(r);
  } finally {
    bound.dispose();
    model.dispose();
  }
}

/** `--lambda` for all, else `budget / R(initial)` for each; 0 for `none`. With `lambda * R`. */
async function lambdaOf(
  kind: RegularizerKind,
  s: Shared,
): Promise<{ readonly lambda: number; readonly penalty: number }> {
  if (kind === "none") return { lambda: 0, penalty: 0 };
  const r = orStop(await penaltyAt(s.initial, kind));
  if (s.o.lambda !== null) return { lambda: s.o.lambda, penalty: s.o.lambda * r };
  if (!(r > 0)) {
    throw new Stop(
      `${kind}: ${s.o.model} has no weights this regularizer acts on (R = 0 at the ` +
        `initial weights); leave it out of --regularizers or give --lambda`,
    );
  }
  return { lambda: s.o.budget / r, penalty: s.o.budget };
}

async function scored(snapshot: Snapshot, s: Shared): Promise<Snapshot> {
  const { top1, top5 } = await evaluate(snapshot, s.data.test, s.normalisation);
  return withMetrics(snapshot, { top1, ...(top5 === undefined ? {} : { top5 }) });
}

async function store(s: Shared, snapshot: Snapshot): Promise<void> {
  orStop(await writeSnapshot(s.o.store, snapshot)());
}

/** Trains from the shared start with `kind`, then prunes to the target with no training. */
async function ablateOne(kind: RegularizerKind, s: Shared): Promise<Omit<AblationRow, "rank">> {
  const { o } = s;
  const { lambda, penalty } = await lambdaOf(kind, s);
  s.log(`${kind}: training with lambda ${lambda.toExponential(3)}`);
  const template = {
    batchSize: o.batchSize,
    lr: o.lr ?? (o.model.startsWith("resnet") ? 0.1 : 0.01),
    momentum: 0.9,
    weightDecay: 5e-4,
    schedule: { kind: "cosine" } as const,
    augment: true,
    seed: o.seed,
    normalisation: s.normalisation,
  };
  const options = trainFor(template, o.epochs, s.data.train.count, {
    regularizer: { kind, lambda },
    ...(o.stepsPerEpoch === null ? {} : { stepsPerEpoch: o.stepsPerEpoch }),
  });
  const bar = progressBar(o.quiet);
  const result = await train(s.initial, s.data.train, options, { ...s.env, onStep: bar.update })();
  bar.done();
  const trained = await scored(orStop(result), s);
  await store(s, trained);
  const reference = orStop(pruneReference(trained));
  const goal = o.target * reference.macs;
  const score = { normalise: o.normalise, costAware: false };
  const selection = { score, step: 1 - o.target, target: o.target, cap: o.cap, reference };
  let pruned = trained, steps = 0;
  while (pruned.meta.metrics.macs > goal) {
    const next = orStop(pruneStep(pruned, selection));
    if (next === pruned) {
      const reached = (100 * pruned.meta.metrics.macs / reference.macs).toFixed(1);
      throw new Stop(
        `${kind}: pruning stopped at ${reached} % of the MACs, every group at its cap ` +
          `(--cap ${o.cap}); raise --cap or --target`,
      );
    }
    steps++;
    pruned = next.meta.metrics.macs <= goal ? await scored(next, s) : next;
    await store(s, pruned);
  }
  const m = pruned.meta.metrics;
  s.log(`${kind}: top-1 ${pct(trained.meta.metrics.top1)} trained, ${pct(m.top1)} pruned`);
  return {
    regularizer: kind,
    lambda,
    initial_penalty: penalty,
    top1_trained: trained.meta.metrics.top1,
    reference_macs: reference.macs,
    macs: m.macs,
    params: m.params,
    top1_pruned: m.top1,
    prune_steps: steps,
    trained: trained.meta.id,
    pruned: pruned.meta.id,
  };
}

const pct = (n: number) => `${(100 * n).toFixed(2)} %`;

/** `loadData` takes the options of `deno task prune`: its defaults with our limits. */
function dataOptions(o: AblateOptions): PruneOptions {
  const defaults = parseOptions([]);
  if (E.isLeft(defaults)) throw new Error(defaults.left.message);
  return { ...defaults.right, trainLimit: o.trainLimit, testLimit: o.testLimit };
}

async function run(o: AblateOptions): Promise<Ablation> {
  const started = performance.now();
  const log = (line: string) => o.quiet || console.error(line);
  const backend = orStop(await selectBackend(o.backend));
  log(`backend: ${backend.name} (${backend.adapter})`);
  const env = { backend, versions: runtimeVersions(OICSR_VERSION) };
  const initial = orStop(await modelSnapshot(o.model, { classes: 10, seed: o.seed }, env)());
  const data = orStop(await loadData(dataOptions(o))());
  log(`data: ${data.train.name} ${data.train.count} images, ${data.test.name} ${data.test.count}`);
  if (isModelFile(o.model)) orStop(await checkFitsData(initial, o.model, data.train)());
  const s: Shared = { o, env, data, normalisation: channelStats(data.train), initial, log };
  await store(s, initial);
  const rows: Omit<AblationRow, "rank">[] = [];
  for (const kind of o.regularizers) rows.push(await ablateOne(kind, s));
  const withRanks = ranked(rows);
  return {
    model: o.model,
    data: data.train.name,
    train_images: data.train.count,
    test_images: data.test.count,
    backend: backend.name,
    adapter: backend.adapter,
    seed: o.seed,
    epochs: o.epochs,
    target: o.target,
    cap: o.cap,
    normalise: o.normalise,
    lambda_rule: o.lambda === null
      ? { kind: "budget", budget: o.budget }
      : { kind: "fixed", lambda: o.lambda },
    initial: initial.meta.id,
    rows: withRanks,
    ranking: ranking(withRanks),
    store: o.store,
    total_seconds: (performance.now() - started) / 1000,
  };
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseAblateOptions(args);
  if (E.isRight(parsed) && parsed.right.help) return console.log(ablateHelp()), 0;
  // Every flag is checked, the file system's included, before a backend starts or data loads.
  const options = E.isLeft(parsed) ? parsed : await checkAblateOptions(parsed.right, args);
  if (E.isLeft(options)) return console.error(options.left.message), 2;
  try {
    const result = await run(options.right);
    console.log(options.right.json ? JSON.stringify(result) : ablationTable(result, clock));
    return 0;
  } catch (e) {
    return reportStop(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
