/**
 * The error of decoding a Keras topology, and an io-ts reporter that builds it from the
 * most specific validation error (the deepest path).
 *
 * @module
 */
import type * as t from "io-ts";

/** A topology that does not have the shape or the links a Keras model needs. */
export interface TopologyError {
  readonly _tag: "InvalidTopology";
  /** The file the topology came from, e.g. `model.json`. */
  readonly file: string;
  /** Dotted path of the bad field, e.g. `modelTopology.config.layers.3.config.filters`. */
  readonly field: string;
  readonly expected: string;
  readonly actual: string;
  /** `file: field: expected ..., got ...` */
  readonly message: string;
}

/**
 * Builds an {@linkcode TopologyError} with its message.
 *
 * @example
 * ```ts
 * import { invalidTopology } from "./topology_errors.ts";
 * invalidTopology("model.json", "modelTopology.config", "an object", "[]").message;
 * // 'model.json: modelTopology.config: expected an object, got []'
 * ```
 */
export function invalidTopology(
  file: string,
  field: string,
  expected: string,
  actual: string,
): TopologyError {
  const message = `${file}: ${field}: expected ${expected}, got ${actual}`;
  return { _tag: "InvalidTopology", file, field, expected, actual, message };
}

/**
 * Reports io-ts errors as one {@linkcode TopologyError}: the deepest error wins (union
 * alternatives add shallower ones), its path rooted at `modelTopology`.
 *
 * @example
 * ```ts
 * import * as t from "io-ts";
 * import { reportTopologyErrors } from "./topology_errors.ts";
 * const r = t.type({ name: t.string }).decode({ name: 3 });
 * if (r._tag === "Left") reportTopologyErrors(r.left, "model.json").field;
 * // "modelTopology.name"
 * ```
 */
export function reportTopologyErrors(errors: t.Errors, file: string): TopologyError {
  const best = [...errors].sort((a, b) => b.context.length - a.context.length)[0];
  if (best === undefined) return invalidTopology(file, "modelTopology", "a valid value", "?");
  // Keep the entries that name a field: drop the root and union/intersection member indices.
  const named = best.context.filter((_entry, i) =>
    i > 0 && !isCombinator(best.context[i - 1].type as t.Mixed)
  );
  const field = ["modelTopology", ...named.map((entry) => entry.key)].join(".");
  const codec = named.at(-1)?.type ?? best.context[0]?.type;
  return invalidTopology(file, field, describeCodec(codec?.name), describeValue(best.value));
}

/** True for codecs that validate through members named by index (unions, intersections). */
function isCombinator(codec: t.Mixed): boolean {
  let c = codec as t.Mixed & { _tag?: string; type?: t.Mixed };
  while (c._tag === "ReadonlyType" || c._tag === "RefinementType") c = c.type as typeof c;
  return c._tag === "UnionType" || c._tag === "IntersectionType";
}

const PLAIN_NAMES: Readonly<Record<string, string>> = {
  string: "a string",
  boolean: "a boolean",
  Dim: "a non-negative integer",
  JsonObject: "a JSON object",
  Json: "a JSON value",
};

/** A phrase for what a codec accepts ("a string", "an array", ...). */
function describeCodec(name: string | undefined): string {
  if (name === undefined) return "a valid value";
  if (Object.hasOwn(PLAIN_NAMES, name)) return PLAIN_NAMES[name];
  if (name.startsWith("ReadonlyArray<") || name.startsWith("Array<")) return "an array";
  if (name.startsWith("Readonly<") && name.endsWith(">")) return describeCodec(name.slice(9, -1));
  if (name.startsWith("{") || name.startsWith("Partial<{")) return "an object";
  return name;
}

/**
 * The value as short JSON (at most 60 characters); `nothing` when the field is missing.
 *
 * @example
 * ```ts
 * import { describeValue } from "./topology_errors.ts";
 * describeValue("abc"); // '"abc"'
 * describeValue(undefined); // "nothing"
 * ```
 */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
