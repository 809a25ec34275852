import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as E from "fp-ts/Either";
import { type GroupAnalysis, type OutInGroup, outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan, maskPlan } from "../graph/prune_plan.ts";
import { countCost } from "../graph/count_cost.ts";
import { decodeTopology } from "../graph/keras_topology.ts";
import { layerGraph } from "../graph/layer_graph.ts";
import { inferShapes } from "../graph/shapes.ts";
import { resnet } from "../models/resnet.ts";
import { buildModel, MODEL_NAMES } from "../models/zoo.ts";
import { tinyMeta } from "../snapshot/_fixtures.ts";
import { modelFromSnapshot, snapshotFromModel } from "../snapshot/mod.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { architectureArb, buildArchitecture, randomizeWeights } from "./_architectures.ts";
import { expectLeft, expectRight, predictValues } from "./_helpers.ts";
import { checkPlan, halfPlan, randomPlan } from "./_prune_checks.ts";
import { greedyPlan } from "../stages/greedy_plan.ts";
import { scoreGroups } from "../stages/score.ts";

await tf.setBackend("cpu");

Deno.test("buildArchitecture() models predict finite values and survive a snapshot", async () => {
  const start = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(architectureArb(), async (arch) => {
      const model = buildArchitecture(arch);
      const copy = await modelFromSnapshot(await snapshotFromModel(model, tinyMeta()));
      const x = tf.randomNormal([2, ...arch.input], 0, 1, "float32", 3);
      const y = await predictValues(model, x);
      assert.ok(y.every(Number.isFinite));
      assert.deepEqual(await predictValues(copy, x), y);
      x.dispose();
      model.dispose();
      copy.dispose();
    }),
    { numRuns: 30 },
  );
  assert.equal(tf.memory().numTensors, start);
});

const scenario = fc.record({
  arch: architectureArb(),
  planSeed: fc.option(fc.integer(), { freq: 6, nil: null }),
});

Deno.test("applyPrunePlan() slices exactly the planned channels and matches masking", async () => {
  const start = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(scenario, async ({ arch, planSeed }) => {
      const model = buildArchitecture(arch);
      const snapshot = await snapshotFromModel(model, tinyMeta());
      model.dispose();
      const analysis = expectRight(outInGroups(snapshot));
      const plan = randomPlan(analysis, planSeed);
      try {
        const compact = await checkPlan(snapshot, analysis, plan, arch.input);
        if (Object.values(plan).every((c) => c.length === 0)) {
          assert.deepEqual(compact.weights, snapshot.weights, "an empty plan keeps every weight");
          assert.deepEqual(compact.topology, snapshot.topology);
        }
      } catch (e) {
        throw new Error(`plan ${JSON.stringify(plan)}: ${(e as Error).message}`, { cause: e });
      }
      assert.equal(tf.memory().numTensors, start);
    }),
    { numRuns: 100 },
  );
});

Deno.test("applyPrunePlan() and maskPlan() reject a plan that removes a whole group", async () => {
  const start = tf.memory().numTensors;
  await fc.assert(
    fc.asyncProperty(architectureArb(3), fc.nat(), async (arch, pick) => {
      const model = buildArchitecture(arch);
      const snapshot = await snapshotFromModel(model, tinyMeta());
      model.dispose();
      const { groups } = expectRight(outInGroups(snapshot));
      fc.pre(groups.length > 0);
      const g: OutInGroup = groups[pick % groups.length];
      const plan = { [g.id]: [...Array(g.channels).keys()] };
      for (const apply of [applyPrunePlan, maskPlan]) {
        const error = expectLeft(apply(snapshot, plan));
        assert.ok(error.message.includes(`"${g.id}"`), error.message);
      }
    }),
    { numRuns: 30 },
  );
  assert.equal(tf.memory().numTensors, start);
});

/** A zoo model with every weight random (BN statistics too), as a snapshot. */
async function zooSnapshot(name: string): Promise<Snapshot> {
  const model = E.getOrElseW(() => assert.fail(`${name} must build`))(
    buildModel(name, { seed: 3, classes: 10 }),
  );
  randomizeWeights(model, 17);
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  return snapshot;
}

const layersOf = (slices: ReadonlyArray<{ layer: string }>) =>
  [...new Set(slices.map((s) => s.layer))].sort();

function assertUnprunableEnds(analysis: GroupAnalysis) {
  for (const end of ["input", "logits"]) {
    assert.ok(
      analysis.unprunable.some((u) => u.layers.includes(end) && u.reasons.length > 0),
      `the channels of "${end}" are reported unprunable`,
    );
  }
}

