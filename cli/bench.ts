/**
 * `deno task bench`: training and inference images/s at a batch size for each model and
 * backend, beside the PyTorch CPU reference measured in the same run.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { type BackendName, selectBackend } from "../backend/select_backend.ts";
import { dispatchedShaders } from "../backend/kernels/dispatches.ts";
import { countCost } from "../graph/count_cost.ts";
import { buildModel } from "../models/zoo.ts";
import { makeTrainStep } from "../stages/train_model.ts";
import type { JsonObject } from "../snapshot/snapshot.ts";
import { compactMode } from "./bench_compact.ts";
import { parseBenchOptions } from "./bench_options.ts";
import { benchGraph } from "./bench_graph.ts";
import { profileReport } from "./bench_profile.ts";
import { memoryMode } from "./bench_memory.ts";
import { overheadMode } from "./bench_overhead.ts";
import { PEER_MODELS, runPeer } from "./peer.ts";
import { reportStop } from "./stop.ts";

/**
 * Images per second of `run` (one call = one batch) after warm-up, over `seconds`. `lagged`:
 * each call is awaited after the next one starts, as `trainModel` trains on WebGPU.
 */
async function rate(
  run: () => Promise<unknown>,
  batch: number,
  seconds: number,
  lagged = false,
) {
  for (let i = 0; i < 2; i++) await run();
  const start = performance.now();
  let n = 0, inFlight: Promise<unknown> = Promise.resolve();
  while (n < 3 || performance.now() - start < seconds * 1000) {
    const next = run();
    next.catch(() => {}); // awaited below or on the next turn
    await (lagged ? inFlight : next);
    inFlight = next, n++;
  }
  await inFlight;
  return n * batch / ((performance.now() - start) / 1000);
}

/** A fresh model of the zoo, a fixed batch of inputs and labels, and its training step. */
function setUp(model: string, batch: number) {
  const net = E.getOrElseW((e: { message: string }) => {
    throw new Error(e.message);
  })(buildModel(model, { seed: 0, classes: 10 }));
  // The model's own input size: 32x32x3 for the CIFAR models, 224x224x3 for resnet50.
  const shape = net.inputs[0].shape.slice(1) as [number, number, number];
  const x = Float32Array.from(
    { length: batch * shape[0] * shape[1] * shape[2] },
    (_, i) => Math.sin(i),
  );
  const y = Int32Array.from({ length: batch }, (_, i) => i % 10);
  const trainer = makeTrainStep(net, shape, 10, { momentum: 0.9, weightDecay: 5e-4 });
  return { net, x, y, trainer, shape };
}

/**
 * Training images/s of `trainer`'s steps on one batch, each read after the next one starts on
 * WebGPU, as `trainModel` trains there.
 */
function trainingRate(
  trainer: ReturnType<typeof makeTrainStep>,
  x: Float32Array,
  y: Int32Array,
  batch: number,
  seconds: number,
): Promise<number> {
  const lagged = tf.getBackend() === "webgpu";
  return rate(() => trainer.step(x, y, batch, 0.01), batch, seconds, lagged);
}

/** Training images/s of a fresh `model` at `batch` over `seconds` (as `measure` takes it). */
async function trainRate(model: string, batch: number, seconds: number): Promise<number> {
  const { net, x, y, trainer } = setUp(model, batch);
  try {
    return await trainingRate(trainer, x, y, batch, seconds);
  } finally {
    trainer.dispose();
    net.dispose();
  }
}

/** Multiply-accumulates of one example, counted on the topology and weights `save` writes. */
function macsOf(net: tf.LayersModel): number {
  const cost = countCost({
    topology: net.toJSON(null, false) as JsonObject,
    weights: net.weights.map((w) => ({ name: w.originalName, shape: w.read().shape })),
  });
  if (E.isLeft(cost)) throw new Error(cost.left.message);
  return cost.right.macs;
}

async function measure(model: string, batch: number, seconds: number) {
  const { net, x, y, trainer, shape } = setUp(model, batch);
  const macs = macsOf(net);
  const before = tf.memory().numTensors;
  const train = await trainingRate(trainer, x, y, batch, seconds);
  const leaked = tf.memory().numTensors - before;
  trainer.dispose();
  const input = tf.tensor4d(x, [batch, ...shape]);
  const infer = await rate(
    async () => {
      // The whole batch at once (predict would cut it into batches of 32).
      const out = net.predict(input, { batchSize: batch }) as tf.Tensor;
      await out.data();
      out.dispose();
    },
    batch,
    seconds / 2,
  );
  input.dispose();
  net.dispose();
  // A training step costs about three forward passes (forward, input and filter gradients).
  return {
    train_img_s: round(train),
    infer_img_s: round(infer),
    train_gflop_s: round(train * 6 * macs / 1e9),
    infer_gflop_s: round(infer * 2 * macs / 1e9),
    leaked_tensors_per_run: leaked,
  };
}

