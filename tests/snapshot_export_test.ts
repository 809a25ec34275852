import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import {
  denoFileIO,
  denoFs,
  exportLayersModel,
  type Snapshot,
  snapshotFromModel,
  type StoreFs,
} from "../snapshot/mod.ts";
import { predictValues as predict } from "./_helpers.ts";

await tf.setBackend("cpu");

async function tinySnapshot(seed = 1): Promise<Snapshot> {
  const model = tinyModel(seed);
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  return snapshot;
}

const names = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("exportLayersModel() writes only model.json + weights.bin, loadable in strict mode", async () => {
  const start = tf.memory().numTensors;
  const base = await Deno.makeTempDir();
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  const before = structuredClone(snapshot);
  const dir = join(base, "compact");
  const r = await exportLayersModel(snapshot, dir)();
  assert.deepEqual(r, { _tag: "Right", right: dir });
  assert.deepEqual(snapshot, before);
  assert.deepEqual(names(base), ["compact"]);
  assert.deepEqual(names(dir), ["model.json", "weights.bin"]);
  const loaded = await tf.loadLayersModel(denoFileIO(dir), { strict: true });
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 8);
  assert.deepEqual(await predict(loaded, x), await predict(model, x));
  [x, model, loaded].forEach((t) => t.dispose());
  assert.equal(tf.memory().numTensors, start);
  await Deno.remove(base, { recursive: true });
});

Deno.test("exportLayersModel() into a directory with other files replaces just the pair", async () => {
  const base = await Deno.makeTempDir();
  Deno.writeTextFileSync(join(base, "README.txt"), "mine");
  assert.equal((await exportLayersModel(await tinySnapshot(1), base)())._tag, "Right");
  const second = await tinySnapshot(2);
  assert.equal((await exportLayersModel(second, base)())._tag, "Right");
  assert.deepEqual(names(base), ["README.txt", "model.json", "weights.bin"]);
  const bytes = Deno.readFileSync(join(base, "weights.bin"));
  const fc = second.weights.find((w) => w.name === "fc/bias")!;
  const offset = second.weights.slice(0, second.weights.indexOf(fc))
    .reduce((n, w) => n + w.data.byteLength, 0);
  assert.deepEqual(
    bytes.slice(offset, offset + fc.data.byteLength),
    new Uint8Array(fc.data.buffer),
  );
  await Deno.remove(base, { recursive: true });
});

Deno.test("exportLayersModel() leaves nothing behind when a write fails", async () => {
  const base = await Deno.makeTempDir();
  const fs: StoreFs = {
    ...denoFs,
    writeFile: () => Promise.reject(new Deno.errors.PermissionDenied("injected failure")),
  };
  const r = await exportLayersModel(await tinySnapshot(), join(base, "out"), { fs })();
  assert.ok(r._tag === "Left" && r.left._tag === "IoError");
  assert.deepEqual(names(base), []);
  await Deno.remove(base, { recursive: true });
});

Deno.test("denoFileIO() saves a model that tf.loadLayersModel() loads back equal", async () => {
  const start = tf.memory().numTensors;
  const dir = join(await Deno.makeTempDir(), "saved");
  const model = tinyModel(3);
  await model.save(denoFileIO(dir));
  assert.deepEqual(names(dir), ["model.json", "weights.bin"]);
  const loaded = await tf.loadLayersModel(denoFileIO(dir), { strict: true });
  const x = tf.randomNormal([1, 6, 6, 3], 0, 1, "float32", 9);
  assert.deepEqual(await predict(loaded, x), await predict(model, x));
  [x, model, loaded].forEach((t) => t.dispose());
  assert.equal(tf.memory().numTensors, start);
  await Deno.remove(join(dir, ".."), { recursive: true });
});

Deno.test("denoFileIO().load() names a missing or truncated weights file", async () => {
  const dir = await Deno.makeTempDir();
  const model = tinyModel();
  await model.save(denoFileIO(dir));
  model.dispose();
  const path = join(dir, "weights.bin");
  const bytes = Deno.readFileSync(path);
  Deno.writeFileSync(path, bytes.subarray(0, 8));
  await assert.rejects(
    tf.loadLayersModel(denoFileIO(dir)),
    new RegExp(`${path}: truncated: has 8 bytes, the weights manifest needs ${bytes.length}`),
  );
  Deno.removeSync(path);
  await assert.rejects(tf.loadLayersModel(denoFileIO(dir)), /weights\.bin: file not found/);
  await Deno.remove(dir, { recursive: true });
});
