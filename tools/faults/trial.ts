/**
 * One kill-and-resume trial: a fresh store and run folder, the run killed by a first
 * trigger, sometimes killed again while it resumes, then resumed to the end. After every
 * kill the store must verify; at the end the run must exit 0 at the final snapshot of an
 * uninterrupted run, with sound outputs and no temporary files left.
 * @module
 */
import { join } from "node:path";
import { journalPath } from "../../cli/run_journal.ts";
import { runAttempt, type Trigger } from "./attempt.ts";
import { killPoint, temporaries } from "./kill_point.ts";
import { checkRunFolder, verifyStore } from "./store_check.ts";

/** What a trial does. */
export interface TrialPlan {
  readonly index: number;
  /** The first run's kill, then the resumed run's (if any); the last attempt runs to the end. */
  readonly triggers: readonly Trigger[];
  /** Resume by `--resume <folder>` (true) or by rerunning the same command (false). */
  readonly resumeFlag: boolean;
  /**
   * When the first kill does not land (the run ended before it), the trial starts again from
   * nothing, killed at each of these fractions (in [0, 0.9)) of the time the run took, in
   * turn, until one lands.
   */
  readonly retries: readonly number[];
}

/** What a trial saw. */
export interface TrialResult {
  readonly index: number;
  /** Where each kill landed (see `killPoint`), in order. */
  readonly kills: readonly string[];
  /** Planned first kills that did not land (the run ended first), each followed by a retry. */
  readonly missed: number;
  readonly problems: readonly string[];
  readonly dir: string;
}

/** The run's flags, and the final snapshot an uninterrupted run with them ends at. */
export interface TrialSetting {
  readonly args: readonly string[];
  readonly finalId: string;
}

/**
 * Runs a trial in `dir` (created; the caller removes it).
 *
 * @example
 * ```ts
 * import { runTrial } from "./trial.ts";
 * declare const setting: TrialSetting;
 * const triggers = [{ kind: "time", ms: 1500 }] as const;
 * const plan = { index: 0, triggers, resumeFlag: true, retries: [0.5] };
 * const result = await runTrial(plan, setting, "/tmp/trial-0"); // result.problems: []
 * ```
 */
export async function runTrial(
  plan: TrialPlan,
  setting: TrialSetting,
  dir: string,
): Promise<TrialResult> {
  const store = join(dir, "store"), out = join(dir, "run");
  const fresh = [...setting.args, "--store", store, "--out", out, "--json"];
  const kills: string[] = [], problems: string[] = [];
  const triggers = [...plan.triggers];
  let missed = 0;
  const result = () => ({ index: plan.index, kills, missed, problems, dir });
  await Deno.mkdir(store, { recursive: true });
  await Deno.mkdir(out, { recursive: true });
  for (let n = 0; n <= triggers.length; n++) {
    const journaled = await exists(journalPath(out));
    const args = journaled && plan.resumeFlag ? ["--resume", out, "--json"] : fresh;
    const before = new Set(await temporaries(store, out));
    const startedAt = Date.now();
    const a = await runAttempt(args, { store, out }, triggers[n] ?? null);
    if (!a.killed && a.code === 0 && n === 0 && missed < plan.retries.length) {
      // The first kill came too late: start again, killed within the time this run took.
      triggers[0] = { kind: "time", ms: plan.retries[missed++] * a.ms };
      await Deno.remove(dir, { recursive: true });
      await Deno.mkdir(store, { recursive: true });
      await Deno.mkdir(out, { recursive: true });
      n = -1;
      continue;
    }
    if (a.killed) {
      kills.push(await killPoint({ store, out, before, startedAt }, a.stderr));
      const check = await verifyStore(store);
      problems.push(...check.problems.map((p) => `after kill ${kills.length}: ${p}`));
      if (problems.length > 0) return result();
      continue;
    }
    if (a.code !== 0) {
      const last = a.stderr.trim().split("\n").at(-1) ?? "";
      problems.push(`${args.join(" ")}: exit code ${a.code}: ${last}`);
      return result();
    }
    const final = finalOf(a.stdout);
    if (final !== setting.finalId) {
      problems.push(
        `ended at ${final.slice(0, 12)}, uninterrupted at ${setting.finalId.slice(0, 12)}`,
      );
    }
    const check = await verifyStore(store);
    problems.push(...check.problems);
    if (check.temporaries.length > 0) {
      problems.push(`${store}: temporary directories left: ${check.temporaries.join(", ")}`);
    }
    problems.push(...await checkRunFolder(out, store, setting.finalId));
    return result();
  }
  problems.push("the last attempt was killed (no attempt left to finish)");
  return result();
}

/** The final snapshot id of a run's `--json` summary ("" when it does not parse). */
export function finalOf(stdout: string): string {
  try {
    return String(JSON.parse(stdout).final.snapshot);
  } catch {
    return "";
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
