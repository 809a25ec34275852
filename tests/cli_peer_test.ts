import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { pruneToFraction } from "../cli/bench_overhead.ts";
import { countCost } from "../graph/count_cost.ts";
import { PEER_MODELS, runLatencyPeer, runPeer } from "../cli/peer.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { init } from "../stages/init.ts";
import { testEnv } from "./_fixtures.ts";
import { expectRight } from "./_helpers.ts";
import { MODEL_NAMES } from "../models/zoo.ts";

Deno.test("runPeer() refuses a model the PyTorch reference does not define as ours", async () => {
  const r = await runPeer({ model: "resnet50", batch: 4, seconds: 1, script: "/nowhere.py" });
  assert.ok(r._tag === "Left");
  assert.match(r.left.message, /^the reference script has no resnet50 \(it has cifarnet, /);
  assert.ok(PEER_MODELS.every((m) => (MODEL_NAMES as readonly string[]).includes(m)));
});

await tf.setBackend("cpu");

/** Weights of a snapshot as tfjs's countParams() counts them (countCost's count). */
const params = (snapshot: Snapshot) => expectRight(countCost(snapshot)).params;

Deno.test("runLatencyPeer() times PyTorch networks of the same widths as ours", async () => {
  const snapshots: Snapshot[] = [];
  for (const model of ["cifarnet", "resnet20"]) {
    const dense = expectRight(await init({ model, classes: 10, seed: 0 }, testEnv())());
    snapshots.push(dense, expectRight(pruneToFraction(dense, 0.5)).compact);
  }
  const rows = expectRight(
    await runLatencyPeer(snapshots.map((s) => s.topology), { batches: [1, 2], seconds: 0.05 }),
  );
  assert.deepEqual(rows.map((r) => [r.batch, r.threads, r.ms.length]), [[1, 2, 4], [2, 2, 4]]);
  for (const r of rows) {
    assert.match(r.peer, /^pytorch .* cpu$/);
    assert.ok(r.runs >= 5 && r.ms.every((ms) => ms > 0), JSON.stringify(r));
    // Every layer built with tfjs's widths: the weights count as tfjs counts them.
    assert.deepEqual(r.params, snapshots.map(params));
  }
  const [kept, model] = [snapshots[2], await modelFromSnapshot(snapshots[2])];
  assert.equal(params(kept), model.countParams());
  model.dispose();
});

Deno.test("runLatencyPeer() names the layer PyTorch has no equivalent for", async () => {
  const densenet = expectRight(
    await init({ model: "densenet40", classes: 10, seed: 0 }, testEnv())(),
  );
  const r = await runLatencyPeer([densenet.topology], { batches: [1], seconds: 0.05 });
  assert.ok(E.isLeft(r));
  assert.match(
    r.left.message,
    /model_0\.json: layer '[^']+' \(Concatenate\): no PyTorch equivalent/,
  );
});
