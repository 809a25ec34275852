/**
 * The models by name, as the command line and the stages ask for them.
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { alexnet } from "./alexnet.ts";
import { cifarnet } from "./cifarnet.ts";
import { densenet } from "./densenet.ts";
import { preactSenet18 } from "./preact_senet.ts";
import { resnet } from "./resnet.ts";
import { resnet50 } from "./resnet50.ts";

/** Names accepted by {@linkcode buildModel}. */
export const MODEL_NAMES = [
  "cifarnet",
  "alexnet",
  "resnet20",
  "resnet32",
  "resnet56",
  "resnet110",
  "densenet40",
  "preact_senet18",
  "resnet50",
] as const;
/** A model of the zoo. */
export type ModelName = typeof MODEL_NAMES[number];

/** Options shared by every model of the zoo. */
export interface BuildOptions {
  readonly seed: number;
  readonly classes: number;
}

/** The model name is not in the zoo. */
export interface UnknownModel {
  readonly _tag: "UnknownModel";
  readonly name: string;
  readonly message: string;
}

/**
 * Builds a freshly initialised model of the zoo.
 *
 * @example
 * ```ts
 * const model = buildModel("resnet20", { seed: 0, classes: 10 }); // Right(LayersModel)
 * ```
 */
export function buildModel(
  name: string,
  options: BuildOptions,
): E.Either<UnknownModel, tf.LayersModel> {
  if (name === "cifarnet") return E.right(cifarnet(options));
  if (name === "alexnet") return E.right(alexnet(options));
  if (name === "densenet40") return E.right(densenet({ ...options, depth: 40, growth: 12 }));
  if (name === "preact_senet18") return E.right(preactSenet18(options));
  if (name === "resnet50") return E.right(resnet50(options));
  const depth = /^resnet(\d+)$/.exec(name);
  if (depth && (MODEL_NAMES as readonly string[]).includes(name)) {
    return E.right(resnet({ ...options, depth: Number(depth[1]) }));
  }
  return E.left({
    _tag: "UnknownModel",
    name,
    message: `Unknown model "${name}": expected one of ${MODEL_NAMES.join(", ")}`,
  });
}
