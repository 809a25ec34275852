/**
 * The bytes of a snapshot on disk: `model.json` + `weights.bin` in the standard tfjs
 * LayersModel format (one shard, `paths: ["weights.bin"]`), and `snapshot.json` (the
 * metadata). Pure functions: reading and writing files is the store's job.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { createHash } from "node:crypto";
import { describeValidation, type StoreError } from "./errors.ts";
import { snapshotId } from "./id.ts";
import { concatWeights, decodeWeights, validateWeights } from "./weights.ts";
import { copySnapshot, JsonObject, type Snapshot, SnapshotMeta, WeightSpec } from "./snapshot.ts";

/** File names inside a snapshot directory. */
export const FILES = {
  model: "model.json",
  weights: "weights.bin",
  meta: "snapshot.json",
} as const;

/** The part of a tfjs `model.json` this store reads. */
export const ModelJson = t.intersection([
  t.type({
    modelTopology: JsonObject,
    weightsManifest: t.readonlyArray(t.type({
      paths: t.readonlyArray(t.string),
      weights: t.readonlyArray(WeightSpec),
    })),
  }),
  t.partial({
    userDefinedMetadata: t.partial({ oicsr: t.partial({ weightsSha256: t.string }) }),
  }),
]);
/** The part of a tfjs `model.json` this store reads. */
export type ModelJson = t.TypeOf<typeof ModelJson>;

/** The three files of a snapshot directory, as bytes. */
export type SnapshotFiles = {
  readonly modelJson: Uint8Array;
  readonly weightsBin: Uint8Array;
  readonly snapshotJson: Uint8Array;
};

/**
 * Serialises a snapshot to its files, after checking that the metadata is valid JSON for
 * {@linkcode SnapshotMeta}, that every weight's data fits its shape and dtype, and that
 * `meta.id` is the content hash. `dir` only names paths in errors.
 *
 * @example
 * ```ts
 * import { encodeSnapshotFiles } from "./files.ts";
 * import type { Snapshot } from "./snapshot.ts";
 * declare const s: Snapshot;
 * const files = encodeSnapshotFiles(s, ".oicsr/store/tmp"); // Either<StoreError, SnapshotFiles>
 * ```
 */
export function encodeSnapshotFiles(
  snapshot: Snapshot,
  dir: string,
): E.Either<StoreError, SnapshotFiles> {
  const metaPath = `${dir}/${FILES.meta}`;
  const decoded = SnapshotMeta.decode(snapshot.meta);
  if (E.isLeft(decoded)) {
    const { field, detail } = describeValidation(decoded.left);
    return E.left({
      _tag: "InvalidMeta",
      path: metaPath,
      field,
      message: `snapshot meta: ${detail}`,
    });
  }
  const bad = validateWeights(snapshot.weights, dir);
  if (bad !== undefined) return E.left(bad);
  const id = snapshotId(snapshot.topology, snapshot.weights);
  if (snapshot.meta.id !== id) {
    return E.left({
      _tag: "InvalidSnapshot",
      path: dir,
      message: `snapshot meta.id ${snapshot.meta.id} is not its content hash ${id}; ` +
        `build snapshots with snapshotFromModel() and never edit their weights`,
    });
  }
  const weightsBin = concatWeights(snapshot.weights);
  const modelJson = {
    format: "layers-model",
    generatedBy: `oicsr ${snapshot.meta.versions.oicsr}`,
    convertedBy: null,
    modelTopology: snapshot.topology,
    weightsManifest: [{
      paths: [FILES.weights],
      weights: snapshot.weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    }],
    userDefinedMetadata: { oicsr: { weightsSha256: sha256Hex(weightsBin) } },
  };
  const text = new TextEncoder();
  return E.right({
    modelJson: text.encode(JSON.stringify(modelJson)),
    weightsBin,
    snapshotJson: text.encode(JSON.stringify(snapshot.meta, null, 2) + "\n"),
  });
}

/**
 * Parses and verifies the files of the snapshot `id` found in `dir`: both JSON files are
 * validated (errors give the path of the bad field), `weights.bin` must have exactly the
 * bytes the manifest needs, and the content must hash to `id`. A hash mismatch names the
 * file that changed, using the digest of `weights.bin` recorded in `model.json`.
 *
 * @example
 * ```ts
 * import { decodeSnapshotFiles, type SnapshotFiles } from "./files.ts";
 * declare const files: SnapshotFiles;
 * const snapshot = decodeSnapshotFiles(files, ".oicsr/store/ab12", "ab12"); // Either
 * ```
 */
