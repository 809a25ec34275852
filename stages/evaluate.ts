/**
 * The evaluation stage: accuracy of a snapshot's model on a set.
 * @module
 */
import type { Normalisation } from "../datasets/batches.ts";
import type { ImageSet } from "../datasets/image_set.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { type Accuracy, evaluateModel } from "./evaluate_model.ts";

/**
 * Top-1 (and top-5 past 10 classes) of the snapshot's model on `data`, in inference mode.
 *
 * @example
 * ```ts
 * const { top1 } = await evaluate(trained, split.test, normalisation);
 * ```
 */
export async function evaluate(
  snapshot: Snapshot,
  data: ImageSet,
  normalisation: Normalisation,
): Promise<Accuracy> {
  const model = await modelFromSnapshot(snapshot);
  try {
    return await evaluateModel(model, data, normalisation);
  } finally {
    model.dispose();
  }
}
