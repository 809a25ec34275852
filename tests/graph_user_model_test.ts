import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { outInGroups } from "../graph/out_in_groups.ts";
import { applyPrunePlan, maskPlan } from "../graph/prune_plan.ts";
import { importLayersModel } from "../snapshot/import_layers_model.ts";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import { exportLayersModel } from "../snapshot/store.ts";
import { randomizeWeights } from "./_architectures.ts";
import { expectRight, predictValues, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

/** A user's Sequential model, as `tf.sequential` builds it: no explicit input layer. */
function userModel(): tf.Sequential {
  const model = tf.sequential({ name: "mine" });
  model.add(tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 3, name: "c1" }));
  model.add(tf.layers.batchNormalization({ name: "bn1" }));
  model.add(tf.layers.reLU({ name: "r1" }));
  model.add(tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, name: "dw" }));
  model.add(tf.layers.conv2d({ filters: 5, kernelSize: 1, name: "pw", activation: "relu" }));
  model.add(tf.layers.flatten({ name: "flat" }));
  model.add(tf.layers.dense({ units: 7, activation: "relu", name: "fc" }));
  model.add(tf.layers.dense({ units: 3, activation: "softmax", name: "out" }));
  randomizeWeights(model, 5);
  return model;
}

Deno.test("a user's model.json saved by tfjs is analysed, pruned, exported and reloaded exactly", async () => {
  await withTempDir("oicsr-user-", async (dir) => {
    const start = tf.memory().numTensors;
    const model = userModel();
    await model.save(denoFileIO(join(dir, "mine")));
    model.dispose();
    const snapshot = expectRight(await importLayersModel(join(dir, "mine", "model.json"))());
    const groups = expectRight(outInGroups(snapshot));
    assert.deepEqual(groups.groups.map((g) => [g.id, g.channels]), [["c1", 6], ["pw", 5], [
      "fc",
      7,
    ]]);
    const c1 = groups.groups[0];
    assert.deepEqual(c1.passThrough.map((s) => `${s.weight}@${s.axis}`).sort(), [
      "bn1/beta@0",
      "bn1/gamma@0",
      "bn1/moving_mean@0",
      "bn1/moving_variance@0",
      "dw/bias@0",
      "dw/depthwise_kernel@2",
    ]);
    const plan = { c1: [1, 4], pw: [0], fc: [2, 3, 6] };
    const pruned = expectRight(applyPrunePlan(snapshot, plan));
    await expectRight(await exportLayersModel(pruned, join(dir, "pruned"))());
    const loaded = await tf.loadLayersModel(denoFileIO(join(dir, "pruned")), { strict: true });
    const masked = await modelFromSnapshot(expectRight(maskPlan(snapshot, plan)));
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, "float32", 9);
    const [small, full] = [await predictValues(loaded, x), await predictValues(masked, x)];
    for (let i = 0; i < full.length; i++) assert.ok(Math.abs(small[i] - full[i]) < 1e-5);
    assert.equal(loaded.getLayer("dw").getWeights()[0].shape.join(), "3,3,4,2");
    assert.equal(loaded.countParams(), pruned.meta.metrics.params);
    tf.dispose(x);
    loaded.dispose();
    masked.dispose();
    assert.equal(tf.memory().numTensors, start);
  });
});
