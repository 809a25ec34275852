/**
 * The pruning run of `deno task prune`: start snapshot, the pipeline step by step (each
 * snapshot stored, then the journal written, so `--resume` continues from the last
 * complete step), final evaluation and latency, the compact model, summary and report.
 * @module
 */
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { selectBackend } from "../backend/select_backend.ts";
import { channelStats } from "../datasets/batches.ts";
import { type Split, takeImages } from "../datasets/image_set.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { cleanStore, exportLayersModel, readSnapshot, writeSnapshot } from "../snapshot/store.ts";
import { canonicalJson } from "../snapshot/id.ts";
import { evaluate } from "../stages/evaluate.ts";
import { foldBatchNorm } from "../stages/fold_batch_norm.ts";
import { advance, type PipelineState, startPipeline } from "../stages/pipeline.ts";
import { OICSR_VERSION } from "../version.ts";
import { runFolder } from "./baseline.ts";
import { type Latency, measureLatencies } from "../stages/latency.ts";
import { loadData, startDecodingFor } from "./load_data.ts";
import { PruneOptions } from "./options.ts";
import { progressBar } from "./progress.ts";
import { runOutputs } from "./prune_outputs.ts";
import { pipelineOptions, recordedNormalisation, startingSnapshot } from "./prune_start.ts";
import {
  lockRunFolder,
  readJournal,
  removeRunLeftovers,
  type RunJournal,
  writeJournal,
} from "./run_journal.ts";
import { orStop, Stop } from "./stop.ts";

/** Options, folder, start and state of a run, fresh or resumed from its journal. */
async function setUp(
  o: PruneOptions,
  out: string,
  data: Split,
  env: Parameters<typeof startingSnapshot>[2],
  log: (l: string) => void,
) {
  if (o.resume === null) {
    const start = await startingSnapshot(o, data, env, log);
    const normalisation = recordedNormalisation(start) ?? channelStats(data.train);
    const { top1, top5 } = await evaluate(start, data.test, normalisation);
    const options = pipelineOptions(o, normalisation);
    const state = startPipeline(start, options);
    return {
      out,
      start,
      startScore: { top1, top5: top5 ?? null },
      normalisation,
      options,
      state,
    };
  }
  const journal = orStop(await readJournal(out));
  const start = orStop(await readSnapshot(journal.store, journal.start.id)());
  const current = orStop(await readSnapshot(journal.store, journal.state.snapshot)());
  const normalisation = recordedNormalisation(start) ?? channelStats(data.train);
  const state: PipelineState = { ...journal.state, snapshot: current };
  log(`resume: ${out} at ${journal.state.phase}, snapshot ${current.meta.id.slice(0, 12)}`);
  const { top1, top5 } = journal.start;
  return {
    out,
    start,
    startScore: { top1, top5 },
    normalisation,
    options: pipelineOptions(o, normalisation),
    state,
  };
}

/** The flags a resumed run takes from its journal (all but the display flags). */
export async function resumedOptions(o: PruneOptions): Promise<PruneOptions> {
  if (o.resume === null) return o;
  const journal = orStop(await readJournal(o.resume));
  const saved = PruneOptions.decode(journal.options);
  if (E.isLeft(saved)) throw new Stop(`${o.resume}/run.json: its options do not decode`);
  return { ...saved.right, quiet: o.quiet, json: o.json, resume: o.resume };
}

/** The options without the flags that only change what is shown, comparable as text. */
function runDefining(o: unknown): string {
  const { quiet: _q, json: _j, resume: _r, ...rest } = JSON.parse(JSON.stringify(o));
  return canonicalJson(rest);
}

/**
 * The options of the run in the locked folder `out`: the journal's for `--resume`; for a
 * fresh run onto a folder that already holds a journal (a run killed or stopped there),
 * the same command resumes it, and other options stop with a pointer to `--resume`.
 */
async function folderOptions(given: PruneOptions, out: string, log: (l: string) => void) {
  if (given.resume !== null) return await resumedOptions(given);
  const fresh = { ...given, out };
  const there = await readJournal(out);
  if (E.isLeft(there) && there.left.missing) return fresh;
  const journal = orStop(there);
  if (runDefining(journal.options) !== runDefining(fresh)) {
    throw new Stop(
      `${out} already holds a run with other options (run.json): continue it with ` +
        `--resume ${out}, or choose another --out`,
    );
  }
  log(`${out} holds a run of these same options: resuming it (as --resume ${out})`);
  return await resumedOptions({ ...given, resume: out });
}

