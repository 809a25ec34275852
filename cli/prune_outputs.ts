/**
 * What a pruning run leaves: `summary.json`, `report.html` and the table it prints.
 * @module
 */
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { writeTextAtomic } from "./atomic_file.ts";
import type { Split } from "../datasets/image_set.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { scalarConvolutions } from "../graph/vector_widths.ts";
import { reportHtml, type RunReport } from "../report/report_html.ts";
import type { BackendInfo, JsonObject, Snapshot } from "../snapshot/snapshot.ts";
import type { PipelineState } from "../stages/pipeline.ts";
import type { Latency } from "../stages/latency.ts";
import type { PruneOptions } from "./options.ts";

/** Everything the outputs are made of. */
export interface RunFacts {
  readonly o: PruneOptions;
  readonly out: string;
  readonly backend: BackendInfo;
  readonly data: Split;
  readonly start: Snapshot;
  readonly startScore: { readonly top1: number; readonly top5: number | null };
  readonly state: PipelineState;
  /** The model written to `model/`: the final one, its batch norms folded unless --keep-bn. */
  readonly exported: Snapshot;
  readonly latency: { readonly dense: Latency; readonly compact: Latency } | null;
  readonly seconds: number;
}

/** The summary of a run, as `summary.json` holds it. */
export type RunSummary = ReturnType<typeof summaryOf>;

function summaryOf(f: RunFacts) {
  const end = f.state.snapshot.meta.metrics;
  const begin = f.start.meta.metrics;
  return {
    model: f.o.model,
    data: f.data.train.name,
    backend: f.backend.name,
    adapter: f.backend.adapter,
    start: { snapshot: f.start.meta.id, macs: begin.macs, params: begin.params, ...f.startScore },
    iterations: f.state.records,
    final: {
      snapshot: f.state.snapshot.meta.id,
      macs: end.macs,
      params: end.params,
      top1: end.top1,
      top5: end.top5 ?? null,
    },
    exported: {
      snapshot: f.exported.meta.id,
      folded_batch_norms: f.exported === f.state.snapshot
        ? 0
        : (f.exported.meta.options as { folded: readonly string[] }).folded.length,
    },
    macs_kept: end.macs / begin.macs,
    params_kept: end.params / begin.params,
    top1_change: end.top1 - f.startScore.top1,
    latency_ms: f.latency,
    // Convolutions of the exported model that tfjs's WebGPU backend runs one channel at a
    // time (graph/vector_widths.ts): the compact model may run slower there than the dense.
    webgpu_scalar_convolutions: scalarConvolutions(f.exported),
    seconds: f.seconds,
    store: f.o.store,
    model_json: join(f.out, "model", "model.json"),
    report: join(f.out, "report.html"),
  };
}

function widths(f: RunFacts): RunReport["widths"] {
  const before = f.state.reference?.widths ?? {};
  const after = outInGroups(f.state.snapshot);
  const groups = E.isRight(after) ? after.right.groups : [];
  return groups.map((g) => ({
    group: g.id,
    layers: g.layers,
    before: before[g.id] ?? g.channels,
    after: g.channels,
  }));
}

function reportOf(f: RunFacts, s: RunSummary): RunReport {
  return {
    title: `${s.model} on ${s.data}`,
    createdAt: new Date().toISOString(),
    model: s.model,
    data: s.data,
    backend: s.backend,
    adapter: s.adapter,
    options: JSON.parse(JSON.stringify(f.o)) as JsonObject,
    baseline: s.start,
    iterations: s.iterations.map((r) => ({ ...r, snapshot: r.trained ?? r.pruned })),
    final: {
      ...s.final,
      latencyMs: { dense: f.latency?.dense ?? null, compact: f.latency?.compact ?? null },
    },
    widths: widths(f),
    notes: scalarNote(s),
  };
}

/**
 * Writes `summary.json` and `report.html` into the run folder and returns the summary.
 *
 * @example
 * ```ts
 * import { runOutputs } from "./prune_outputs.ts";
 * declare const facts: RunFacts;
 * const summary = await runOutputs(facts);
 * ```
 */
export async function runOutputs(f: RunFacts): Promise<RunSummary> {
  const summary = summaryOf(f);
  await Deno.mkdir(f.out, { recursive: true });
  const json = JSON.stringify(summary, null, 2) + "\n";
  await writeTextAtomic(join(f.out, "summary.json"), json, "the run's summary");
  await writeTextAtomic(join(f.out, "report.html"), reportHtml(reportOf(f, summary)), "the report");
  return summary;
}

/** A line when widths of the compact model keep convolutions off WebGPU's vec4 path. */
function scalarNote(s: RunSummary): string[] {
  const { convolutions, scalar } = s.webgpu_scalar_convolutions;
  if (scalar.length === 0) return [];
  const shown = scalar.slice(0, 3).map((c) => `${c.layer} ${c.inChannels} -> ${c.outChannels}`);
  return [
    `note: ${scalar.length} of ${convolutions} convolutions have widths that tfjs's WebGPU ` +
    `backend runs one channel at a time (${shown.join(", ")}${scalar.length > 3 ? ", ..." : ""}` +
    `): with tfjs as published (a browser), this model may run slower than the dense one on ` +
    `WebGPU (oicsr's own WebGPU kernels run these widths four at a time); --channel-multiple 4 ` +
    `keeps widths tfjs runs four at a time`,
  ];
}

const mega = (n: number) => `${(n / 1e6).toFixed(2)} M`;
const pct = (n: number | null) => (n === null ? "-" : `${(100 * n).toFixed(2)} %`);

/**
 * The table a run prints: the start, one row per iteration (MACs, params, top-1 right
 * after the removal and after retraining), the fine-tuned end, and the totals.
 *
 * @example
 * ```ts
 * import { pruneTable } from "./prune_outputs.ts";
 * declare const summary: RunSummary;
 * console.log(pruneTable(summary));
 * ```
 */
export function pruneTable(s: RunSummary): string {
  const head = ["step", "removed", "MACs", "params", "top-1 pruned", "top-1 trained"];
  const rows = [
    ["start", "", mega(s.start.macs), mega(s.start.params), "", pct(s.start.top1)],
    ...s.iterations.map((r) => [
      `iteration ${r.iteration}`,
      String(r.removedChannels),
      mega(r.macs),
      mega(r.params),
      pct(r.top1Pruned),
      pct(r.top1Trained),
    ]),
    ["fine-tuned", "", mega(s.final.macs), mega(s.final.params), "", pct(s.final.top1)],
  ];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ");
  const latency = s.latency_ms === null ? "latency not measured" : `latency batch 1: ` +
    `${s.latency_ms.dense.batch1} -> ${s.latency_ms.compact.batch1} ms, batch 64: ` +
    `${s.latency_ms.dense.batch64} -> ${s.latency_ms.compact.batch64} ms`;
  return [
    line(head),
    ...rows.map(line),
    "",
    `MACs kept ${(100 * s.macs_kept).toFixed(1)} %, params kept ${
      (100 * s.params_kept).toFixed(1)
    } %, ` +
    `top-1 ${(100 * s.top1_change >= 0 ? "+" : "")}${
      (100 * s.top1_change).toFixed(2)
    } points; ${latency}`,
    ...scalarNote(s),
    `compact model: ${s.model_json}`,
    `report: ${s.report} (lineage: deno task prune log ${s.final.snapshot.slice(0, 12)})`,
  ].join("\n");
}
