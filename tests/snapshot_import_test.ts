import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { tinyMeta, tinyModel } from "../snapshot/_fixtures.ts";
import { importLayersModel } from "../snapshot/import_layers_model.ts";
import {
  denoFs,
  exportLayersModel,
  modelFromSnapshot,
  type Snapshot,
  snapshotFromModel,
  type StoreError,
} from "../snapshot/mod.ts";
import { expectLeft, expectRight, predictValues, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

async function tinySnapshot(): Promise<Snapshot> {
  const model = tinyModel();
  const snapshot = await snapshotFromModel(model, tinyMeta());
  model.dispose();
  return snapshot;
}

/** An IOHandler that writes the weights as two manifest groups of `shardBytes`-byte shards. */
function shardedIO(dir: string, shardBytes: number): tf.io.IOHandler {
  return {
    async save(artifacts) {
      const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData!));
      const specs = artifacts.weightSpecs!;
      const half = Math.ceil(specs.length / 2);
      const cut = specs.slice(0, half).reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b), 0);
      const parts = [[specs.slice(0, half), data.slice(0, cut)], [
        specs.slice(half),
        data.slice(cut),
      ]] as const;
      await Deno.mkdir(join(dir, "shards"), { recursive: true });
      const weightsManifest = [];
      for (const [g, [weights, bytes]] of parts.entries()) {
        const count = Math.ceil(bytes.length / shardBytes);
        const paths = [];
        for (let i = 0; i < count; i++) {
          const path = `shards/group${g + 1}-shard${i + 1}of${count}.bin`;
          await Deno.writeFile(join(dir, path), bytes.slice(i * shardBytes, (i + 1) * shardBytes));
          paths.push(path);
        }
        weightsManifest.push({ paths, weights });
      }
      const { format, generatedBy, convertedBy, modelTopology } = artifacts;
      const json = { format, generatedBy, convertedBy, modelTopology, weightsManifest };
      await Deno.writeTextFile(join(dir, "model.json"), JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
  };
}

/** The tiny model exported by our store into `dir`; returns the model.json path. */
async function exported(dir: string): Promise<string> {
  expectRight(await exportLayersModel(await tinySnapshot(), dir)());
  return join(dir, "model.json");
}

/** An edit of a parsed model.json (tests reach into arbitrary fields). */
// deno-lint-ignore no-explicit-any
type Edit = (json: any) => void;

function editJson(path: string, edit: Edit) {
  const json = JSON.parse(Deno.readTextFileSync(path));
  edit(json);
  Deno.writeTextFileSync(path, JSON.stringify(json));
}

async function importError(path: string): Promise<StoreError> {
  return expectLeft(await importLayersModel(path)());
}

Deno.test("importLayersModel() reads back what exportLayersModel() wrote, same id", async () => {
  await withTempDir("import-", async (dir) => {
    const original = await tinySnapshot();
    const path = await exported(dir);
    const imported = expectRight(await importLayersModel(path)());
    assert.equal(imported.meta.id, original.meta.id);
    assert.deepEqual(imported.weights, original.weights);
    assert.deepEqual(imported.topology, original.topology);
    const { parent, stage, options, seed, backend } = imported.meta;
    assert.deepEqual({ parent, stage, options, seed, backend }, {
      parent: null,
      stage: "import",
      options: { file: path },
      seed: 0,
      backend: { name: "none", adapter: "", threads: 0 },
    });
    assert.deepEqual(imported.meta.metrics, { macs: 6 * 6 * 27 * 4 + 144 * 3, params: 563 });
    assert.ok(Object.isFrozen(imported.meta) && Object.isFrozen(imported.weights));
  });
});

Deno.test("importLayersModel() reads a model tfjs saved as several groups and shards", async () => {
  await withTempDir("import-", async (dir) => {
    const start = tf.memory().numTensors;
    const model = tinyModel(3);
    await model.save(shardedIO(dir, 200));
    const manifest = JSON.parse(Deno.readTextFileSync(join(dir, "model.json"))).weightsManifest;
    assert.equal(manifest.length, 2);
    assert.ok(manifest[1].paths.length > 3, "the second group spans several shards");
    const imported = expectRight(await importLayersModel(join(dir, "model.json"))());
    const direct = await snapshotFromModel(model, tinyMeta());
    assert.equal(imported.meta.id, direct.meta.id);
    const loaded = await modelFromSnapshot(imported);
    const x = tf.randomNormal([2, 6, 6, 3], 0, 1, "float32", 5);
    assert.deepEqual(await predictValues(loaded, x), await predictValues(model, x));
    [x, model, loaded].forEach((m) => m.dispose());
    assert.equal(tf.memory().numTensors, start);
  });
});

