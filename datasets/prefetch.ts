/**
 * Batches whose images are decoded in workers while the previous batch trains: for streamed
 * sets (ImageNet's JPEG files), where decoding on the training thread took 68 images/s of
 * one core (on wasm, where training takes every core, they are decoded on the calling thread:
 * see `decodeWorkersFor`). The batches are the ones `batches()` yields, image for image (the same order, the
 * same per-image augmentation seeds), so a run is the same with or without workers. Sets held
 * in memory (CIFAR) take `batches()` itself: their pipeline costs under 1 % of a step.
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
import type { DecodeRequest } from "./decode_worker.ts";
import { type DataError, DataErrorThrown } from "./errors.ts";
import type { ImageJob, ImageSet } from "./image_set.ts";

type Reply = { id: number; pixels: Uint8Array } | { id: number; error: DataError | string };

/** Workers taking one request at a time each; replies matched to requests by id. */
class DecodePool {
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #queue: DecodeRequest[] = [];
  readonly #waiting = new Map<number, { resolve(p: Uint8Array): void; reject(e: Error): void }>();
  #next = 0;
  #failed: Error | null = null;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (event: MessageEvent<Reply>) => this.#reply(worker, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(new Error(`image decoding worker failed: ${event.message}`));
      };
      this.#workers.push(worker);
      this.#idle.push(worker);
    }
  }

  /** The pixels of `job` (`bytes` long), the training transform seeded by `seed`. */
  decode(job: ImageJob, seed: number | null, bytes: number): Promise<Uint8Array> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#next++;
    const done = new Promise<Uint8Array>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
    });
    this.#queue.push({ id, job, seed, bytes });
    this.#dispatch();
    return done;
  }

  close(): void {
    for (const worker of this.#workers) worker.terminate();
    this.#fail(new Error("image decoding stopped"));
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      this.#idle.pop()!.postMessage(this.#queue.shift()!);
    }
  }

  #reply(worker: Worker, reply: Reply): void {
    const waiting = this.#waiting.get(reply.id);
    this.#waiting.delete(reply.id);
    this.#idle.push(worker);
    this.#dispatch();
    if (waiting === undefined) return;
    if ("pixels" in reply) waiting.resolve(reply.pixels);
    else {
      waiting.reject(
        typeof reply.error === "string" ? new Error(reply.error) : new DataErrorThrown(reply.error),
      );
    }
  }

  #fail(error: Error): void {
    this.#failed ??= error;
    for (const { reject } of this.#waiting.values()) reject(error);
    this.#waiting.clear();
    this.#queue.length = 0;
  }
}

/** Decoding workers by default: the cores but one (the training thread's), at most 4. */
export function defaultDecodeWorkers(): number {
  return Math.max(1, Math.min(4, (navigator.hardwareConcurrency ?? 2) - 1));
}

/**
 * Decoding workers for training on tfjs backend `backend`: none on wasm, whose threads train
 * on every core already, and under which Deno starts no new Web Worker once Emscripten's
 * threads run (a worker created then never answered: measured with 2 threads, not with 1);
 * `defaultDecodeWorkers()` elsewhere (WebGPU, where decoding on the training thread would
 * hold the GPU up).
 */
export function decodeWorkersFor(backend: string): number {
  return backend === "wasm" ? 0 : defaultDecodeWorkers();
}

/**
 * `batches(set, options)`, with a streamed set's images decoded by `workers` workers one
 * batch ahead. Each yielded batch is valid until the generator is resumed. Read errors are
 * thrown as `DataErrorThrown` naming the file, when the batch holding the image is reached.
 * Breaking out of the loop stops the workers.
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
  const pool = new DecodePool(Math.min(workers, set.count));

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
  }
}
