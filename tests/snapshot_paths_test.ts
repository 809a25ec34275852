/**
 * Untrusted model files cannot make the tool read outside the paths the user gave: a
 * weights manifest path with `..`, an absolute path, a URL or a symbolic link out of the
 * model's folder is refused naming model.json and the field; a baselines.json id that is
 * not a snapshot id is refused naming baselines.json.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { findBaseline } from "../cli/baselines.ts";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import { importLayersModel } from "../snapshot/import_layers_model.ts";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { shardPathProblem } from "../snapshot/manifest_paths.ts";
import { exportLayersModel, snapshotFromModel } from "../snapshot/mod.ts";
import { expectLeft, expectRight, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

/**
 * The tiny model in `<root>/model/` with its weights in two shards, `a.bin` and the one
 * `second` names (written as `b.bin` unless the test puts it elsewhere); a copy of the
 * second shard lies in `<root>/outside/b.bin`. Returns the model.json path.
 */
async function twoShards(root: string, second: string): Promise<string> {
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  const dir = join(root, "model");
  expectRight(await exportLayersModel(snapshot, dir)());
  const bytes = await Deno.readFile(join(dir, "weights.bin"));
  const half = 4 * Math.floor(bytes.length / 8);
  await Deno.writeFile(join(dir, "a.bin"), bytes.slice(0, half));
  await Deno.writeFile(join(dir, "b.bin"), bytes.slice(half));
  await Deno.mkdir(join(root, "outside"));
  await Deno.writeFile(join(root, "outside", "b.bin"), bytes.slice(half));
  const path = join(dir, "model.json");
  const json = JSON.parse(await Deno.readTextFile(path));
  json.weightsManifest[0].paths = ["a.bin", second];
  await Deno.writeTextFile(path, JSON.stringify(json));
  return path;
}

Deno.test("shardPathProblem() refuses URLs, absolute paths and .. steps, and only those", () => {
  for (const ok of ["weights.bin", "shards/group1-shard1of2.bin", "a..b.bin", "./w.bin"]) {
    assert.equal(shardPathProblem(ok), undefined, ok);
  }
  assert.equal(shardPathProblem("https://example.com/w.bin"), "it is a URL");
  assert.equal(shardPathProblem("file:///etc/passwd"), "it is a URL");
  assert.equal(shardPathProblem("/etc/passwd"), "it is an absolute path");
  assert.equal(shardPathProblem("../w.bin"), 'it steps out of the folder with ".."');
  assert.equal(shardPathProblem("sub/../../w.bin"), 'it steps out of the folder with ".."');
  assert.equal(shardPathProblem(""), "it is empty");
});

Deno.test("importLayersModel() refuses a shard path out of the model's folder, naming the field", async () => {
  await withTempDir("paths-", async (root) => {
    const outside = join(root, "outside", "b.bin");
    for (const second of ["../outside/b.bin", outside, "http://example.com/b.bin"]) {
      const path = await twoShards(join(root, String(second.length)), second);
      const error = expectLeft(await importLayersModel(path)());
      assert.equal(error._tag, "InvalidModelJson");
      assert.ok("field" in error && error.field === "weightsManifest[0].paths[1]", error.message);
      assert.ok(
        error.message.startsWith(`${path}: field "weightsManifest[0].paths[1]" is "${second}"`),
        error.message,
      );
    }
  });
});

Deno.test("importLayersModel() refuses a symbolic link out of the model's folder, not one inside", async () => {
  await withTempDir("paths-", async (root) => {
    const path = await twoShards(root, "link.bin");
    await Deno.symlink(join(root, "outside", "b.bin"), join(root, "model", "link.bin"));
    const error = expectLeft(await importLayersModel(path)());
    assert.match(
      error.message,
      /model\.json: field "weightsManifest\[0\]\.paths\[1\]" is "link\.bin": it leads out of the model's folder through a symbolic link/,
    );
    await Deno.remove(join(root, "model", "link.bin"));
    await Deno.symlink(join(root, "model", "b.bin"), join(root, "model", "link.bin"));
    expectRight(await importLayersModel(path)());
  });
});

Deno.test("denoFileIO() refuses a shard path out of its folder before reading it", async () => {
  await withTempDir("paths-", async (root) => {
    const path = await twoShards(root, "../outside/b.bin");
    await assert.rejects(
      () => tf.loadLayersModel(denoFileIO(join(root, "model"))),
      (e: Error) => e.message.startsWith(`${path}: field "weightsManifest[0].paths[1]"`),
    );
  });
});

Deno.test("findBaseline() refuses an id in baselines.json that is not a snapshot id", async () => {
  await withTempDir("paths-", async (dir) => {
    const index = { "cifarnet/cifar10": { id: "../../etc", top1: 0.9, command: "x" } };
    await Deno.writeTextFile(join(dir, "baselines.json"), JSON.stringify(index));
    const error = expectLeft(await findBaseline(dir, { model: "cifarnet", data: "cifar10" })());
    assert.equal(
      error.message,
      `${join(dir, "baselines.json")}: field "cifarnet/cifar10".id is "../../etc", ` +
        "not a snapshot id (64 hex digits)",
    );
  });
});
