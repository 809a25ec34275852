/**
 * Where a prediction's time goes, dense against compact: prunes `--model` (random weights,
 * seeded) to half of its MACs as `deno task bench --compact` does, folds the batch norms (unless
 * `--keep-bn`), and prints each model's kernel time by kernel and each convolution's time by its widths, from
 * one profiled `predict` of `--batch` images after two warm-up runs.
 *
 *     deno run -A tools/compact_profile.ts [--backend wasm|webgpu] [--model resnet56] [--batch 32]
 *       [--keep-bn]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { parseArgs } from "node:util";
import { type BackendName, selectBackend } from "../backend/select_backend.ts";
import { pruneToFraction } from "../cli/bench_overhead.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import { runtimeVersions } from "../snapshot/mod.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { foldBatchNorm } from "../stages/fold_batch_norm.ts";
import { init } from "../stages/init.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    backend: { type: "string", default: "wasm" },
    model: { type: "string", default: "resnet56" },
    batch: { type: "string", default: "32" },
    "keep-bn": { type: "boolean", default: false },
  },
});

/** The right of `e`, or the program stops with its message. */
function orExit<T>(e: E.Either<{ readonly message: string }, T>): T {
  if (E.isRight(e)) return e.right;
  console.error(e.left.message);
  Deno.exit(1);
}

/** One profiled prediction: milliseconds by kernel, and by convolution widths ("16 -> 11"). */
async function profile(snapshot: Snapshot, batch: number) {
  const net = await modelFromSnapshot(snapshot);
  const x = tf.randomNormal([batch, ...net.inputs[0].shape.slice(1) as number[]]);
  const predict = async () => {
    const y = net.predict(x, { batchSize: batch }) as tf.Tensor;
    await y.data();
    y.dispose();
  };
  await predict();
  await predict();
  const info = await tf.profile(predict);
  tf.dispose(x);
  net.dispose();
  const byKernel = new Map<string, number>(), byWidths = new Map<string, number>();
  const layers = new Map<string, number>();
  const add = (m: Map<string, number>, key: string, ms: number) =>
    m.set(key, (m.get(key) ?? 0) + ms);
  for (const k of info.kernels) {
    // tfjs also lists its ops (`fusedConv2d__op`), timed around the kernels they run.
    if (k.name.endsWith("__op")) continue;
    const ms = Number(k.kernelTimeMs) || 0;
    add(byKernel, k.name, ms);
    const filter = k.inputShapes[1];
    if (k.name.includes("Conv2D") && filter?.length === 4) {
      const side = k.inputShapes[0]?.[1];
      const key = `${side}x${side} ${filter[0]}x${filter[1]} ${filter[2]} -> ${filter[3]}`;
      add(byWidths, key, ms);
      add(layers, key, 1);
    }
  }
  return { byKernel, byWidths, layers };
}

/** `m`'s entries, largest first; with `layers`, each one's count and time a layer too. */
const show = (m: Map<string, number>, layers?: Map<string, number>) =>
  [...m].sort((a, b) => b[1] - a[1]).map(([k, ms]) => {
    const n = layers?.get(k);
    const each = n === undefined ? "" : `  ${n} x ${(ms / n).toFixed(2)} ms`;
    return `  ${k.padEnd(28)} ${ms.toFixed(2).padStart(9)} ms${each}`;
  }).join("\n");

const backend = orExit(await selectBackend(values.backend as BackendName));
const env = { backend, versions: runtimeVersions("tools") };
const dense = orExit(await init({ model: values.model, classes: 10, seed: 0 }, env)());
const compact = orExit(pruneToFraction(dense, 0.5)).compact;
const batch = Number(values.batch);
const bn = values["keep-bn"] ? "batch norms kept" : "folded";
console.log(`${values.model} on ${backend.name} (${backend.adapter}), batch ${batch}, ${bn}`);
for (const [name, snapshot] of [["dense", dense], ["compact", compact]] as const) {
  const { byKernel, byWidths, layers } = await profile(
    values["keep-bn"] ? snapshot : orExit(foldBatchNorm(snapshot)),
    batch,
  );
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  console.log(`${name}: ${total.toFixed(1)} ms in kernels\n${show(byKernel)}`);
  console.log(
    `${name}, convolutions by geometry (summed over the layers that have it):\n${
      show(byWidths, layers)
    }`,
  );
}
Deno.exit(0);