/** Locks the run folder and removes what killed runs left there and in the store. */
async function claimFolder(given: PruneOptions, log: (l: string) => void, onLocked: OnLocked) {
  const out = given.resume ?? runFolder(given);
  // --resume of a folder without a run stops here, before anything is created.
  if (given.resume !== null) orStop(await readJournal(out));
  const lock = orStop(await lockRunFolder(out));
  try {
    await onLocked();
    const o = await folderOptions(given, out, log);
    const left = [
      ...orStop(await removeRunLeftovers(out)),
      ...orStop(await cleanStore(o.store)()),
    ];
    if (left.length > 0) log(`removed ${left.length} temporary file(s) a killed run left`);
    return { o, out, lock };
  } catch (e) {
    lock[Symbol.dispose]();
    throw e;
  }
}

/** Work on the run folder that must wait for its lock (a change to `run.json`). */
export type OnLocked = () => Promise<void>;

/**
 * Runs (or resumes) a pruning run and returns its summary. The run folder is locked for
 * the whole run (a second run on it stops at once); `onLocked` runs once it is held,
 * before the journal is read.
 *
 * @example
 * ```ts
 * import { pruneRun } from "./prune_run.ts";
 * declare const o: PruneOptions;
 * const summary = await pruneRun(o, console.error);
 * ```
 */
export async function pruneRun(
  given: PruneOptions,
  log: (line: string) => void,
  onLocked: OnLocked = async () => {},
) {
  const started = performance.now();
  const { o, out, lock } = await claimFolder(given, log, onLocked);
  using _lock = lock;
  startDecodingFor(o.data);
  const backend = orStop(await selectBackend(o.backend));
  log(`backend: ${backend.name} (${backend.adapter})`);
  const env = { backend, versions: runtimeVersions(OICSR_VERSION) };
  const data = orStop(await loadData(o)());
  log(`data: ${data.train.name} ${data.train.count} images, ${data.test.name} ${data.test.count}`);
  const run = await setUp(o, out, data, env, log);
  let state = run.state;
  const journal = (s: PipelineState): RunJournal => ({
    version: 1,
    options: o,
    store: o.store,
    start: { id: run.start.meta.id, ...run.startScore },
    state: { ...s, snapshot: s.snapshot.meta.id, records: [...s.records] },
  });
  await writeJournal(run.out, journal(state));
  const inLoop = o.evalLimit === null ? data.test : takeImages(data.test, o.evalLimit);
  const scoreOn = (s: Snapshot) =>
    evaluate(s, s.meta.stage === "fine-tune" ? data.test : inLoop, run.normalisation);
  while (state.phase !== "done") {
    const bar = progressBar(o.quiet);
    const phase = state.phase;
    const next = await advance(state, data.train, run.options, {
      ...env,
      evaluate: scoreOn,
      onStep: bar.update,
    })();
    bar.done();
    state = orStop(next);
    orStop(await writeSnapshot(o.store, state.snapshot)());
    await writeJournal(run.out, journal(state));
    const m = state.snapshot.meta.metrics;
    log(
      `${phase.padEnd(10)} -> ${state.snapshot.meta.id.slice(0, 12)}  MACs ${
        (m.macs / 1e6).toFixed(2)
      } M  top-1 ${(100 * m.top1).toFixed(2)} %`,
    );
  }
  // The model as deployed: batch norms folded into the layers before them (unless --keep-bn),
  // a snapshot of its own (stage fold-bn) whose parent is the fine-tuned one.
  const deployed = (s: Snapshot) => o.keepBn ? s : orStop(foldBatchNorm(s));
  const exported = deployed(state.snapshot);
  orStop(await writeSnapshot(o.store, exported)());
  const shape = [data.train.height, data.train.width, data.train.channels] as const;
  // Dense and compact timed in turn, so that the machine's load falls on both alike.
  const timed = o.latencyRuns === 0
    ? null
    : await measureLatencies([deployed(run.start), exported], shape, o.latencyRuns);
  const latency = timed === null
    ? null
    : { dense: timed[0], compact: timed[1] } satisfies { dense: Latency; compact: Latency };
  orStop(await exportLayersModel(exported, join(run.out, "model"))());
  return await runOutputs({
    o,
    out: run.out,
    backend,
    data,
    start: run.start,
    startScore: run.startScore,
    state,
    exported,
    latency,
    seconds: (performance.now() - started) / 1000,
  });
}
