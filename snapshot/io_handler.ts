/**
 * A tfjs IOHandler on a Deno directory: `model.json` + `weights.bin`, the standard
 * LayersModel format, for `model.save(denoFileIO(dir))` and
 * `tf.loadLayersModel(denoFileIO(dir))`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import { denoFs } from "./fs.ts";
import { checkShardPath } from "./manifest_paths.ts";

const MODEL_FILE = "model.json";
const WEIGHTS_FILE = "weights.bin";
const BYTES_PER_ELEMENT: Readonly<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

/**
 * An IOHandler that saves to and loads from `dir`. Saving writes one shard,
 * `weights.bin`, then `model.json`, each through a temporary file renamed into place
 * (each file is replaced atomically; the pair is not). Loading reads every shard the
 * manifest names and reports a missing or short file by path; a shard path that leads out
 * of `dir` (`..`, absolute, a URL, a symbolic link) is refused naming model.json and the
 * field, before anything is read.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { denoFileIO } from "./io_handler.ts";
 * const model = await tf.loadLayersModel(denoFileIO(".oicsr/store/ab12..."), { strict: true });
 * ```
 */
export function denoFileIO(dir: string): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts),
    load: () => loadArtifacts(dir),
  };
}

async function saveArtifacts(
  dir: string,
  artifacts: tf.io.ModelArtifacts,
): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error(`denoFileIO(${dir}): can only save a LayersModel (JSON topology)`);
  }
  const weights = artifacts.weightData === undefined
    ? new ArrayBuffer(0)
    : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
    ...(artifacts.userDefinedMetadata
      ? { userDefinedMetadata: artifacts.userDefinedMetadata }
      : {}),
  };
  await Deno.mkdir(dir, { recursive: true });
  await replaceFile(join(dir, WEIGHTS_FILE), new Uint8Array(weights));
  await replaceFile(join(dir, MODEL_FILE), new TextEncoder().encode(JSON.stringify(modelJson)));
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const modelPath = join(dir, MODEL_FILE);
  const modelJson = parseModelJson(await readNamed(modelPath), modelPath);
  return await tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
    const shards: Uint8Array[] = [];
    for (const [g, group] of manifest.entries()) {
      for (const [k, path] of group.paths.entries()) {
        const outside = await checkShardPath(modelPath, dir, path, [g, k]);
        if (outside !== undefined) throw new Error(outside.message);
        shards.push(await readNamed(join(dir, path)));
      }
    }
    const specs = tf.io.getWeightSpecs(manifest);
    checkShardSize(specs, shards, join(dir, manifest[0]?.paths[0] ?? WEIGHTS_FILE));
    const data = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
    shards.reduce((offset, s) => (data.set(s, offset), offset + s.byteLength), 0);
    return [specs, data.buffer];
  });
}

function parseModelJson(bytes: Uint8Array, path: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${e instanceof Error ? e.message : e})`);
  }
  const o = json as Partial<tf.io.ModelJSON> | null;
  if (typeof o !== "object" || o === null || typeof o.modelTopology !== "object") {
    throw new Error(`${path}: field "modelTopology" should be an object`);
  }
  if (o.weightsManifest !== undefined && !Array.isArray(o.weightsManifest)) {
    throw new Error(`${path}: field "weightsManifest" should be an array`);
  }
  return o as tf.io.ModelJSON;
}

/** Throws when the shards hold fewer or more bytes than unquantised specs need. */
function checkShardSize(specs: tf.io.WeightsManifestEntry[], shards: Uint8Array[], path: string) {
  if (specs.some((s) => s.quantization || !(s.dtype in BYTES_PER_ELEMENT))) return;
  const expected = specs.reduce(
    (n, s) => n + s.shape.reduce((a, b) => a * b, 1) * BYTES_PER_ELEMENT[s.dtype],
    0,
  );
  const actual = shards.reduce((n, s) => n + s.byteLength, 0);
  if (actual !== expected) {
    const what = actual < expected ? "truncated: has" : "has";
    throw new Error(`${path}: ${what} ${actual} bytes, the weights manifest needs ${expected}`);
  }
}

async function readNamed(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new Error(`${path}: file not found`);
    throw new Error(`${path}: cannot read: ${e instanceof Error ? e.message : e}`);
  }
}

async function replaceFile(path: string, bytes: Uint8Array): Promise<void> {
  const temp = `${path}.tmp-${crypto.randomUUID()}`;
  try {
    await denoFs.writeFile(temp, bytes);
    await Deno.rename(temp, path);
  } catch (e) {
    await Deno.remove(temp).catch(() => undefined);
    throw e;
  }
}
