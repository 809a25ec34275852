/**
 * Inline SVG charts for the HTML run report: points and lines on nice axes, and a paired
 * bar chart (before/after per row). Every string that goes in is escaped; the SVG has no
 * `xmlns` or other external reference (the HTML parser puts `<svg>` in its namespace).
 *
 * @module
 */

/** A point of a {@linkcode Series}; `note` becomes its tooltip. */
export interface Point {
  readonly x: number;
  readonly y: number;
  readonly note?: string;
}

/** One named set of points, drawn with one marker and colour, joined by a line if asked. */
export interface Series {
  readonly name: string;
  readonly color: string;
  readonly marker: "circle" | "square" | "diamond" | "triangle";
  readonly line: boolean;
  readonly points: readonly Point[];
}

/** What the axes of {@linkcode pointChart} say. */
export interface AxesOptions {
  /** Read by screen readers (the SVG's `<title>`). */
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
}

/** A row of {@linkcode pairedBarChart}: one label, a value before and a value after. */
export interface BarPair {
  readonly label: string;
  readonly before: number;
  readonly after: number;
  /** Tooltip of the row; the full label when left out. */
  readonly note?: string;
}

const ESCAPES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML and SVG: element content and quoted attribute values.
 *
 * @example
 * ```ts
 * import { escapeHtml } from "./svg_charts.ts";
 * escapeHtml('<b a="1">'); // "&lt;b a=&quot;1&quot;&gt;"
 * ```
 */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/**
 * About `count` evenly spaced round ticks (steps of 1, 2, 2.5 or 5 times a power of ten)
 * that cover every value; a single value is padded by 10 % (by 1 when it is 0).
 *
 * @example
 * ```ts
 * import { niceTicks } from "./svg_charts.ts";
 * niceTicks([12, 93]); // [0, 20, 40, 60, 80, 100]
 * ```
 */
export function niceTicks(values: readonly number[], count = 5): number[] {
  const finite = values.filter(Number.isFinite);
  let lo = finite.length > 0 ? Math.min(...finite) : 0;
  let hi = finite.length > 0 ? Math.max(...finite) : 1;
  if (hi <= lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    [lo, hi] = [lo - pad, hi + pad];
  }
  const raw = (hi - lo) / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw * (1 - 1e-9))!;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  return Array.from(
    { length: last - first + 1 },
    (_, i) => Number(((first + i) * step).toPrecision(12)),
  );
}

/** Digits after the point that every tick needs (2.5 needs 1). */
function decimalsOf(ticks: readonly number[]): number {
  const step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
  for (let d = 0; d < 6; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 6;
}

/** Maps `[ticks[0], ticks.at(-1)]` onto `[from, to]`. */
function scale(ticks: readonly number[], [from, to]: readonly [number, number]) {
  const [lo, hi] = [ticks[0], ticks[ticks.length - 1]];
  return (v: number): number => from + ((v - lo) / (hi - lo)) * (to - from);
}

/** A coordinate with one decimal, so the SVG stays short. */
const n1 = (v: number): string => String(Math.round(v * 10) / 10);

/** The marker of `series` centred on (x, y). */
function marker(series: Pick<Series, "marker" | "color">, { x, y }: Point): string {
  const [kind, s] = [series.marker, 4.5];
  const fill = `fill="${series.color}" stroke="#fff" stroke-width="1"`;
  if (kind === "circle") return `<circle cx="${n1(x)}" cy="${n1(y)}" r="${s}" ${fill}/>`;
  if (kind === "square") {
    return `<rect x="${n1(x - s)}" y="${n1(y - s)}" width="${2 * s}" height="${2 * s}" ${fill}/>`;
  }
  const d = kind === "diamond"
    ? `M${n1(x)} ${n1(y - s * 1.4)}L${n1(x + s * 1.4)} ${n1(y)}L${n1(x)} ${n1(y + s * 1.4)}` +
      `L${n1(x - s * 1.4)} ${n1(y)}Z`
    : `M${n1(x)} ${n1(y - s * 1.3)}L${n1(x + s * 1.2)} ${n1(y + s)}L${n1(x - s * 1.2)} ${
      n1(y + s)
    }Z`;
  return `<path d="${d}" ${fill}/>`;
}

/**
 * Points (and lines) on axes with round ticks, grid lines and a legend above the plot, in
 * a 640 x 360 viewBox; points that are not finite are skipped.
 *
 * @example
 * ```ts
 * import { pointChart } from "./svg_charts.ts";
 * const svg = pointChart(
 *   [{ name: "top-1", color: "#0072b2", marker: "circle", line: true, points: [{ x: 1, y: 2 }] }],
 *   { title: "demo", xLabel: "x", yLabel: "y" },
 * );
 * svg.startsWith("<svg"); // true
 * ```
 */
export function pointChart(series: readonly Series[], options: AxesOptions): string {
  const [W, H, L, R, T, B] = [640, 360, 60, 16, 40, 48];
  const shown = series.map((s) => ({
    ...s,
    points: s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)),
  }));
  const all = shown.flatMap((s) => s.points);
  const xt = niceTicks(all.map((p) => p.x), 6);
  const yt = niceTicks(all.map((p) => p.y), 5);
  const [x, y] = [scale(xt, [L, W - R]), scale(yt, [H - B, T])];
  const [xd, yd] = [decimalsOf(xt), decimalsOf(yt)];
  const grid = [
    ...xt.map((v) =>
      `<line x1="${n1(x(v))}" y1="${T}" x2="${n1(x(v))}" y2="${H - B + 4}" class="grid"/>` +
      `<text x="${n1(x(v))}" y="${H - B + 17}" text-anchor="middle">${v.toFixed(xd)}</text>`
    ),
    ...yt.map((v) =>
      `<line x1="${L - 4}" y1="${n1(y(v))}" x2="${W - R}" y2="${n1(y(v))}" class="grid"/>` +
      `<text x="${L - 7}" y="${n1(y(v) + 4)}" text-anchor="end">${v.toFixed(yd)}</text>`
    ),
  ];
  const axes = `<path d="M${L} ${T}V${H - B}H${W - R}" fill="none" stroke="#444"/>` +
    `<text x="${n1((L + W - R) / 2)}" y="${H - 8}" text-anchor="middle" class="label">` +
    `${escapeHtml(options.xLabel)}</text><text transform="rotate(-90)" x="${
      n1(-(T + H - B) / 2)
    }" y="16" text-anchor="middle" class="label">${escapeHtml(options.yLabel)}</text>`;
  // Every line first, then the markers in series order: a later series' marker stays on top.
  const lines = shown.filter((s) => s.line && s.points.length > 1).map((s) =>
    `<polyline points="${s.points.map((p) => `${n1(x(p.x))},${n1(y(p.y))}`).join(" ")}" ` +
    `fill="none" stroke="${s.color}" stroke-width="1.5"/>`
  );
  const dots = shown.flatMap((s) =>
    s.points.map((p) =>
      `<g><title>${escapeHtml(p.note ?? `${s.name}: ${p.x}, ${p.y}`)}</title>` +
      `${marker(s, { x: x(p.x), y: y(p.y) })}</g>`
    )
  );
  return svgRoot({ w: W, h: H, title: options.title }, [
    ...grid,
    axes,
    legend(series, L),
    ...lines,
    ...dots,
  ]);
}

