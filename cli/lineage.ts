/**
 * `deno task prune log [<id-prefix>]`: the lineage of the snapshots in a store as an
 * ASCII tree, one line per snapshot (short id, stage, key metrics), or as JSON. Reads only
 * the metadata. Runs on its own too:
 * `deno run -A cli/lineage.ts log [--store <dir>] [<id-prefix>] [--json]`.
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import type { StoreError } from "../snapshot/errors.ts";
import type { StoreFs } from "../snapshot/fs.ts";
import { focusOn, lineageForest, type LineageNode } from "../snapshot/lineage.ts";
import type { Json, SnapshotMeta } from "../snapshot/snapshot.ts";
import { resolveSnapshotId } from "../snapshot/store_list.ts";

/** The store holds no snapshot (or does not exist). */
export type EmptyStore = {
  readonly _tag: "EmptyStore";
  readonly path: string;
  readonly message: string;
};
/** An argument `log` does not take; the command should exit with code 2. */
export type BadLogArgs = {
  readonly _tag: "BadLogArgs";
  readonly arg: string;
  readonly message: string;
};
/** Anything `log` can fail with. */
export type LogError = StoreError | EmptyStore | BadLogArgs;

/** Where `log` reads, and the file system for tests. */
export interface LogOptions {
  /** The store to read unless the arguments give `--store`. */
  readonly store: string;
  readonly fs?: StoreFs;
}

/** The `log --help` text. */
export const LOG_HELP = [
  "deno task prune log [<id-prefix>] [--json] [--store <dir>]",
  "  the snapshots of the store as a tree, each under the one it was made from;",
  "  with an id prefix, the chain from its root to that snapshot and all made from it",
  "  --json          the forest as JSON: [{ meta, parentMissing, children }]",
  "  --store <dir>   snapshot store folder (.oicsr/store)",
].join("\n");

type LogArgs = { store: string; prefix?: string; json: boolean; help: boolean };

function parseLogArgs(args: readonly string[], store: string): E.Either<BadLogArgs, LogArgs> {
  const parsed: LogArgs = { store, json: false, help: false };
  const bad = (arg: string, why: string) =>
    E.left<BadLogArgs>({ _tag: "BadLogArgs", arg, message: `log: ${why}` });
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--json") parsed.json = true;
    else if (arg === "--help" || arg === "-h") parsed.help = true;
    else if (arg.startsWith("--store=")) parsed.store = arg.slice("--store=".length);
    else if (arg === "--store") {
      if (i + 1 >= args.length) return bad(arg, "--store needs a folder");
      parsed.store = args[++i];
    } else if (arg.startsWith("-")) return bad(arg, `unknown flag ${arg} (log --help lists them)`);
    else if (parsed.prefix !== undefined) {
      return bad(arg, `one snapshot id prefix at most, got "${parsed.prefix}" and "${arg}"`);
    } else parsed.prefix = arg;
  }
  return E.right(parsed);
}

/** Channels a "prune" snapshot removed: the lengths of its `options.plan` lists, summed. */
function channelsRemoved(options: Json): number | undefined {
  const isObject = (j: Json | undefined): j is { readonly [key: string]: Json } =>
    typeof j === "object" && j !== null && !Array.isArray(j);
  if (!isObject(options) || !isObject(options.plan)) return undefined;
  return Object.values(options.plan).reduce<number>(
    (n, channels) => n + (Array.isArray(channels) ? channels.length : 0),
    0,
  );
}

/** Millions, two decimals; three significant digits below 10 000 (small test models). */
const mega = (n: number) => `${n >= 1e4 ? (n / 1e6).toFixed(2) : (n / 1e6).toPrecision(3)}M`;

/**
 * One line of the tree, without the branch: short id, stage and the key metrics present.
 *
 * @example
 * ```ts
 * import { snapshotLine } from "./lineage.ts";
 * import type { SnapshotMeta } from "../snapshot/snapshot.ts";
 * declare const meta: SnapshotMeta; // stage "train", metrics { top1: 0.712, loss: 0.8123 }
 * snapshotLine(meta, false); // "8c01d2e9aa10  train      top1 71.20% loss 0.812"
 * ```
 */