export function decodeSnapshotFiles(
  files: SnapshotFiles,
  dir: string,
  id: string,
): E.Either<StoreError, Snapshot> {
  const modelPath = `${dir}/${FILES.model}`;
  const weightsPath = `${dir}/${FILES.weights}`;
  const model = parseWith(ModelJson, files.modelJson, modelPath, "InvalidModelJson");
  if (E.isLeft(model)) return model;
  const meta = parseMetaJson(files.snapshotJson, `${dir}/${FILES.meta}`, id);
  if (E.isLeft(meta)) return meta;
  const manifest = model.right.weightsManifest;
  if (manifest.length !== 1 || manifest[0].paths.join() !== FILES.weights) {
    const message = `${modelPath}: field "weightsManifest" should be one group with paths ` +
      `["${FILES.weights}"], got ${JSON.stringify(manifest.map((g) => g.paths))}`;
    return E.left({ _tag: "InvalidModelJson", path: modelPath, field: "weightsManifest", message });
  }
  const recorded = model.right.userDefinedMetadata?.oicsr?.weightsSha256;
  const weightsIntact = recorded !== undefined && recorded === sha256Hex(files.weightsBin);
  const weights = decodeWeights(manifest[0].weights, files.weightsBin, weightsPath);
  if (E.isLeft(weights)) {
    if (!weightsIntact) return weights;
    const message = `${modelPath}: its weights manifest does not fit ${weightsPath}, whose ` +
      `content is intact (${weights.left.message}); model.json was edited`;
    return E.left({ _tag: "InvalidModelJson", path: modelPath, field: "weightsManifest", message });
  }
  const actual = snapshotId(model.right.modelTopology, weights.right);
  if (actual !== id) {
    const path = recorded === undefined ? dir : weightsIntact ? modelPath : weightsPath;
    const what = path === dir ? "model.json or weights.bin" : "file";
    const message = `${path}: content hash ${actual} does not match snapshot id ${id} ` +
      `(${what} corrupted or edited)`;
    return E.left({ _tag: "HashMismatch", path, expected: id, actual, message });
  }
  return E.right(
    copySnapshot({ topology: model.right.modelTopology, weights: weights.right, meta: meta.right }),
  );
}

/**
 * Parses and validates a `snapshot.json`, whose `id` must be the `id` of its directory.
 * Errors name `path` and the bad field.
 *
 * @example
 * ```ts
 * import { parseMetaJson } from "./files.ts";
 * const bytes = new TextEncoder().encode("{}");
 * parseMetaJson(bytes, "s/snapshot.json", "ab"); // Left: field "id" should be string
 * ```
 */
export function parseMetaJson(
  bytes: Uint8Array,
  path: string,
  id: string,
): E.Either<StoreError, SnapshotMeta> {
  const meta = parseWith(SnapshotMeta, bytes, path, "InvalidMeta");
  if (E.isLeft(meta) || meta.right.id === id) return meta;
  const message = `${path}: field "id" is ${meta.right.id}, but the directory is ${id}`;
  return E.left({ _tag: "InvalidMeta", path, field: "id", message });
}

/**
 * Lowercase sha256 hex of some bytes.
 *
 * @example
 * ```ts
 * import { sha256Hex } from "./files.ts";
 * sha256Hex(new Uint8Array()); // "e3b0c442..."
 * ```
 */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function parseWith<A, O>(
  codec: t.Type<A, O, unknown>,
  bytes: Uint8Array,
  path: string,
  tag: "InvalidModelJson" | "InvalidMeta",
): E.Either<StoreError, A> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    const message = `${path}: not valid JSON (${e instanceof Error ? e.message : String(e)})`;
    return E.left({ _tag: tag, path, field: "", message });
  }
  const decoded = codec.decode(json);
  if (E.isRight(decoded)) return decoded;
  const { field, detail } = describeValidation(decoded.left);
  return E.left({ _tag: tag, path, field, message: `${path}: ${detail}` });
}
