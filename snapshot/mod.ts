/**
 * Immutable model snapshots and a content-addressed store for them.
 *
 * A {@linkcode Snapshot} is a value: the Keras topology JSON tfjs writes, the named
 * weights (copied in and out, never written in place) and the metadata of the stage that
 * made it. Its id is the sha256 of the topology and weights. The store keeps one directory
 * per id with `model.json` + `weights.bin` (the standard tfjs LayersModel format) and
 * `snapshot.json`.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { readSnapshot, runtimeVersions, snapshotFromModel, writeSnapshot } from "./mod.ts";
 * declare const model: tf.LayersModel;
 * const snapshot = await snapshotFromModel(model, {
 *   parent: null, stage: "init", options: {}, seed: 1, metrics: {},
 *   backend: { name: "cpu", adapter: "", threads: 1 }, versions: runtimeVersions("0.1.0"),
 * });
 * const id = await writeSnapshot(".oicsr/store", snapshot)();
 * ```
 *
 * @module
 */
export * from "./snapshot.ts";
export * from "./errors.ts";
export { canonicalJson, isSnapshotId, snapshotId } from "./id.ts";
export { modelFromSnapshot, runtimeVersions, snapshotFromModel } from "./from_model.ts";
export { denoFileIO } from "./io_handler.ts";
export { denoFs, type DirEntry, type StoreFs } from "./fs.ts";
export {
  defaultStoreRoot,
  exportLayersModel,
  readSnapshot,
  type StoreOptions,
  writeSnapshot,
} from "./store.ts";
export { listSnapshots, resolveSnapshotId } from "./store_list.ts";
