/**
 * The kill-at-any-moment campaign of `deno task prune`: one uninterrupted run of a small
 * configuration measures its time and final snapshot, then each trial kills a fresh run
 * with SIGKILL (at a random time in the run, or right after a write of interest begins),
 * sometimes kills the resumed run too, and resumes it to the end; every trial must end at
 * the same final snapshot with a sound store and run folder.
 *
 * `deno run -A tools/faults/kill_resume.ts --trials 30 --seed 1` prints one line per trial
 * and the totals, and exits 1 when a trial failed (`--keep` keeps the failed trials' folders).
 * @module
 */
import { join } from "node:path";
import { runAttempt, type Target, TARGETS, type Trigger } from "./attempt.ts";
import { splitmix32 } from "../../datasets/rng.ts";
import { checkRunFolder, verifyStore } from "./store_check.ts";
import { finalOf, runTrial, type TrialPlan, type TrialResult } from "./trial.ts";

/** The smallest run that goes through every phase: baseline, 2 iterations, fine-tuning. */
// deno-fmt-ignore
export const SMALL_RUN: readonly string[] = [
  "--baselines", "none", "--epochs", "1", "--steps-per-epoch", "1", "--batch-size", "32",
  "--train-limit", "64", "--test-limit", "64", "--reg-epochs", "1", "--iter-epochs", "1",
  "--fine-tune-epochs", "1", "--eval-limit", "32", "--step", "0.2", "--latency-runs", "1",
  "--backend", "wasm",
];

/** What a campaign found. */
export interface CampaignReport {
  readonly trials: number;
  readonly kills: number;
  /** Planned first kills that came after the run had ended, each retried earlier. */
  readonly missed: number;
  /** Kills per phase they landed in. */
  readonly phases: Readonly<Record<string, number>>;
  /** Trials that resumed by rerunning the same command rather than `--resume`. */
  readonly reruns: number;
  readonly failures: readonly TrialResult[];
  /** The uninterrupted run: its time and final snapshot. */
  readonly reference: { readonly ms: number; readonly finalId: string };
}

/** How a campaign runs. */
export interface CampaignOptions {
  readonly trials: number;
  readonly seed: number;
  /** Keep the folders of failed trials (they are removed otherwise). */
  readonly keep?: boolean;
  readonly log?: (line: string) => void;
}

/** The plans of the trials: a function of the seed, the run's time and its event counts. */
function plans(o: CampaignOptions, ms: number, events: Record<Target, number>): TrialPlan[] {
  const next = splitmix32(o.seed);
  const random = () => next() / 2 ** 32;
  const targets = (Object.keys(TARGETS) as Target[]).filter((t) => events[t] > 0);
  return Array.from({ length: o.trials }, (_, index) => {
    // Odd trials wait for a write (each target in turn), even ones kill at a random time.
    const target = targets[(index >> 1) % targets.length];
    const [r1, r2, r3, r4, r5] = [random(), random(), random(), random(), random()];
    const first: Trigger = index % 2 === 1 && target !== undefined
      ? {
        kind: "event",
        target,
        nth: 1 + Math.floor(r1 * events[target]),
        delayMs: Math.floor(r2 * 8),
      }
      : { kind: "time", ms: r1 * ms };
    const again: Trigger[] = r3 < 0.3 ? [{ kind: "time", ms: r4 * ms }] : [];
    // A generator of the trial's own, so that the plans above stay those of earlier campaigns.
    const fallback = splitmix32(o.seed * 7919 + index);
    const retries = [0, 1, 2].map(() => 0.9 * fallback() / 2 ** 32);
    return { index, triggers: [first, ...again], resumeFlag: r5 < 0.5, retries };
  });
}

/**
 * Runs the campaign in a temporary folder (removed at the end, failed trials aside with
 * `keep`).
 *
 * @example
 * ```ts
 * import { killResume } from "./kill_resume.ts";
 * const report = await killResume({ trials: 30, seed: 1, log: console.log });
 * report.failures.length; // 0
 * ```
 */
