/**
 * `deno task bench --compact`: is the compact model faster for real? A model of the zoo
 * pruned by the method to half of its MACs, timed against the dense model on the same
 * backend (issue 6's bar: the speed-up is at least 0.8 of the MACs ratio).
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { countCost } from "../graph/count_cost.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { foldBatchNorm } from "../stages/fold_batch_norm.ts";
import { median, predictMs } from "../stages/latency.ts";
import { type PeerLatency, type PeerUnavailable, runLatencyPeer } from "./peer.ts";
import { denseModels, type OverheadFlags, pruneToFraction } from "./bench_overhead.ts";

/** One row of `--compact`: one model, backend and batch. */
export interface CompactRow {
  readonly model: string;
  /** Every group's width a multiple of this in the compact model (1: any width). */
  readonly multiple: number;
  /** Both models with their batch norms folded into the layers before them (as exported). */
  readonly folded: boolean;
  readonly backend: string;
  /**
   * Whose kernels ran: "ours" (the replacements `deno task prune` registers: oneDNN and
   * OpenBLAS on wasm where installed), "stock" (tfjs as published, as a browser runs the
   * exported model: XNNPACK on wasm), or "stock K1,K2" (those kernels left as tfjs has them).
   */
  readonly kernels: string;
  readonly batch: number;
  /** Median milliseconds of one `predict` plus reading the result back (to the microsecond). */
  readonly dense_ms: number;
  readonly compact_ms: number;
  readonly speedup: number;
  readonly macs_dense: number;
  readonly macs_compact: number;
  readonly macs_ratio: number;
  /** speedup / macs_ratio: 1 when time falls as the MACs do. */
  readonly speedup_per_macs_ratio: number;
  /** The bar: speedup_per_macs_ratio >= 0.8. */
  readonly meets_bar: boolean;
  readonly runs: number;
  /**
   * PyTorch on the CPU, the same two networks (layers and widths) at the same batch, in the
   * same run (tools/peers/pytorch_latency.py): its median milliseconds and speed-up; null
   * without the peer (`--no-peer`, or no PyTorch here).
   */
  readonly peer_dense_ms: number | null;
  readonly peer_compact_ms: number | null;
  readonly peer_speedup: number | null;
}

