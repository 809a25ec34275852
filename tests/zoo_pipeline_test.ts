/**
 * Every model of the zoo through the whole command line: dense training, regularized
 * training, pruning to half of its MACs, fine-tuning, export; the exported model opens with
 * `tf.loadLayersModel`. ResNet-50 runs on an ImageNet-style JPEG folder written here.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { MODEL_NAMES } from "../models/zoo.ts";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { writeImageFolder } from "./_image_folder_fixture.ts";
import { runPrune, withTempDir } from "./_helpers.ts";

/** One step per phase, a few images: minutes for the zoo, not hours. */
// deno-fmt-ignore
const TINY = [
  "--baselines", "none", "--epochs", "1", "--steps-per-epoch", "1",
  "--train-limit", "16", "--test-limit", "8", "--eval-limit", "8",
  "--reg-epochs", "1", "--iter-epochs", "1", "--fine-tune-epochs", "1",
  "--target-flops", "0.5", "--step", "0.25", "--latency-runs", "0",
  "--backend", "wasm", "--quiet", "--json",
];

await tf.setBackend("cpu");

for (const name of MODEL_NAMES) {
  Deno.test(`${name}: deno task prune trains, prunes to half its MACs and exports a model that loads`, async () => {
    await withTempDir(`zoo-${name}-`, async (dir) => {
      // ResNet-50 at 224x224: 4 images a batch (8 would pass the wasm heap's 4 GiB).
      const imagenet = name === "resnet50" &&
        await writeImageFolder(join(dir, "imagenet"), { classes: 1000, perClass: 1 });
      const data = imagenet
        ? ["--data", "imagenet", "--data-dir", imagenet, "--batch-size", "4"]
        : ["--batch-size", "8"];
      const out = join(dir, "run");
      const args = ["--model", name, ...TINY, ...data, "--store", join(dir, "store"), "--out", out];
      const run = await runPrune(args);
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.ok(summary.final.macs <= 0.5 * summary.start.macs, `${summary.final.macs} MACs`);
      assert.ok(summary.final.macs > 0.3 * summary.start.macs, "no more than the target is cut");
      assert.ok(summary.params_kept < 1);
      const model = await tf.loadLayersModel(denoFileIO(join(out, "model")), { strict: true });
      const size = imagenet ? 224 : 32;
      const y = model.predict(tf.zeros([1, size, size, 3])) as tf.Tensor;
      assert.deepEqual(y.shape, [1, imagenet ? 1000 : 10]);
      assert.ok((await y.data()).every(Number.isFinite));
      y.dispose();
      model.dispose();
    });
  });
}
