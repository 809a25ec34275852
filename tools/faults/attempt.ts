/**
 * One attempt of a fault trial: `deno run -A cli/prune.ts ...` in a subprocess, killed
 * with SIGKILL after a delay or when a file of interest appears (a snapshot's temporary
 * directory, a temporary journal, the export's temporary directory, the summary, the
 * report), so that kills land in the short writes too.
 * @module
 */
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The file events a kill can wait for: where they happen and the entry's name. */
export const TARGETS = {
  // Any entry made in the store, so that a writer that skipped the temporary folder is hit too.
  "snapshot write": { where: "store", name: /^/ },
  "journal write": { where: "out", name: /^run\.json\.tmp-/ },
  "model export": { where: "out", name: /^\.tmp-/ },
  "summary + report": { where: "out", name: /^(summary\.json|report\.html)(\.tmp-.*)?$/ },
} as const;
/** A file event a kill can wait for. */
export type Target = keyof typeof TARGETS;

/** When to kill: `ms` after the start, or `delayMs` after the `nth` event of `target`. */
export type Trigger =
  | { readonly kind: "time"; readonly ms: number }
  | {
    readonly kind: "event";
    readonly target: Target;
    readonly nth: number;
    readonly delayMs: number;
  };

/** How an attempt ended. */
export interface Attempt {
  readonly code: number;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  /** How many times each target's event was seen. */
  readonly events: Readonly<Record<Target, number>>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/**
 * Runs `deno run -A cli/prune.ts <args>` from the repository root, killing it by
 * `trigger` (never when null). `store` and `out` must exist: they are watched for events.
 *
 * @example
 * ```ts
 * import { runAttempt } from "./attempt.ts";
 * const dirs = { store: "/tmp/t/store", out: "/tmp/t/run" };
 * const a = await runAttempt(["--store", dirs.store, "--out", dirs.out], dirs, { kind: "time", ms: 2000 });
 * a.killed; // true, unless the run ended within 2 s
 * ```
 */
export async function runAttempt(
  args: readonly string[],
  dirs: { readonly store: string; readonly out: string },
  trigger: Trigger | null,
): Promise<Attempt> {
  const events = Object.fromEntries(Object.keys(TARGETS).map((t) => [t, 0])) as Record<
    Target,
    number
  >;
  const watcher = Deno.watchFs([dirs.store, dirs.out], { recursive: false });
  const started = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/prune.ts", ...args],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const timers: ReturnType<typeof setTimeout>[] = [];
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // it has ended already
    }
  };
  if (trigger?.kind === "time") timers.push(setTimeout(kill, trigger.ms));
  const watching = (async () => {
    for await (const event of watcher) {
      if (event.kind !== "create") continue;
      for (const path of event.paths) {
        for (const [target, { where, name }] of Object.entries(TARGETS)) {
          if (dirname(path) !== resolve(dirs[where]) || !name.test(basename(path))) continue;
          const n = ++events[target as Target];
          if (trigger?.kind !== "event" || trigger.target !== target || trigger.nth !== n) continue;
          if (trigger.delayMs === 0) kill();
          else timers.push(setTimeout(kill, trigger.delayMs));
        }
      }
    }
  })();
  const output = await child.output();
  const ms = performance.now() - started;
  timers.forEach(clearTimeout);
  watcher.close();
  await watching;
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: output.code,
    killed: output.signal === "SIGKILL",
    stdout: text(output.stdout),
    stderr: text(output.stderr),
    ms,
    events,
  };
}
