/**
 * Training-step throughput (images/s) of CifarNet and ResNet-20 on a chosen backend.
 *
 * Usage: deno run -A backend/bench_step.ts [--backend wasm] [--model resnet20|cifarnet|both]
 *   [--batch 64] [--steps 10] [--warmup 2] [--profile] [--stock a,b] (keep stock kernels)
 *   [--threads 2] (wasm threads; default 1)
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { cifarNet, resNet20 } from "./bench_models.ts";
import { selectBackend } from "./select_backend.ts";

/** One training step: forward in training mode, softmax cross-entropy, momentum update. */
export function makeTrainStep(
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): (x: tf.Tensor, y: tf.Tensor) => void {
  return (x, y) =>
    tf.tidy(() => {
      optimizer.minimize(() => {
        const logits = model.apply(x, { training: true }) as tf.Tensor;
        return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
      });
    });
}

/** Measures images/s over `steps` steps after `warmup` steps, at batch size `batch`. */
export async function measureStep(
  model: tf.LayersModel,
  options: { batch: number; steps: number; warmup: number },
): Promise<{ imagesPerSecond: number; msPerStep: number[] }> {
  const optimizer = tf.train.momentum(0.01, 0.9);
  const step = makeTrainStep(model, optimizer);
  const x = tf.randomNormal([options.batch, 32, 32, 3]);
  const y = tf.oneHot(tf.randomUniform([options.batch], 0, 10, "int32") as tf.Tensor1D, 10);
  for (let i = 0; i < options.warmup; i++) step(x, y);
  await model.getWeights()[0].data();
  const msPerStep: number[] = [];
  for (let i = 0; i < options.steps; i++) {
    const start = performance.now();
    step(x, y);
    await model.getWeights()[0].data();
    msPerStep.push(performance.now() - start);
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  const sorted = [...msPerStep].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return { imagesPerSecond: (options.batch * 1000) / median, msPerStep };
}

/** Kernel time by kernel name over one step, largest first. */
export async function profileStep(model: tf.LayersModel, batch: number) {
  const optimizer = tf.train.momentum(0.01, 0.9);
  const step = makeTrainStep(model, optimizer);
  const x = tf.randomNormal([batch, 32, 32, 3]);
  const y = tf.oneHot(tf.randomUniform([batch], 0, 10, "int32") as tf.Tensor1D, 10);
  step(x, y);
  const info = await tf.profile(() => step(x, y));
  const byName = new Map<string, { ms: number; calls: number }>();
  for (const k of info.kernels) {
    const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
    entry.ms += k.kernelTimeMs as number;
    entry.calls += 1;
    byName.set(k.name, entry);
  }
  tf.dispose([x, y]);
  optimizer.dispose();
  return [...byName.entries()].sort((a, b) => b[1].ms - a[1].ms);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      backend: { type: "string", default: "wasm" },
      model: { type: "string", default: "both" },
      batch: { type: "string", default: "64" },
      steps: { type: "string", default: "10" },
      warmup: { type: "string", default: "2" },
      profile: { type: "boolean", default: false },
      stock: { type: "string", default: "" },
      threads: { type: "string", default: "1" },
    },
  });
  const stock = values.stock === "" ? [] : values.stock.split(",");
  const selected = await selectBackend(values.backend as "wasm", {
    keepStock: stock,
    threads: Number(values.threads),
  });
  if (selected._tag === "Left") throw new Error(selected.left.message);
  console.log(JSON.stringify(selected.right));
  const builders = { cifarnet: cifarNet, resnet20: resNet20 };
  const names = values.model === "both" ? ["cifarnet", "resnet20"] : [values.model];
  for (const name of names) {
    const model = builders[name as keyof typeof builders]();
    const batch = Number(values.batch);
    if (values.profile) {
      const rows = await profileStep(model, batch);
      const total = rows.reduce((s, [, v]) => s + v.ms, 0);
      console.log(`${name}: kernel time ${total.toFixed(0)} ms`);
      for (const [k, v] of rows.slice(0, 25)) {
        console.log(
          `  ${k.padEnd(28)} ${v.ms.toFixed(1).padStart(8)} ms ${String(v.calls).padStart(5)}x`,
        );
      }
    } else {
      const r = await measureStep(model, {
        batch,
        steps: Number(values.steps),
        warmup: Number(values.warmup),
      });
      const ms = r.msPerStep.map((m) => m.toFixed(0)).join(" ");
      console.log(`${name}: ${r.imagesPerSecond.toFixed(1)} images/s (ms/step: ${ms})`);
    }
    model.dispose();
  }
  // Threaded wasm keeps the process alive after the last step (see wasm_threads.ts).
  Deno.exit(0);
}
