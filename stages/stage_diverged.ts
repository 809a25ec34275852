/**
 * A training that diverged inside a named stage of a run, with the last good snapshot.
 * @module
 */
import type { Diverged } from "./train_model.ts";

/**
 * Training diverged inside a stage of the run: the step, the stage and the last good
 * snapshot (the one the stage started from; it is in the store, and nothing was made
 * from the diverged model).
 */
export interface StageDiverged {
  readonly _tag: "StageDiverged";
  /** "regularize", "prune-iteration N train", "fine-tune" or "baseline train". */
  readonly stage: string;
  readonly step: number;
  readonly loss: number;
  /** The id of the last good snapshot. */
  readonly lastGood: string;
  readonly message: string;
}

/**
 * Names the stage and the last good snapshot in a {@linkcode Diverged} training.
 *
 * @example
 * ```ts
 * import { stageDiverged } from "./stage_diverged.ts";
 * import type { Diverged } from "./train_model.ts";
 * declare const d: Diverged;
 * stageDiverged(d, "fine-tune", "3f2a...").message;
 * // "fine-tune diverged at step 3: loss is NaN; ...; the last good snapshot is 3f2a..."
 * ```
 */
export function stageDiverged(d: Diverged, stage: string, lastGood: string): StageDiverged {
  const why = d.message.replace(/^Training diverged at step \d+ (\(epoch \d+\)): /, "$1: ");
  return {
    _tag: "StageDiverged",
    stage,
    step: d.step,
    loss: d.loss,
    lastGood,
    message: `${stage} diverged at step ${d.step} ${why}; nothing was written from it, ` +
      `the last good snapshot is ${lastGood}`,
  };
}
