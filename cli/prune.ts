/**
 * `deno task prune`: for now, trains a model of the zoo (from a seeded start) or a user's
 * tfjs LayersModel on CIFAR, evaluates it and writes both snapshots, the model in the tfjs
 * LayersModel format and a summary; `--explain` prints the model's out-in-channel groups
 * instead. The pruning stages join this command in later releases.
 * @module
 */
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { selectBackend } from "../backend/select_backend.ts";
import { channelStats } from "../datasets/batches.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { exportLayersModel, writeSnapshot } from "../snapshot/store.ts";
import { evaluate } from "../stages/evaluate.ts";
import { withMetrics } from "../stages/metrics.ts";
import { train } from "../stages/train.ts";
import type { TrainOptions } from "../stages/train_model.ts";
import { OICSR_VERSION } from "../version.ts";
import { loadData } from "./load_data.ts";
import { explainText, explanation } from "./explain.ts";
import { checkFitsData, classesOf, modelFacts, modelLabel, modelSnapshot } from "./load_model.ts";
import { helpText, isModelFile, parseOptions, type PruneOptions } from "./options.ts";
import { clock, progressBar } from "./progress.ts";
import { summaryTable } from "./summary.ts";

/** A failure the user can act on: one line, then exit code 1 (or 2 for bad flags). */
class Stop extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

function orStop<A>(result: E.Either<{ message: string }, A>, code = 1): A {
  if (E.isLeft(result)) throw new Stop(result.left.message, code);
  return result.right;
}

function trainOptions(o: PruneOptions, normalisation: TrainOptions["normalisation"]): TrainOptions {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: o.lr ?? (o.model.startsWith("resnet") ? 0.1 : 0.01),
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    schedule: o.schedule === "cosine"
      ? { kind: "cosine" }
      : { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
    augment: true,
    seed: o.seed,
    stepsPerEpoch: o.stepsPerEpoch,
    normalisation,
  };
}

async function store(root: string, snapshot: Snapshot): Promise<void> {
  orStop(await writeSnapshot(root, snapshot)());
}

async function run(o: PruneOptions): Promise<Record<string, unknown>> {
  const started = performance.now();
  const log = (line: string) => o.quiet || console.error(line);
  const backend = orStop(await selectBackend(o.backend));
  log(`backend: ${backend.name} (${backend.adapter})`);
  const env = { backend, versions: runtimeVersions(OICSR_VERSION) };
  // The model first: a model file that does not import fails before the data loads.
  const seeded = { classes: classesOf(o), seed: o.seed };
  const initial = orStop(await modelSnapshot(o.model, seeded, env)());
  const data = orStop(await loadData(o)());
  log(`data: ${data.train.name} ${data.train.count} images, ${data.test.name} ${data.test.count}`);
  if (isModelFile(o.model)) orStop(await checkFitsData(initial, o.model, data.train)());
  await store(o.store, initial);
  const normalisation = channelStats(data.train);
  const bar = progressBar(o.quiet);
  const trained = await train(initial, data.train, trainOptions(o, normalisation), {
    ...env,
    onStep: bar.update,
  })();
  bar.done();
  const snapshot = orStop(trained);
  const { top1, top5 } = await evaluate(snapshot, data.test, normalisation);
  const scores = { top1, ...(top5 === undefined ? {} : { top5 }) };
  const final = withMetrics(snapshot, scores);
  await store(o.store, final);
  const out = o.out ??
    join("runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${modelLabel(o.model)}`);
  orStop(await exportLayersModel(final, join(out, "model"))());
  const m = final.meta.metrics;
  const summary = {
    model: o.model,
    data: data.train.name,
    train_images: data.train.count,
    test_images: data.test.count,
    backend: backend.name,
    adapter: backend.adapter,
    macs: m.macs,
    params: m.params,
    ...scores,
    loss: m.loss,
    train_seconds: m.seconds,
    train_images_per_second: m.images_per_second,
    total_seconds: (performance.now() - started) / 1000,
    snapshot: final.meta.id,
    parent: initial.meta.id,
    store: o.store,
    model_json: join(out, "model", "model.json"),
  };
  await Deno.writeTextFile(join(out, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  return summary;
}

/** `--explain`: the groups of the model, as text or JSON; nothing is trained or written. */
async function explain(o: PruneOptions): Promise<string> {
  const versions = runtimeVersions(OICSR_VERSION);
  // Only a zoo model needs tfjs (to build it); nothing is trained, so the cpu backend does.
  const backend = isModelFile(o.model)
    ? { name: "none", adapter: "", threads: 0 }
    : orStop(await selectBackend("cpu"));
  const seeded = { classes: classesOf(o), seed: o.seed };
  const snapshot = orStop(await modelSnapshot(o.model, seeded, { backend, versions })());
  const analysis = outInGroups(snapshot);
  if (E.isLeft(analysis)) throw new Stop(`${o.model}: ${analysis.left.message}`);
  const result = explanation(modelFacts(snapshot, o.model), analysis.right);
  return o.json ? JSON.stringify(result) : explainText(result);
}

async function main(args: readonly string[]): Promise<number> {
  const options = parseOptions(args);
  if (E.isLeft(options)) {
    console.error(`${options.left.message}\n(deno task prune --help lists the flags)`);
    return 2;
  }
  if (options.right.help) return console.log(helpText()), 0;
  try {
    if (options.right.explain) return console.log(await explain(options.right)), 0;
    const summary = await run(options.right);
    console.log(options.right.json ? JSON.stringify(summary) : summaryTable(summary, clock));
    return 0;
  } catch (e) {
    if (e instanceof Stop) return console.error(`error: ${e.message}`), e.code;
    throw e;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
