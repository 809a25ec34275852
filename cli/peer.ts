/**
 * Runs the PyTorch CPU references, so that a benchmark can report ours as a ratio to them,
 * measured in the same run: training and inference throughput
 * (`../shared/peers/pytorch_cpu_bench.py`), and the latency of given networks, e.g. a dense
 * model and its compact version (`tools/peers/pytorch_latency.py`).
 * @module
 */
import * as E from "fp-ts/Either";
import { fileURLToPath } from "node:url";

/** What the reference printed. */
export interface PeerResult {
  readonly peer: string;
  readonly model: string;
  readonly threads: number;
  readonly batch: number;
  readonly train_img_s: number;
  readonly infer_img_s: number;
}

/** The reference could not run here. */
export interface PeerUnavailable {
  readonly _tag: "PeerUnavailable";
  readonly message: string;
}

/** The peer script beside the repository (shared/ is a sibling of the checkout). */
export const DEFAULT_PEER_SCRIPT = fileURLToPath(
  new URL("../../shared/peers/pytorch_cpu_bench.py", import.meta.url),
);

/** Debian's interpreter, which `apt-get install python3-torch` serves, before any other. */
const PYTHON = (() => {
  try {
    return Deno.statSync("/usr/bin/python3").isFile ? "/usr/bin/python3" : "python3";
  } catch {
    return "python3";
  }
})();

/**
 * The models the reference script defines as ours are (it would build a CIFAR ResNet for
 * "resnet50", and knows neither AlexNet, DenseNet nor the SE network).
 */
export const PEER_MODELS: readonly string[] = [
  "cifarnet",
  "resnet20",
  "resnet32",
  "resnet56",
  "resnet110",
];

/**
 * Runs the reference script once and parses its JSON line; a model outside
 * {@link PEER_MODELS} is `PeerUnavailable`.
 *
 * @example
 * ```ts
 * const r = await runPeer({ model: "resnet20", batch: 64, seconds: 10 });
 * ```
 */
export async function runPeer(options: {
  readonly model: string;
  readonly batch: number;
  readonly seconds: number;
  readonly threads?: number;
  readonly script?: string;
}): Promise<E.Either<PeerUnavailable, PeerResult>> {
  if (!PEER_MODELS.includes(options.model)) {
    const message = `the reference script has no ${options.model} (it has ${
      PEER_MODELS.join(", ")
    })`;
    return E.left({ _tag: "PeerUnavailable", message });
  }
  const script = options.script ?? DEFAULT_PEER_SCRIPT;
  const args = ["--model", options.model, "--batch", String(options.batch)];
  args.push("--seconds", String(options.seconds), "--threads", String(options.threads ?? 2));
  const lines = await runPython(script, args);
  if (E.isLeft(lines)) return lines;
  const text = lines.right.pop() ?? "";
  try {
    return E.right(JSON.parse(text) as PeerResult);
  } catch {
    return E.left({ _tag: "PeerUnavailable", message: `${script} printed no JSON: ${text}` });
  }
}

/** Runs `script` with `args` under Debian's Python; its output lines, or why it failed. */
async function runPython(
  script: string,
  args: readonly string[],
): Promise<E.Either<PeerUnavailable, string[]>> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(PYTHON, {
      args: [script, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (e) {
    return E.left({ _tag: "PeerUnavailable", message: `${PYTHON} did not start: ${e}` });
  }
  if (!output.success) {
    const err = new TextDecoder().decode(output.stderr).trim().split("\n").pop();
    const hint = /No module named 'torch'|can't open file/.test(err ?? "")
      ? " (install: apt-get install -y python3-torch libopenblas0-pthread)"
      : "";
    return E.left({ _tag: "PeerUnavailable", message: `${script}: ${err}${hint}` });
  }
  return E.right(new TextDecoder().decode(output.stdout).trim().split("\n"));
}

/** The inference peer of `bench --compact`, written here (tools/peers/). */
export const LATENCY_PEER_SCRIPT = fileURLToPath(
  new URL("../tools/peers/pytorch_latency.py", import.meta.url),
);

/** PyTorch's median latency of each topology given, at one batch size. */
export interface PeerLatency {
  readonly peer: string;
  readonly threads: number;
  readonly batch: number;
  /** Median milliseconds of one forward pass, one per topology, in the order given. */
  readonly ms: readonly number[];
  readonly runs: number;
  /** Each network's weights as tfjs's `countParams()` counts them (the widths match). */
  readonly params: readonly number[];
}

/**
 * Times the networks of `topologies` (tfjs LayersModel topologies, e.g. a snapshot's) in
 * PyTorch on the CPU, built with the same layers and widths, in turn: one result per batch.
 *
 * @example
 * ```ts
 * import { runLatencyPeer } from "./peer.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const dense: Snapshot, compact: Snapshot;
 * const r = await runLatencyPeer([dense.topology, compact.topology], { batches: [1, 64], seconds: 2 });
 * // Right([{ batch: 1, ms: [11.3, 9.8], ... }, { batch: 64, ms: [87.8, 72.4], ... }])
 * ```
 */
export async function runLatencyPeer(
  topologies: readonly unknown[],
  options: {
    readonly batches: readonly number[];
    readonly seconds: number;
    readonly threads?: number;
    readonly script?: string;
  },
): Promise<E.Either<PeerUnavailable, PeerLatency[]>> {
  const dir = await Deno.makeTempDir({ prefix: "oicsr-peer-" });
  try {
    const files = await Promise.all(topologies.map(async (topology, i) => {
      const file = `${dir}/model_${i}.json`;
      await Deno.writeTextFile(file, JSON.stringify(topology));
      return file;
    }));
    const args = ["--batches", options.batches.join(","), "--seconds", String(options.seconds)];
    args.push("--threads", String(options.threads ?? 2), ...files);
    const script = options.script ?? LATENCY_PEER_SCRIPT;
    const lines = await runPython(script, args);
    if (E.isLeft(lines)) return lines;
    try {
      const rows = lines.right.map((l) => JSON.parse(l) as PeerLatency);
      const ok = rows.length === options.batches.length &&
        rows.every((r) => r.ms.length === topologies.length);
      if (ok) return E.right(rows);
    } catch {
      // Reported below with what it printed.
    }
    const message = `${script} printed no latency per batch: ${lines.right.join(" | ")}`;
    return E.left({ _tag: "PeerUnavailable", message });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
