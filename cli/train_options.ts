/**
 * The training options the command-line flags give.
 * @module
 */
import type { Normalisation } from "../datasets/batches.ts";
import type { TrainOptions } from "../stages/train_model.ts";
import type { PruneOptions } from "./options.ts";

/** The base learning rate: `--lr`, else 0.1 for the ResNets and 0.01 for other models. */
export function baseLr(o: Pick<PruneOptions, "lr" | "model">): number {
  return o.lr ?? (o.model.startsWith("resnet") ? 0.1 : 0.01);
}

/**
 * Training options from the flags (dense training: `--epochs` at the base learning rate).
 *
 * @example
 * ```ts
 * import { trainOptions } from "./train_options.ts";
 * import type { PruneOptions } from "./options.ts";
 * declare const o: PruneOptions;
 * trainOptions(o, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] }).lr; // 0.01 for cifarnet
 * ```
 */
export function trainOptions(o: PruneOptions, normalisation: Normalisation): TrainOptions {
  return {
    epochs: o.epochs,
    batchSize: o.batchSize,
    lr: baseLr(o),
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    schedule: o.schedule === "cosine"
      ? { kind: "cosine" }
      : { kind: "step", milestones: [0.5, 0.75], gamma: 0.1 },
    augment: true,
    seed: o.seed,
    stepsPerEpoch: o.stepsPerEpoch,
    normalisation,
  };
}
