/**
 * Batches whose images are decoded in workers while the previous batch trains: for streamed
 * sets (ImageNet's JPEG files), where decoding on the training thread took 68 images/s of
 * one core. The workers are the process's pool where one was started (`decode_pool.ts`:
 * needed on wasm), else the loop's own. The batches are the ones `batches()` yields, image
 * for image (the same order, the same per-image augmentation seeds), so a run is the same
 * with or without workers. Sets held in memory (CIFAR) take `batches()` itself: their
 * pipeline costs under 1 % of a step.
 *
 * @module
 */
import {
  type Batch,
  batches,
  type BatchOptions,
  batchPlan,
  batchView,
  imageSeed,
  normaliseInto,
} from "./batches.ts";
import { DecodePool, defaultDecodeWorkers, startedDecodeWorkers } from "./decode_pool.ts";
import type { ImageSet } from "./image_set.ts";

/**
 * Decoding workers for training on tfjs backend `backend`: the pool `startDecodeWorkers()`
 * started, if any; else none on wasm (Deno starts no Web Worker once the wasm backend's
 * threads run: see `decode_pool.ts`) and `defaultDecodeWorkers()` elsewhere (WebGPU, where
 * decoding on the training thread would hold the GPU up).
 */
export function decodeWorkersFor(backend: string): number {
  const started = startedDecodeWorkers();
  if (started !== null) return started.size;
  return backend === "wasm" ? 0 : defaultDecodeWorkers();
}

/**
 * `batches(set, options)`, with a streamed set's images decoded one batch ahead by the pool
 * `startDecodeWorkers()` started or, without one, by `workers` workers of its own (0: on the
 * calling thread). Each yielded batch is valid until the generator is resumed. Read errors
 * are thrown as `DataErrorThrown` naming the file, when the batch holding the image is
 * reached. Breaking out of the loop drops its requests and stops its own workers.
 *
 * @example
 * ```ts
 * import { prefetchedBatches } from "./prefetch.ts";
 * import type { ImageSet } from "./image_set.ts";
 * declare const imagenet: ImageSet;
 * for await (const b of prefetchedBatches(imagenet, { batchSize: 32, augment: true })) {
 *   console.log(b.size);
 * }
 * ```
 */
export async function* prefetchedBatches(
  set: ImageSet,
  options: BatchOptions,
  workers = defaultDecodeWorkers(),
): AsyncGenerator<Batch, void, void> {
  if (set.kind !== "streamed" || set.job === undefined || workers < 1) {
    yield* batches(set, options);
    return;
  }
  const job = set.job;
  const { batchSize, seed, epoch, augment, ch, lut, imageSize, order, total } = batchPlan(
    set,
    options,
  );
  // Two sets of buffers: the batch being trained and the batch being decoded.
  const buffers = [0, 1].map(() => ({
    x: new Float32Array(batchSize * imageSize),
    y: new Int32Array(batchSize),
    indices: new Int32Array(batchSize),
  }));
  // The process's pool if one was started, else workers of this loop's own.
  const shared = startedDecodeWorkers();
  const own = shared === null ? new DecodePool(Math.min(workers, set.count)) : null;
  const pool = (shared ?? own!).session();

  const fill = async (b: number): Promise<Batch> => {
    const { x, y, indices } = buffers[b % 2];
    const size = Math.min(batchSize, set.count - b * batchSize);
    await Promise.all(Array.from({ length: size }, async (_, i) => {
      const index = order[b * batchSize + i];
      indices[i] = index;
      y[i] = set.labels[index];
      const pixels = await pool.decode(
        job(index),
        augment ? imageSeed(seed, epoch, index) : null,
        imageSize,
      );
      normaliseInto(pixels, 0, imageSize, ch, lut, x, i * imageSize);
    }));
    return batchView({ x, y, indices }, size, imageSize);
  };
  const started = (b: number) => {
    const batch = fill(b);
    // Awaited later; a failure meanwhile must not count as unhandled.
    batch.catch(() => {});
    return batch;
  };

  try {
    let next = total > 0 ? started(0) : null;
    for (let b = 0; b < total; b++) {
      const current = await next!;
      next = b + 1 < total ? started(b + 1) : null;
      yield current;
    }
  } finally {
    pool.close();
    own?.close();
  }
}
