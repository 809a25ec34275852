/**
 * A one-line progress bar on standard error: bar, images/s, loss and time left.
 * @module
 */
import type { StepReport } from "../stages/train_model.ts";

/** Formats seconds as m:ss or h:mm:ss. */
export function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  const [h, m, r] = [Math.floor(s / 3600), Math.floor(s / 60) % 60, s % 60];
  const mm = h > 0 ? String(m).padStart(2, "0") : String(m);
  return `${h > 0 ? `${h}:` : ""}${mm}:${String(r).padStart(2, "0")}`;
}

/** Renders one progress line for a step (no newline). */
export function progressLine(r: StepReport, width = 24): string {
  const done = Math.round(width * r.step / Math.max(r.totalSteps, 1));
  const bar = "#".repeat(done) + ".".repeat(width - done);
  return `[${bar}] epoch ${r.epoch}/${r.epochs} step ${r.step}/${r.totalSteps} ` +
    `${r.imagesPerSecond.toFixed(0)} img/s loss ${r.loss.toFixed(3)} ` +
    `lr ${r.lr.toPrecision(2)} ETA ${clock(r.etaSeconds)}`;
}

/**
 * A progress reporter on standard error, silent when `quiet`. On a terminal it redraws
 * one line at most every 250 ms; into a file or pipe it writes a line every 10 s.
 */
export function progressBar(quiet: boolean, terminal = Deno.stderr.isTerminal()) {
  const encoder = new TextEncoder();
  const intervalMs = terminal ? 250 : 10_000;
  let last = 0, drawn = false, latest: StepReport | null = null;
  const draw = (r: StepReport) => {
    const text = terminal ? `\r${progressLine(r)}\x1b[K` : `${progressLine(r)}\n`;
    Deno.stderr.writeSync(encoder.encode(text));
    drawn = terminal;
  };
  return {
    update(r: StepReport) {
      latest = r;
      if (quiet) return;
      const now = performance.now();
      if (now - last >= intervalMs || r.step === r.totalSteps) (last = now, draw(r));
    },
    done() {
      if (quiet) return;
      if (latest) draw(latest);
      if (drawn) Deno.stderr.writeSync(encoder.encode("\n"));
      drawn = false;
    },
  };
}
