/**
 * `deno task bench --profile`: where one training step's time goes, by kernel and by kind of
 * work (convolutions forward and backward, batch norm, matrix products, pooling, elementwise
 * and reductions), with the optimizer's update and the data pipeline measured on their own.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { batches } from "../datasets/batches.ts";
import type { MemoryImageSet } from "../datasets/image_set.ts";
import { sgdMomentum } from "../stages/sgd.ts";

/** Kinds of work by kernel name; a kernel not listed is elementwise or a reduction. */
const KINDS: readonly (readonly [string, RegExp])[] = [
  ["convolutions, forward", /^(Conv2D|FusedConv2D|DepthwiseConv2dNative|FusedDepthwiseConv2D)$/],
  ["convolutions, backward", /^(Conv2DBackprop|DepthwiseConv2dNativeBackprop)/],
  ["batch norm", /BatchNorm/],
  ["matrix products", /MatMul$/],
  ["pooling", /Pool/],
];
const OTHER = "elementwise and reductions (with the optimizer's)";

/** The kind of work of kernel `name`. */
export function kindOf(name: string): string {
  return KINDS.find(([, pattern]) => pattern.test(name))?.[0] ?? OTHER;
}

/** Milliseconds and calls per key, largest first. */
type Tally = [string, { ms: number; calls: number }][];

function tally(kernels: readonly { name: string; ms: number }[], key: (n: string) => string) {
  const by = new Map<string, { ms: number; calls: number }>();
  for (const k of kernels) {
    const entry = by.get(key(k.name)) ?? { ms: 0, calls: 0 };
    by.set(key(k.name), { ms: entry.ms + k.ms, calls: entry.calls + 1 });
  }
  return [...by.entries()].sort((a, b) => b[1].ms - a[1].ms) as Tally;
}

function lines(rows: Tally, total: number, limit = rows.length): string[] {
  return rows.slice(0, limit).map(([k, v]) =>
    `  ${k.padEnd(50)}${v.ms.toFixed(1).padStart(8)} ms ${
      (100 * v.ms / total).toFixed(1).padStart(5)
    } % ${String(v.calls).padStart(5)} calls`
  );
}

/** Kernel time of the optimizer's update of `variables` (gradients of their shapes). */
async function optimizerMs(variables: readonly tf.Variable[]): Promise<number> {
  const copies = variables.map((v) => tf.variable(v.clone(), true, `bench_${v.name}`));
  const sgd = sgdMomentum(copies, { momentum: 0.9, weightDecay: 5e-4 });
  const grads = Object.fromEntries(copies.map((v) => [v.name, tf.onesLike(v)]));
  sgd.step(grads, 0.01);
  const info = await tf.profile(() => sgd.step(grads, 0.01));
  sgd.dispose();
  tf.dispose([...copies, ...Object.values(grads)]);
  return info.kernels.reduce((a, k) => a + (k.kernelTimeMs as number), 0);
}

/**
 * Milliseconds the data pipeline takes per batch of `batch` images of `shape` (shuffle,
 * pad-crop-flip, normalise), on a synthetic set of CIFAR's size in memory.
 */
function dataMs(shape: readonly number[], batch: number): number {
  const [h, w, c] = shape;
  const count = Math.max(batch * 20, 2_000);
  const set: MemoryImageSet = {
    kind: "memory",
    name: "bench/synthetic",
    labels: new Int32Array(count),
    count,
    height: h,
    width: w,
    channels: c,
    classes: 10,
    images: Uint8Array.from({ length: count * h * w * c }, (_, i) => (i * 2654435761) >>> 24),
  };
  const options = {
    batchSize: batch,
    augment: true,
    mean: [0.5, 0.5, 0.5],
    std: [0.25, 0.25, 0.25],
  };
  let n = 0;
  const start = performance.now();
  for (const _ of batches(set, options)) n++;
  return (performance.now() - start) / n;
}

/**
 * The report of one profiled step: `kernels` from `tf.profile` of the step, `wall` its
 * milliseconds, `variables` the model's trainable variables, `shape` its input.
 */
export async function profileReport(
  model: string,
  batch: number,
  info: Awaited<ReturnType<typeof tf.profile>>,
  wall: number,
  variables: readonly tf.Variable[],
  shape: readonly number[],
): Promise<string> {
  // "<op>__op" and unnamed scopes wrap kernels of ops with custom gradients: not counted twice.
  const kernels = info.kernels
    .filter((k) => !k.name.endsWith("__op") && k.name !== "unnamed scope")
    .map((k) => ({ name: k.name, ms: k.kernelTimeMs as number }));
  const total = kernels.reduce((a, k) => a + k.ms, 0);
  const optimizer = await optimizerMs(variables);
  const data = dataMs(shape, batch);
  return [
    `${model}: one training step of batch ${batch}: ${total.toFixed(0)} ms in kernels ` +
    `(${wall.toFixed(0)} ms wall under the profiler)`,
    "by kind of work:",
    ...lines(tally(kernels, kindOf), total),
    `  of which the optimizer's update alone (profiled on its own): ${optimizer.toFixed(1)} ms`,
    `data pipeline (shuffle, crop and flip, normalise; outside the step): ${
      data.toFixed(1)
    } ms a batch`,
    "by kernel:",
    ...lines(tally(kernels, (n) => n), total, 20),
  ].join("\n");
}
