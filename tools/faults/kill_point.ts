/**
 * Where a killed `deno task prune` was when it died, read from what it left: temporary
 * files of a write in progress, the journal's phase, the outputs written since it started,
 * and the lines it printed.
 * @module
 */
import { join } from "node:path";
import { readJournal } from "../../cli/run_journal.ts";

/** The folders of a trial and what was there before the attempt started. */
export interface AttemptDirs {
  readonly store: string;
  readonly out: string;
  /** Paths of the temporary entries that were there before (left by an earlier kill). */
  readonly before: ReadonlySet<string>;
  /** When the attempt started (ms since the epoch), to tell outputs it wrote. */
  readonly startedAt: number;
}

/**
 * The names of the temporary entries in the store, the run folder and its model folder.
 *
 * @example
 * ```ts
 * import { temporaries } from "./kill_point.ts";
 * const before = new Set(await temporaries("trial/store", "trial/run"));
 * ```
 */
export async function temporaries(store: string, out: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of [store, out, join(out, "model")]) {
    try {
      for await (const e of Deno.readDir(dir)) {
        if (e.name.includes(".tmp-")) found.push(join(dir, e.name));
      }
    } catch {
      // absent: nothing there
    }
  }
  return found;
}

async function writtenSince(path: string, t: number): Promise<boolean> {
  try {
    return ((await Deno.stat(path)).mtime?.getTime() ?? 0) >= t;
  } catch {
    return false;
  }
}

/**
 * The phase a run was in when it was killed: `start-up`, `baseline training`,
 * `regularized training`, `removal <k>`, `retraining <k>`, `fine-tuning`, `snapshot write`,
 * `journal write`, `latency`, `model export`, `summary + report` or `exit`.
 *
 * @example
 * ```ts
 * import { killPoint } from "./kill_point.ts";
 * declare const dirs: AttemptDirs, stderr: string;
 * await killPoint(dirs, stderr); // "retraining 1"
 * ```
 */
export async function killPoint(dirs: AttemptDirs, stderr: string): Promise<string> {
  const { store, out } = dirs;
  const fresh = (await temporaries(store, out)).filter((p) => !dirs.before.has(p));
  if (fresh.some((p) => p.startsWith(join(store, ".tmp-")))) return "snapshot write";
  if (fresh.some((p) => p.startsWith(join(out, "run.json.tmp-")))) return "journal write";
  if (!/^data: /m.test(stderr)) return "start-up";
  const journal = await readJournal(out);
  if (journal._tag === "Left") return "baseline training";
  const { phase, records } = journal.right.state;
  if (phase === "regularize") return "regularized training";
  if (phase === "prune") return `removal ${records.length + 1}`;
  if (phase === "train") return `retraining ${records.length}`;
  if (phase === "finetune") return "fine-tuning";
  if (fresh.length > 0) return "model export";
  const since = (name: string) => writtenSince(join(out, name), dirs.startedAt);
  if (!await since(join("model", "model.json"))) return "latency";
  return await since("report.html") ? "exit" : "summary + report";
}
