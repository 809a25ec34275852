import assert from "node:assert/strict";
import { selectBackend } from "../backend/select_backend.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { evaluate } from "../stages/evaluate.ts";
import {
  advance,
  type PipelineOptions,
  type PipelineState,
  startPipeline,
} from "../stages/pipeline.ts";
import { withCostMetrics } from "../stages/metrics.ts";
import { quickTraining, snapshotOf, testEnv, tintedImages, twoConvNet } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";

const selected = expectRight(await selectBackend("wasm"));
const data = tintedImages(128);

/** The two-conv net (8 and 8 filters) as an "init" snapshot with its cost. */
async function twoConvs(): Promise<Snapshot> {
  return expectRight(withCostMetrics(await snapshotOf(twoConvNet([8, 8]))));
}

const { epochs: _e, stepsPerEpoch: _s, ...template } = quickTraining();
const options: PipelineOptions = {
  regularizer: { kind: "oicsr-gl", lambda: 1e-3 },
  prune: { score: { normalise: "none", costAware: false }, step: 0.15, target: 0.6, cap: 0.5 },
  train: template,
  regularizedEpochs: 0.5,
  iterationEpochs: 0.5,
  fineTuneEpochs: 1,
  fineTuneLr: 0.01,
  maxIterations: 10,
};
const env = {
  ...testEnv(),
  backend: { name: selected.name, adapter: "test", threads: 1 },
  evaluate: (s: Snapshot) => evaluate(s, data, template.normalisation),
};

async function run(start: Snapshot): Promise<PipelineState[]> {
  const states = [startPipeline(start, options)];
  while (states[states.length - 1].phase !== "done") {
    states.push(expectRight(await advance(states[states.length - 1], data, options, env)()));
    assert.ok(states.length < 40, "the run ends");
  }
  return states;
}

Deno.test("the pipeline regularizes, prunes and retrains to the target, then fine-tunes", async () => {
  const start = await twoConvs();
  const states = await run(start);
  const phases = states.map((s) => s.phase).join(" ");
  assert.match(phases, /^regularize prune (train prune )*finetune done$/);
  // One new snapshot per step, each the child of the one before.
  for (let i = 1; i < states.length; i++) {
    assert.equal(states[i].snapshot.meta.parent, states[i - 1].snapshot.meta.id);
    assert.ok(Number.isFinite(states[i].snapshot.meta.metrics.top1));
  }
  const last = states[states.length - 1];
  const reference = last.reference!;
  assert.equal(reference.macs, states[1].snapshot.meta.metrics.macs);
  assert.ok(last.snapshot.meta.metrics.macs <= 0.6 * reference.macs);
  // It stopped at the first removal that reached the target.
  const lastPruned = states.findIndex((s) => s.snapshot.meta.id === last.records.at(-1)!.pruned);
  assert.ok(states[lastPruned - 1].snapshot.meta.metrics.macs > 0.6 * reference.macs);
  for (const r of last.records) {
    const snap = states.find((s) => s.snapshot.meta.id === r.pruned)!.snapshot;
    assert.equal(snap.meta.stage, "prune");
    assert.ok(r.removedChannels > 0);
  }
  assert.equal(last.records.at(-1)!.top1Trained, null, "no retraining after the last removal");
  assert.equal(last.snapshot.meta.stage, "fine-tune");
  assert.deepEqual((last.snapshot.meta.options as { regularizer: unknown }).regularizer, {
    kind: "none",
    lambda: 0,
  });
  // Caps hold: no group lost more than half its reference width.
  const widths = new Map(last.snapshot.weights.map((w) => [w.name, w.shape]));
  assert.ok(widths.get("conv1/kernel")![3] >= 4 && widths.get("conv2/kernel")![3] >= 4);
});

Deno.test("the pipeline is deterministic: the same start and options give the same snapshots", async () => {
  const start = await twoConvs();
  const a = await run(start);
  const b = await run(start);
  assert.deepEqual(a.map((s) => s.snapshot.meta.id), b.map((s) => s.snapshot.meta.id));
});
