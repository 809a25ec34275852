// A custom pruning loop from mod.ts: a different regularizer before each removal.
// Run: deno run -A examples/custom_loop.ts   (a small CIFAR-10 subset, about a minute)
import * as E from "fp-ts/Either";
import {
  channelStats,
  evaluate,
  init,
  loadCifar10Package,
  pruneReference,
  pruneStep,
  runtimeVersions,
  selectBackend,
  type Snapshot,
  train,
  trainFor,
} from "../mod.ts"; // deno-fmt-ignore

const ok = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const backend = ok(await selectBackend("auto"));
const env = { backend, versions: runtimeVersions("example") };
const data = ok(await loadCifar10Package({ trainSheets: 1, trainLimit: 2048, testLimit: 500 })());
const normalisation = channelStats(data.train);
const template = {
  batchSize: 64,
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 5e-4,
  schedule: { kind: "cosine" as const },
  augment: true,
  seed: 0,
  normalisation,
}; // deno-fmt-ignore
let s: Snapshot = ok(await init({ model: "cifarnet", classes: 10, seed: 0 }, env)());
s = ok(await train(s, data.train, trainFor(template, 1, data.train.count), env)());
const reference = ok(pruneReference(s));
for (const kind of ["l1", "oicsr-gl", "ssr-gl"] as const) {
  const regularizer = { kind, lambda: 1e-4 };
  s = ok(
    await train(s, data.train, trainFor(template, 0.5, data.train.count, { regularizer }), env)(),
  );
  const score = { normalise: "none" as const, costAware: false };
  s = ok(pruneStep(s, { score, step: 0.1, target: 0.6, cap: 0.5, reference }));
  const { top1 } = await evaluate(s, data.test, normalisation);
  console.log(
    `${kind}: ${(s.meta.metrics.macs / 1e6).toFixed(2)} M MACs, top-1 ${(100 * top1).toFixed(1)} %`,
  );
}
Deno.exit(0); // the wasm backend's threads would keep the process alive
