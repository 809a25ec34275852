/**
 * The flags of `deno task ablate`: one table gives each flag its default and help, and an
 * io-ts codec validates all of them before any work starts (as cli/options.ts does for
 * `deno task prune`).
 * @module
 */
import * as t from "io-ts";
import * as E from "fp-ts/Either";
import { backendNames } from "../backend/select_backend.ts";
import {
  NonNegativeInt,
  NonNegativeNumber,
  oneOf,
  OpenFraction,
  orNull,
  PositiveInt,
  PositiveNumber,
} from "../codecs.ts";
import { MODEL_NAMES } from "../models/zoo.ts";
import { RegularizerKind } from "../stages/regularizer.ts";
import { type BadFlag, type Flag, flagName, givenFlags, parseFlags } from "./flags.ts";
import { ModelChoice } from "./options.ts";
import { missingModelFile } from "./preflight.ts";

const KINDS = RegularizerKind.keys;

function kindList(u: unknown): RegularizerKind[] | null {
  if (typeof u !== "string") return null;
  const kinds = u.split(",").map((k) => k.trim());
  const known = kinds.every((k): k is RegularizerKind => Object.hasOwn(KINDS, k));
  return known && new Set(kinds).size === kinds.length ? kinds as RegularizerKind[] : null;
}

/** `--regularizers`: a comma-separated list of regularizer kinds, each at most once. */
export const RegularizerList = new t.Type<RegularizerKind[], string, unknown>(
  `a comma-separated list of ${Object.keys(KINDS).join(", ")}, each at most once`,
  (u): u is RegularizerKind[] => Array.isArray(u) && kindList(u.join(",")) !== null,
  (u, c) => {
    const kinds = kindList(u);
    return kinds === null ? t.failure(u, c) : t.success(kinds);
  },
  (kinds) => kinds.join(","),
);

/** The validated options of an ablation. */
export const AblateOptions = t.type({
  model: ModelChoice,
  regularizers: RegularizerList,
  epochs: PositiveNumber,
  target: OpenFraction,
  cap: OpenFraction,
  normalise: oneOf(["none", "mean"] as const),
  budget: PositiveNumber,
  lambda: orNull(NonNegativeNumber),
  seed: NonNegativeInt,
  batchSize: PositiveInt,
  lr: orNull(PositiveNumber),
  stepsPerEpoch: orNull(PositiveInt),
  trainLimit: orNull(PositiveInt),
  testLimit: orNull(PositiveInt),
  backend: oneOf(backendNames),
  store: t.string,
  quiet: t.boolean,
  json: t.boolean,
  help: t.boolean,
});
/** The validated options of an ablation. */
export type AblateOptions = t.TypeOf<typeof AblateOptions>;

/** Every flag, its default and what it does (the source of `--help`). */
export const ABLATE_FLAGS: ReadonlyArray<Flag<keyof AblateOptions>> = [
  {
    key: "model",
    kind: "string",
    fallback: "cifarnet",
    help: `${MODEL_NAMES.join(" | ")} | path/to/model.json`,
  },
  {
    key: "regularizers",
    kind: "string",
    fallback: "oicsr-gl,ssr-gl,l1,none",
    help: `which to compare (${Object.keys(KINDS).join(", ")})`,
  },
  { key: "epochs", kind: "number", fallback: 1, help: "training epochs (fractions allowed)" },
  { key: "target", kind: "number", fallback: 0.6, help: "prune to this fraction of the MACs" },
  {
    key: "cap",
    kind: "number",
    fallback: 0.5,
    help: "remove at most this fraction of any group's channels",
  },
  {
    key: "normalise",
    kind: "string",
    fallback: "mean",
    help: "importance, the same for every regularizer: none (the paper's energy) | mean",
  },
  {
    key: "budget",
    kind: "number",
    fallback: 0.5,
    help: "penalty budget: each lambda = budget / R(initial weights), so lambda * R starts equal",
  },
  {
    key: "lambda",
    kind: "number",
    fallback: null,
    help: "one lambda for every regularizer instead of --budget",
  },
  { key: "seed", kind: "number", fallback: 0, help: "seeds initialisation, order, augmentation" },
  { key: "batchSize", kind: "number", fallback: 64, help: "images per step" },
  {
    key: "lr",
    kind: "number",
    fallback: null,
    help: "base learning rate (cosine schedule)",
    shown: "0.1 for the ResNets, else 0.01",
  },
  { key: "stepsPerEpoch", kind: "number", fallback: null, help: "cut each epoch short" },
  { key: "trainLimit", kind: "number", fallback: null, help: "use the first N training images" },
  { key: "testLimit", kind: "number", fallback: null, help: "use the first N test images" },
  { key: "backend", kind: "string", fallback: "auto", help: backendNames.join(" | ") },
  { key: "store", kind: "string", fallback: ".oicsr/store", help: "snapshot store folder" },
  { key: "quiet", kind: "boolean", fallback: false, help: "no progress" },
  { key: "json", kind: "boolean", fallback: false, help: "print the result as JSON" },
  { key: "help", kind: "boolean", fallback: false, help: "this text" },
];

