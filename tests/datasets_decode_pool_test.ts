/**
 * The process's decoding pool: shared by every prefetch, which gives `batches()` image for
 * image; a loop left early drops its requests and the pool serves the next; and on the wasm
 * backend with 2 threads the workers started before it decode the batches.
 */
import assert from "node:assert/strict";
import { batches, type BatchOptions } from "../datasets/batches.ts";
import { DecodePool, startDecodeWorkers, stopDecodeWorkers } from "../datasets/decode_pool.ts";
import { decodeWorkersFor, prefetchedBatches } from "../datasets/prefetch.ts";
import { smallFolderSet } from "./_image_folder_fixture.ts";
import { withTempDir } from "./_helpers.ts";

async function collect(stream: AsyncIterable<{ x: Float32Array; y: Int32Array }>) {
  const out: number[][] = [];
  for await (const b of stream) out.push([...b.x, ...b.y]);
  return out;
}

Deno.test("a started pool serves every prefetch, and a loop left early leaves it serving", async () => {
  await withTempDir("oicsr-decode-pool-", async (root) => {
    const set = await smallFolderSet(root);
    const options: BatchOptions = { batchSize: 4, seed: 5, augment: true };
    const want = await collect((async function* () {
      yield* batches(set, options);
    })());
    const pool = startDecodeWorkers(2);
    try {
      assert.equal(startDecodeWorkers(3), pool, "a second start keeps the pool");
      assert.equal(decodeWorkersFor("wasm"), 2);
      let seen = 0;
      for await (const _ of prefetchedBatches(set, options, 2)) if (++seen === 2) break;
      const served = pool.served;
      assert.ok(served >= 8, `served ${served}`);
      assert.deepEqual(await collect(prefetchedBatches(set, options, 2)), want);
      assert.ok(pool.served >= served + set.count, `served ${pool.served - served} more`);
    } finally {
      stopDecodeWorkers();
    }
    assert.equal(decodeWorkersFor("wasm"), 0);
  });
});

Deno.test("every request reaches a worker when asked, not when the calling thread next runs", async () => {
  await withTempDir("oicsr-decode-pool-", async (root) => {
    const set = await smallFolderSet(root);
    assert.ok(set.kind === "streamed" && set.job !== undefined);
    const job = set.job;
    const pool = new DecodePool(1);
    try {
      const session = pool.session();
      const bytes = 16 * 16 * 3;
      const asked = [0, 1, 2, 3].map((i) => session.decode(job(i), null, bytes));
      // All four are with the worker (its own queue) before any reply is read: a worker
      // decodes a whole batch while the training thread is busy.
      assert.equal(pool.inFlight, 4);
      const pixels = await Promise.all(asked);
      assert.deepEqual(pixels.map((p) => p.length), [bytes, bytes, bytes, bytes]);
      assert.equal(pool.inFlight, 0);
      assert.equal(pool.served, 4);
      // A closed session's requests reject; the pool serves the next session.
      const dropped = session.decode(job(4), null, bytes);
      session.close();
      await assert.rejects(dropped, /session closed/);
      assert.equal((await pool.session().decode(job(5), null, bytes)).length, bytes);
    } finally {
      pool.close();
    }
  });
});

async function onWasm(root: string, mode: "pool" | "none") {
  const script = new URL("./_decode_on_wasm.ts", import.meta.url).pathname;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, root, mode],
    stdout: "piped",
    stderr: "piped",
    // A worker that never starts would hang the script: fail instead.
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  return JSON.parse(text.trim().split("\n").at(-1)!);
}

Deno.test("on wasm with 2 threads, workers started before the backend decode the batches", async () => {
  await withTempDir("oicsr-decode-pool-", async (root) => {
    await smallFolderSet(root);
    const pooled = await onWasm(root, "pool");
    assert.match(pooled.adapter, /2 threads/);
    assert.equal(pooled.workers, 1);
    assert.equal(pooled.served, pooled.images);
    assert.equal(pooled.same, true);
    // Without the pool, wasm decodes on the calling thread: the same batches.
    const alone = await onWasm(root, "none");
    assert.deepEqual([alone.workers, alone.served, alone.same], [0, 0, true]);
  });
});
