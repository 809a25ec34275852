import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type CompactRow, compactTable, withPeer } from "../cli/bench_compact.ts";
import type { MemoryRow } from "../cli/bench_memory.ts";
import {
  epochImages,
  type OverheadRow,
  pruneToFraction,
  trainingBatch,
} from "../cli/bench_overhead.ts";
import { copySnapshot } from "../snapshot/snapshot.ts";
import { init } from "../stages/init.ts";
import { expectRight, runCommand } from "./_helpers.ts";
import { testEnv } from "./_fixtures.ts";

await tf.setBackend("cpu");
/** No WebGPU adapter here (not even a software one): the WebGPU tests are skipped. */
const noGpu = (await navigator.gpu?.requestAdapter()) == null;

/** `deno task bench` on WebGPU for CifarNet at batch 2 with `args`, in a subprocess. */
const benchCifarnetOnGpu = (args: string[]) =>
  runCommand("bench", ["--backend", "webgpu", "--model", "cifarnet", "--batch", "2", ...args]);

/** Runs `deno task bench` with `args` in a subprocess; its exit code, JSON lines and stderr. */
async function runBench(args: string[]) {
  const { code, stdout, stderr } = await runCommand("bench", args);
  const lines = stdout.split("\n").filter((l) => l.startsWith("{"));
  return { code, rows: lines.map((l) => JSON.parse(l)), stderr };
}

const near = (a: number, b: number, tolerance: number) => Math.abs(a - b) <= tolerance * b;

Deno.test("pruneToFraction() takes cifarnet to half of its MACs and leaves its input unchanged", async () => {
  const dense = expectRight(await init({ model: "cifarnet", classes: 10, seed: 0 }, testEnv())());
  const before = copySnapshot(dense);
  const { compact, macsBefore, macsAfter, ms } = expectRight(pruneToFraction(dense, 0.5));
  assert.equal(macsBefore, dense.meta.metrics.macs);
  assert.equal(compact.meta.metrics.macs, macsAfter);
  assert.ok(macsAfter <= 0.5 * macsBefore && macsAfter > 0.45 * macsBefore, `${macsAfter}`);
  assert.ok(Object.values(ms).every((t) => t >= 0));
  assert.deepEqual(dense, before);
});

Deno.test("epochImages() and trainingBatch() follow the data set and the wasm heap", () => {
  assert.equal(epochImages("resnet50"), 1_281_167);
  assert.equal(epochImages("resnet56"), 50_000);
  assert.equal(trainingBatch("resnet50", "wasm", 64), 4);
  assert.equal(trainingBatch("densenet40", "wasm", 64), 16);
  assert.equal(trainingBatch("densenet40", "wasm", 8), 8);
  assert.equal(trainingBatch("resnet50", "webgpu", 32), 32);
  assert.equal(trainingBatch("cifarnet", "wasm", 64), 64);
});

Deno.test("compactTable() marks rows below the bar", () => {
  const row = (batch: number, speedup: number): CompactRow => ({
    model: "cifarnet",
    multiple: 1,
    folded: false,
    backend: "wasm",
    kernels: "ours",
    batch,
    dense_ms: 2,
    compact_ms: 2 / speedup,
    speedup,
    macs_dense: 200,
    macs_compact: 100,
    macs_ratio: 2,
    speedup_per_macs_ratio: speedup / 2,
    meets_bar: speedup / 2 >= 0.8,
    runs: 5,
    peer_dense_ms: null,
    peer_compact_ms: null,
    peer_speedup: null,
  });
  const lines = compactTable([row(1, 1.2), row(64, 1.8)]).split("\n");
  assert.equal(lines.length, 3);
  assert.match(
    lines[0],
    /^model +backend +kernels +multiple +BN +batch +dense ms +compact ms .*speed-up \/ MACs ratio$/,
  );
  assert.match(
    lines[1],
    /^cifarnet +wasm +ours +1 +kept +1 +2\.00 +1\.67 +1\.20x +2\.00x +0\.60 \(below 0\.8\)$/,
  );
  assert.match(lines[2], /1\.80x +2\.00x +0\.90$/);
  // PyTorch's columns appear when a row has its figures; a row without them shows dashes.
  const peer = { ...row(64, 1.8), peer_dense_ms: 40, peer_compact_ms: 28, peer_speedup: 1.43 };
  const withPeerLines = compactTable([row(1, 1.2), peer]).split("\n");
  assert.match(withPeerLines[0], /MACs ratio +PyTorch dense \/ compact ms +PyTorch speed-up$/);
  assert.match(withPeerLines[1], /\(below 0\.8\) +- +-$/);
  assert.match(withPeerLines[2], /0\.90 +40\.00 \/ 28\.00 +1\.43x$/);
});

