/**
 * A pruning run as one self-contained HTML page: summary, per-iteration table, charts
 * (inline SVG), latency and options. No script, no external file: a Content-Security-Policy
 * forbids fetching anything even if a value slipped through unescaped.
 *
 * @module
 */
import { RunReport } from "./run_report.ts";
import { escapeHtml as esc, pairedBarChart, pointChart, type Series } from "./svg_charts.ts";

export { RunReport } from "./run_report.ts";

const UNITS = [[1e9, "G"], [1e6, "M"], [1e3, "k"]] as const;
/** 32_780_000 -> "32.78 M"; below 1 000 the integer. */
function count(n: number): string {
  const unit = UNITS.find(([size]) => n >= size);
  return unit === undefined ? String(Math.round(n)) : `${(n / unit[0]).toFixed(2)} ${unit[1]}`;
}
/** 0.9123 -> "91.23 %"; null -> "—". */
const pct = (f: number | null): string => f === null ? "—" : `${(f * 100).toFixed(2)} %`;
/** How much smaller `after` is than `before`: 100, 60 -> "40.00 %". */
const cut = (before: number, after: number): string =>
  before > 0 ? `${((1 - after / before) * 100).toFixed(2)} %` : "n/a";
/** A snapshot id in monospace; `short` shows 12 characters, the full id as tooltip. */
const snap = (id: string, short = false): string =>
  `<code class="snap" title="${esc(id)}">${
    esc(short && id.length > 12 ? id.slice(0, 12) + "…" : id)
  }</code>`;

/** A table; cells are HTML already; `num` marks columns that hold numbers. */
function table(
  head: readonly string[],
  rows: readonly (readonly string[])[],
  num: number[],
): string {
  const td = (tag: string) => (cell: string, i: number) =>
    `<${tag}${num.includes(i) ? ' class="num"' : ""}>${cell}</${tag}>`;
  return `<div class="wide"><table><thead><tr>${head.map((h, i) => td("th")(esc(h), i)).join("")}` +
    `</tr></thead><tbody>${rows.map((r) => `<tr>${r.map(td("td")).join("")}</tr>`).join("\n")}` +
    `</tbody></table></div>`;
}

/** Model, data, backend, adapter and time of the run, in one line. */
function meta(run: RunReport): string {
  const fields = (["model", "data", "backend", "adapter"] as const)
    .map((k) => `${k} <code>${esc(run[k])}</code>`);
  return [...fields, esc(run.createdAt)].join(" · ");
}

/** The one-line summary: MACs cut, params cut, top-1 before -> after. */
function summary(run: RunReport): string {
  const { baseline: b, final: f } = run;
  const delta = (f.top1 - b.top1) * 100;
  return `<p class="summary">MACs cut by <b>${cut(b.macs, f.macs)}</b> (${count(b.macs)} → ` +
    `${count(f.macs)}), params cut by <b>${cut(b.params, f.params)}</b> (${count(b.params)} → ` +
    `${count(f.params)}), top-1 <b>${pct(b.top1)} → ${pct(f.top1)}</b> ` +
    `(${delta >= 0 ? "+" : "−"}${Math.abs(delta).toFixed(2)} points).</p>`;
}

function iterationTable(run: RunReport): string {
  const rows = run.iterations.map((it) => [
    String(it.iteration),
    String(it.removedChannels),
    count(it.macs),
    cut(run.baseline.macs, it.macs),
    count(it.params),
    pct(it.top1Pruned),
    pct(it.top1Trained),
    snap(it.snapshot, true),
  ]);
  const head = ["Iteration", "Channels removed", "MACs", "MACs cut", "Params"];
  return table(
    [...head, "Top-1 after removal", "Top-1 after training", "Snapshot"],
    rows.length > 0 ? rows : [["No iteration ran.", "", "", "", "", "", "", ""]],
    [1, 2, 3, 4, 5, 6],
  );
}

function beforeAfterTable(run: RunReport): string {
  const row = (
    name: string,
    m: RunReport["baseline"],
  ) => [name, pct(m.top1), pct(m.top5), count(m.macs), count(m.params), snap(m.snapshot)];
  return table(
    ["Model", "Top-1", "Top-5", "MACs", "Params", "Snapshot"],
    [row("baseline", run.baseline), row("final", run.final)],
    [1, 2, 3, 4],
  );
}

function latencyTable(run: RunReport): string {
  const { dense, compact } = run.final.latencyMs;
  const ms = (v: number | undefined) => v === undefined ? "not measured" : `${v.toFixed(2)} ms`;
  const speedup = (k: "batch1" | "batch64") =>
    dense && compact && compact[k] > 0 ? `${(dense[k] / compact[k]).toFixed(2)}×` : "—";
  return table(["Model", "Batch 1", "Batch 64"], [
    ["dense", ms(dense?.batch1), ms(dense?.batch64)],
    ["compact", ms(compact?.batch1), ms(compact?.batch64)],
    ["speed-up", speedup("batch1"), speedup("batch64")],
  ], [1, 2]);
}