export async function killResume(o: CampaignOptions): Promise<CampaignReport> {
  const log = o.log ?? (() => {});
  const base = await Deno.makeTempDir({ prefix: "oicsr-faults-" });
  let keepBase = false;
  try {
    const dirs = { store: join(base, "ref", "store"), out: join(base, "ref", "run") };
    await Deno.mkdir(dirs.store, { recursive: true });
    await Deno.mkdir(dirs.out, { recursive: true });
    const args = [...SMALL_RUN, "--store", dirs.store, "--out", dirs.out, "--json"];
    const ref = await runAttempt(args, dirs, null);
    const finalId = finalOf(ref.stdout);
    const refProblems = [
      ...(ref.code === 0 ? [] : [`uninterrupted run: exit code ${ref.code}: ${ref.stderr}`]),
      ...(await verifyStore(dirs.store)).problems,
      ...await checkRunFolder(dirs.out, dirs.store, finalId),
    ];
    if (refProblems.length > 0) throw new Error(refProblems.join("\n"));
    log(`uninterrupted run: ${(ref.ms / 1000).toFixed(1)} s, final ${finalId.slice(0, 12)}`);
    const setting = { args: SMALL_RUN, finalId };
    const phases: Record<string, number> = {};
    const failures: TrialResult[] = [];
    let kills = 0, reruns = 0, missed = 0;
    for (const plan of plans(o, ref.ms, ref.events)) {
      const r = await runTrial(plan, setting, join(base, `trial-${plan.index}`));
      for (const k of r.kills) phases[k] = (phases[k] ?? 0) + 1;
      kills += r.kills.length, missed += r.missed;
      if (!plan.resumeFlag) reruns++;
      const how = plan.triggers.map(describe).join(", then ");
      const ok = r.problems.length === 0 ? "ok" : `FAILED: ${r.problems.join("; ")}`;
      const retried = r.missed === 0 ? "" : ` (first kill missed ${r.missed}x: retried earlier)`;
      log(`trial ${plan.index}: ${how} -> killed in ${r.kills.join(", ") || "-"}${retried}; ${ok}`);
      if (r.problems.length > 0) failures.push(r);
      if (r.problems.length === 0 || !o.keep) await Deno.remove(r.dir, { recursive: true });
      else keepBase = true;
    }
    return {
      trials: o.trials,
      kills,
      missed,
      phases,
      reruns,
      failures,
      reference: { ms: ref.ms, finalId },
    };
  } finally {
    if (keepBase) log(`failed trials kept in ${base}`);
    else await Deno.remove(base, { recursive: true });
  }
}

function describe(t: Trigger): string {
  return t.kind === "time"
    ? `kill at ${(t.ms / 1000).toFixed(2)} s`
    : `kill ${t.delayMs} ms after ${t.target} #${t.nth}`;
}

/** The totals line: trials, kills by phase, failures. */
export function totals(r: CampaignReport): string {
  const phases = Object.entries(r.phases).sort(([a], [b]) => a < b ? -1 : 1)
    .map(([p, n]) => `${p} ${n}`).join(", ");
  return `trials: ${r.trials}, kills: ${r.kills} (${phases}), first kills retried after ` +
    `the run ended first: ${r.missed}, resumed by rerunning the same command: ${r.reruns}, ` +
    `failures: ${r.failures.length}`;
}

function flag(args: readonly string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i < 0 ? fallback : Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: give a whole number`);
  return value;
}

if (import.meta.main) {
  const args = Deno.args;
  const report = await killResume({
    trials: flag(args, "--trials", 30),
    seed: flag(args, "--seed", 1),
    keep: args.includes("--keep"),
    log: console.log,
  });
  console.log(totals(report));
  Deno.exit(report.failures.length === 0 ? 0 : 1);
}
