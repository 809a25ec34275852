/**
 * `deno task bench --graph`: how long group analysis and physical removal take, the part
 * of every pruning iteration that is not training.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan } from "../graph/prune_plan.ts";
import { buildModel } from "../models/zoo.ts";
import { runtimeVersions, snapshotFromModel } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { OICSR_VERSION } from "../version.ts";

function orThrow<A>(r: E.Either<{ message: string }, A>): A {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function zooSnapshot(model: string): Promise<Snapshot> {
  const net = orThrow(buildModel(model, { seed: 0, classes: 10 }));
  const snapshot = await snapshotFromModel(net, {
    parent: null,
    stage: "init",
    options: { model },
    seed: 0,
    metrics: {},
    backend: { name: tf.getBackend(), adapter: "", threads: 1 },
    versions: runtimeVersions(OICSR_VERSION),
  });
  net.dispose();
  return snapshot;
}

/**
 * Median milliseconds, over `runs` runs, of `outInGroups` and of `applyPrunePlan` with a
 * plan that removes the first half of every prunable group, on a model of the zoo.
 *
 * @example
 * ```ts
 * import { benchGraph } from "./bench_graph.ts";
 * const row = await benchGraph("resnet56", 9);
 * // { model: "resnet56", groups: 30, analysis_ms: 5, apply_ms: 60, total_ms: 65, ... }
 * ```
 */
export async function benchGraph(model: string, runs: number) {
  const snapshot = await zooSnapshot(model);
  const analysis: number[] = [], apply: number[] = [], total: number[] = [];
  let groups = 0, macs = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const found = orThrow(outInGroups(snapshot));
    const t1 = performance.now();
    const plan = Object.fromEntries(
      found.groups.map((g) => [g.id, [...Array(Math.floor(g.channels / 2)).keys()]]),
    );
    const pruned = orThrow(applyPrunePlan(snapshot, plan));
    const t2 = performance.now();
    analysis.push(t1 - t0), apply.push(t2 - t1), total.push(t2 - t0);
    groups = found.groups.length, macs = pruned.meta.metrics.macs;
  }
  const r = (x: number) => Math.round(x * 10) / 10;
  return {
    model,
    groups,
    runs,
    analysis_ms: r(median(analysis)),
    apply_ms: r(median(apply)),
    total_ms: r(median(total)),
    worst_total_ms: r(Math.max(...total)),
    macs_after: macs,
  };
}
