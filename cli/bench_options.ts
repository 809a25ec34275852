/**
 * The flags of `deno task bench`: one table gives each flag its default and help, and an
 * io-ts codec validates all of them before any measuring starts (as cli/options.ts does for
 * `deno task prune`).
 * @module
 */
import * as t from "io-ts";
import * as E from "fp-ts/Either";
import { backendNames } from "../backend/select_backend.ts";
import { orNull, PositiveInt, PositiveNumber } from "../codecs.ts";
import { MODEL_NAMES } from "../models/zoo.ts";
import { type BadFlag, type Flag, flagName, parseFlags } from "./flags.ts";

/** A comma-separated list of `names`, each at most once. */
function listOf(names: readonly string[], what: string, extra: readonly string[] = []) {
  const split = (u: unknown) => typeof u === "string" ? u.split(",").map((s) => s.trim()) : null;
  const ok = (items: string[] | null): items is string[] =>
    items !== null && items.every((s) => names.includes(s)) && new Set(items).size === items.length;
  return new t.Type<string[], string, unknown>(
    `a comma-separated list of ${what} (${[...names, ...extra].join(", ")})`,
    (u): u is string[] => Array.isArray(u) && ok(u),
    (u, c) => {
      const items = split(u);
      if (items !== null && items.length === 1 && extra.includes(items[0])) return t.success(items);
      return ok(items) ? t.success(items) : t.failure(u, c);
    },
    (items) => items.join(","),
  );
}

/** The validated flags of `deno task bench`. */
export const BenchFlags = t.type({
  model: orNull(listOf(MODEL_NAMES, "models")),
  backend: listOf(backendNames, "backends", ["all"]),
  seconds: PositiveNumber,
  batch: PositiveInt,
  noPeer: t.boolean,
  json: t.boolean,
  profile: t.boolean,
  graph: t.boolean,
  compact: t.boolean,
  overhead: t.boolean,
  memory: t.boolean,
  stock: t.string,
  threads: orNull(PositiveInt),
  help: t.boolean,
});
/** The validated flags of `deno task bench`. */
export type BenchFlags = t.TypeOf<typeof BenchFlags>;

/** The modes of `deno task bench`; at most one is given. */
const MODES = ["profile", "graph", "compact", "overhead", "memory"] as const;

/** Every flag, its default and what it does. */
export const BENCH_FLAGS: ReadonlyArray<Flag<keyof BenchFlags>> = [
  {
    key: "model",
    kind: "string",
    fallback: null,
    help: "models, comma-separated",
    shown: "cifarnet,resnet20; --compact cifarnet,resnet56; --overhead all; --memory cifarnet",
  },
  { key: "backend", kind: "string", fallback: "auto", help: "backends, comma-separated, or all" },
  { key: "seconds", kind: "number", fallback: 10, help: "measuring time per figure" },
  { key: "batch", kind: "number", fallback: 64, help: "images per batch" },
  { key: "noPeer", kind: "boolean", fallback: false, help: "leave out the PyTorch reference" },
  { key: "json", kind: "boolean", fallback: false, help: "one JSON object per row" },
  { key: "profile", kind: "boolean", fallback: false, help: "where a step's time goes" },
  { key: "graph", kind: "boolean", fallback: false, help: "time analysis + removal" },
  { key: "compact", kind: "boolean", fallback: false, help: "dense against compact latency" },
  { key: "overhead", kind: "boolean", fallback: false, help: "pruning time against an epoch" },
  { key: "memory", kind: "boolean", fallback: false, help: "peak memory over a long run" },
  {
    key: "stock",
    kind: "string",
    fallback: "",
    help: "kernels to leave stock, comma-separated, or all",
  },
  { key: "threads", kind: "number", fallback: null, help: "CPU threads of the backend" },
  { key: "help", kind: "boolean", fallback: false, help: "this text" },
];

/** What `deno task bench` runs: its flags with the models and backends resolved. */
export type BenchOptions = Omit<BenchFlags, "model" | "backend"> & {
  readonly models: readonly string[];
  readonly backends: readonly string[];
};

/** The default models of each mode. */
function defaultModels(f: BenchFlags): string[] {
  if (f.compact) return ["cifarnet", "resnet56"];
  if (f.overhead) return [...MODEL_NAMES];
  return f.memory ? ["cifarnet"] : ["cifarnet", "resnet20"];
}

/**
 * Parses and validates the arguments of `deno task bench`: the codec, then the flags that
 * contradict each other (two modes; `--memory` with several models or backends).
 *
 * @example
 * ```ts
 * import { parseBenchOptions } from "./bench_options.ts";
 * parseBenchOptions(["--model", "resnet20"]); // Right({ models: ["resnet20"], ... })
 * parseBenchOptions(["--batch", "0"]); // Left("--batch: expected a positive integer, got 0")
 * ```
 */
export function parseBenchOptions(args: readonly string[]): E.Either<BadFlag, BenchOptions> {
  const parsed = parseFlags(args, BENCH_FLAGS, BenchFlags);
  if (E.isLeft(parsed)) return parsed;
  const { model, backend, ...rest } = parsed.right;
  const models = model ?? defaultModels(parsed.right);
  const backends = backend[0] === "all" ? ["wasm", "webgpu", "cpu"] : backend;
  const bad = (message: string) => E.left<BadFlag>({ _tag: "BadFlag", message });
  const modes = MODES.filter((m) => rest[m]);
  if (modes.length > 1) {
    return bad(
      `${modes.map(flagName).join(", ")}: give at most one of ` +
        `${MODES.map(flagName).join(", ")}`,
    );
  }
  if (rest.memory && (models.length !== 1 || backends.length !== 1)) {
    return bad("--memory measures one model on one backend per process");
  }
  return E.right({ ...rest, models, backends });
}
