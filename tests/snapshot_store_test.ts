import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import {
  defaultStoreRoot,
  denoFileIO,
  denoFs,
  listSnapshots,
  modelFromSnapshot,
  readSnapshot,
  resolveSnapshotId,
  type Snapshot,
  snapshotFromModel,
  type StoreFs,
  writeSnapshot,
} from "../snapshot/mod.ts";

await tf.setBackend("cpu");

function right<E, A>(r: { _tag: "Left"; left: E } | { _tag: "Right"; right: A }): A {
  if (r._tag === "Left") assert.fail(`expected Right, got ${JSON.stringify(r.left)}`);
  return r.right;
}

async function predict(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const values = await y.data() as Float32Array;
  y.dispose();
  return values;
}

async function tinySnapshot(seed = 1, meta = tinyMeta()): Promise<Snapshot> {
  const model = tinyModel(seed);
  const snapshot = await snapshotFromModel(model, meta);
  model.dispose();
  return snapshot;
}

Deno.test("writeSnapshot() then readSnapshot() gives identical weights, meta and predictions", async () => {
  const start = tf.memory().numTensors;
  const root = await Deno.makeTempDir();
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  const id = right(await writeSnapshot(root, snapshot)());
  assert.equal(id, snapshot.meta.id);
  const read = right(await readSnapshot(root, id)());
  assert.deepEqual(read.meta, snapshot.meta);
  assert.deepEqual(read.topology, snapshot.topology);
  assert.equal(read.weights.length, snapshot.weights.length);
  for (const [i, w] of read.weights.entries()) {
    const original = snapshot.weights[i];
    assert.deepEqual([w.name, w.shape, w.dtype], [original.name, original.shape, original.dtype]);
    assert.deepEqual(new Uint8Array(w.data.buffer), new Uint8Array(original.data.buffer));
  }
  const copy = await modelFromSnapshot(read);
  const x = tf.randomNormal([3, 6, 6, 3], 0, 1, "float32", 5);
  assert.deepEqual(await predict(copy, x), await predict(model, x));
  [x, model, copy].forEach((t) => t.dispose());
  assert.equal(tf.memory().numTensors, start);
  await Deno.remove(root, { recursive: true });
});

Deno.test("tf.loadLayersModel() opens a store directory through denoFileIO() in strict mode", async () => {
  const start = tf.memory().numTensors;
  const root = await Deno.makeTempDir();
  const model = tinyModel();
  const id = right(await writeSnapshot(root, await snapshotFromModel(model, tinyMeta()))());
  const files = [...Deno.readDirSync(join(root, id))].map((e) => e.name).sort();
  assert.deepEqual(files, ["model.json", "snapshot.json", "weights.bin"]);
  const manifest = JSON.parse(Deno.readTextFileSync(join(root, id, "model.json"))).weightsManifest;
  assert.deepEqual(manifest.map((g: { paths: string[] }) => g.paths), [["weights.bin"]]);
  const loaded = await tf.loadLayersModel(denoFileIO(join(root, id)), { strict: true });
  const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 6);
  assert.deepEqual(await predict(loaded, x), await predict(model, x));
  [x, model, loaded].forEach((t) => t.dispose());
  assert.equal(tf.memory().numTensors, start);
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSnapshot() does not mutate its input snapshot", async () => {
  const root = await Deno.makeTempDir();
  const snapshot = await tinySnapshot();
  const before = structuredClone(snapshot);
  right(await writeSnapshot(root, snapshot)());
  right(await readSnapshot(root, snapshot.meta.id)());
  assert.deepEqual(snapshot, before);
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSnapshot() of an id already stored writes nothing", async () => {
  const root = await Deno.makeTempDir();
  const snapshot = await tinySnapshot();
  right(await writeSnapshot(root, snapshot)());
  const writes: string[] = [];
  const counting: StoreFs = {
    ...denoFs,
    writeFile: (path, data) => (writes.push(path), denoFs.writeFile(path, data)),
  };
  const later = await tinySnapshot(1, tinyMeta({ stage: "again" }));
  assert.equal(right(await writeSnapshot(root, later, { fs: counting })()), snapshot.meta.id);
  assert.deepEqual(writes, []);
  assert.equal(right(await readSnapshot(root, snapshot.meta.id)()).meta.stage, "init");
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSnapshot() creates the store root and leaves no temporary directory", async () => {
  const base = await Deno.makeTempDir();
  const root = join(base, "deep", "store");
  const id = right(await writeSnapshot(root, await tinySnapshot())());
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), [id]);
  await Deno.remove(base, { recursive: true });
});

