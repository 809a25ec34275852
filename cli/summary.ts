/**
 * The summary table printed at the end of a run.
 * @module
 */

const mega = (n: unknown) => `${((n as number) / 1e6).toFixed(2)} M`;
const percent = (n: unknown) => `${((n as number) * 100).toFixed(2)} %`;

/** Renders a run's summary as aligned `name  value` rows. */
export function summaryTable(s: Record<string, unknown>, clock: (seconds: number) => string) {
  const rows: [string, string][] = [
    ["model", String(s.model)],
    ["data", `${s.data} (${s.train_images} train, ${s.test_images} test images)`],
    ["backend", `${s.backend} (${s.adapter})`],
    ["MACs", mega(s.macs)],
    ["params", mega(s.params)],
    ["top-1", percent(s.top1)],
    ...(s.top5 === undefined ? [] : [["top-5", percent(s.top5)] as [string, string]]),
    ["loss (last epoch)", (s.loss as number).toFixed(4)],
    [
      "time",
      `${clock(s.total_seconds as number)} in all, training ${clock(s.train_seconds as number)} ` +
      `at ${(s.train_images_per_second as number).toFixed(1)} images/s`,
    ],
    ["snapshot", `${s.snapshot} in ${s.store}`],
    ["model.json", String(s.model_json)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => k.padEnd(width) + v).join("\n");
}
