import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import {
  denoFs,
  readSnapshot,
  type Snapshot,
  snapshotFromModel,
  type StoreError,
  type StoreFs,
  writeSnapshot,
} from "../snapshot/mod.ts";

await tf.setBackend("cpu");

/** A fresh store holding the tiny model; the test edits files under `dir`. */
async function storedTiny(): Promise<
  { root: string; id: string; dir: string; snapshot: Snapshot }
> {
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  const root = await Deno.makeTempDir();
  const written = await writeSnapshot(root, snapshot)();
  assert.equal(written._tag, "Right");
  return { root, id: snapshot.meta.id, dir: join(root, snapshot.meta.id), snapshot };
}

async function readError(root: string, id: string): Promise<StoreError> {
  const r = await readSnapshot(root, id)();
  if (r._tag === "Right") assert.fail("expected the read to fail");
  return r.left;
}

function editJson(path: string, edit: (json: Record<string, unknown>) => void) {
  const json = JSON.parse(Deno.readTextFileSync(path));
  edit(json);
  Deno.writeTextFileSync(path, JSON.stringify(json));
}

Deno.test("readSnapshot() of a corrupted weights.bin is a HashMismatch naming weights.bin", async () => {
  const { root, id, dir } = await storedTiny();
  const bytes = Deno.readFileSync(join(dir, "weights.bin"));
  bytes[100] ^= 0x01;
  Deno.writeFileSync(join(dir, "weights.bin"), bytes);
  const error = await readError(root, id);
  assert.equal(error._tag, "HashMismatch");
  assert.equal(error.path, join(dir, "weights.bin"));
  assert.match(error.message, /weights\.bin: content hash [0-9a-f]{64} does not match snapshot id/);
  assert.match(error.message, new RegExp(id));
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of an edited model.json topology is a HashMismatch naming model.json", async () => {
  const { root, id, dir } = await storedTiny();
  const path = join(dir, "model.json");
  Deno.writeTextFileSync(
    path,
    Deno.readTextFileSync(path).replace('"epsilon":0.001', '"epsilon":0.002'),
  );
  const error = await readError(root, id);
  assert.equal(error._tag, "HashMismatch");
  assert.equal(error.path, path);
  assert.match(error.message, /model\.json: content hash .* \(file corrupted or edited\)/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a model.json whose manifest no longer fits is InvalidModelJson", async () => {
  const { root, id, dir } = await storedTiny();
  const path = join(dir, "model.json");
  editJson(path, (json) => {
    (json.weightsManifest as { weights: { shape: number[] }[] }[])[0].weights[1].shape = [5];
  });
  const error = await readError(root, id);
  assert.equal(error._tag, "InvalidModelJson");
  assert.equal(error.path, path);
  assert.match(error.message, /model\.json: its weights manifest does not fit .*weights\.bin/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a truncated weights.bin is Truncated, naming the file and byte count", async () => {
  const { root, id, dir, snapshot } = await storedTiny();
  const path = join(dir, "weights.bin");
  const bytes = Deno.readFileSync(path);
  Deno.writeFileSync(path, bytes.subarray(0, bytes.length - 10));
  const expected = snapshot.weights.reduce((n, w) => n + w.data.byteLength, 0);
  const error = await readError(root, id);
  assert.equal(error._tag, "Truncated");
  assert.equal(error.path, path);
  assert.ok(error._tag === "Truncated" && error.expectedBytes === expected);
  assert.match(
    error.message,
    new RegExp(`weights\\.bin: truncated: has ${expected - 10} bytes, .* ${expected} bytes`),
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a weights.bin with extra bytes is a SizeMismatch", async () => {
  const { root, id, dir } = await storedTiny();
  const path = join(dir, "weights.bin");
  Deno.writeFileSync(path, new Uint8Array(4), { append: true });
  const error = await readError(root, id);
  assert.equal(error._tag, "SizeMismatch");
  assert.equal(error.path, path);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a snapshot.json with a bad field is InvalidMeta with the field path", async () => {
  const { root, id, dir } = await storedTiny();
  const path = join(dir, "snapshot.json");
  editJson(path, (json) => {
    (json.metrics as Record<string, unknown>).top1 = "high";
  });
  const error = await readError(root, id);
  assert.equal(error._tag, "InvalidMeta");
  assert.ok(error._tag === "InvalidMeta" && error.field === "metrics.top1");
  assert.match(
    error.message,
    /snapshot\.json: field "metrics\.top1" should be FiniteNumber, got "high"/,
  );
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() reports a missing snapshot.json field and a wrong parent type", async () => {
  const { root, id, dir } = await storedTiny();
  const path = join(dir, "snapshot.json");
  editJson(path, (json) => delete json.stage);
  const missing = await readError(root, id);
  assert.ok(missing._tag === "InvalidMeta" && missing.field === "stage");
  assert.match(missing.message, /field "stage" should be string, got nothing/);
  editJson(path, (json) => Object.assign(json, { stage: "init", parent: 5 }));
  const parent = await readError(root, id);
  assert.ok(parent._tag === "InvalidMeta" && parent.field === "parent");
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a snapshot.json that is not JSON is InvalidMeta naming the file", async () => {
  const { root, id, dir } = await storedTiny();
  Deno.writeTextFileSync(join(dir, "snapshot.json"), "{ not json");
  const error = await readError(root, id);
  assert.equal(error._tag, "InvalidMeta");
  assert.match(error.message, /snapshot\.json: not valid JSON/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a snapshot.json with another id is InvalidMeta on field id", async () => {
  const { root, id, dir } = await storedTiny();
  editJson(join(dir, "snapshot.json"), (json) => Object.assign(json, { id: "0".repeat(64) }));
  const error = await readError(root, id);
  assert.ok(error._tag === "InvalidMeta" && error.field === "id");
  await Deno.remove(root, { recursive: true });
});

Deno.test("readSnapshot() of a missing file, id or non-id is NotFound / BadIdPrefix naming it", async () => {
  const { root, id, dir } = await storedTiny();
  Deno.removeSync(join(dir, "weights.bin"));
  const missing = await readError(root, id);
  assert.equal(missing._tag, "NotFound");
  assert.equal(missing.path, join(dir, "weights.bin"));
  assert.match(missing.message, /weights\.bin: file not found/);
  assert.equal((await readError(root, "1".repeat(64)))._tag, "NotFound");
  assert.equal((await readError(root, "../etc"))._tag, "BadIdPrefix");
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSnapshot() refuses a snapshot whose meta.id is not its content hash", async () => {
  const { snapshot, root: other } = await storedTiny();
  await Deno.remove(other, { recursive: true });
  const root = await Deno.makeTempDir();
  const forged = { ...snapshot, meta: { ...snapshot.meta, id: "f".repeat(64) } };
  const r = await writeSnapshot(root, forged)();
  assert.ok(r._tag === "Left" && r.left._tag === "InvalidSnapshot");
  assert.deepEqual([...Deno.readDirSync(root)], []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("writeSnapshot() refuses metrics JSON cannot hold, writing nothing", async () => {
  const { snapshot, root: other } = await storedTiny();
  await Deno.remove(other, { recursive: true });
  const root = await Deno.makeTempDir();
  const bad = { ...snapshot, meta: { ...snapshot.meta, metrics: { loss: Infinity } } };
  const r = await writeSnapshot(root, bad)();
  assert.ok(r._tag === "Left" && r.left._tag === "InvalidMeta" && r.left.field === "metrics.loss");
  assert.deepEqual([...Deno.readDirSync(root)], []);
  await Deno.remove(root, { recursive: true });
});

for (const failing of ["writeFile", "rename", "syncDir"] as const) {
  Deno.test(`writeSnapshot() leaves no snapshot or temporary directory when ${failing} fails`, async () => {
    const { snapshot, root: other } = await storedTiny();
    await Deno.remove(other, { recursive: true });
    const root = await Deno.makeTempDir();
    let calls = 0;
    const fs: StoreFs = {
      ...denoFs,
      [failing]: (...args: string[]) => {
        // Fail the second file write (a partial directory), or the first rename / sync.
        if (failing !== "writeFile" || ++calls === 2) {
          return Promise.reject(new Deno.errors.PermissionDenied("injected failure"));
        }
        return (denoFs.writeFile as (...a: unknown[]) => Promise<void>)(...args);
      },
    };
    const r = await writeSnapshot(root, snapshot, { fs })();
    assert.ok(r._tag === "Left" && r.left._tag === "IoError");
    assert.match(r.left.message, /injected failure/);
    assert.ok(r.left.path.startsWith(root));
    assert.deepEqual([...Deno.readDirSync(root)], []);
    await Deno.remove(root, { recursive: true });
  });
}
