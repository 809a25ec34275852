/**
 * Imports a user's tfjs LayersModel (`model.json` + the weight shards its manifest lists)
 * as a snapshot with no parent (stage "import"). Everything is validated at this edge:
 * the JSON, every manifest field (errors give its path), the topology (the Keras codecs
 * of `graph/`), each shard's presence and size, and the weight dtypes.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import * as t from "io-ts";
import { countCost } from "../graph/count_cost.ts";
import { decodeTopology } from "../graph/keras_topology.ts";
import { invalidTopology } from "../graph/topology_errors.ts";
import { weightsMisfit } from "../graph/weight_fit.ts";
import { OICSR_VERSION } from "../version.ts";
import { describeValidation, type StoreError } from "./errors.ts";
import { attempt, denoFs, type StoreFs } from "./fs.ts";
import { runtimeVersions } from "./from_model.ts";
import { snapshotId } from "./id.ts";
import { copySnapshot, Dim, JsonObject, type Snapshot, SnapshotMeta } from "./snapshot.ts";
import { WeightDtype, type WeightEntry } from "./snapshot.ts";
import { shardPathProblem } from "./manifest_paths.ts";
import { readManifestWeights, type ShardGroup } from "./read_shards.ts";
import { validateWeights } from "./weights.ts";

/** One weight of a manifest as a user's file may have it: any dtype, maybe quantised. */
export const ManifestWeight = t.intersection([
  t.type({ name: t.string, shape: t.readonlyArray(Dim), dtype: t.string }),
  t.partial({ quantization: t.unknown }),
]);
/** One weight of a manifest as a user's file may have it: any dtype, maybe quantised. */
export type ManifestWeight = t.TypeOf<typeof ManifestWeight>;

/** The part of a user's tfjs `model.json` an import reads. */
export const LayersModelJson = t.intersection([
  t.type({
    modelTopology: JsonObject,
    weightsManifest: t.readonlyArray(t.type({
      paths: t.readonlyArray(t.string),
      weights: t.readonlyArray(ManifestWeight),
    })),
  }),
  t.partial({ format: t.string }),
]);
/** The part of a user's tfjs `model.json` an import reads. */
export type LayersModelJson = t.TypeOf<typeof LayersModelJson>;

/** Options of {@linkcode importLayersModel}. */
export interface ImportOptions {
  /** The file system; defaults to Deno's. Tests inject failures here. */
  readonly fs?: StoreFs;
}

/** A parsed `model.json`: its topology (Keras `model_config` unwrapped) and manifest. */
interface ParsedModel {
  readonly topology: JsonObject;
  /** The manifest, its dtypes checked (float32 or int32, none quantised). */
  readonly manifest: ReadonlyArray<ShardGroup>;
}

/**
 * Reads a tfjs LayersModel from `modelJsonPath` and the shards its `weightsManifest` names
 * (paths relative to the model.json's folder; any number of groups and shards) into a
 * snapshot: parent null, stage "import", options `{ file: modelJsonPath }`, seed 0,
 * metrics `macs` and `params` (graph/count_cost.ts: the MACs of the layers it can count),
 * backend "none". Every error names the file and, for `model.json`, the field.
 *
 * @example
 * ```ts
 * import { importLayersModel } from "./import_layers_model.ts";
 * const r = await importLayersModel("my-model/model.json")();
 * if (r._tag === "Left") console.error(r.left.message);
 * // e.g. 'my-model/group1-shard2of2.bin: file not found (read)'
 * ```
 */
export function importLayersModel(
  modelJsonPath: string,
  options: ImportOptions = {},
): TE.TaskEither<StoreError, Snapshot> {
  const fs = options.fs ?? denoFs;
  return pipe(
    attempt(modelJsonPath, "read", () => fs.readFile(modelJsonPath)),
    TE.chainEitherK((bytes) => parseLayersModelJson(bytes, modelJsonPath)),
    TE.chain((model) =>
      pipe(
        readManifestWeights(model.manifest, modelJsonPath, fs),
        TE.chainEitherK((weights) => importedSnapshot(model.topology, weights, modelJsonPath)),
      )
    ),
  );
}

/**
 * Parses and validates the bytes of a user's `model.json`: JSON, manifest fields, format,
 * weight dtypes (float32/int32, not quantised) and the Keras topology.
 *
 * @example
 * ```ts
 * import { parseLayersModelJson } from "./import_layers_model.ts";
 * const r = parseLayersModelJson(new TextEncoder().encode("{}"), "m/model.json");
 * if (r._tag === "Left") r.left.message; // 'm/model.json: field "modelTopology" should be ...'
 * ```
 */
