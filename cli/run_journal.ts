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
import type { StoreError } from "../snapshot/errors.ts";
import { attempt, denoFs, removeStaleTempDirs } from "../snapshot/fs.ts";
import { Json } from "../snapshot/snapshot.ts";
import { PruneReference } from "../stages/prune_step.ts";
import { writeTextAtomic } from "./atomic_file.ts";
import { Stop } from "./stop.ts";

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
  /** True when there is no `run.json` at all. */
  readonly missing: boolean;
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
  const path = journalPath(runDir);
  try {
    await Deno.mkdir(runDir, { recursive: true });
  } catch (e) {
    throw new Stop(
      `${runDir}: cannot create the run folder: ${e instanceof Error ? e.message : e}`,
    );
  }
  await writeTextAtomic(path, JSON.stringify(journal, null, 2) + "\n", "the run's journal");
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
    const missing = e instanceof Deno.errors.NotFound;
    return E.left({ _tag: "BadJournal", path, missing, message: `${path}: ${why}` });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const message = `${path}: not valid JSON (${e})`;
    return E.left({ _tag: "BadJournal", path, missing: false, message });
  }
  return E.mapLeft((errors: t.Errors): BadJournal => ({
    _tag: "BadJournal",
    path,
    missing: false,
    message: `${path}: ${describeValidation(errors).detail}`,
  }))(RunJournal.decode(json));
}

/** A run folder that another live run holds, or that cannot be locked. */
export interface RunFolderBusy {
  readonly _tag: "RunFolderBusy";
  readonly path: string;
  readonly message: string;
}

/**
 * Locks a run folder (creating it) for this process: an exclusive `flock` on the folder
 * itself, so no lock file is left behind, and the kernel drops it when the process dies,
 * even by SIGKILL. A second run on the folder gets a {@linkcode RunFolderBusy} at once.
 * Dispose of the lock (`using`) to release it.
 *
 * @example
 * ```ts
 * import { lockRunFolder } from "./run_journal.ts";
 * const lock = await lockRunFolder("runs/my-run"); // Either<RunFolderBusy, Disposable>
 * ```
 */
export async function lockRunFolder(runDir: string): Promise<E.Either<RunFolderBusy, Disposable>> {
  const fail = (why: string) =>
    E.left<RunFolderBusy>({ _tag: "RunFolderBusy", path: runDir, message: `${runDir} ${why}` });
  let dir: Deno.FsFile;
  try {
    await Deno.mkdir(runDir, { recursive: true });
    // Where a folder cannot be opened (Windows), a lock file in it stands for it.
    dir = await Deno.open(runDir, { read: true }).catch(() =>
      Deno.open(join(runDir, ".lock"), { write: true, create: true })
    );
  } catch (e) {
    return fail(`cannot be opened as a run folder (${e})`);
  }
  const locked = await dir.tryLock(true).catch(() => false);
  if (!locked) {
    dir.close();
    return fail("is in use by another run (wait for it to end, or choose another --out)");
  }
  return E.right({ [Symbol.dispose]: () => dir.close() });
}

/**
 * Removes what a killed run left in its folder: temporary files of the journal, summary
 * and report (`run.json.tmp-*`, `summary.json.tmp-*`, `report.html.tmp-*`) and
 * the temporary directories of the model's export (`.tmp-*`, also inside `model/`) that
 * no live writer holds. Call it while holding the folder's lock. Resolves to the paths
 * removed.
 *
 * @example
 * ```ts
 * import { removeRunLeftovers } from "./run_journal.ts";
 * const removed = await removeRunLeftovers("runs/my-run"); // ["runs/my-run/run.json.tmp-1f..."]
 * ```
 */
export async function removeRunLeftovers(
  runDir: string,
): Promise<E.Either<StoreError, string[]>> {
  const journals = await attempt(runDir, "remove temporary journals from", async () => {
    const removed: string[] = [];
    for await (const e of Deno.readDir(runDir)) {
      if (!e.isFile || !/^(run\.json|summary\.json|report\.html)\.tmp-/.test(e.name)) continue;
      await Deno.remove(join(runDir, e.name));
      removed.push(join(runDir, e.name));
    }
    return removed;
  })();
  if (E.isLeft(journals)) return journals;
  const dirs = await removeStaleTempDirs(runDir, denoFs)();
  const inModel = await removeStaleTempDirs(join(runDir, "model"), denoFs)();
  return E.isLeft(dirs) ? dirs : E.isLeft(inModel) ? inModel : E.right([
    ...journals.right,
    ...dirs.right,
    ...inModel.right,
  ]);
}
