/**
 * Workers that read and decode images for `prefetch.ts`, and the process's pool of them.
 *
 * Under Deno a Web Worker created after the wasm backend's threads have started never starts
 * (its first message never arrives: measured with 2 wasm threads, not with 1; a worker made
 * before them keeps answering). So a program that trains on wasm starts its decoding workers
 * first, with `startDecodeWorkers()`, as the commands do for streamed data sets; every
 * `prefetchedBatches()` then shares them. Without that pool, a prefetch makes its own workers
 * and stops them when its loop ends (on WebGPU), or decodes on the calling thread (wasm).
 *
 * @module
 */
import type { DecodeRequest } from "./decode_worker.ts";
import { type DataError, DataErrorThrown } from "./errors.ts";
import type { ImageJob } from "./image_set.ts";

type Reply = { id: number; pixels: Uint8Array } | { id: number; error: DataError | string };
type Waiting = { session: number; resolve(p: Uint8Array): void; reject(e: Error): void };

/** One user's view of a pool: its requests, dropped together by `close()`. */
export interface DecodeSession {
  /** The pixels of `job` (`bytes` long), the training transform seeded by `seed`. */
  decode(job: ImageJob, seed: number | null, bytes: number): Promise<Uint8Array>;
  /** Rejects this session's pending requests; their replies, when they come, are ignored. */
  close(): void;
}

/** Workers, each answering the requests posted to it in order; replies matched by id. */
export class DecodePool {
  /** Each worker and the requests posted to it not answered yet. */
  readonly #load = new Map<Worker, number>();
  readonly #waiting = new Map<number, Waiting>();
  #nextId = 0;
  #nextSession = 0;
  #served = 0;
  #failed: Error | null = null;

  constructor(count: number) {
    for (let i = 0; i < count; i++) {
      const worker = new Worker(new URL("./decode_worker.ts", import.meta.url), { type: "module" });
      worker.onmessage = (event: MessageEvent<Reply>) => this.#reply(worker, event.data);
      worker.onerror = (event) => {
        event.preventDefault();
        this.#fail(new Error(`image decoding worker failed: ${event.message}`));
      };
      this.#load.set(worker, 0);
    }
  }

  /** The number of workers. */
  get size(): number {
    return this.#load.size;
  }

  /** The requests its workers have answered. */
  get served(): number {
    return this.#served;
  }

  /** Requests posted to the workers and not answered yet. */
  get inFlight(): number {
    return [...this.#load.values()].reduce((a, b) => a + b, 0);
  }

  /** A new session: requests that can be dropped together. */
  session(): DecodeSession {
    const session = this.#nextSession++;
    return {
      decode: (job, seed, bytes) => this.#decode(session, { job, seed, bytes }),
      close: () => this.#drop(session),
    };
  }

  /** Stops the workers; pending and later requests fail. */
  close(): void {
    for (const worker of this.#load.keys()) worker.terminate();
    this.#fail(new Error("image decoding stopped"));
  }

  #decode(session: number, request: Omit<DecodeRequest, "id">): Promise<Uint8Array> {
    if (this.#failed) return Promise.reject(this.#failed);
    const id = this.#nextId++;
    const done = new Promise<Uint8Array>((resolve, reject) => {
      this.#waiting.set(id, { session, resolve, reject });
    });
    // Posted at once, to the worker with the fewest requests: a worker works through its own
    // queue while the calling thread is busy (training), which a reply-driven dispatch from
    // that thread would stall after each image.
    const [worker, load] = [...this.#load].reduce((a, b) => b[1] < a[1] ? b : a);
    this.#load.set(worker, load + 1);
    worker.postMessage({ id, ...request } satisfies DecodeRequest);
    return done;
  }

  #drop(session: number): void {
    for (const [id, waiting] of this.#waiting) {
      if (waiting.session !== session) continue;
      this.#waiting.delete(id);
      waiting.reject(new Error("image decoding session closed"));
    }
  }

  #reply(worker: Worker, reply: Reply): void {
    const waiting = this.#waiting.get(reply.id);
    this.#waiting.delete(reply.id);
    this.#served++;
    this.#load.set(worker, this.#load.get(worker)! - 1);
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
  }
}

/** Decoding workers by default: the cores but one (the training thread's), at most 4. */
export function defaultDecodeWorkers(): number {
  return Math.max(1, Math.min(4, (navigator.hardwareConcurrency ?? 2) - 1));
}

let shared: DecodePool | null = null;

/**
 * Starts the process's decoding workers (`count`, default `defaultDecodeWorkers()`), before
 * the wasm backend's threads start (see the module's note); a second call keeps the pool it
 * has. They run until `stopDecodeWorkers()` or the process's end.
 *
 * @example
 * ```ts
 * import { startDecodeWorkers, stopDecodeWorkers } from "./decode_pool.ts";
 * const pool = startDecodeWorkers(1); // then selectBackend("wasm"), then train
 * console.log(pool.size); // 1
 * stopDecodeWorkers();
 * ```
 */
export function startDecodeWorkers(count = defaultDecodeWorkers()): DecodePool {
  shared ??= new DecodePool(count);
  return shared;
}

/** The pool `startDecodeWorkers()` started, or null. */
export function startedDecodeWorkers(): DecodePool | null {
  return shared;
}

/** Stops the process's decoding workers (tests; a long-lived program done with its data). */
export function stopDecodeWorkers(): void {
  shared?.close();
  shared = null;
}