/** The two networks a row timed, as deployed (batch norms folded or kept). */
export interface ComparedTopologies {
  readonly dense: unknown;
  readonly compact: unknown;
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

/**
 * Median latencies of `a` and `b` on `x`: three warm-up runs each, then timed runs taken in
 * turn (so that a change in the machine's load falls on both) for about `seconds` each.
 */
async function pairedMedians(
  a: tf.LayersModel,
  b: tf.LayersModel,
  x: tf.Tensor,
  seconds: number,
): Promise<{ a: number; b: number; runs: number }> {
  for (let i = 0; i < 3; i++) await predictMs(a, x), await predictMs(b, x);
  const ta: number[] = [], tb: number[] = [];
  const start = performance.now();
  while (ta.length < 5 || performance.now() - start < 2 * seconds * 1000) {
    ta.push(await predictMs(a, x));
    tb.push(await predictMs(b, x));
  }
  return { a: median(ta), b: median(tb), runs: ta.length };
}

function orThrow<A>(r: E.Either<{ readonly message: string }, A>): A {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
}

function macsOf(snapshot: Snapshot): number {
  return orThrow(countCost(snapshot)).macs;
}

/**
 * Prunes `dense` to half of its MACs as the method does and times both models on the
 * current backend at each batch size; answers the rows (without the peer's figures, see
 * {@linkcode withPeer}) and the two topologies timed.
 *
 * @example
 * ```ts
 * import { benchCompact } from "./bench_compact.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const dense: Snapshot;
 * const { rows } = await benchCompact("cifarnet", dense, { batches: [1, 64], seconds: 2 });
 * // [{ batch: 1, dense_ms: 1.6, compact_ms: 1.1, speedup: 1.45, macs_ratio: 2.0, ... }, ...]
 * ```
 */
export async function benchCompact(
  model: string,
  dense: Snapshot,
  options: {
    readonly batches: readonly number[];
    readonly seconds: number;
    readonly multiple?: number;
    /** Fold batch norms into the layers before them, in both models (see foldBatchNorm). */
    readonly fold?: boolean;
    /** The rows' `kernels` (default "ours"). */
    readonly kernels?: string;
  },
): Promise<{ rows: CompactRow[]; topologies: ComparedTopologies }> {
  const multiple = options.multiple ?? 1, folded = options.fold ?? false;
  const pruned = pruneToFraction(dense, 0.5, multiple);
  if (E.isLeft(pruned)) throw new Error(pruned.left.message);
  const macsDense = macsOf(dense), macsCompact = macsOf(pruned.right.compact);
  const deployed = (s: Snapshot) => folded ? orThrow(foldBatchNorm(s)) : s;
  const [denseDeployed, compactDeployed] = [deployed(dense), deployed(pruned.right.compact)];
  const denseNet = await modelFromSnapshot(denseDeployed);
  const compactNet = await modelFromSnapshot(compactDeployed);
  const shape = denseNet.inputs[0].shape.slice(1) as number[];
  const rows: CompactRow[] = [];
  try {
    for (const batch of options.batches) {
      const x = tf.randomNormal([batch, ...shape], 0, 1, "float32", 1);
      try {
        const t = await pairedMedians(denseNet, compactNet, x, options.seconds);
        const speedup = t.a / t.b, ratio = macsDense / macsCompact;
        rows.push({
          model,
          multiple,
          folded,
          backend: tf.getBackend(),
          kernels: options.kernels ?? "ours",
          batch,
          dense_ms: round(t.a, 3),
          compact_ms: round(t.b, 3),
          speedup: round(speedup, 3),
          macs_dense: macsDense,
          macs_compact: macsCompact,
          macs_ratio: round(ratio, 3),
          speedup_per_macs_ratio: round(speedup / ratio, 3),
          // Judged on the figure the row reports, so that the two never disagree.
          meets_bar: round(speedup / ratio, 3) >= 0.8,
          runs: t.runs,
          peer_dense_ms: null,
          peer_compact_ms: null,
          peer_speedup: null,
        });
      } finally {
        x.dispose();
      }
    }
  } finally {
    denseNet.dispose();
    compactNet.dispose();
  }
  return {
    rows,
    topologies: { dense: denseDeployed.topology, compact: compactDeployed.topology },
  };
}

/**
 * The rows with the peer's figures: `timed[i]` holds the rows of the i-th dense and compact
 * pair, and each of `latencies` (one per batch) PyTorch's medians of the pairs' networks in
 * order: dense 0, compact 0, dense 1, compact 1, ...
 */
export function withPeer(
  timed: readonly (readonly CompactRow[])[],
  latencies: readonly PeerLatency[],
): CompactRow[] {
  return timed.flatMap((rows, i) =>
    rows.map((row) => {
      const peer = latencies.find((l) => l.batch === row.batch);
      if (peer == null) return row;
      const [a, b] = [peer.ms[2 * i], peer.ms[2 * i + 1]];
      return { ...row, peer_dense_ms: a, peer_compact_ms: b, peer_speedup: round(a / b, 3) };
    })
  );
}

/** The peer's cells of a row: its two latencies and speed-up, or dashes. */
function peerCells(r: CompactRow): string[] {
  if (r.peer_dense_ms === null || r.peer_compact_ms === null || r.peer_speedup === null) {
    return ["-", "-"];
  }
  return [
    `${r.peer_dense_ms.toFixed(2)} / ${r.peer_compact_ms.toFixed(2)}`,
    `${r.peer_speedup.toFixed(2)}x`,
  ];
}

/** The rows as a text table (with PyTorch's columns when any row has them). */
export function compactTable(rows: readonly CompactRow[]): string {
  const peer = rows.some((r) => r.peer_speedup !== null);
  const head = [
    "model",
    "backend",
    "kernels",
    "multiple",
    "BN",
    "batch",
    "dense ms",
    "compact ms",
    "speed-up",
    "MACs ratio",
  ];
  const lines = rows.map((r) => [
    r.model,
    r.backend,
    r.kernels,
    String(r.multiple),
    r.folded ? "folded" : "kept",
    String(r.batch),
    r.dense_ms.toFixed(2),
    r.compact_ms.toFixed(2),
    `${r.speedup.toFixed(2)}x`,
    `${r.macs_ratio.toFixed(2)}x`,
    `${r.speedup_per_macs_ratio.toFixed(2)}${r.meets_bar ? "" : " (below 0.8)"}`,
    ...(peer ? peerCells(r) : []),
  ]);
  const peerHead = peer ? ["PyTorch dense / compact ms", "PyTorch speed-up"] : [];
  const all = [[...head, "speed-up / MACs ratio", ...peerHead], ...lines];
  const widths = all[0].map((_, i) => Math.max(...all.map((l) => l[i].length)));
  return all.map((l) =>
    l.map((c, i) => i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i])).join("  ").trimEnd()
  ).join("\n");
}

