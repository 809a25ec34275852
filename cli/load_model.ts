/**
 * The model `--model` names, as a snapshot: a model of the zoo built from the seed (stage
 * "init"), or a user's tfjs LayersModel imported from its `model.json` (stage "import");
 * its facts for `--explain`; and the check that an imported model fits the data.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { basename, dirname } from "node:path";
import type { ImageSet } from "../datasets/image_set.ts";
import { countCost } from "../graph/count_cost.ts";
import { decodeTopology, type TopologyError } from "../graph/keras_topology.ts";
import type { ModelName, UnknownModel } from "../models/zoo.ts";
import type { StoreError } from "../snapshot/errors.ts";
import { modelFromSnapshot } from "../snapshot/from_model.ts";
import { importLayersModel } from "../snapshot/import_layers_model.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import type { StageEnv } from "../stages/env.ts";
import { init } from "../stages/init.ts";
import type { ModelFacts } from "./explain.ts";
import { isModelFile, type ModelFile, type PruneOptions } from "./options.ts";

/** An imported model that cannot be trained on the data as it is. */
export interface ModelMismatch {
  readonly _tag: "ModelMismatch";
  readonly file: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
}

/** Why the model `--model` names cannot be had. */
export type ModelError = StoreError | UnknownModel | TopologyError | ModelMismatch;

/**
 * Classes of the data `--data` / `--labels` name, known without loading it.
 *
 * @example
 * ```ts
 * import { classesOf } from "./load_model.ts";
 * classesOf({ data: "cifar100", labels: "coarse" }); // 20
 * ```
 */
export function classesOf(o: Pick<PruneOptions, "data" | "labels">): number {
  if (o.data === "imagenet") return 1000;
  return o.data !== "cifar100" ? 10 : o.labels === "coarse" ? 20 : 100;
}

/**
 * A short name of the model for folder names: the zoo name, or the model file's name
 * without `.json` (its folder's name when the file is `model.json`).
 *
 * @example
 * ```ts
 * import { modelLabel } from "./load_model.ts";
 * modelLabel("zoo/mynet/model.json"); // "mynet"
 * modelLabel("resnet20"); // "resnet20"
 * ```
 */
export function modelLabel(model: string): string {
  if (!isModelFile(model)) return model;
  const stem = basename(model).slice(0, -".json".length);
  const folder = basename(dirname(model));
  return stem === "model" && folder !== "." && folder !== "" ? folder : stem || "model";
}

/**
 * The snapshot of `model`: the zoo model built with `seed` for `classes` classes, or the
 * tfjs LayersModel in the file, imported.
 *
 * @example
 * ```ts
 * import { modelSnapshot } from "./load_model.ts";
 * import type { StageEnv } from "../stages/env.ts";
 * declare const env: StageEnv;
 * const r = await modelSnapshot("my/model.json", { classes: 10, seed: 0 }, env)();
 * ```
 */
export function modelSnapshot(
  model: ModelName | ModelFile,
  options: { readonly classes: number; readonly seed: number },
  env: StageEnv,
): TE.TaskEither<ModelError, Snapshot> {
  return isModelFile(model)
    ? importLayersModel(model)
    : init({ model, classes: options.classes, seed: options.seed }, env);
}

/**
 * Layers, MACs and parameters of a snapshot (graph/count_cost.ts), for `--explain`.
 *
 * @example
 * ```ts
 * import { modelFacts } from "./load_model.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const resnet20: Snapshot;
 * modelFacts(resnet20, "resnet20").macs; // 40_813_184
 * ```
 */
export function modelFacts(snapshot: Snapshot, model: string): ModelFacts {
  const cost = countCost(snapshot);
  const params = snapshot.weights.reduce((n, w) => n + w.data.length, 0);
  if (E.isLeft(cost)) return { model, layers: 0, macs: null, params, uncounted: [] };
  const { layers, macs, uncounted } = cost.right;
  return { model, layers: layers.length, macs, params, uncounted };
}

