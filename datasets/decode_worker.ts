/**
 * A worker that reads, decodes and transforms images of a folder set for `prefetch.ts`:
 * each message `{ id, job, seed, bytes }` is answered with `{ id, pixels }` (transferred) or
 * `{ id, error }` (the `DataError` naming the file, or a message).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { DataErrorThrown } from "./errors.ts";
import type { ImageJob } from "./image_set.ts";
import { readImageFile } from "./imagenet_folder.ts";
import { splitmix32 } from "./rng.ts";

/** A request: image `job`, the training transform's seed (null: evaluation), output size. */
export interface DecodeRequest {
  readonly id: number;
  readonly job: ImageJob;
  readonly seed: number | null;
  readonly bytes: number;
}

self.onmessage = (event: MessageEvent<DecodeRequest>) => {
  const { id, job, seed, bytes } = event.data;
  try {
    const pixels = new Uint8Array(bytes);
    readImageFile(job, pixels, 0, seed === null ? undefined : splitmix32(seed));
    self.postMessage({ id, pixels }, [pixels.buffer]);
  } catch (e) {
    const error = e instanceof DataErrorThrown
      ? e.data
      : String(e instanceof Error ? e.message : e);
    self.postMessage({ id, error });
  }
};