/**
 * The compact models timed: the plan as the paper's greedy makes it (any width), and with
 * every width a multiple of 8 (`--channel-multiple 8`: AVX2's vector of floats; oneDNN's
 * AVX-512 kernels compute output channels in blocks of 16, see tools/conv_widths.ts); each as
 * trained (batch norms kept) and as exported (folded into the convolutions).
 */
const COMPACT_VARIANTS = [1, 8].flatMap((multiple) =>
  [false, true].map((fold) => ({ multiple, fold }))
);

/**
 * The flags `--compact` reads: those of `--overhead` but its training rate (`batch` is the
 * larger batch timed; the smaller is 1).
 */
export type CompactFlags = Omit<OverheadFlags, "trainRate"> & {
  /** Leave out PyTorch's latency of the same networks. */
  readonly noPeer?: boolean;
};

/**
 * The rows' `kernels`: "stock" when the backend runs none of ours (`replaced`, what
 * `selectBackend` registered), else "ours", or "stock K1,K2" for `--stock`'s list.
 */
export function kernelsLabel(replaced: readonly string[], keepStock: readonly string[] = []) {
  if (replaced.length === 0) return "stock";
  return keepStock.length === 0 ? "ours" : `stock ${keepStock.join(",")}`;
}

/**
 * `--compact`: every model on every backend; prints one JSON line per row, or a table.
 * A backend that does not start is reported and skipped, and the exit status is 1.
 */
export async function compactMode(flags: CompactFlags): Promise<number> {
  const rows: CompactRow[] = [], failed: string[] = [];
  const batches = [...new Set([1, flags.batch])];
  const peerRuns = new Map<string, E.Either<PeerUnavailable, PeerLatency[]>>();
  for await (const { model, dense, replaced } of denseModels(flags, failed)) {
    const timed: CompactRow[][] = [], topologies: unknown[] = [];
    for (const variant of COMPACT_VARIANTS) {
      const found = await benchCompact(model, dense, {
        batches,
        seconds: flags.seconds,
        kernels: kernelsLabel(replaced, flags.keepStock),
        ...variant,
      });
      timed.push(found.rows);
      topologies.push(found.topologies.dense, found.topologies.compact);
    }
    // PyTorch runs on the CPU whatever our backend: once per model.
    if (!flags.noPeer && !peerRuns.has(model)) {
      const options = { batches, seconds: flags.seconds, threads: flags.threads };
      peerRuns.set(model, await runLatencyPeer(topologies, options));
    }
    const peer = peerRuns.get(model);
    if (peer && E.isLeft(peer)) console.error(`peer: ${peer.left.message}`);
    const found = peer && E.isRight(peer) ? withPeer(timed, peer.right) : timed.flat();
    for (const row of found) if (flags.json) console.log(JSON.stringify(row));
    rows.push(...found);
  }
  if (!flags.json) console.log(compactTable(rows));
  return rows.length === 0 || failed.length > 0 ? 1 : 0;
}