export function parseLayersModelJson(
  bytes: Uint8Array,
  path: string,
): E.Either<StoreError, ParsedModel> {
  const fail = (field: string, message: string) =>
    E.left<StoreError>({ _tag: "InvalidModelJson", path, field, message: `${path}: ${message}` });
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (e) {
    return fail("", `not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  const decoded = LayersModelJson.decode(json);
  if (E.isLeft(decoded)) {
    const { field, detail } = describeValidation(decoded.left);
    return fail(field, detail);
  }
  const { format, modelTopology, weightsManifest } = decoded.right;
  if (format !== undefined && format !== "layers-model") {
    return fail(
      "format",
      `field "format" is "${format}"; only LayersModel files ("layers-model", ` +
        `written by tf.LayersModel.save or converted from Keras) can be imported`,
    );
  }
  const names = new Set<string>();
  for (const [g, group] of weightsManifest.entries()) {
    if (group.paths.length === 0 && group.weights.length > 0) {
      return fail(`weightsManifest.${g}.paths`, `weights manifest group ${g} names no shard file`);
    }
    for (const [k, name] of group.paths.entries()) {
      const why = shardPathProblem(name);
      const field = `weightsManifest[${g}].paths[${k}]`;
      if (why !== undefined) {
        return fail(
          field,
          `field "${field}" is ${JSON.stringify(name)}: ${why}; weight files must be ` +
            `named relative to the model's folder and lie inside it`,
        );
      }
    }
    for (const [i, w] of group.weights.entries()) {
      const field = `weightsManifest.${g}.weights.${i}`;
      if (names.has(w.name)) {
        const message = `${path}: field "${field}.name": weight "${w.name}" appears twice`;
        return E.left({ _tag: "InvalidSnapshot", path, message });
      }
      names.add(w.name);
      if (w.quantization !== undefined) {
        return fail(
          `${field}.quantization`,
          `weight "${w.name}" is quantised; save the model without quantisation`,
        );
      }
      if (!WeightDtype.is(w.dtype)) {
        return fail(
          `${field}.dtype`,
          `weight "${w.name}" has dtype ${w.dtype}; only float32 and int32 weights can be imported`,
        );
      }
    }
  }
  // Every weight's dtype was checked above.
  const manifest = weightsManifest as ReadonlyArray<ShardGroup>;
  return E.map((topology: JsonObject) => ({ topology, manifest }))(
    kerasTopology(modelTopology, path),
  );
}

/** The topology, unwrapped from Keras' `{ model_config }` form, checked by the graph codecs. */
function kerasTopology(json: JsonObject, path: string): E.Either<StoreError, JsonObject> {
  const wrapped = typeof json.model_config === "object" && json.model_config !== null &&
    !Array.isArray(json.model_config);
  const topology = wrapped ? json.model_config as JsonObject : json;
  return pipe(
    decodeTopology(topology, path),
    E.bimap((error) => {
      const field = wrapped
        ? error.field.replace(/^modelTopology/, "modelTopology.model_config")
        : error.field;
      const { message } = invalidTopology(path, field, error.expected, error.actual);
      return { _tag: "InvalidModelJson" as const, path, field, message };
    }, () => topology),
  );
}

function importedSnapshot(
  topology: JsonObject,
  weights: ReadonlyArray<WeightEntry>,
  path: string,
): E.Either<StoreError, Snapshot> {
  const bad = validateWeights(weights, path);
  if (bad !== undefined) return E.left(bad);
  const misfit = weightsMisfit(topology, weights, path);
  if (misfit !== undefined) {
    return E.left({ _tag: "InvalidModelJson", path, field: misfit.field, message: misfit.message });
  }
  const id = snapshotId(topology, weights);
  const cost = countCost({ topology, weights });
  const metrics = E.isRight(cost) ? { macs: cost.right.macs, params: cost.right.params } : {};
  const meta = SnapshotMeta.decode({
    id,
    parent: null,
    stage: "import",
    options: { file: path },
    seed: 0,
    metrics,
    backend: { name: "none", adapter: "", threads: 0 },
    versions: runtimeVersions(OICSR_VERSION),
    createdAt: new Date().toISOString(),
  });
  if (E.isLeft(meta)) {
    const message = `${path}: snapshot meta ${describeValidation(meta.left).detail}`;
    return E.left({ _tag: "InvalidSnapshot", path, message });
  }
  return E.right(copySnapshot({ topology, weights, meta: meta.right }));
}
