/**
 * The checks of the flags that need more than their own values: flags that contradict each
 * other, and paths and snapshot ids that must exist. They run after the io-ts codec and
 * before any backend starts or data loads, so that a bad flag costs no time.
 * @module
 */
import * as E from "fp-ts/Either";
import { resolveSnapshotId } from "../snapshot/store_list.ts";
import { type BadFlag, flagName } from "./flags.ts";
import { isModelFile, type PruneOptions } from "./options.ts";
import { PRUNING_FLAGS } from "./pruning_flags.ts";
import { readJournal } from "./run_journal.ts";

/** The keys of the flags a command line gave (see `givenFlags`). */
export type Given = ReadonlySet<keyof PruneOptions>;

/** The flags `--resume` takes beside it: display, and the fixes for a diverged run. */
export const RESUME_FLAGS: ReadonlySet<keyof PruneOptions> = new Set<keyof PruneOptions>([
  "resume",
  "quiet",
  "json",
  "lr",
  "pruneLr",
  "lambda",
]);

const bad = (message: string): BadFlag => ({ _tag: "BadFlag", message });
const names = (keys: readonly string[]) => keys.map(flagName).join(", ");

/**
 * The first contradiction between the flags of `deno task <command>`, or null.
 *
 * @example
 * ```ts
 * import { contradiction } from "./preflight.ts";
 * declare const o: PruneOptions;
 * contradiction({ ...o, resume: "runs/a", from: "3f2a" }, new Set(["resume", "from"]), "prune");
 * // BadFlag: "--resume and --from contradict: ..."
 * ```
 */
export function contradiction(
  o: PruneOptions,
  given: Given,
  command: "prune" | "baseline",
): BadFlag | null {
  if (command === "baseline") {
    const pruning = PRUNING_FLAGS.map((f) => f.key).filter((k) => given.has(k));
    if (given.has("explain")) pruning.push("explain" as never);
    if (pruning.length > 0) {
      return bad(
        `${names(pruning)}: deno task baseline trains a dense model and takes no ` +
          `pruning flags (deno task prune does)`,
      );
    }
  } else if (given.has("publish")) {
    return bad("--publish: only deno task baseline publishes a baseline");
  }
  if (o.resume !== null) {
    const extra = [...given].filter((k) => !RESUME_FLAGS.has(k));
    if (extra.length > 0) {
      return bad(
        `${names(extra)}: --resume continues the run with the flags in its run.json; ` +
          `with it only ${names([...RESUME_FLAGS].slice(1))} may be given`,
      );
    }
  }
  if (o.from !== null && given.has("model")) {
    return bad(
      "--model and --from contradict: --from starts from a stored snapshot, " +
        "which holds its model; give one of them",
    );
  }
  if (o.regularizer === "none" && given.has("lambda")) {
    return bad(
      "--lambda weighs the regularizer, and --regularizer none has none; " +
        "drop --lambda or name a regularizer",
    );
  }
  if (o.data === "cifar10" && o.dataDir !== null) {
    return bad(
      "--data-dir: --data cifar10 reads the npm package; --data-dir is for " +
        "--data cifar10-bin, cifar100 or imagenet",
    );
  }
  if (o.data !== "cifar10" && o.dataDir === null) {
    return bad(`--data ${o.data} needs --data-dir <the folder of its files>`);
  }
  if (given.has("labels") && o.data !== "cifar100") {
    return bad(`--labels: only --data cifar100 has fine and coarse labels, not --data ${o.data}`);
  }
  if (o.trainLimit !== null && o.trainLimit < o.batchSize) {
    return bad(
      `--train-limit ${o.trainLimit} holds less than one batch of --batch-size ` +
        `${o.batchSize}; give a --train-limit >= --batch-size`,
    );
  }
  return null;
}

/** Is `path` a file, a folder, or absent? */
async function kindOf(path: string): Promise<"file" | "folder" | "absent"> {
  try {
    return (await Deno.stat(path)).isDirectory ? "folder" : "file";
  } catch {
    return "absent";
  }
}

/**
 * `--model x.json` must name a file; null when it does (or names a zoo model).
 *
 * @example
 * ```ts
 * import { missingModelFile } from "./preflight.ts";
 * await missingModelFile("nope/model.json"); // BadFlag: "--model: nope/model.json: no such file ..."
 * ```
 */
export async function missingModelFile(model: string): Promise<BadFlag | null> {
  if (!isModelFile(model) || await kindOf(model) === "file") return null;
  return bad(`--model: ${model}: no such file (a model of the zoo or a tfjs model.json)`);
}

/** Where a run's paths are wrong: `--data-dir`, `--out`, `--from`, `--resume`. */
async function badPath(o: PruneOptions): Promise<BadFlag | string | null> {
  if (o.dataDir !== null && await kindOf(o.dataDir) !== "folder") {
    return bad(`--data-dir: ${o.dataDir}: no such folder`);
  }
  if (o.out !== null && await kindOf(o.out) === "file") {
    return bad(`--out: ${o.out} is a file; --out takes a run folder`);
  }
  if (o.resume !== null) {
    const journal = await readJournal(o.resume);
    if (E.isLeft(journal)) return bad(`--resume: ${journal.left.message}`);
    const { store, start, state } = journal.right;
    for (const id of [start.id, state.snapshot]) {
      if (await kindOf(`${store}/${id}`) !== "folder") {
        return bad(
          `--resume: ${o.resume}/run.json names snapshot ${id}, which is not in ` +
            `its store ${store}`,
        );
      }
    }
  }
  if (o.from === null) return null;
  const id = await resolveSnapshotId(o.store, o.from)();
  return E.isLeft(id) ? bad(`--from: ${id.left.message}`) : id.right;
}

/**
 * All the checks of `deno task prune` or `baseline` past the codec: contradictions first,
 * then the file system. Resolves to the options with `--from` as a full id.
 *
 * @example
 * ```ts
 * import { preflight } from "./preflight.ts";
 * declare const o: PruneOptions;
 * await preflight({ ...o, from: "3f2a" }, new Set(["from"]), "prune"); // Right({ from: "3f2a9c..." })
 * ```
 */
export async function preflight(
  o: PruneOptions,
  given: Given,
  command: "prune" | "baseline",
): Promise<E.Either<BadFlag, PruneOptions>> {
  const contradicts = contradiction(o, given, command);
  if (contradicts !== null) return E.left(contradicts);
  const model = o.from === null && o.resume === null ? await missingModelFile(o.model) : null;
  if (model !== null) return E.left(model);
  const path = await badPath(o);
  if (path !== null && typeof path !== "string") return E.left(path);
  return E.right(path === null ? o : { ...o, from: path });
}
