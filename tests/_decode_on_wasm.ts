/**
 * Run by `datasets_decode_pool_test.ts` in its own process (the wasm backend's threads start
 * once per process): `deno run -A tests/_decode_on_wasm.ts <image folder> pool|none` starts
 * the decoding pool (or not), then wasm with 2 threads, then prefetches the folder's training
 * set with the workers `decodeWorkersFor("wasm")` gives, and prints one JSON line.
 */
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import { batches } from "../datasets/batches.ts";
import { startDecodeWorkers } from "../datasets/decode_pool.ts";
import { decodeWorkersFor, prefetchedBatches } from "../datasets/prefetch.ts";
import { loadSmallFolder } from "./_image_folder_fixture.ts";

const [root, mode] = Deno.args;
const pool = mode === "pool" ? startDecodeWorkers(1) : null;
const backend = await selectBackend("wasm", { threads: 2 });
if (E.isLeft(backend)) throw new Error(backend.left.message);
const set = await loadSmallFolder(root);
const options = { batchSize: 4, seed: 3, augment: true };
const workers = decodeWorkersFor("wasm");
const got: number[][] = [], want: number[][] = [];
for await (const b of prefetchedBatches(set, options, workers)) got.push([...b.x, ...b.y]);
for (const b of batches(set, options)) want.push([...b.x, ...b.y]);
console.log(JSON.stringify({
  adapter: backend.right.adapter,
  workers,
  served: pool?.served ?? 0,
  images: set.count,
  same: JSON.stringify(got) === JSON.stringify(want),
}));
Deno.exit(0);
