/**
 * Checks the property tests of the slicer share: a random plan over a snapshot's groups, and
 * the exact weights, lineage and outputs that applying it must give.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { splitmix32 } from "../datasets/rng.ts";
import type { GroupAnalysis } from "../graph/out_in_groups.ts";
import { applyPrunePlan, maskPlan, type PrunePlan } from "../graph/prune_plan.ts";
import { modelFromSnapshot } from "../snapshot/mod.ts";
import type { Snapshot, WeightEntry } from "../snapshot/snapshot.ts";
import { expectRight, predictValues } from "./_helpers.ts";

/**
 * A random plan for every prunable group: a random proper subset of its channels (ascending,
 * sometimes empty, never all); or the empty plan when `seed` is null.
 */
export function randomPlan(analysis: GroupAnalysis, seed: number | null): PrunePlan {
  if (seed === null) return {};
  const rng = splitmix32(seed);
  const plan: Record<string, number[]> = {};
  for (const g of analysis.groups) {
    const order = [...Array(g.channels).keys()];
    for (let i = order.length - 1; i > 0; i--) {
      const j = rng() % (i + 1);
      [order[i], order[j]] = [order[j], order[i]];
    }
    plan[g.id] = order.slice(0, rng() % g.channels).sort((a, b) => a - b);
  }
  return plan;
}

/** Half the channels (rounded down) of every prunable group, chosen with `seed`. */
export function halfPlan(analysis: GroupAnalysis, seed: number): PrunePlan {
  const rng = splitmix32(seed);
  return Object.fromEntries(analysis.groups.map((g) => {
    const order = [...Array(g.channels).keys()].map((c) => [rng(), c]).sort(([a], [b]) => a - b);
    return [g.id, order.slice(0, g.channels >> 1).map(([, c]) => c).sort((a, b) => a - b)];
  }));
}

/** The plan as the prune stage records it: no empty entries, groups sorted by id. */
export function canonical(plan: PrunePlan): PrunePlan {
  return Object.fromEntries(
    Object.entries(plan).filter(([, c]) => c.length > 0).sort(([a], [b]) => a < b ? -1 : 1),
  );
}

type Role = "producers" | "passThrough" | "consumers";
/** weight name -> axis -> removed indices, from the slices of the planned groups. */
type Cuts = Map<string, Map<number, Set<number>>>;

/** The indices a plan removes from each weight, checking no index belongs to two groups. */
function cutsOf(analysis: GroupAnalysis, plan: PrunePlan, roles: ReadonlyArray<Role>): Cuts {
  const cuts: Cuts = new Map();
  const owner = new Map<string, string>();
  for (const g of analysis.groups) {
    const gone = new Set(plan[g.id] ?? []);
    for (const s of roles.flatMap((r) => g[r])) {
      s.channelOf.forEach((c, i) => {
        if (c < 0) return;
        const key = `${s.weight}:${s.axis}:${i}`;
        assert.ok(!owner.has(key), `${key} is in groups ${owner.get(key)} and ${g.id}`);
        owner.set(key, g.id);
        if (!gone.has(c)) return;
        const axes = cuts.get(s.weight) ?? cuts.set(s.weight, new Map()).get(s.weight)!;
        (axes.get(s.axis) ?? axes.set(s.axis, new Set()).get(s.axis)!).add(i);
      });
    }
  }
  return cuts;
}

/** Calls `f(outer, index, inner)` for every element of `shape`, split at `axis`. */
function along(shape: ReadonlyArray<number>, axis: number) {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, n: shape[axis], inner };
}

/** The weight with the cut indices of each axis taken out. */
function sliced(w: WeightEntry, axes: Map<number, Set<number>> | undefined) {
  let data = Float32Array.from(w.data);
  const shape = [...w.shape];
  for (const [axis, gone] of axes ?? []) {
    const { outer, n, inner } = along(shape, axis);
    const keep = [...Array(n).keys()].filter((i) => !gone.has(i));
    const next = new Float32Array(outer * keep.length * inner);
    for (let o = 0; o < outer; o++) {
      keep.forEach((i, k) => {
        const from = (o * n + i) * inner;
        next.set(data.subarray(from, from + inner), (o * keep.length + k) * inner);
      });
    }
    data = next;
    shape[axis] = keep.length;
  }
  return { name: w.name, shape, data };
}

/** The weight with the cut indices of each axis set to zero. */
function zeroed(w: WeightEntry, axes: Map<number, Set<number>> | undefined) {
  const data = Float32Array.from(w.data);
  for (const [axis, gone] of axes ?? []) {
    const { outer, n, inner } = along(w.shape, axis);
    for (let o = 0; o < outer; o++) {
      for (const i of gone) data.fill(0, (o * n + i) * inner, (o * n + i + 1) * inner);
    }
  }
  return { name: w.name, shape: [...w.shape], data };
}

function weightsOf(s: Snapshot) {
  return s.weights.map((w) => ({
    name: w.name,
    shape: [...w.shape],
    data: Float32Array.from(w.data),
  }));
}

/** Every element of `actual` within 1e-4 of `expected`, relative to the largest output. */
function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...expected.map(Math.abs));
  actual.forEach((a, i) => {
    assert.ok(
      Math.abs(a - expected[i]) <= 1e-4 * scale,
      `${what}: output ${i} is ${a}, expected ${expected[i]}`,
    );
  });
}

/** Outputs of the snapshots' models on the same random batch. */
async function outputs(snapshots: ReadonlyArray<Snapshot>, shape: number[], seed: number) {
  const x = tf.randomNormal(shape, 0, 1, "float32", seed);
  const values: Float32Array[] = [];
  for (const s of snapshots) {
    const model = await modelFromSnapshot(s);
    values.push(await predictValues(model, x));
    model.dispose();
  }
  x.dispose();
  return values;
}

/**
 * Applies `plan` both ways and checks: the compact weights are the input's with exactly the
 * planned slices removed, the masked ones have exactly the planned consumer slices zeroed,
 * the compact model loads and predicts what the masked one does, the input is unchanged.
 */
export async function checkPlan(
  snapshot: Snapshot,
  analysis: GroupAnalysis,
  plan: PrunePlan,
  inputShape: ReadonlyArray<number>,
) {
  const before = structuredClone(snapshot);
  const compact = expectRight(applyPrunePlan(snapshot, plan));
  assert.equal(expectRight(applyPrunePlan(snapshot, plan)).meta.id, compact.meta.id, "replayable");
  const masked = expectRight(maskPlan(snapshot, plan));
  const all = cutsOf(analysis, plan, ["producers", "passThrough", "consumers"]);
  const inputs = cutsOf(analysis, plan, ["consumers"]);
  assert.deepEqual(weightsOf(compact), snapshot.weights.map((w) => sliced(w, all.get(w.name))));
  assert.deepEqual(weightsOf(masked), snapshot.weights.map((w) => zeroed(w, inputs.get(w.name))));
  if (Object.keys(canonical(plan)).length > 0) {
    assert.equal(compact.meta.parent, snapshot.meta.id);
    assert.equal(compact.meta.stage, "prune");
    assert.deepEqual(compact.meta.options, { plan: canonical(plan) });
  }
  const [small, full] = await outputs([compact, masked], [2, ...inputShape], 5);
  assertClose(small, full, "compact vs masked");
  assert.deepEqual(snapshot, before, "the input snapshot is unchanged");
  return compact;
}