Deno.test("withPeer() gives each pair's rows PyTorch's figures for their batch", () => {
  const row = (multiple: number, batch: number) => ({ multiple, batch }) as unknown as CompactRow;
  const timed = [[row(1, 1), row(1, 64)], [row(8, 1), row(8, 64)]];
  const latency = (batch: number, ms: number[]) => ({
    peer: "p",
    threads: 2,
    batch,
    ms,
    runs: 5,
    params: [],
  });
  const rows = withPeer(timed, [latency(1, [4, 2, 3, 1]), latency(64, [40, 20, 30, 10])]);
  assert.deepEqual(
    rows.map((r) => [r.multiple, r.batch, r.peer_dense_ms, r.peer_compact_ms, r.peer_speedup]),
    [[1, 1, 4, 2, 2], [1, 64, 40, 20, 2], [8, 1, 3, 1, 3], [8, 64, 30, 10, 3]],
  );
});

Deno.test("bench --compact reports dense and compact latency at batch 1 and --batch", async () => {
  const args = ["--compact", "--model", "cifarnet", "--backend", "wasm", "--seconds", "0.2"];
  const { code, rows, stderr } = await runBench([...args, "--batch", "4", "--json"]);
  assert.equal(code, 0, stderr);
  // The greedy's plan (any width) and the plan with widths in multiples of 8, each with
  // batch norms kept and folded.
  const variants = rows.map((r: CompactRow) => [r.model, r.backend, r.multiple, r.folded, r.batch]);
  assert.deepEqual(
    variants,
    [1, 8].flatMap((m) =>
      [false, true].flatMap((folded) => [1, 4].map((b) => ["cifarnet", "wasm", m, folded, b]))
    ),
  );
  for (const r of rows as CompactRow[]) {
    assert.ok(r.dense_ms > 0 && r.compact_ms > 0 && r.runs >= 5, JSON.stringify(r));
    assert.ok(near(r.speedup, r.dense_ms / r.compact_ms, 0.01), JSON.stringify(r));
    assert.ok(r.macs_compact <= r.macs_dense / 2, JSON.stringify(r));
    assert.ok(near(r.macs_ratio, r.macs_dense / r.macs_compact, 0.001));
    assert.ok(near(r.speedup_per_macs_ratio, r.speedup / r.macs_ratio, 0.01));
    assert.equal(r.meets_bar, r.speedup_per_macs_ratio >= 0.8);
    assert.equal(r.kernels, "ours");
    // PyTorch timed the same two networks (CI installs python3-torch).
    assert.ok(r.peer_dense_ms! > 0 && r.peer_compact_ms! > 0, JSON.stringify(r));
    assert.ok(near(r.peer_speedup!, r.peer_dense_ms! / r.peer_compact_ms!, 0.01));
  }
});

Deno.test("bench --compact --stock all times tfjs's own kernels, as a browser runs them", async () => {
  const args = ["--compact", "--model", "cifarnet", "--backend", "wasm", "--seconds", "0.1"];
  const flags = ["--batch", "2", "--stock", "all", "--no-peer", "--json"];
  const { code, rows, stderr } = await runBench([...args, ...flags]);
  assert.equal(code, 0, stderr);
  assert.equal(rows.length, 8);
  // "stock" says that selectBackend registered none of our kernels or gradients.
  for (const r of rows as CompactRow[]) {
    assert.equal(r.kernels, "stock", JSON.stringify(r));
    assert.equal(r.peer_speedup, null);
  }
});

Deno.test("bench --overhead reports pruning time as a share of an epoch", async () => {
  const args = ["--overhead", "--model", "cifarnet", "--backend", "wasm", "--seconds", "0.2"];
  const { code, rows, stderr } = await runBench([...args, "--batch", "8", "--json"]);
  assert.equal(code, 0, stderr);
  assert.equal(rows.length, 1);
  const r = rows[0] as OverheadRow;
  assert.deepEqual([r.model, r.backend, r.runs, r.train_batch, r.epoch_images], [
    "cifarnet",
    "wasm",
    3,
    8,
    50_000,
  ]);
  const parts = r.analysis_ms + r.score_ms + r.plan_ms + r.apply_ms;
  assert.ok(r.overhead_ms > 0 && near(r.overhead_ms, parts, 0.5), JSON.stringify(r));
  assert.ok(r.macs_after <= r.macs_before / 2);
  assert.ok(near(r.epoch_s, 50_000 / r.train_img_s, 0.01), JSON.stringify(r));
  const pct = 100 * r.overhead_ms / 1000 / r.epoch_s;
  assert.ok(near(r.overhead_pct_of_epoch, pct, 0.01), JSON.stringify(r));
  assert.equal(r.under_1_pct, r.overhead_pct_of_epoch < 1);
});