/** One row of legend entries starting at x = `left`, y = 18; widths follow the names. */
function legend(series: readonly Series[], left: number): string {
  let at = left;
  return series.map((s) => {
    const entry = (s.line
      ? `<line x1="${at - 6}" y1="14" x2="${at + 6}" y2="14" ` +
        `stroke="${s.color}" stroke-width="1.5"/>`
      : "") +
      marker(s, { x: at, y: 14 }) +
      `<text x="${at + 11}" y="18">${escapeHtml(s.name)}</text>`;
    at += 30 + 6.5 * s.name.length;
    return entry;
  }).join("");
}

/** The `<svg>` element around `parts`, sized by its viewBox. */
function svgRoot(
  { w, h, title }: { w: number; h: number; title: string },
  parts: readonly string[],
): string {
  return `<svg viewBox="0 0 ${w} ${h}" width="100%" role="img" class="chart">` +
    `<title>${escapeHtml(title)}</title>${parts.join("")}</svg>`;
}

/**
 * Two horizontal bars per row (before above after), the label left of them, `before → after`
 * right of them, a value axis on top; 20 units a row, so 60 rows make a 1 250-unit-tall
 * chart meant to sit in a scrolling box. Labels over 26 characters are cut with "…".
 *
 * @example
 * ```ts
 * import { pairedBarChart } from "./svg_charts.ts";
 * const svg = pairedBarChart([{ label: "conv1", before: 64, after: 40 }], { title: "widths" });
 * svg.includes("64 → 40"); // true
 * ```
 */
export function pairedBarChart(
  rows: readonly BarPair[],
  options: { readonly title: string; readonly before?: string; readonly after?: string },
): string {
  const [W, X0, X1, T, ROW] = [640, 184, 552, 44, 20];
  if (rows.length === 0) {
    const empty = '<text x="8" y="24">No groups to show.</text>';
    return svgRoot({ w: W, h: 40, title: options.title }, [empty]);
  }
  const H = T + rows.length * ROW + 8;
  const ticks = niceTicks([0, ...rows.flatMap((r) => [r.before, r.after]), 1], 6);
  const x = scale(ticks, [X0, X1]);
  const axis = ticks.map((v) =>
    `<line x1="${n1(x(v))}" y1="${T - 4}" x2="${n1(x(v))}" y2="${H - 8}" class="grid"/>` +
    `<text x="${n1(x(v))}" y="${T - 8}" text-anchor="middle">${v}</text>`
  );
  const key = [[options.before ?? "before", "#9db4cc"], [options.after ?? "after", "#0072b2"]]
    .map(([name, color], i) =>
      `<rect x="${X0 + i * 110}" y="6" width="12" height="10" fill="${color}"/>` +
      `<text x="${X0 + i * 110 + 16}" y="15">${escapeHtml(name)}</text>`
    );
  const bars = rows.map((r, i) => {
    const top = T + i * ROW;
    const chars = Array.from(r.label);
    const label = chars.length > 26 ? chars.slice(0, 25).join("") + "…" : r.label;
    const bar = (v: number, dy: number, color: string) =>
      `<rect x="${X0}" y="${top + dy}" width="${n1(Math.max(0, x(v) - X0))}" height="7" ` +
      `fill="${color}"/>`;
    return `<g><title>${escapeHtml(r.note ?? r.label)}</title>` +
      `<text x="${X0 - 6}" y="${top + 13}" text-anchor="end" class="mono">${
        escapeHtml(label)
      }</text>${bar(r.before, 3, "#9db4cc")}${bar(r.after, 10, "#0072b2")}` +
      `<text x="${n1(x(Math.max(r.before, r.after)) + 4)}" y="${top + 13}" class="small">` +
      `${r.before} → ${r.after}</text></g>`;
  });
  return svgRoot({ w: W, h: H, title: options.title }, [...axis, ...key, ...bars]);
}