Deno.test("cifarnet has one group per hidden layer; halving them all matches masking", async () => {
  const start = tf.memory().numTensors;
  const snapshot = await zooSnapshot("cifarnet");
  const analysis = expectRight(outInGroups(snapshot));
  assert.deepEqual(
    analysis.groups.map((g) => [layersOf(g.producers), g.channels, layersOf(g.consumers)]),
    [
      [["conv1"], 64, ["conv2"]],
      [["conv2"], 64, ["fc3"]],
      [["fc3"], 384, ["fc4"]],
      [["fc4"], 192, ["logits"]],
    ],
  );
  assertUnprunableEnds(analysis);
  const compact = await checkPlan(snapshot, analysis, halfPlan(analysis, 1), [32, 32, 3]);
  const kernel = (s: Snapshot, name: string) => s.weights.find((w) => w.name === name)?.shape;
  assert.deepEqual(kernel(compact, "fc3/kernel"), [8 * 8 * 32, 192]);
  assert.deepEqual(kernel(compact, "logits/kernel"), [96, 10]);
  assert.equal(tf.memory().numTensors, start);
});

Deno.test("resnet20 has 9 block-internal groups and 3 residual-stream groups", async () => {
  const start = tf.memory().numTensors;
  const snapshot = await zooSnapshot("resnet20");
  const analysis = expectRight(outInGroups(snapshot));
  const blocks = [1, 2, 3].flatMap((s) => [1, 2, 3].map((b) => `s${s}b${b}`));
  const expected = new Map<string, [number, string[]]>(
    blocks.map((b) => [[`${b}_1_conv`].join(), [16 << (Number(b[1]) - 1), [`${b}_2_conv`]]]),
  );
  // Stage s's stream: made by its first block's input and every block's output; read by
  // its blocks' first convs except the first block's of stages 2 and 3 (it reads stage
  // s-1), and by what comes after.
  const stream = (s: number, first: string, next: string[]) => {
    const ids = [1, 2, 3].map((b) => `s${s}b${b}`);
    const readers = (s === 1 ? ids : ids.slice(1)).map((b) => `${b}_1_conv`);
    expected.set([first, ...ids.map((b) => `${b}_2_conv`)].sort().join(), [
      16 << (s - 1),
      [...readers, ...next].sort(),
    ]);
  };
  stream(1, "stem_conv", ["s2b1_1_conv", "s2b1_proj_conv"]);
  stream(2, "s2b1_proj_conv", ["s3b1_1_conv", "s3b1_proj_conv"]);
  stream(3, "s3b1_proj_conv", ["logits"]);
  assert.deepEqual(
    new Map(
      analysis.groups.map((
        g,
      ) => [layersOf(g.producers).join(), [g.channels, layersOf(g.consumers)]]),
    ),
    expected,
  );
  assertUnprunableEnds(analysis);
  await checkPlan(snapshot, analysis, halfPlan(analysis, 2), [32, 32, 3]);
  assert.equal(tf.memory().numTensors, start);
});

// Every model of the zoo, present and future: the method's own plan down to half the MACs
// (OICSR scores of the random weights, global greedy selection, caps of half a group)
// matches masking, and so does halving every group.
for (const name of MODEL_NAMES) {
  Deno.test(`${name}: a plan to 50 % of the MACs, and halving every group, match masking`, async () => {
    const start = tf.memory().numTensors;
    const snapshot = await zooSnapshot(name);
    const analysis = expectRight(outInGroups(snapshot));
    assert.ok(analysis.groups.length > 0);
    assertUnprunableEnds(analysis);
    const input = expectRight(decodeTopology(snapshot.topology, "zoo"));
    const graph = layerGraph(input);
    const shape = inferShapes(graph).get(graph.inputs[0]) as number[];
    const before = expectRight(countCost(snapshot)).macs;
    const scores = scoreGroups(snapshot, analysis, { normalise: "mean", costAware: false });
    const { plan, macsAfter } = greedyPlan(snapshot, analysis, scores, {
      referenceMacs: before,
      referenceWidths: Object.fromEntries(analysis.groups.map((g) => [g.id, g.channels])),
      step: 0.5,
      targetMacs: 0.5 * before,
      cap: 0.5,
    });
    const half = await checkPlan(snapshot, analysis, plan, shape);
    assert.equal(half.meta.metrics.macs, macsAfter, "the plan's MACs are the compact model's");
    assert.ok(macsAfter <= 0.5 * before && macsAfter > 0.45 * before, `${macsAfter} of ${before}`);
    const quarter = await checkPlan(snapshot, analysis, halfPlan(analysis, 5), shape);
    assert.ok(quarter.meta.metrics.macs < before / 3, `${quarter.meta.metrics.macs} of ${before}`);
    assert.equal(tf.memory().numTensors, start);
  });
}

Deno.test("resnet20 with option-A shortcuts: removing half of every group matches masking", async () => {
  const model = resnet({ depth: 20, shortcut: "A" });
  randomizeWeights(model, 23);
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  const analysis = expectRight(outInGroups(snapshot));
  assert.equal(analysis.groups.length, 12);
  await checkPlan(snapshot, analysis, halfPlan(analysis, 6), [32, 32, 3]);
});
