/**
 * The flags of the pruning run (METHOD.md sections 2 to 4): regularizer, selection,
 * training between iterations, fine-tuning, and where a run starts from.
 * @module
 */
import * as t from "io-ts";
import {
  Fraction,
  NonNegativeInt,
  NonNegativeNumber,
  oneOf,
  orNull,
  PositiveInt,
  PositiveNumber,
} from "../codecs.ts";
import { RegularizerKind } from "../stages/regularizer.ts";
import type { Flag } from "./flags.ts";

/** The validated pruning flags. */
export const PruningOptions = t.type({
  regularizer: RegularizerKind,
  lambda: NonNegativeNumber,
  targetFlops: Fraction,
  step: Fraction,
  cap: Fraction,
  channelMultiple: PositiveInt,
  normalise: oneOf(["none", "mean"] as const),
  costAware: t.boolean,
  regEpochs: NonNegativeNumber,
  iterEpochs: NonNegativeNumber,
  fineTuneEpochs: NonNegativeNumber,
  pruneLr: orNull(PositiveNumber),
  evalLimit: orNull(PositiveInt),
  maxIterations: PositiveInt,
  baselines: t.string,
  from: orNull(t.string),
  resume: orNull(t.string),
  latencyRuns: NonNegativeInt,
  keepBn: t.boolean,
});
/** The validated pruning flags. */
export type PruningOptions = t.TypeOf<typeof PruningOptions>;

/** Every pruning flag, its default and what it does. */
export const PRUNING_FLAGS: ReadonlyArray<Flag<keyof PruningOptions>> = [
  {
    key: "regularizer",
    kind: "string",
    fallback: "oicsr-gl",
    help: "oicsr-gl | ssr-gl | l1 | bn-l1 | none (added to the loss while pruning)",
  },
  { key: "lambda", kind: "number", fallback: 1e-4, help: "weight of the regularizer" },
  {
    key: "targetFlops",
    kind: "number",
    fallback: 0.6,
    help: "keep this fraction of the starting model's MACs",
  },
  { key: "step", kind: "number", fallback: 0.1, help: "MACs removed per iteration (fraction)" },
  { key: "cap", kind: "number", fallback: 0.5, help: "most of a group's width ever removed" },
  {
    key: "channelMultiple",
    kind: "number",
    fallback: 1,
    help:
      "leave every group's width a multiple of this (4 keeps tfjs's WebGPU convolutions vectorised, 16 suits oneDNN on AVX-512)",
  },
  {
    key: "normalise",
    kind: "string",
    fallback: "mean",
    help: "importance: none | mean (divided by its group's mean)",
  },
  { key: "costAware", kind: "boolean", fallback: false, help: "importance per MAC saved" },
  {
    key: "regEpochs",
    kind: "number",
    fallback: 0.4,
    help: "regularized training before the first removal (epochs)",
  },
  {
    key: "iterEpochs",
    kind: "number",
    fallback: 0.3,
    help: "regularized training after each removal (epochs)",
  },
  { key: "fineTuneEpochs", kind: "number", fallback: 1, help: "fine-tuning at the end (epochs)" },
  {
    key: "pruneLr",
    kind: "number",
    fallback: null,
    help: "learning rate while pruning and fine-tuning",
    shown: "--lr / 5",
  },
  {
    key: "evalLimit",
    kind: "number",
    fallback: 2000,
    help: "test images per evaluation inside the loop (the start and the end use all)",
  },
  { key: "maxIterations", kind: "number", fallback: 30, help: "stop after this many removals" },
  {
    key: "baselines",
    kind: "string",
    fallback: "baselines",
    help: "store of trained starting models; 'none' trains one first",
  },
  { key: "from", kind: "string", fallback: null, help: "start from this snapshot of --store" },
  { key: "resume", kind: "string", fallback: null, help: "continue the run in this folder" },
  {
    key: "latencyRuns",
    kind: "number",
    fallback: 20,
    help: "timed runs per latency figure (0 skips latency)",
  },
  {
    key: "keepBn",
    kind: "boolean",
    fallback: false,
    help: "export the compact model with its batch norms (to train it further); by default " +
      "they are folded into the layers before them, as is the latency's dense model",
  },
];
