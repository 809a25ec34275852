/**
 * `--resume <folder> --lr/--prune-lr/--lambda`: a run that diverged continues from its last
 * good snapshot with the fixed flag, which its journal then records.
 * @module
 */
import type { Json } from "../snapshot/snapshot.ts";
import type { PruneOptions } from "./options.ts";
import type { Given } from "./preflight.ts";
import { readJournal, writeJournal } from "./run_journal.ts";
import { flagName } from "./flags.ts";
import { orStop } from "./stop.ts";

/** The flags a resumed run may change: the ones that make training diverge. */
export const FIXES = ["lr", "pruneLr", "lambda"] as const;

/**
 * Writes the fixes given beside `--resume` into the run's journal (the run continues with
 * them from its last complete step) and returns one line per change; none without fixes.
 *
 * @example
 * ```ts
 * import { applyResumeFixes } from "./resume_flags.ts";
 * declare const o: PruneOptions;
 * await applyResumeFixes({ ...o, resume: "runs/a", lambda: 1e-4 }, new Set(["resume", "lambda"]));
 * // ["--lambda 0.0001 (was 1e+30)"]
 * ```
 */
export async function applyResumeFixes(o: PruneOptions, given: Given): Promise<string[]> {
  const fixes = FIXES.filter((k) => given.has(k));
  if (o.resume === null || fixes.length === 0) return [];
  const journal = orStop(await readJournal(o.resume));
  const saved = journal.options as { readonly [key: string]: Json };
  const changed = fixes.filter((k) => saved[k] !== o[k]);
  if (changed.length === 0) return [];
  const options: Json = { ...saved, ...Object.fromEntries(changed.map((k) => [k, o[k]])) };
  await writeJournal(o.resume, { ...journal, options });
  return changed.map((k) => `${flagName(k)} ${o[k]} (was ${saved[k]})`);
}
