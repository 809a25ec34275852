/**
 * Top-k accuracy of a model on an image set, in inference mode.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Normalisation } from "../datasets/batches.ts";
import { decodeWorkersFor, prefetchedBatches } from "../datasets/prefetch.ts";
import type { ImageSet } from "../datasets/image_set.ts";

/** Accuracy of a model on a set. */
export interface Accuracy {
  readonly top1: number;
  /** Present when the set has over 10 classes. */
  readonly top5?: number;
  readonly count: number;
  readonly seconds: number;
}

/**
 * Runs the whole set through the model in batches (no augmentation) and counts the
 * examples whose label is the top prediction (and among the top five, past 10 classes).
 *
 * @example
 * ```ts
 * const { top1 } = await evaluateModel(model, split.test, stats);
 * ```
 */
export async function evaluateModel(
  model: tf.LayersModel,
  data: ImageSet,
  normalisation: Normalisation,
  batchSize = 250,
): Promise<Accuracy> {
  const start = performance.now();
  const wantTop5 = data.classes > 10;
  let hits1 = 0, hits5 = 0;
  const stream = prefetchedBatches(data, {
    ...normalisation,
    batchSize,
    seed: 0,
    epoch: 0,
    shuffle: false,
    augment: false,
    dropLast: false,
  }, decodeWorkersFor(tf.getBackend()));
  for await (const batch of stream) {
    const [ranked, k] = tf.tidy(() => {
      // A short last batch comes as shorter views of the same buffers: x fits its size.
      const x = tf.tensor4d(batch.x, [batch.size, data.height, data.width, data.channels]);
      const logits = model.predict(x) as tf.Tensor2D;
      const k = wantTop5 ? 5 : 1;
      return [tf.topk(logits, k).indices, k] as const;
    });
    const top = await ranked.data();
    ranked.dispose();
    for (let i = 0; i < batch.size; i++) {
      const label = batch.y[i];
      if (top[i * k] === label) hits1++;
      for (let j = 0; j < k; j++) if (top[i * k + j] === label) hits5++;
    }
  }
  return {
    top1: hits1 / data.count,
    ...(wantTop5 ? { top5: hits5 / data.count } : {}),
    count: data.count,
    seconds: (performance.now() - start) / 1000,
  };
}
