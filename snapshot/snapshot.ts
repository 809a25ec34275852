/**
 * Codecs and types of an immutable model snapshot: the Keras topology JSON that
 * tfjs writes, the named weights, and the metadata of the stage that made it.
 *
 * The io-ts codecs below are the single source of the types (`type X = t.TypeOf<typeof X>`).
 *
 * @module
 */
import * as t from "io-ts";

/** A number that JSON can hold: not NaN, not ±Infinity. */
export const FiniteNumber: t.Type<number, number, unknown> = new t.Type<number, number, unknown>(
  "FiniteNumber",
  (u): u is number => typeof u === "number" && Number.isFinite(u),
  (u, c) => typeof u === "number" && Number.isFinite(u) ? t.success(u) : t.failure(u, c),
  t.identity,
);

/** Any JSON value (numbers finite), read-only. */
export type Json =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<Json>
  | { readonly [key: string]: Json };

/** Codec of {@linkcode Json}. */
export const Json: t.Type<Json> = t.recursion<Json>(
  "Json",
  () => t.union([t.null, t.boolean, FiniteNumber, t.string, t.readonlyArray(Json), JsonObject]),
);

/** A JSON object (not an array, not null). */
export type JsonObject = { readonly [key: string]: Json };

/** Codec of {@linkcode JsonObject}. */
export const JsonObject: t.Type<JsonObject> = t.recursion<JsonObject>(
  "JsonObject",
  () => t.readonly(t.record(t.string, Json)),
);

/** The backend a stage ran on, as backend selection reports it. */
export const BackendInfo = t.readonly(
  t.type({ name: t.string, adapter: t.string, threads: FiniteNumber }),
);
/** The backend a stage ran on, as backend selection reports it. */
export type BackendInfo = t.TypeOf<typeof BackendInfo>;

/** Versions of the software that made a snapshot. */
export const Versions = t.readonly(t.type({ oicsr: t.string, tfjs: t.string, deno: t.string }));
/** Versions of the software that made a snapshot. */
export type Versions = t.TypeOf<typeof Versions>;

/** Metadata of a snapshot; `snapshot.json` in the store holds exactly this. */
export const SnapshotMeta = t.readonly(t.type({
  /** sha256 hex of the canonical topology and weights (not of this metadata). */
  id: t.string,
  /** Id of the snapshot this one was made from; null for a fresh model. */
  parent: t.union([t.string, t.null]),
  /** Stage that made it: "init", "train", "prune", ... */
  stage: t.string,
  /** The stage's exact options. */
  options: Json,
  seed: FiniteNumber,
  /** e.g. top1, loss, macs, params, seconds. */
  metrics: t.readonly(t.record(t.string, FiniteNumber)),
  backend: BackendInfo,
  versions: Versions,
  /** ISO time; informational, not part of the id. */
  createdAt: t.string,
}));
/** Metadata of a snapshot; `snapshot.json` in the store holds exactly this. */
export type SnapshotMeta = t.TypeOf<typeof SnapshotMeta>;

/** What a stage supplies: the metadata less the computed id and (optionally) the clock. */
export type SnapshotMetaInput = Omit<SnapshotMeta, "id" | "createdAt"> & {
  /** ISO time; defaults to now. */
  readonly createdAt?: string;
};

/** The weight dtypes a snapshot holds. */
export const WeightDtype = t.keyof({ float32: null, int32: null });
/** The weight dtypes a snapshot holds. */
export type WeightDtype = t.TypeOf<typeof WeightDtype>;

/** A non-negative integer (a dimension). */
export const Dim: t.Type<number, number, unknown> = new t.Type<number, number, unknown>(
  "Dim",
  (u): u is number => typeof u === "number" && Number.isInteger(u) && u >= 0,
  (u, c) => typeof u === "number" && Number.isInteger(u) && u >= 0 ? t.success(u) : t.failure(u, c),
  t.identity,
);

/** Name, shape and dtype of one weight, as in a tfjs weights manifest. */
export const WeightSpec = t.readonly(t.type({
  name: t.string,
  shape: t.readonlyArray(Dim),
  dtype: WeightDtype,
}));
/** Name, shape and dtype of one weight, as in a tfjs weights manifest. */
export type WeightSpec = t.TypeOf<typeof WeightSpec>;

type WeightArray = Float32Array | Int32Array;
/** The values of one weight: a Float32Array or an Int32Array. */
export const WeightArray: t.Type<WeightArray, WeightArray, unknown> = new t.Type<
  WeightArray,
  WeightArray,
  unknown
>(
  "Float32Array | Int32Array",
  (u): u is WeightArray => u instanceof Float32Array || u instanceof Int32Array,
  (u, c) => u instanceof Float32Array || u instanceof Int32Array ? t.success(u) : t.failure(u, c),
  t.identity,
);

/** One named weight. Treat `data` as read-only: copy it before changing anything. */
export const WeightEntry = t.readonly(t.intersection([WeightSpec, t.type({ data: WeightArray })]));
/** One named weight. Treat `data` as read-only: copy it before changing anything. */
export type WeightEntry = t.TypeOf<typeof WeightEntry>;

/** An immutable model snapshot: topology, named weights in tfjs order, metadata. */
export const Snapshot = t.readonly(t.type({
  topology: JsonObject,
  weights: t.readonlyArray(WeightEntry),
  meta: SnapshotMeta,
}));
/** An immutable model snapshot: topology, named weights in tfjs order, metadata. */
export type Snapshot = t.TypeOf<typeof Snapshot>;

/**
 * Number of elements a shape holds (1 for a scalar).
 *
 * @example
 * ```ts
 * import { elementCount } from "./snapshot.ts";
 * elementCount([3, 3, 2, 8]); // 144
 * ```
 */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/**
 * A deep copy of a snapshot with every object frozen: the weight arrays are copied
 * (typed arrays cannot be frozen), so later writes to the input do not reach it.
 *
 * @example
 * ```ts
 * import { copySnapshot, type Snapshot } from "./snapshot.ts";
 * declare const s: Snapshot;
 * const mine = copySnapshot(s);
 * ```
 */
export function copySnapshot(snapshot: Snapshot): Snapshot {
  return Object.freeze({
    topology: deepFreeze(structuredClone(snapshot.topology)),
    weights: Object.freeze(snapshot.weights.map((w) =>
      Object.freeze({
        name: w.name,
        shape: Object.freeze([...w.shape]),
        dtype: w.dtype,
        data: w.data.slice(),
      })
    )),
    meta: deepFreeze(structuredClone(snapshot.meta)),
  });
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