export function snapshotLine(meta: SnapshotMeta, parentMissing: boolean): string {
  const { top1, loss, macs, params } = meta.metrics;
  const removed = meta.stage === "prune" ? channelsRemoved(meta.options) : undefined;
  const facts = [
    removed === undefined ? "" : `-${removed} channels`,
    top1 === undefined ? "" : `top1 ${(top1 * 100).toFixed(2)}%`,
    loss === undefined ? "" : `loss ${loss.toFixed(3)}`,
    macs === undefined ? "" : `macs ${mega(macs)}`,
    params === undefined ? "" : `params ${mega(params)}`,
    parentMissing ? `(parent ${meta.parent?.slice(0, 12)} not in the store)` : "",
  ].filter((f) => f !== "");
  return `${meta.id.slice(0, 12)}  ${meta.stage.padEnd(9)}  ${facts.join(" ")}`.trimEnd();
}

/**
 * A lineage forest as an ASCII tree (`├─ └─ │`), one line per snapshot, roots unindented.
 *
 * @example
 * ```ts
 * import { lineageText } from "./lineage.ts";
 * import type { LineageNode } from "../snapshot/lineage.ts";
 * declare const forest: LineageNode[];
 * console.log(lineageText(forest));
 * ```
 */
export function lineageText(forest: ReadonlyArray<LineageNode>): string {
  const lines: string[] = [];
  // Depth first without recursion: [node, its branch, the indent of its children].
  type Entry = readonly [LineageNode, branch: string, indent: string];
  const stack = forest.map((n): Entry => [n, "", ""]).reverse();
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [node, branch, indent] = top;
    lines.push(branch + snapshotLine(node.meta, node.parentMissing));
    for (let i = node.children.length - 1; i >= 0; i--) {
      const last = i === node.children.length - 1;
      const child = node.children[i];
      stack.push([child, indent + (last ? "└─ " : "├─ "), indent + (last ? "   " : "│  ")]);
    }
  }
  return lines.join("\n");
}

/**
 * `log`: reads the store's lineage and renders it as text (or JSON with `--json`); with an
 * id prefix, only that snapshot's tree, cut to its ancestors and descendants. `args` are
 * the words after `log`. Fails with one-line errors: an empty store, an unknown or
 * ambiguous prefix, a bad argument (`BadLogArgs`: exit code 2).
 *
 * @example
 * ```ts
 * import { logCommand } from "./lineage.ts";
 * const text = await logCommand(["3f2a"], { store: ".oicsr/store" })(); // Either
 * ```
 */
export function logCommand(
  args: readonly string[],
  options: LogOptions,
): TE.TaskEither<LogError, string> {
  return pipe(
    TE.fromEither<LogError, LogArgs>(parseLogArgs(args, options.store)),
    TE.chain((a) => a.help ? TE.right(LOG_HELP) : render(a, options.fs)),
  );
}

function render(a: LogArgs, fs?: StoreFs): TE.TaskEither<LogError, string> {
  return pipe(
    lineageForest(a.store, { fs }),
    TE.filterOrElse(
      (forest) => forest.length > 0,
      (): LogError => ({
        _tag: "EmptyStore",
        path: a.store,
        message: `${a.store}: no snapshots in this store (is --store right?)`,
      }),
    ),
    TE.chain((forest) =>
      a.prefix === undefined ? TE.right(forest) : pipe(
        resolveSnapshotId(a.store, a.prefix, { fs }),
        TE.chainEitherK((id) => {
          const tree = focusOn(forest, id);
          if (tree !== undefined) return E.right([tree]);
          const message = `${a.store}: no snapshot ${id} in the store`;
          return E.left<StoreError>({ _tag: "NotFound", path: a.store, message });
        }),
      )
    ),
    TE.map((forest) => a.json ? JSON.stringify(forest) : lineageText(forest)),
  );
}

async function main(args: readonly string[]): Promise<number> {
  if (args[0] !== "log") {
    console.error(`usage: deno run -A cli/lineage.ts log [<id-prefix>] [--json] [--store <dir>]`);
    return 2;
  }
  const result = await logCommand(args.slice(1), { store: ".oicsr/store" })();
  if (E.isRight(result)) return console.log(result.right), 0;
  console.error(`error: ${result.left.message}`);
  return result.left._tag === "BadLogArgs" ? 2 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
