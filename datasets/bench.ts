/**
 * Measures CIFAR-10 loading (decode, cold cache, warm cache) and batch production.
 * Run: `deno run -A datasets/bench.ts [batchSize=64]`. Uses a temporary cache folder.
 *
 * @module
 */
import { batches } from "./batches.ts";
import { loadCifar10Package } from "./cifar10_package.ts";
import type { ImageSet } from "./image_set.ts";
import { channelStats } from "./stats.ts";

async function timeLoad(label: string, cacheDir: string | false): Promise<ImageSet> {
  const t0 = performance.now();
  const split = await loadCifar10Package({ cacheDir })();
  const ms = performance.now() - t0;
  if (split._tag === "Left") throw new Error(split.left.message);
  console.log(`load all 60,000 (${label}): ${(ms / 1000).toFixed(2)} s`);
  return split.right.train;
}

function timeBatches(set: ImageSet, batchSize: number, augment: boolean, shuffle: boolean) {
  const { mean, std } = channelStats(set);
  let images = 0;
  let check = 0;
  const t0 = performance.now();
  for (const b of batches(set, { batchSize, seed: 1, epoch: 0, augment, shuffle, mean, std })) {
    images += b.size;
    check += b.x[0];
  }
  const s = (performance.now() - t0) / 1000;
  const rate = Math.round(images / s).toLocaleString("en");
  console.log(
    `batches(B=${batchSize}, augment=${augment}, shuffle=${shuffle}): ${rate} images/s (${
      s.toFixed(2)
    } s/epoch, checksum ${check.toFixed(3)})`,
  );
}

if (import.meta.main) {
  const batchSize = Number(Deno.args[0] ?? 64);
  const cache = await Deno.makeTempDir({ prefix: "oicsr-bench-" });
  try {
    await timeLoad("no cache", false);
    await timeLoad("cold cache: decode + write", cache);
    const train = await timeLoad("warm cache", cache);
    const t0 = performance.now();
    channelStats(train);
    console.log(`channelStats(train): ${(performance.now() - t0).toFixed(0)} ms`);
    for (let run = 0; run < 2; run++) {
      timeBatches(train, batchSize, false, true);
      timeBatches(train, batchSize, true, true);
    }
  } finally {
    await Deno.remove(cache, { recursive: true });
  }
}