Deno.test("listSnapshots() lists metas oldest first and skips temporary directories", async () => {
  const root = await Deno.makeTempDir();
  const newer = await tinySnapshot(1, tinyMeta({ createdAt: "2026-11-28T00:00:00.000Z" }));
  const older = await tinySnapshot(2, tinyMeta({ createdAt: "2026-11-27T00:00:00.000Z" }));
  right(await writeSnapshot(root, newer)());
  right(await writeSnapshot(root, older)());
  await Deno.mkdir(join(root, ".tmp-abandoned"));
  const metas = right(await listSnapshots(root)());
  assert.deepEqual(metas.map((m) => m.id), [older.meta.id, newer.meta.id]);
  assert.deepEqual(right(await listSnapshots(join(root, "absent"))()), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("resolveSnapshotId() finds the one id with a prefix, like git", async () => {
  const root = await Deno.makeTempDir();
  const snapshot = await tinySnapshot();
  right(await writeSnapshot(root, snapshot)());
  const id = snapshot.meta.id;
  assert.equal(right(await resolveSnapshotId(root, id.slice(0, 6))()), id);
  assert.equal(right(await resolveSnapshotId(root, id.toUpperCase())()), id);
  await Deno.remove(root, { recursive: true });
});

Deno.test("resolveSnapshotId() refuses an ambiguous, unknown or non-hex prefix", async () => {
  const root = await Deno.makeTempDir();
  const [a, b] = ["abcd" + "0".repeat(60), "abcd" + "1".repeat(60)];
  await Deno.mkdir(join(root, a));
  await Deno.mkdir(join(root, b));
  const ambiguous = await resolveSnapshotId(root, "abcd")();
  assert.ok(ambiguous._tag === "Left" && ambiguous.left._tag === "BadIdPrefix");
  assert.match(ambiguous.left.message, /ambiguous/);
  assert.deepEqual(ambiguous.left._tag === "BadIdPrefix" && ambiguous.left.matches, [a, b]);
  assert.equal(right(await resolveSnapshotId(root, "abcd0")()), a);
  const none = await resolveSnapshotId(root, "ffff")();
  assert.ok(none._tag === "Left" && none.left._tag === "NotFound");
  const bad = await resolveSnapshotId(root, "xyz!")();
  assert.ok(bad._tag === "Left" && bad.left._tag === "BadIdPrefix");
  await Deno.remove(root, { recursive: true });
});

Deno.test("defaultStoreRoot() is .oicsr/store under the working directory", () => {
  assert.equal(defaultStoreRoot("/home/me/run"), "/home/me/run/.oicsr/store");
});

Deno.test("two concurrent writeSnapshot() of one snapshot both succeed and leave one directory", async () => {
  const root = await Deno.makeTempDir();
  const snapshot = await tinySnapshot();
  const results = await Promise.all([
    writeSnapshot(root, snapshot)(),
    writeSnapshot(root, snapshot)(),
  ]);
  assert.deepEqual(results.map(right), [snapshot.meta.id, snapshot.meta.id]);
  assert.deepEqual([...Deno.readDirSync(root)].map((e) => e.name), [snapshot.meta.id]);
  assert.equal(right(await readSnapshot(root, snapshot.meta.id)()).meta.id, snapshot.meta.id);
  await Deno.remove(root, { recursive: true });
});