Deno.test("bench --memory trains on CIFAR-10 and reports peak memory and live tensors", async () => {
  const args = ["--memory", "--backend", "wasm", "--seconds", "0.1", "--batch", "8", "--json"];
  const { code, rows, stderr } = await runBench(args);
  assert.equal(code, 0, stderr);
  assert.equal(rows.length, 1);
  const r = rows[0] as MemoryRow;
  assert.deepEqual([r.model, r.backend, r.data, r.train_images, r.batch, r.steps], [
    "cifarnet",
    "wasm",
    "cifar10/train",
    50_000,
    8,
    10,
  ]);
  assert.equal(r.live_tensors_end, r.live_tensors_start);
  assert.equal(r.live_bytes_end, r.live_bytes_start);
  assert.equal(r.live_tensors_steps_min, r.live_tensors_steps_max);
  assert.ok(r.peak_rss_bytes !== null && r.peak_rss_bytes > 150e6, "50,000 images are held");
  assert.equal(r.under_3_gib, r.peak_rss_bytes < 3 * 2 ** 30);
});

Deno.test("bench --memory refuses more than one model", async () => {
  const { code, stderr } = await runBench(["--memory", "--model", "cifarnet,resnet20"]);
  assert.equal(code, 2);
  assert.match(stderr, /--memory measures one model on one backend per process/);
});

Deno.test({
  name: "bench --profile on webgpu counts the shaders a step runs: ours fewer than tfjs's",
  ignore: noGpu,
  fn: async () => {
    const dispatches = async (extra: string[]) => {
      const { code, stdout, stderr } = await benchCifarnetOnGpu(["--profile", ...extra]);
      assert.equal(code, 0, stderr);
      assert.match(stdout, /one training step of batch 2: \d+ ms in kernels/);
      const found = stdout.match(/WebGPU dispatches \(shaders run\) a training step: (\d+)/);
      assert.ok(found, stdout);
      return Number(found[1]);
    };
    const ours = await dispatches([]), stock = await dispatches(["--stock", "all"]);
    // CifarNet has 10 variables: our kernels take the optimizer's five or so dispatches per
    // variable to two, the ReLU gradient's two to one and the weights' sum (11) to two, and add
    // one for each of the two filter gradients (the sum of its partial products): 130 -> 89.
    assert.ok(ours > 40 && ours <= stock - 30, `ours ${ours}, tfjs's ${stock}`);
  },
});

/** Runs `fn` with the environment variable `name` set to `value`, then unsets it. */
async function withEnv<T>(name: string, value: string, fn: () => Promise<T>): Promise<T> {
  Deno.env.set(name, value);
  try {
    return await fn();
  } finally {
    Deno.env.delete(name);
  }
}

Deno.test({
  name: "an unknown OICSR_GPU_FILTER_GRAD or OICSR_GPU_CONV stops WebGPU naming it and the choices",
  ignore: noGpu,
  fn: async () => {
    for (
      const [name, expected] of [
        [
          "OICSR_GPU_FILTER_GRAD",
          /OICSR_GPU_FILTER_GRAD is "fastest", expected one of wgsl, conv, patches/,
        ],
        ["OICSR_GPU_CONV", /OICSR_GPU_CONV is "fastest", expected one of auto, wgsl/],
      ] as const
    ) {
      // Plain rates and the dense-against-compact latencies: each says so and exits 1.
      for (const mode of [[], ["--compact"]]) {
        const { code, stderr } = await withEnv(
          name,
          "fastest",
          () => benchCifarnetOnGpu(["--seconds", "0.1", "--no-peer", ...mode]),
        );
        assert.equal(code, 1, `${name} ${mode}`);
        assert.match(stderr, expected);
      }
    }
  },
});

Deno.test({
  name: "a WebGPU kernel choice other than the default is named in the adapter the bench records",
  ignore: noGpu,
  fn: async () => {
    const adapter = async () => {
      const { code, rows, stderr } = await runBench(
        ["--backend", "webgpu", "--model", "cifarnet", "--batch", "2", "--seconds", "0.1"]
          .concat(["--no-peer", "--json"]),
      );
      assert.equal(code, 0, stderr);
      return String(rows[0].adapter);
    };
    const plain = await adapter();
    const chosen = await withEnv("OICSR_GPU_CONV", "wgsl", adapter);
    assert.doesNotMatch(plain, /convolution/);
    assert.equal(chosen, `${plain}, convolution wgsl`);
  },
});