/** Where one training step's time goes (see `bench_profile.ts`). */
async function profile(model: string, batch: number): Promise<string> {
  const { net, x, y, trainer, shape } = setUp(model, batch);
  // Warm-up: the first steps compile primitives and grow the heaps (page faults).
  for (let i = 0; i < 3; i++) await trainer.step(x, y, batch, 0.01);
  const start = performance.now();
  const info = await tf.profile(async () => {
    await trainer.step(x, y, batch, 0.01);
  });
  const wall = performance.now() - start;
  const variables = net.trainableWeights.map((w) => w.read() as tf.Variable);
  const dispatches = (await dispatchedShaders(() => trainer.step(x, y, batch, 0.01))).shaders
    ?.length ?? null;
  const report = await profileReport(model, batch, info, wall, variables, shape) +
    (dispatches === null ? "" : `\nWebGPU dispatches (shaders run) a training step: ${dispatches}`);
  trainer.dispose();
  net.dispose();
  return report;
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

const usage =
  `Usage: deno task bench [--model cifarnet,resnet20] [--backend auto|wasm,webgpu,cpu|all]
  [--seconds 10] [--batch 64] [--no-peer] [--json] [--profile] [--threads <CPUs>]
  [--stock Kernel,Kernel | all] (leave our replacements of these kernels out, to measure
  them; all: tfjs as published, as a browser runs it)
  [--graph | --compact | --overhead | --memory]
--profile prints where one training step's kernel time goes instead of measuring rates.
--graph times group analysis + removing half of every group (median of 9 runs) instead.
--compact times dense and compact (pruned by OICSR to 50 % of the MACs) inference at batch 1
  and --batch (median over about --seconds each), and PyTorch's CPU latency of the same two
  networks in the same run (unless --no-peer); default --model cifarnet,resnet56.
--overhead times analysis + scores + plan + removal to 50 % of the MACs (median of 3) against
  one training epoch (CIFAR 50,000 images, ImageNet 1,281,167; training img/s measured over
  --seconds at --batch, on wasm at most 4 for resnet50, 16 for densenet40); default every model.
--memory trains --model (default cifarnet; one model, one backend) on all of CIFAR-10 for
  --seconds and reports peak resident memory (VmHWM) and live tensors before and after.
The default --model is cifarnet,resnet20 otherwise.`;

async function main(): Promise<number> {
  const parsed = parseBenchOptions(Deno.args);
  if (E.isLeft(parsed)) return console.error(parsed.left.message), 2;
  const o = parsed.right;
  if (o.help) return console.log(usage), 0;
  const { models, backends, seconds, batch, threads } = o;
  const values = { ...o, "no-peer": o.noPeer };
  const keepStock = o.stock === "" ? [] : o.stock.split(",");
  const common = {
    models,
    backends,
    seconds,
    batch,
    json: o.json,
    threads: threads ?? undefined,
    keepStock,
  };
  try {
    if (values.compact) return await compactMode({ ...common, noPeer: o.noPeer });
    if (values.overhead) return await overheadMode({ ...common, trainRate });
    if (values.memory) {
      return await memoryMode({ ...common, model: models[0], backend: backends[0] });
    }
  } catch (e) {
    return reportStop(e);
  }
  if (values.graph) {
    await tf.setBackend("cpu");
    for (const model of models) {
      const r = await benchGraph(model, 9);
      console.log(
        values.json ? JSON.stringify(r) : `${r.model}: ${r.groups} groups; analysis ` +
          `${r.analysis_ms} ms + removing half of every group ${r.apply_ms} ms = ` +
          `${r.total_ms} ms (median of ${r.runs}; worst ${r.worst_total_ms} ms)`,
      );
    }
    return 0;
  }
  // A backend that does not start is reported and skipped; the exit status then says so.
  let failed = 0;
  for (const model of models) {
    const peer = values["no-peer"] || values.profile || !PEER_MODELS.includes(model)
      ? null
      : await runPeer({ model, batch, seconds });
    if (peer && E.isLeft(peer)) console.error(`peer: ${peer.left.message}`);
    const ref = peer && E.isRight(peer) ? peer.right : null;
    for (const name of backends) {
      const selected = await selectBackend(name as BackendName, {
        keepStock,
        threads: threads ?? undefined,
      });
      if (E.isLeft(selected)) {
        console.error(`${name}: ${selected.left.message}`);
        failed++;
        continue;
      }
      const info = selected.right;
      if (values.profile) {
        console.log(`${info.name} (${info.adapter})\n${await profile(model, batch)}`);
        continue;
      }
      const ours = await measure(model, batch, seconds);
      const row = {
        model,
        backend: info.name,
        adapter: info.adapter,
        batch,
        ...ours,
        ...(ref
          ? {
            peer: ref.peer,
            peer_train_img_s: ref.train_img_s,
            peer_infer_img_s: ref.infer_img_s,
            train_ratio: Math.round(ours.train_img_s / ref.train_img_s * 1000) / 1000,
            infer_ratio: Math.round(ours.infer_img_s / ref.infer_img_s * 1000) / 1000,
          }
          : {}),
      };
      console.log(values.json ? JSON.stringify(row) : formatRow(row));
    }
  }
  return failed === 0 ? 0 : 1;
}

function formatRow(r: Record<string, unknown>): string {
  const ratio = r.train_ratio === undefined
    ? "no PyTorch reference"
    : `PyTorch ${r.peer_train_img_s} / ${r.peer_infer_img_s} img/s -> ` +
      `ratio train ${r.train_ratio}x, infer ${r.infer_ratio}x`;
  return `${r.model} on ${r.backend} (${r.adapter}), batch ${r.batch}: ` +
    `train ${r.train_img_s} img/s (${r.train_gflop_s} GFLOP/s), ` +
    `infer ${r.infer_img_s} img/s (${r.infer_gflop_s} GFLOP/s); ${ratio}`;
}

if (import.meta.main) Deno.exit(await main());
