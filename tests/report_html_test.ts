import assert from "node:assert/strict";
import * as t from "io-ts";
import { reportHtml, RunReport } from "../report/report_html.ts";
import { escapeHtml, niceTicks, pairedBarChart, pointChart } from "../report/svg_charts.ts";

const id = (c: string) => c.repeat(64);

/** A run of 3 iterations, 100 M -> 60 M MACs, 2 M -> 1.5 M params, two groups. */
function sampleRun(): RunReport {
  return {
    title: "cifarnet on cifar10/train",
    createdAt: "2026-11-27T08:41:00.184Z",
    model: "cifarnet",
    data: "cifar10/train",
    backend: "webgpu",
    adapter: "NVIDIA H100",
    options: { ratio: 0.1, iterations: 3, normalise: "mean", epochs: [1, 2] },
    baseline: { top1: 0.912, top5: 0.995, macs: 100e6, params: 2e6, snapshot: id("a") },
    iterations: [
      {
        iteration: 1,
        macs: 85e6,
        params: 1.8e6,
        top1Pruned: 0.71,
        top1Trained: 0.905,
        removedChannels: 20,
        snapshot: id("b"),
      },
      {
        iteration: 2,
        macs: 72e6,
        params: 1.6e6,
        top1Pruned: 0.64,
        top1Trained: 0.9,
        removedChannels: 18,
        snapshot: id("c"),
      },
      {
        iteration: 3,
        macs: 60e6,
        params: 1.5e6,
        top1Pruned: null,
        top1Trained: 0.8985,
        removedChannels: 16,
        snapshot: id("d"),
      },
    ],
    final: {
      top1: 0.8985,
      top5: 0.99,
      macs: 60e6,
      params: 1.5e6,
      snapshot: id("d"),
      latencyMs: { dense: { batch1: 2.5, batch64: 40 }, compact: { batch1: 1.25, batch64: 25 } },
    },
    widths: [
      { group: "conv1", layers: ["conv1", "bn1"], before: 64, after: 40 },
      { group: "conv2", layers: ["conv2"], before: 128, after: 90 },
    ],
    notes: ["1 of 2 convolutions run one channel at a time"],
  };
}

/** How many times `needle` occurs in `text`. */
const occurrences = (text: string, needle: string) => text.split(needle).length - 1;

/** The field path of the deepest decoding error, e.g. "baseline.top1". */
function errorPath(errors: t.Errors): { path: string; expected: string } {
  const deepest = [...errors].sort((a, b) => b.context.length - a.context.length)[0];
  return {
    path: deepest.context.slice(1).map((c) => c.key).join("."),
    expected: deepest.context.at(-1)!.type.name,
  };
}