function optionsTable(run: RunReport): string {
  const rows = Object.entries(run.options).map(([k, v]) => [
    `<code>${esc(k)}</code>`,
    `<code>${esc(typeof v === "string" ? v : JSON.stringify(v))}</code>`,
  ]);
  return table(["Option", "Value"], rows.length > 0 ? rows : [["No options recorded.", ""]], []);
}

const LOOKS = {
  "after training": { color: "#0072b2", marker: "circle", line: true },
  "after removal": { color: "#d55e00", marker: "triangle", line: false },
  baseline: { color: "#000000", marker: "square", line: false },
  final: { color: "#009e73", marker: "diamond", line: false },
} as const;

/** Top-1 against MACs: the trained line from the baseline, the points after removal. */
function accuracyChart(run: RunReport): string {
  const { baseline: b, final: f, iterations } = run;
  const at = (macs: number, top1: number | null, note: string) =>
    top1 === null
      ? []
      : [{ x: macs / 1e6, y: top1 * 100, note: `${note}: ${count(macs)} MACs, ${pct(top1)}` }];
  const points = {
    "after training": [
      ...at(b.macs, b.top1, "baseline"),
      ...iterations.flatMap((i) =>
        at(i.macs, i.top1Trained, `iteration ${i.iteration} after training`)
      ),
    ],
    "after removal": iterations.flatMap((i) =>
      at(i.macs, i.top1Pruned, `iteration ${i.iteration} after removal`)
    ),
    baseline: at(b.macs, b.top1, "baseline"),
    final: at(f.macs, f.top1, "final"),
  };
  const series: Series[] = (Object.keys(LOOKS) as (keyof typeof LOOKS)[]).map((name) => ({
    name,
    ...LOOKS[name],
    points: points[name],
  }));
  return pointChart(series, {
    title: "Top-1 against MACs",
    xLabel: "MACs (millions)",
    yLabel: "top-1 (%)",
  });
}

function widthChart(run: RunReport): string {
  const rows = run.widths.map((w) => ({
    label: w.group,
    before: w.before,
    after: w.after,
    note: `${w.group}: ${w.before} → ${w.after} channels (layers ${w.layers.join(", ")})`,
  }));
  return `<div class="scroll">${
    pairedBarChart(rows, { title: "Width of each group before and after" })
  }</div>`;
}

const CSS = [
  'body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#222}',
  "body{max-width:960px;margin:2em auto;padding:0 1em}h1{font-size:1.5em;margin-bottom:.2em}",
  "h2{font-size:1.15em;margin-top:1.8em}.meta{color:#555}.summary{font-size:1.05em}",
  "table{border-collapse:collapse;margin:.5em 0}th{background:#f4f4f4}",
  "th,td{border-bottom:1px solid #ddd;padding:.25em .7em;text-align:left;vertical-align:top}",
  ".num{text-align:right;font-variant-numeric:tabular-nums}.wide{overflow-x:auto}",
  "code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}",
  ".snap{font-size:.9em;color:#333}.chart{display:block;max-width:720px}",
  ".chart text{font-size:11px}.chart .label{font-size:12px}.chart .small{font-size:10px}",
  ".chart .grid{stroke:#e4e4e4}",
  ".scroll{max-height:520px;overflow-y:auto;max-width:740px;border:1px solid #eee}",
].join("\n");

/**
 * The report of a run as one HTML page with no script and no external reference; every
 * string from the run is escaped.
 *
 * @example
 * ```ts
 * import { reportHtml } from "./report_html.ts";
 * const page = reportHtml({
 *   title: "demo", createdAt: "2026-01-01T00:00:00Z", model: "m", data: "d", backend: "cpu",
 *   adapter: "none", options: {}, iterations: [], widths: [], notes: [],
 *   baseline: { top1: 0.9, top5: null, macs: 100e6, params: 1e6, snapshot: "a" },
 *   final: { top1: 0.89, top5: null, macs: 60e6, params: 8e5, snapshot: "b",
 *     latencyMs: { dense: null, compact: null } },
 * });
 * page.includes("MACs cut by <b>40.00 %</b>"); // true
 * ```
 */
export function reportHtml(run: RunReport): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(run.title)}</title><style>${CSS}</style></head><body>
<h1>${esc(run.title)}</h1>
<p class="meta">${meta(run)}</p>
${summary(run)}
${beforeAfterTable(run)}
<h2>Iterations</h2>
${iterationTable(run)}
<h2>Top-1 against MACs</h2>
${accuracyChart(run)}
<h2>Width of each group before and after</h2>
${widthChart(run)}
<h2>Latency</h2>
${latencyTable(run)}
${run.notes.map((n) => `<p>${esc(n)}</p>`).join("\n")}
<h2>Options</h2>
${optionsTable(run)}
</body></html>
`;
}