/**
 * Checks that the imported model in `file` can be trained on `data`: tfjs builds it, it
 * has one input of the images' shape and one output per class, and it ends in logits
 * (training applies the softmax itself). Resolves to the snapshot.
 *
 * @example
 * ```ts
 * import { checkFitsData } from "./load_model.ts";
 * import type { ImageSet } from "../datasets/image_set.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const imported: Snapshot, train: ImageSet;
 * const r = await checkFitsData(imported, "my.json", train)();
 * // Left: 'my.json: the model takes inputs of [28, 28, 1]; cifar10 images are [32, 32, 3]'
 * ```
 */
export function checkFitsData(
  snapshot: Snapshot,
  file: string,
  data: ImageSet,
): TE.TaskEither<ModelMismatch, Snapshot> {
  return async () => {
    const unknown = unregisteredLayer(snapshot);
    if (unknown !== undefined) {
      const why = `tfjs does not know the class "${unknown.cls}" of layer "${unknown.name}", ` +
        `so it cannot train the model (--explain still shows its channel groups)`;
      return E.left(mismatch(file, "layer classes tfjs knows", unknown.cls, why));
    }
    let model: tf.LayersModel;
    try {
      model = await modelFromSnapshot(snapshot);
    } catch (e) {
      const why = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      return E.left(mismatch(file, "a model tfjs can build", why, `tfjs cannot build it: ${why}`));
    }
    try {
      const problem = misfit(model, file, data);
      return problem === undefined ? E.right(snapshot) : E.left(problem);
    } finally {
      model.dispose();
    }
  };
}

/** The first layer of a class tfjs has not registered (building it would throw, and leak). */
function unregisteredLayer(snapshot: Snapshot): { name: string; cls: string } | undefined {
  const topology = decodeTopology(snapshot.topology, "model.json");
  if (E.isLeft(topology)) return undefined; // tfjs reports it when it tries to build
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  const layers: ReadonlyArray<{ class_name: string; config: { name: string } }> =
    topology.right.config.layers;
  const layer = layers.find((l) => !Object.hasOwn(known, l.class_name));
  return layer && { name: layer.config.name, cls: layer.class_name };
}

function misfit(model: tf.LayersModel, file: string, data: ImageSet): ModelMismatch | undefined {
  const set = data.name.split("/")[0];
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    const actual = `${model.inputs.length} inputs, ${model.outputs.length} outputs`;
    return mismatch(
      file,
      "1 input, 1 output",
      actual,
      `the model has ${actual}; training needs 1 and 1`,
    );
  }
  const images = [data.height, data.width, data.channels];
  const takes = model.inputs[0].shape.slice(1);
  const fits = takes.length === 3 && takes.every((d, i) => d === null || d === images[i]);
  if (!fits) {
    const shown = `[${takes.map((d) => d ?? "any").join(", ")}]`;
    return mismatch(
      file,
      `[${images.join(", ")}]`,
      shown,
      `the model takes inputs of ${shown}; ${set} images are [${images.join(", ")}]`,
    );
  }
  const out = model.outputs[0].shape;
  if (out.length !== 2 || out[1] !== data.classes) {
    const actual = out.length === 2 ? `${out[1]} outputs` : `outputs of shape [${out.slice(1)}]`;
    return mismatch(
      file,
      `${data.classes} outputs`,
      actual,
      `the model has ${actual}; ${set} has ${data.classes} classes`,
    );
  }
  const last = model.outputs[0].sourceLayer;
  const activation = (last.getConfig() as { activation?: unknown }).activation;
  if (last.getClassName() === "Softmax" || activation === "softmax") {
    return mismatch(
      file,
      "logits",
      "softmax",
      `the model ends in a softmax (layer "${last.name}"); training needs logits: ` +
        `save the model without its final softmax`,
    );
  }
  return undefined;
}

function mismatch(file: string, expected: string, actual: string, why: string): ModelMismatch {
  return { _tag: "ModelMismatch", file, expected, actual, message: `${file}: ${why}` };
}
