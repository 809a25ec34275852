import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import { exportLayersModel, readSnapshot } from "../snapshot/store.ts";
import { smallNet, snapshotOf } from "./_fixtures.ts";
import { expectRight, predictValues, runPrune, withTempDir } from "./_helpers.ts";

/** A short run of a user's conv -> BN -> ReLU -> pool -> dense model on a little CIFAR-10. */
const QUICK = [
  "--train-limit",
  "256",
  "--test-limit",
  "64",
  "--steps-per-epoch",
  "2",
  "--reg-epochs",
  "0.5",
  "--iter-epochs",
  "0.5",
  "--fine-tune-epochs",
  "0.5",
  "--target-flops",
  "0.8",
  "--eval-limit",
  "64",
  "--latency-runs",
  "1",
  "--backend",
  "wasm",
  "--quiet",
  "--json",
]; // deno-fmt-ignore

async function userModel(dir: string): Promise<string> {
  await tf.setBackend("cpu");
  expectRight(await exportLayersModel(await snapshotOf(smallNet(4, 10)), join(dir, "mine"))());
  return join(dir, "mine", "model.json");
}

const layerClasses = (topology: unknown) =>
  (topology as { config: { layers: { class_name: string }[] } }).config.layers
    .map((l) => l.class_name);

Deno.test("deno task prune exports the compact model with its batch norms folded, same outputs", async () => {
  await withTempDir("prune-export-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run");
    const run = await runPrune([
      ...QUICK,
      "--model",
      await userModel(dir),
      "--store",
      store,
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.equal(summary.exported.folded_batch_norms, 1);
    const final = expectRight(await readSnapshot(store, summary.final.snapshot)());
    const exported = expectRight(await readSnapshot(store, summary.exported.snapshot)());
    assert.equal(exported.meta.stage, "fold-bn");
    assert.equal(exported.meta.parent, final.meta.id);
    assert.ok(layerClasses(final.topology).includes("BatchNormalization"));
    await tf.setBackend("cpu");
    const loaded = await tf.loadLayersModel(denoFileIO(join(out, "model")), { strict: true });
    assert.ok(!loaded.layers.some((l) => l.getClassName() === "BatchNormalization"));
    // The exported model computes what the final snapshot's model computes in inference.
    const reference = await modelFromSnapshot(final);
    const x = tf.randomNormal([4, 32, 32, 3], 0, 1, "float32", 3);
    const [got, want] = [await predictValues(loaded, x), await predictValues(reference, x)];
    const scale = Math.max(...Array.from(want, Math.abs));
    assert.ok(want.every((v, i) => Math.abs(v - got[i]) <= 1e-4 * scale), "same outputs");
    tf.dispose(x), loaded.dispose(), reference.dispose();
  });
});

Deno.test("deno task prune --keep-bn exports the final snapshot as it is", async () => {
  await withTempDir("prune-export-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run");
    const args = [...QUICK, "--model", await userModel(dir), "--store", store, "--out", out];
    const run = await runPrune([...args, "--keep-bn"]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(summary.exported, { snapshot: summary.final.snapshot, folded_batch_norms: 0 });
    const json = JSON.parse(await Deno.readTextFile(join(out, "model", "model.json")));
    assert.ok(layerClasses(json.modelTopology).includes("BatchNormalization"));
  });
});
