/**
 * `deno task baseline`: trains a dense model of the zoo (from a seeded start) or a user's
 * tfjs LayersModel on CIFAR, evaluates it and writes both snapshots, the model in the tfjs
 * LayersModel format and a summary. `--publish <dir>` also copies the trained snapshot
 * into a store of baselines that `deno task prune` starts from.
 * @module
 */
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { selectBackend } from "../backend/select_backend.ts";
import { channelStats } from "../datasets/batches.ts";
import type { Split } from "../datasets/image_set.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { exportLayersModel, writeSnapshot } from "../snapshot/store.ts";
import type { StageEnv } from "../stages/env.ts";
import { evaluate } from "../stages/evaluate.ts";
import { withMetrics } from "../stages/metrics.ts";
import { stageDiverged } from "../stages/stage_diverged.ts";
import { train } from "../stages/train.ts";
import type { Diverged } from "../stages/train_model.ts";
import type { AnalysisError } from "../graph/out_in_groups.ts";
import { OICSR_VERSION } from "../version.ts";
import { writeTextAtomic } from "./atomic_file.ts";
import { publishBaseline } from "./baselines.ts";
import { loadData, startDecodingFor } from "./load_data.ts";
import { checkFitsData, classesOf, modelLabel, modelSnapshot } from "./load_model.ts";
import { givenFlags } from "./flags.ts";
import { FLAGS, helpText, isModelFile, parseOptions, type PruneOptions } from "./options.ts";
import { preflight } from "./preflight.ts";
import { lockRunFolder } from "./run_journal.ts";
import { clock, progressBar } from "./progress.ts";
import { orStop, reportStop } from "./stop.ts";
import { summaryTable } from "./summary.ts";
import { trainOptions } from "./train_options.ts";

/** A run folder name: `runs/<time>-<model>`. */
export function runFolder(o: PruneOptions): string {
  return o.out ??
    join("runs", `${new Date().toISOString().replace(/[:.]/g, "-")}-${modelLabel(o.model)}`);
}

/**
 * The dense model of `o` trained for `--epochs` and evaluated on the test set: the initial
 * and the trained snapshot are written to the store.
 */
export async function trainBaseline(
  o: PruneOptions,
  data: Split,
  initial: Snapshot,
  env: StageEnv,
): Promise<Snapshot> {
  orStop(await writeSnapshot(o.store, initial)());
  const normalisation = channelStats(data.train);
  const bar = progressBar(o.quiet);
  const trained = await train(initial, data.train, trainOptions(o, normalisation), {
    ...env,
    onStep: bar.update,
  })();
  bar.done();
  // A divergence names the stage and the last good snapshot: the initial one, stored above.
  const snapshot = orStop(
    E.mapLeft((e: Diverged | AnalysisError) =>
      e._tag === "Diverged" ? stageDiverged(e, "baseline train", initial.meta.id) : e
    )(trained),
  );
  const { top1, top5 } = await evaluate(snapshot, data.test, normalisation);
  const final = withMetrics(snapshot, { top1, ...(top5 === undefined ? {} : { top5 }) });
  orStop(await writeSnapshot(o.store, final)());
  return final;
}

async function run(o: PruneOptions): Promise<Record<string, unknown>> {
  const started = performance.now();
  const log = (line: string) => o.quiet || console.error(line);
  // The run folder is this run's until it ends: a second run on it stops at once.
  const out = runFolder(o);
  using _lock = orStop(await lockRunFolder(out));
  startDecodingFor(o.data);
  const backend = orStop(await selectBackend(o.backend));
  log(`backend: ${backend.name} (${backend.adapter})`);
  const env = { backend, versions: runtimeVersions(OICSR_VERSION) };
  // The model first: a model file that does not import fails before the data loads.
  const seeded = { classes: classesOf(o), seed: o.seed };
  const initial = orStop(await modelSnapshot(o.model, seeded, env)());
  const data = orStop(await loadData(o)());
  log(`data: ${data.train.name} ${data.train.count} images, ${data.test.name} ${data.test.count}`);
  if (isModelFile(o.model)) orStop(await checkFitsData(initial, o.model, data.train)());
  const final = await trainBaseline(o, data, initial, env);
  orStop(await exportLayersModel(final, join(out, "model"))());
  if (o.publish !== null) orStop(await publishBaseline(o.publish, o, final)());
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
    top1: m.top1,
    ...(m.top5 === undefined ? {} : { top5: m.top5 }),
    loss: m.loss,
    train_seconds: m.seconds,
    train_images_per_second: m.images_per_second,
    total_seconds: (performance.now() - started) / 1000,
    snapshot: final.meta.id,
    parent: initial.meta.id,
    store: o.store,
    model_json: join(out, "model", "model.json"),
  };
  const json = JSON.stringify(summary, null, 2) + "\n";
  await writeTextAtomic(join(out, "summary.json"), json, "the run's summary");
  return summary;
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = parseOptions(args);
  if (E.isRight(parsed) && parsed.right.help) return console.log(helpText("baseline")), 0;
  // Every flag is checked, the file system's included, before a backend starts or data loads.
  const options = E.isLeft(parsed)
    ? parsed
    : await preflight(parsed.right, givenFlags(args, FLAGS), "baseline");
  if (E.isLeft(options)) return console.error(options.left.message), 2;
  try {
    const summary = await run(options.right);
    console.log(options.right.json ? JSON.stringify(summary) : summaryTable(summary, clock));
    return 0;
  } catch (e) {
    return reportStop(e);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