Deno.test("importLayersModel() unwraps a Keras { model_config } topology", async () => {
  await withTempDir("import-", async (dir) => {
    const path = await exported(dir);
    editJson(path, (json) => {
      json.modelTopology = { keras_version: "2.15.0", model_config: json.modelTopology };
    });
    const imported = expectRight(await importLayersModel(path)());
    assert.equal(imported.meta.id, (await tinySnapshot()).meta.id);
  });
});

Deno.test("importLayersModel() names model.json and the bad field", async () => {
  await withTempDir("import-", async (dir) => {
    const path = await exported(dir);
    const text = Deno.readTextFileSync(path);
    const cases: [Edit, string, RegExp][] = [
      [(j) => delete j.modelTopology, "modelTopology", /field "modelTopology" should be/],
      [
        (j) => j.weightsManifest[0].weights[1].shape = [-1],
        "weightsManifest.0.weights.1.shape.0",
        /should be Dim, got -1/,
      ],
      [(j) => j.format = "graph-model", "format", /"graph-model"; only LayersModel files/],
      [
        (j) => j.weightsManifest[0].weights[0].dtype = "float16",
        "weightsManifest.0.weights.0.dtype",
        /weight "conv1\/kernel" has dtype float16; only float32 and int32/,
      ],
      [
        (j) => j.weightsManifest[0].weights[2].quantization = { dtype: "uint8" },
        "weightsManifest.0.weights.2.quantization",
        /weight "bn1\/gamma" is quantised/,
      ],
      [(j) => j.weightsManifest[0].paths = [], "weightsManifest.0.paths", /names no shard file/],
      [
        (j) => j.modelTopology.class_name = "Graph",
        "modelTopology.class_name",
        /expected "Model" \| "Functional" \| "Sequential", got "Graph"/,
      ],
      [
        (j) => {
          j.modelTopology.config.layers[0].config.filters = 0;
          j.modelTopology = { model_config: j.modelTopology };
        },
        "modelTopology.model_config.config.layers.0.config.filters",
        /expected a positive integer, got 0/,
      ],
    ];
    for (const [edit, field, message] of cases) {
      Deno.writeTextFileSync(path, text);
      editJson(path, edit);
      const error = await importError(path);
      assert.equal(error._tag, "InvalidModelJson", field);
      assert.equal((error as { field: string }).field, field);
      assert.ok(error.message.startsWith(`${path}: `), error.message);
      assert.match(error.message, message);
    }
    Deno.writeTextFileSync(path, "{ not json");
    const notJson = await importError(path);
    assert.equal(notJson._tag, "InvalidModelJson");
    assert.match(notJson.message, /model\.json: not valid JSON/);
  });
});

Deno.test("importLayersModel() names a missing, short or long shard", async () => {
  await withTempDir("import-", async (dir) => {
    const missing = await importError(join(dir, "nope", "model.json"));
    assert.deepEqual([missing._tag, missing.path], ["NotFound", join(dir, "nope", "model.json")]);
    const path = await exported(dir);
    const shard = join(dir, "weights.bin");
    const bytes = Deno.readFileSync(shard);
    Deno.writeFileSync(shard, bytes.slice(0, 100));
    const short = await importError(path);
    assert.deepEqual([short._tag, short.path], ["Truncated", shard]);
    assert.match(short.message, /truncated: has 100 bytes/);
    Deno.writeFileSync(shard, new Uint8Array([...bytes, 0, 0, 0, 0]));
    assert.equal((await importError(path))._tag, "SizeMismatch");
    Deno.removeSync(shard);
    const gone = await importError(path);
    assert.deepEqual([gone._tag, gone.message], ["NotFound", `${shard}: file not found (read)`]);
  });
});

Deno.test("importLayersModel() refuses duplicate weight names and reports I/O errors", async () => {
  await withTempDir("import-", async (dir) => {
    const path = await exported(dir);
    const text = Deno.readTextFileSync(path);
    editJson(path, (j) => j.weightsManifest[0].weights[1].name = "conv1/kernel");
    const duplicate = await importError(path);
    assert.equal(duplicate._tag, "InvalidSnapshot");
    assert.match(duplicate.message, /weight "conv1\/kernel" appears twice/);
    Deno.writeTextFileSync(path, text);
    const fs = {
      ...denoFs,
      readFile: (p: string) =>
        p.endsWith(".bin")
          ? Promise.reject(new Deno.errors.PermissionDenied("no access"))
          : denoFs.readFile(p),
    };
    const denied = expectLeft(await importLayersModel(path, { fs })());
    assert.equal(denied._tag, "IoError");
    assert.equal(denied.message, `${join(dir, "weights.bin")}: cannot read: no access`);
  });
});
