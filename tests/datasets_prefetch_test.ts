/**
 * `prefetchedBatches()`: a streamed set decoded in workers one batch ahead gives exactly the
 * batches `batches()` gives on the calling thread; read errors name the file; a loop left
 * early stops the workers.
 */
import assert from "node:assert/strict";
import { batches, type BatchOptions } from "../datasets/batches.ts";
import { DataErrorThrown } from "../datasets/errors.ts";
import { cifarImageSet } from "../datasets/image_set.ts";
import { prefetchedBatches } from "../datasets/prefetch.ts";
import { smallFolderSet } from "./_image_folder_fixture.ts";
import { withTempDir } from "./_helpers.ts";

/** Every batch as plain arrays (the generators reuse their buffers). */
async function collect(stream: AsyncIterable<{ x: Float32Array; y: Int32Array; size: number }>) {
  const out: { x: number[]; y: number[]; size: number }[] = [];
  for await (const b of stream) out.push({ x: [...b.x], y: [...b.y], size: b.size });
  return out;
}

async function* fromSync<T>(it: Iterable<T>): AsyncGenerator<T> {
  yield* it;
}

Deno.test("prefetchedBatches() with workers gives batches() image for image (shuffle, augmentation, last batch)", async () => {
  await withTempDir("oicsr-prefetch-", async (root) => {
    const set = await smallFolderSet(root);
    assert.equal(set.kind, "streamed");
    const cases: BatchOptions[] = [
      {
        batchSize: 4,
        seed: 3,
        epoch: 1,
        augment: true,
        mean: [0.5, 0.4, 0.3],
        std: [0.2, 0.2, 0.2],
      },
      { batchSize: 5, seed: 3, epoch: 2, augment: true, dropLast: true },
      { batchSize: 6, shuffle: false, augment: false },
    ];
    for (const options of cases) {
      const want = await collect(fromSync(batches(set, options)));
      for (const workers of [1, 3]) {
        const got = await collect(prefetchedBatches(set, options, workers));
        assert.deepEqual(got, want, `${JSON.stringify(options)} with ${workers} workers`);
      }
    }
    // Another epoch draws other crops: the comparison above is not of constant images.
    const [a] = await collect(prefetchedBatches(set, { ...cases[0], shuffle: false }, 2));
    const [b] = await collect(prefetchedBatches(set, { ...cases[0], shuffle: false, epoch: 9 }, 2));
    assert.notDeepEqual(a.x, b.x);
  });
});

Deno.test("prefetchedBatches() throws the DataErrorThrown naming a file a worker cannot decode", async () => {
  await withTempDir("oicsr-prefetch-", async (root) => {
    const set = await smallFolderSet(root);
    const victim = `${root}/train/n00000001/3.JPEG`;
    const bytes = await Deno.readFile(victim);
    await Deno.writeFile(victim, bytes.subarray(0, Math.floor(bytes.length * 0.5)));
    await assert.rejects(
      () => collect(prefetchedBatches(set, { batchSize: 4, augment: true }, 2)),
      (e: unknown) => e instanceof DataErrorThrown && e.message.includes(victim),
    );
  });
});

Deno.test("prefetchedBatches() stops its workers when the loop is left early", async () => {
  await withTempDir("oicsr-prefetch-", async (root) => {
    const set = await smallFolderSet(root);
    let seen = 0;
    for await (const _ of prefetchedBatches(set, { batchSize: 2 }, 2)) {
      if (++seen === 2) break;
    }
    assert.equal(seen, 2);
    // Deno's test sanitizers fail this test if a worker or a pending message outlives it.
  });
});

Deno.test("prefetchedBatches() of a set in memory is batches() itself", async () => {
  const images = Uint8Array.from({ length: 7 * 3072 }, (_, i) => (i * 31) % 256);
  const set = cifarImageSet("toy", images, new Int32Array([0, 1, 2, 3, 4, 5, 6]), 10);
  const options = { batchSize: 3, seed: 1, augment: true };
  assert.deepEqual(
    await collect(prefetchedBatches(set, options)),
    await collect(fromSync(batches(set, options))),
  );
});
