import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { countCost } from "../graph/count_cost.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan } from "../graph/prune_plan.ts";
import { buildModel } from "../models/zoo.ts";
import { snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { channelMacs } from "../stages/channel_macs.ts";
import { greedyPlan } from "../stages/greedy_plan.ts";
import { scoreGroups } from "../stages/score.ts";
import { testEnv } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

const meta = { ...testEnv(), parent: null, stage: "init", options: {}, seed: 1, metrics: {} };

/** input[4] -> hidden Dense(3) -> out Dense(2), with the given weights. */
async function tinyDense(k1: number[], b1: number[], k2: number[]): Promise<Snapshot> {
  const input = tf.input({ shape: [4], name: "x" });
  const hidden = tf.layers.dense({ name: "hidden", units: 3 }).apply(input);
  const out = tf.layers.dense({ name: "out", units: 2, useBias: false })
    .apply(hidden) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.setWeights([tf.tensor(k1, [4, 3]), tf.tensor(b1, [3]), tf.tensor(k2, [3, 2])]);
  const s = await snapshotFromModel(model, meta);
  model.dispose();
  return s;
}

Deno.test("scoreGroups() sums w^2 over both layers of each out-in-channel", async () => {
  const k1 = [1, 0, 2, 0, 1, 0, 3, 0, 0, 1, 1, 1]; // [4, 3] row-major: rows are inputs
  const s = await tinyDense(k1, [1, 0, 2], [1, 1, 0, 2, 3, 0]);
  const groups = expectRight(outInGroups(s));
  // Channel c: column c of k1, bias c, row c of k2.
  const expected = [
    1 + 0 + 9 + 1 + 1 + (1 + 1),
    0 + 1 + 0 + 1 + 0 + (0 + 4),
    4 + 0 + 0 + 1 + 4 + (9 + 0),
  ];
  const none = scoreGroups(s, groups, { normalise: "none", costAware: false });
  assert.deepEqual([...none.get("hidden")!], expected);
  const mean = expected.reduce((a, b) => a + b) / 3;
  const normalised = scoreGroups(s, groups, { normalise: "mean", costAware: false });
  assert.deepEqual([...normalised.get("hidden")!], expected.map((e) => e / mean));
  // One hidden unit costs 4 MACs in and 2 out.
  assert.equal(channelMacs(s, groups).get("hidden"), 6);
  const aware = scoreGroups(s, groups, { normalise: "none", costAware: true });
  assert.deepEqual([...aware.get("hidden")!], expected.map((e) => e / 6));
});

async function resnet20(): Promise<Snapshot> {
  const model = (buildModel("resnet20", { seed: 4, classes: 10 }) as { right: tf.LayersModel })
    .right;
  const s = await snapshotFromModel(model, meta);
  model.dispose();
  return s;
}

Deno.test("greedyPlan() removes the lowest scores until the step, within the cap, and counts MACs exactly", async () => {
  const s = await resnet20();
  const groups = expectRight(outInGroups(s));
  const scores = scoreGroups(s, groups, { normalise: "none", costAware: false });
  const full = expectRight(countCost(s)).macs;
  const options = { referenceMacs: full, referenceWidths: {}, step: 0.3, targetMacs: 0, cap: 0.5 };
  const { plan, macsBefore, macsAfter } = greedyPlan(s, groups, scores, options);
  assert.equal(macsBefore, full);
  assert.ok(macsAfter <= full * 0.7, `${macsAfter} of ${full}`);
  const pruned = expectRight(applyPrunePlan(s, plan));
  assert.equal(expectRight(countCost(pruned)).macs, macsAfter);
  for (const g of groups.groups) {
    const removed = plan[g.id]?.length ?? 0;
    assert.ok(removed <= g.channels / 2, `${g.id}: ${removed} of ${g.channels}`);
  }
  // The globally lowest channel is taken first.
  const lowest =
    groups.groups.flatMap((g) => [...scores.get(g.id)!].map((v, c) => [v, g.id, c] as const))
      .sort((a, b) => a[0] - b[0])[0];
  assert.ok(plan[lowest[1]].includes(lowest[2]));
});

Deno.test("greedyPlan() stops at the target and respects the reference widths' cap", async () => {
  const s = await resnet20();
  const groups = expectRight(outInGroups(s));
  const scores = scoreGroups(s, groups, { normalise: "mean", costAware: true });
  const full = expectRight(countCost(s)).macs;
  const target = full * 0.95;
  const { macsAfter } = greedyPlan(s, groups, scores, {
    referenceMacs: full,
    referenceWidths: {},
    step: 0.5,
    targetMacs: target,
    cap: 0.5,
  });
  // It stops at the first removal that reaches the target: it overshoots by less than the
  // dearest channel.
  const dearest = Math.max(...channelMacs(s, groups).values());
  assert.ok(macsAfter <= target && macsAfter > target - dearest, `${macsAfter}, ${target}`);
  // Widths already at half of the reference: nothing more may go.
  const widths = Object.fromEntries(groups.groups.map((g) => [g.id, g.channels * 2]));
  const capped = greedyPlan(s, groups, scores, {
    referenceMacs: full,
    referenceWidths: widths,
    step: 0.5,
    targetMacs: 0,
    cap: 0.5,
  });
  assert.deepEqual(capped.plan, {});
  assert.equal(capped.macsAfter, full);
});

Deno.test("scoreGroups() counts BN gamma and beta but not the moving statistics", async () => {
  const input = tf.input({ shape: [4], name: "x" });
  const hidden = tf.layers.dense({ name: "hidden", units: 2, useBias: false }).apply(input);
  const bn = tf.layers.batchNormalization({ name: "bn" }).apply(hidden);
  const out = tf.layers.dense({ name: "out", units: 1, useBias: false })
    .apply(bn) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  model.getLayer("hidden").setWeights([tf.tensor([1, 0, 0, 1, 0, 0, 0, 0], [4, 2])]);
  // gamma, beta, moving mean, moving variance
  model.getLayer("bn").setWeights([[2, 3], [1, 0], [5, 5], [7, 7]].map((v) => tf.tensor(v)));
  model.getLayer("out").setWeights([tf.tensor([1, 2], [2, 1])]);
  const s = await snapshotFromModel(model, meta);
  model.dispose();
  const scores = scoreGroups(s, expectRight(outInGroups(s)), {
    normalise: "none",
    costAware: false,
  });
  assert.deepEqual([...scores.get("hidden")!], [1 + 4 + 1 + 1, 1 + 9 + 0 + 4]);
});

Deno.test("greedyPlan() with a multiple leaves every group's width a multiple of it, lowest chunks first", async () => {
  const s = await resnet20();
  const groups = expectRight(outInGroups(s));
  const scores = scoreGroups(s, groups, { normalise: "mean", costAware: false });
  const full = expectRight(countCost(s)).macs;
  const options = { referenceMacs: full, referenceWidths: {}, step: 0.5, targetMacs: full / 2 };
  const plain = greedyPlan(s, groups, scores, { ...options, cap: 0.5 });
  for (const multiple of [4, 8]) {
    const { plan, macsAfter } = greedyPlan(s, groups, scores, { ...options, cap: 0.5, multiple });
    // It stops once the target is met, overshooting by at most one chunk of the dearest group.
    const dearest = Math.max(...channelMacs(s, groups).values());
    assert.ok(macsAfter <= full / 2 && macsAfter > full / 2 - multiple * dearest, `${macsAfter}`);
    assert.equal(expectRight(countCost(expectRight(applyPrunePlan(s, plan)))).macs, macsAfter);
    assert.ok(Object.keys(plan).length > 0);
    for (const g of groups.groups) {
      const removed = plan[g.id] ?? [];
      const left = g.channels - removed.length;
      assert.ok(removed.length === 0 || left % multiple === 0, `${g.id}: ${left} left`);
      assert.ok(removed.length <= g.channels / 2, `${g.id}: cap`);
      // What is removed is the group's lowest-scored channels.
      const score = scores.get(g.id)!;
      const kept = [...Array(g.channels).keys()].filter((c) => !removed.includes(c));
      const highestRemoved = Math.max(...removed.map((c) => score[c]));
      assert.ok(kept.every((c) => score[c] >= highestRemoved), `${g.id}: not the lowest`);
    }
  }
  // A multiple of 1 is the channel-by-channel greedy.
  assert.deepEqual(greedyPlan(s, groups, scores, { ...options, cap: 0.5, multiple: 1 }), plain);
});
