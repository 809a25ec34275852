import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { join } from "node:path";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { readSnapshot } from "../snapshot/store.ts";

const prune = new URL("../cli/prune.ts", import.meta.url).pathname;

async function runPrune(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", prune, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

Deno.test("deno task prune trains on real CIFAR-10 and writes a loadable model", async () => {
  const dir = await Deno.makeTempDir();
  const store = join(dir, "store"), out = join(dir, "run");
  const args = ["--train-limit", "256", "--test-limit", "200", "--steps-per-epoch", "3"];
  const run = await runPrune([
    ...args,
    "--backend",
    "wasm",
    "--store",
    store,
    "--out",
    out,
    "--json",
  ]);
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim());
  assert.equal(summary.model, "cifarnet");
  assert.equal(summary.backend, "wasm");
  assert.equal(summary.test_images, 200);
  assert.equal(summary.macs, 32_778_112);
  assert.ok(summary.top1 >= 0 && summary.top1 <= 1);
  assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "summary.json"))), summary);

  const snapshot = await readSnapshot(store, summary.snapshot)();
  assert.ok(E.isRight(snapshot), "the final snapshot verifies");
  assert.equal(snapshot.right.meta.parent, summary.parent);
  assert.equal(snapshot.right.meta.stage, "train");
  assert.equal(snapshot.right.meta.backend.name, "wasm");
  assert.equal(snapshot.right.meta.metrics.top1, summary.top1);
  const parent = await readSnapshot(store, summary.parent)();
  assert.ok(E.isRight(parent) && parent.right.meta.stage === "init");

  await tf.setBackend("cpu");
  const model = await tf.loadLayersModel(denoFileIO(join(out, "model")), { strict: true });
  const y = model.predict(tf.zeros([2, 32, 32, 3])) as tf.Tensor;
  assert.deepEqual(y.shape, [2, 10]);
  y.dispose();
  model.dispose();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task prune refuses a bad flag with one line and exit code 2", async () => {
  const run = await runPrune(["--batch-size", "0"]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /^--batch-size: expected a positive integer, got 0\n/);
  assert.equal(run.stdout, "");
});

Deno.test("deno task prune names the missing file of a CIFAR binary folder", async () => {
  const dir = await Deno.makeTempDir();
  const run = await runPrune(["--data", "cifar100", "--data-dir", dir, "--backend", "cpu"]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, new RegExp(`error: ${dir}/(train|test)\\.bin: not found`));
  assert.doesNotMatch(run.stderr, /\s+at /, "no stack trace");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("deno task prune --help lists the flags with their defaults", async () => {
  const run = await runPrune(["--help"]);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /--model <string>\s+cifarnet \| resnet20.*\(default: cifarnet\)/);
});

Deno.test("deno task prune run twice with the same seed gives the same snapshots", async () => {
  const dir = await Deno.makeTempDir();
  const ids = [];
  for (const run of ["a", "b"]) {
    const args = ["--train-limit", "256", "--test-limit", "64", "--steps-per-epoch", "2"];
    const out = join(dir, run);
    const result = await runPrune([...args, "--store", join(dir, "store"), "--out", out, "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(result.stdout);
    ids.push([summary.parent, summary.snapshot]);
  }
  assert.deepEqual(ids[0], ids[1], "separate processes, same seed: same initial and trained ids");
  await Deno.remove(dir, { recursive: true });
});
