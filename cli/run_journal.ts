/**
 * The journal of a pruning run, `run.json` in its folder: the options, the start, and the
 * state after the last complete step (snapshots by id; they live in the store). Written
 * atomically after every step, so `--resume <folder>` continues from the last snapshot
 * that was fully written.
 * @module
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { join } from "node:path";
import { describeValidation } from "../snapshot/errors.ts";
import { Json } from "../snapshot/snapshot.ts";
import { PruneReference } from "../stages/prune_step.ts";

const Num = t.number;
const IterationRecord = t.type({
  iteration: Num,
  removedChannels: Num,
  macs: Num,
  params: Num,
  top1Pruned: Num,
  top1Trained: t.union([Num, t.null]),
  pruned: t.string,
  trained: t.union([t.string, t.null]),
});

/** What `run.json` holds. */
export const RunJournal = t.type({
  version: t.literal(1),
  /** The run's options (as parsed; `--resume` runs with these). */
  options: Json,
  store: t.string,
  /** The snapshot the run started from and its full-test-set accuracy. */
  start: t.type({ id: t.string, top1: Num, top5: t.union([Num, t.null]) }),
  state: t.type({
    phase: t.keyof({ regularize: null, prune: null, train: null, finetune: null, done: null }),
    snapshot: t.string,
    reference: t.union([PruneReference, t.null]),
    records: t.array(IterationRecord),
  }),
});
/** What `run.json` holds. */
export type RunJournal = t.TypeOf<typeof RunJournal>;

/** A `run.json` that is missing or does not hold a journal. */
export interface BadJournal {
  readonly _tag: "BadJournal";
  readonly path: string;
  readonly message: string;
}

/** The journal's path in a run folder. */
export function journalPath(runDir: string): string {
  return join(runDir, "run.json");
}

/**
 * Writes the journal atomically: a temporary file in the same folder, renamed over it.
 *
 * @example
 * ```ts
 * import { writeJournal } from "./run_journal.ts";
 * import type { RunJournal } from "./run_journal.ts";
 * declare const journal: RunJournal;
 * await writeJournal("runs/my-run", journal);
 * ```
 */
export async function writeJournal(runDir: string, journal: RunJournal): Promise<void> {
  await Deno.mkdir(runDir, { recursive: true });
  const path = journalPath(runDir);
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  const file = await Deno.open(temp, { write: true, createNew: true });
  try {
    await file.write(new TextEncoder().encode(JSON.stringify(journal, null, 2) + "\n"));
    await file.sync();
  } finally {
    file.close();
  }
  await Deno.rename(temp, path);
}

/**
 * Reads and validates a run folder's journal; errors name the file and the bad field.
 *
 * @example
 * ```ts
 * import { readJournal } from "./run_journal.ts";
 * const journal = await readJournal("runs/my-run"); // Either<BadJournal, RunJournal>
 * ```
 */
export async function readJournal(runDir: string): Promise<E.Either<BadJournal, RunJournal>> {
  const path = journalPath(runDir);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    const why = e instanceof Deno.errors.NotFound
      ? "no such file (is this a run folder?)"
      : String(e);
    return E.left({ _tag: "BadJournal", path, message: `${path}: ${why}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return E.left({ _tag: "BadJournal", path, message: `${path}: not valid JSON (${e})` });
  }
  return E.mapLeft((errors: t.Errors): BadJournal => ({
    _tag: "BadJournal",
    path,
    message: `${path}: ${describeValidation(errors).detail}`,
  }))(RunJournal.decode(json));
}
