/**
 * Snapshots to and from live tfjs LayersModels, through in-memory IOHandlers, so that
 * topology, weight names and manifest are exactly what `model.save` writes and
 * `tf.loadLayersModel` reads.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { describeValidation } from "./errors.ts";
import { snapshotId } from "./id.ts";
import { concatWeights, decodeWeights } from "./weights.ts";
import {
  copySnapshot,
  JsonObject,
  type Snapshot,
  SnapshotMeta,
  type SnapshotMetaInput,
  type Versions,
  WeightSpec,
} from "./snapshot.ts";

/**
 * Captures a model as a snapshot: `model.save` into memory, the topology (training config
 * and optimizer state are not kept), the weights copied out in tfjs order, and the id
 * computed from both. Rejects for a weight dtype other than float32/int32 and for
 * metadata that does not fit `SnapshotMeta` (e.g. a NaN metric: JSON cannot hold it).
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { runtimeVersions, snapshotFromModel } from "./from_model.ts";
 * declare const model: tf.LayersModel;
 * const snapshot = await snapshotFromModel(model, {
 *   parent: null, stage: "init", options: {}, seed: 1, metrics: {},
 *   backend: { name: "cpu", adapter: "", threads: 1 }, versions: runtimeVersions("0.1.0"),
 * });
 * ```
 */
export async function snapshotFromModel(
  model: tf.LayersModel,
  meta: SnapshotMetaInput,
): Promise<Snapshot> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save({
    save: (artifacts) => {
      saved = artifacts;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) });
    },
  });
  if (saved === undefined) throw new Error("snapshotFromModel: model.save did not save");
  const topology = JsonObject.decode(saved.modelTopology);
  if (E.isLeft(topology)) throw new Error("snapshotFromModel: the topology is not a JSON object");
  const specs = (saved.weightSpecs ?? []).map((spec) => {
    if (!WeightSpec.is(spec)) {
      throw new Error(
        `snapshotFromModel: weight "${spec.name}" has dtype ${spec.dtype}; ` +
          `snapshots hold float32 and int32 weights`,
      );
    }
    return spec;
  });
  const bytes = saved.weightData === undefined
    ? new Uint8Array()
    : new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const weights = decodeWeights(specs, bytes, "model.save() weight data");
  if (E.isLeft(weights)) throw new Error(`snapshotFromModel: ${weights.left.message}`);
  const { createdAt = new Date().toISOString(), ...rest } = meta;
  const id = snapshotId(topology.right, weights.right);
  // `id` first in snapshot.json, and never taken from the caller's object.
  const full = SnapshotMeta.decode(Object.assign({ id }, rest, { id, createdAt }));
  if (E.isLeft(full)) {
    throw new Error(`snapshotFromModel: meta ${describeValidation(full.left).detail}`);
  }
  return copySnapshot({ topology: topology.right, weights: weights.right, meta: full.right });
}

/**
 * A new LayersModel built from a snapshot by `tf.loadLayersModel` in strict mode (every
 * weight must be present and used). The model gets its own copy of the weights and
 * topology; the snapshot stays as it was.
 *
 * @example
 * ```ts
 * import { modelFromSnapshot } from "./from_model.ts";
 * import type { Snapshot } from "./snapshot.ts";
 * declare const snapshot: Snapshot;
 * const model = await modelFromSnapshot(snapshot);
 * ```
 */
export async function modelFromSnapshot(snapshot: Snapshot): Promise<tf.LayersModel> {
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: structuredClone(snapshot.topology) as tf.io.ModelArtifacts["modelTopology"],
    format: "layers-model",
    generatedBy: `oicsr ${snapshot.meta.versions.oicsr}`,
    convertedBy: null,
    weightSpecs: snapshot.weights.map(({ name, shape, dtype }) => ({
      name,
      shape: [...shape],
      dtype,
    })),
    weightData: concatWeights(snapshot.weights).buffer as ArrayBuffer,
  };
  return await tf.loadLayersModel({ load: () => Promise.resolve(artifacts) }, { strict: true });
}

/**
 * The versions to record in a snapshot's metadata: the given oicsr version and the
 * running tfjs and Deno.
 *
 * @example
 * ```ts
 * import { runtimeVersions } from "./from_model.ts";
 * runtimeVersions("0.1.0"); // { oicsr: "0.1.0", tfjs: "4.22.0", deno: "2.9.6" }
 * ```
 */
export function runtimeVersions(oicsr: string): Versions {
  return { oicsr, tfjs: tf.version.tfjs, deno: Deno.version.deno };
}