/** The `--help` text. */
export function ablateHelp(): string {
  const rows = ABLATE_FLAGS.map((f) => {
    const name = f.kind === "boolean" ? flagName(f.key) : `${flagName(f.key)} <${f.kind}>`;
    const fallback = f.kind === "boolean" ? "" : ` (default: ${f.shown ?? f.fallback ?? "none"})`;
    return `  ${name.padEnd(28)}${f.help}${fallback}`;
  });
  return [
    "Usage: deno task ablate [flags]",
    "",
    "The paper's ablation of the regularizer: one seeded model (CIFAR-10) is trained once per",
    "regularizer from the same start with the same seed; each trained model is pruned to the",
    "same MACs target WITHOUT training (global greedy on the out-in-channel energy, the same",
    "for all); the top-1 after pruning is ranked. The lambdas share one penalty budget: R of",
    "l1 (sum |w|) is tens of times R of the group lassos at the same weights, so one lambda",
    "for all would weigh l1 far heavier; each lambda is budget / R(initial weights) instead,",
    "so every regularizer starts at the same lambda * R. --lambda sets one lambda for all.",
    "Every snapshot (initial, trained, pruned) goes into the store.",
    "",
    ...rows,
    "",
  ].join("\n");
}

/**
 * Parses and validates the arguments of `deno task ablate`; the error names the flag,
 * what it got and what is allowed.
 *
 * @example
 * ```ts
 * import { parseAblateOptions } from "./ablate_options.ts";
 * parseAblateOptions(["--target", "0.5"]); // Right({ target: 0.5, model: "cifarnet", ... })
 * parseAblateOptions(["--target", "2"]); // Left("--target: expected a number in (0, 1), got 2")
 * ```
 */
export function parseAblateOptions(args: readonly string[]): E.Either<BadFlag, AblateOptions> {
  return parseFlags(args, ABLATE_FLAGS, AblateOptions);
}

/**
 * The checks of `deno task ablate` past the codec: flags that contradict each other, and a
 * `--model` file that must exist; before any backend starts or data loads.
 *
 * @example
 * ```ts
 * import { checkAblateOptions, parseAblateOptions } from "./ablate_options.ts";
 * const args = ["--lambda", "1e-4", "--budget", "0.5"];
 * const o = parseAblateOptions(args);
 * if (o._tag === "Right") await checkAblateOptions(o.right, args); // Left: "--lambda and --budget contradict ..."
 * ```
 */
export async function checkAblateOptions(
  o: AblateOptions,
  args: readonly string[],
): Promise<E.Either<BadFlag, AblateOptions>> {
  const bad = (message: string) => E.left<BadFlag>({ _tag: "BadFlag", message });
  if (o.lambda !== null && givenFlags(args, ABLATE_FLAGS).has("budget")) {
    return bad(
      "--lambda and --budget contradict: --lambda sets one lambda for all, " +
        "--budget derives one per regularizer; give one of them",
    );
  }
  if (o.trainLimit !== null && o.trainLimit < o.batchSize) {
    return bad(
      `--train-limit ${o.trainLimit} holds less than one batch of --batch-size ` +
        `${o.batchSize}; give a --train-limit >= --batch-size`,
    );
  }
  const missing = await missingModelFile(o.model);
  return missing === null ? E.right(o) : E.left(missing);
}
