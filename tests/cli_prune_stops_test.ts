/**
 * Errors that only show once training runs: one line naming what to change, exit code 1.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { writeImageFolder } from "./_image_folder_fixture.ts";
import { runPrune, withTempDir } from "./_helpers.ts";

// deno-fmt-ignore
const ONE_STEP = [
  "--baselines", "none", "--epochs", "1", "--steps-per-epoch", "1", "--test-limit", "8",
  "--backend", "wasm", "--quiet",
];

Deno.test("deno task prune stops with one line when the wasm heap cannot hold the batch", async () => {
  await withTempDir("prune-oom-", async (dir) => {
    const args = ["--model", "densenet40", "--train-limit", "64", "--batch-size", "64"];
    const run = await runPrune([...args, ...ONE_STEP, "--store", dir, "--out", join(dir, "r")]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr.trim(),
      /^error: the wasm backend is out of memory: .* use a smaller --batch-size, or --backend webgpu$/,
    );
  });
});

Deno.test("deno task prune names an ImageNet file found truncated while training reads it", async () => {
  await withTempDir("prune-jpeg-", async (dir) => {
    const root = await writeImageFolder(join(dir, "imagenet"), { classes: 1000, perClass: 1 });
    // The listing interleaves classes: the first batch reads image 0 of classes 0 .. 3.
    const bad = join(root, "train", "n00000002", "0.JPEG");
    const bytes = await Deno.readFile(bad);
    await Deno.writeFile(bad, bytes.subarray(0, bytes.length >> 1));
    const data = ["--data", "imagenet", "--data-dir", root, "--train-limit", "4"];
    const args = ["--model", "resnet50", "--batch-size", "4", ...data, ...ONE_STEP];
    const run = await runPrune([...args, "--store", dir, "--out", join(dir, "r")]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr.trim(),
      `error: ${bad}: ${bytes.length >> 1} bytes that stop before the JPEG end marker FF D9 ` +
        "(expected a whole JPEG image)",
    );
  });
});