Deno.test("reportHtml() makes a page with no network reference and no script", () => {
  const page = reportHtml(sampleRun());
  assert.ok(page.startsWith("<!DOCTYPE html>"));
  assert.ok(!/https?:\/\//i.test(page), "no http:// or https:// anywhere");
  assert.ok(!/<script/i.test(page));
  assert.ok(!/<link/i.test(page));
  assert.ok(!/url\(/i.test(page));
  assert.ok(!/@import/i.test(page));
  assert.ok(!/\bsrc=/i.test(page));
  assert.ok(page.includes("default-src 'none'"));
});

Deno.test("reportHtml() states the summary percentages", () => {
  const page = reportHtml(sampleRun());
  assert.ok(page.includes("MACs cut by <b>40.00 %</b> (100.00 M → 60.00 M)"));
  assert.ok(page.includes("params cut by <b>25.00 %</b> (2.00 M → 1.50 M)"));
  assert.ok(page.includes("top-1 <b>91.20 % → 89.85 %</b> (−1.35 points)"));
});

Deno.test("reportHtml() has one table row per iteration, both charts and the latency", () => {
  const page = reportHtml(sampleRun());
  assert.equal(occurrences(page, "<svg"), 2);
  assert.ok(page.includes("<title>Top-1 against MACs</title>"));
  assert.ok(page.includes("<title>Width of each group before and after</title>"));
  assert.ok(page.includes(
    '<tr><td>2</td><td class="num">18</td><td class="num">72.00 M</td><td class="num">28.00 %' +
      '</td><td class="num">1.60 M</td><td class="num">64.00 %</td><td class="num">90.00 %</td>' +
      `<td><code class="snap" title="${id("c")}">cccccccccccc…</code></td></tr>`,
  ));
  assert.ok(page.includes('<td class="num">—</td><td class="num">89.85 %</td>'), "null top-1");
  assert.ok(page.includes(`<code class="snap" title="${id("a")}">${id("a")}</code>`));
  assert.ok(page.includes('<td class="num">2.00×</td><td class="num">1.60×</td>'));
  assert.ok(page.includes("<td><code>normalise</code></td><td><code>mean</code></td>"));
  assert.ok(page.includes("<td><code>epochs</code></td><td><code>[1,2]</code></td>"));
  assert.ok(page.includes("64 → 40") && page.includes("128 → 90"));
  assert.ok(page.includes("<p>1 of 2 convolutions run one channel at a time</p>"));
});

Deno.test("reportHtml() escapes every string from the run", () => {
  const run = sampleRun();
  const evil = "<script>alert(1)</script>";
  const page = reportHtml({
    ...run,
    title: `a & "b"`,
    options: { [evil]: evil },
    widths: [{ group: evil, layers: [`x"><img onerror=1>`], before: 8, after: 4 }],
    notes: [`${evil} & more`],
  });
  assert.ok(!page.includes("<script") && !page.includes("<img"));
  assert.ok(page.includes("&lt;script&gt;alert(1)&lt;/script&gt;"));
  assert.ok(page.includes("<h1>a &amp; &quot;b&quot;</h1>"));
  assert.ok(page.includes("x&quot;&gt;&lt;img onerror=1&gt;"));
  assert.ok(page.includes("<p>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more</p>"));
});

Deno.test("reportHtml() renders no iterations and no latency", () => {
  const run = sampleRun();
  const page = reportHtml({
    ...run,
    iterations: [],
    widths: [],
    options: {},
    final: { ...run.baseline, latencyMs: { dense: null, compact: null } },
  });
  assert.ok(page.includes("No iteration ran."));
  assert.ok(page.includes("No groups to show."));
  assert.ok(page.includes("No options recorded."));
  assert.equal(occurrences(page, "not measured"), 4);
  assert.ok(page.includes("MACs cut by <b>0.00 %</b>"));
  assert.ok(!page.includes("NaN") && !page.includes("Infinity"));
});

Deno.test("reportHtml() closes every svg and table it opens", () => {
  const run = sampleRun();
  for (const page of [reportHtml(run), reportHtml({ ...run, iterations: [], widths: [] })]) {
    for (const tag of ["svg", "table", "tr", "g", "text", "code", "title"]) {
      const opened = page.match(new RegExp(`<${tag}[\\s>]`, "g"))?.length ?? 0;
      assert.equal(opened, occurrences(page, `</${tag}>`), `<${tag}> opened and closed`);
    }
  }
});

Deno.test("RunReport decodes a sample and reports the path of a bad field", () => {
  const run = sampleRun();
  assert.equal(RunReport.decode(JSON.parse(JSON.stringify(run)))._tag, "Right");
  const cases: Array<[unknown, string, string]> = [
    [{ ...run, baseline: { ...run.baseline, top1: 91.2 } }, "baseline.top1", "a number in [0, 1]"],
    [
      { ...run, widths: [run.widths[0], { ...run.widths[1], group: 7 }] },
      "widths.1.group",
      "string",
    ],
    [{ ...run, createdAt: "yesterday" }, "createdAt", "an ISO time"],
    [
      { ...run, iterations: [{ ...run.iterations[0], iteration: 0 }] },
      "iterations.0.iteration",
      "a positive integer",
    ],
  ];
  for (const [input, path, expected] of cases) {
    const r = RunReport.decode(input);
    assert.equal(r._tag, "Left");
    if (r._tag === "Left") assert.deepEqual(errorPath(r.left), { path, expected });
  }
});

Deno.test("niceTicks() covers the values with round steps", () => {
  assert.deepEqual(niceTicks([12, 93]), [0, 20, 40, 60, 80, 100]);
  assert.deepEqual(niceTicks([60, 100], 6), [60, 70, 80, 90, 100]);
  assert.deepEqual(niceTicks([20.1, 32.78], 6), [20, 22.5, 25, 27.5, 30, 32.5, 35]);
  assert.deepEqual(niceTicks([0.5]), [0.44, 0.46, 0.48, 0.5, 0.52, 0.54, 0.56]);
  assert.deepEqual(niceTicks([]), [0, 0.2, 0.4, 0.6, 0.8, 1]);
});

/** Every x/y/x1/y1/x2/y2/cx/cy coordinate of `svg` as [name, value]. */
function coordinates(svg: string): Array<[string, number]> {
  return [...svg.matchAll(/\s(x|y|x1|x2|y1|y2|cx|cy)="(-?[\d.]+)"/g)].map((
    m,
  ) => [m[1], Number(m[2])]);
}

Deno.test("pointChart() and pairedBarChart() stay inside their viewBox", () => {
  const points = [{ x: 32.78, y: 91.2 }, { x: 20.1, y: 10 }, { x: NaN, y: 5 }];
  const charts = [
    pointChart([{ name: "s", color: "#000", marker: "diamond", line: true, points }], {
      title: "t",
      xLabel: "x",
      yLabel: "y",
    }),
    pairedBarChart(
      Array.from(
        { length: 60 },
        (_, i) => ({ label: `g${i}`.padEnd(40, "x"), before: 512, after: i }),
      ),
      { title: "w" },
    ),
  ];
  for (const svg of charts) {
    const [w, h] = svg.match(/viewBox="0 0 (\d+) (\d+)"/)!.slice(1).map(Number);
    for (const [name, v] of coordinates(svg.replace(/<text transform[^>]*>/g, ""))) {
      assert.ok(v >= 0 && v <= (name.startsWith("x") || name === "cx" ? w : h), `${name}=${v}`);
    }
  }
  assert.ok(charts[1].includes(">g59xxxxxxxxxxxxxxxxxxxxxx…</text>"));
  assert.ok(!charts[0].includes("NaN"));
  assert.equal(escapeHtml(`<a href='x'>&`), "&lt;a href=&#39;x&#39;&gt;&amp;");
});
