/**
 * Errors of the snapshot store, as tagged values with the facts and a message a
 * user can act on. Every error names the file (or directory) it is about.
 *
 * @module
 */
import type * as t from "io-ts";

/** A file or directory that should exist does not. */
export type NotFound = {
  readonly _tag: "NotFound";
  readonly path: string;
  readonly message: string;
};
/** The file system refused an operation (permissions, disk full, ...). */
export type IoError = {
  readonly _tag: "IoError";
  readonly path: string;
  readonly operation: string;
  readonly message: string;
};
/** `model.json` is not JSON or not a LayersModel file this store wrote. */
export type InvalidModelJson = {
  readonly _tag: "InvalidModelJson";
  readonly path: string;
  readonly field: string;
  readonly message: string;
};
/** `snapshot.json` is not JSON or a field does not fit {@linkcode SnapshotMeta}. */
export type InvalidMeta = {
  readonly _tag: "InvalidMeta";
  readonly path: string;
  readonly field: string;
  readonly message: string;
};
/** A file is shorter than its manifest says. */
export type Truncated = {
  readonly _tag: "Truncated";
  readonly path: string;
  readonly expectedBytes: number;
  readonly actualBytes: number;
  readonly message: string;
};
/** A file is longer than its manifest says. */
export type SizeMismatch = {
  readonly _tag: "SizeMismatch";
  readonly path: string;
  readonly expectedBytes: number;
  readonly actualBytes: number;
  readonly message: string;
};
/** The content does not hash to the snapshot id. */
export type HashMismatch = {
  readonly _tag: "HashMismatch";
  readonly path: string;
  readonly expected: string;
  readonly actual: string;
  readonly message: string;
};
/** A snapshot cannot be built (unsupported dtype, data of the wrong length, ...). */
export type InvalidSnapshot = {
  readonly _tag: "InvalidSnapshot";
  readonly path: string;
  readonly message: string;
};
/** An id prefix that is not hex, or that matches several snapshots. */
export type BadIdPrefix = {
  readonly _tag: "BadIdPrefix";
  readonly path: string;
  readonly prefix: string;
  readonly matches: readonly string[];
  readonly message: string;
};

/** Anything the store can fail with. */
export type StoreError =
  | NotFound
  | IoError
  | InvalidModelJson
  | InvalidMeta
  | Truncated
  | SizeMismatch
  | HashMismatch
  | InvalidSnapshot
  | BadIdPrefix;

/**
 * Turns an exception thrown by a Deno file-system call into a {@linkcode StoreError}.
 *
 * @example
 * ```ts
 * import { ioError } from "./errors.ts";
 * try { await Deno.readFile("/nope"); } catch (e) { ioError("/nope", "read", e).message; }
 * ```
 */
export function ioError(path: string, operation: string, cause: unknown): NotFound | IoError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  if (cause instanceof Deno.errors.NotFound) {
    return { _tag: "NotFound", path, message: `${path}: file not found (${operation})` };
  }
  return { _tag: "IoError", path, operation, message: `${path}: cannot ${operation}: ${reason}` };
}

/**
 * The path (`a.b.0.c`) and a one-line description of the first io-ts validation error.
 *
 * @example
 * ```ts
 * import * as t from "io-ts";
 * import { describeValidation } from "./errors.ts";
 * const r = t.type({ seed: t.number }).decode({ seed: "x" });
 * if (r._tag === "Left") describeValidation(r.left).field; // "seed"
 * ```
 */
export function describeValidation(
  errors: t.Errors,
): { readonly field: string; readonly detail: string } {
  // The deepest path is the most specific (union alternatives add shallow ones).
  const best = [...errors].sort((a, b) => b.context.length - a.context.length)[0];
  if (best === undefined) return { field: "", detail: "invalid value" };
  // Keep the entries that name a field: drop the root and union/intersection member indices.
  const named = best.context.filter((_entry, i) =>
    i > 0 && !isCombinator(best.context[i - 1].type as t.Mixed)
  );
  const field = named.map((entry) => entry.key).join(".");
  const expected = named.at(-1)?.type.name ?? best.context[0]?.type.name ?? "a valid value";
  const got = best.value === undefined ? "nothing" : shortJson(best.value);
  return { field, detail: `field "${field}" should be ${expected}, got ${got}` };
}

/** True for codecs that validate through members named by index (unions, intersections). */
function isCombinator(codec: t.Mixed): boolean {
  let c = codec as t.Mixed & { _tag?: string; type?: t.Mixed };
  while (c._tag === "RecursiveType" || c._tag === "ReadonlyType" || c._tag === "RefinementType") {
    c = c.type as typeof c;
  }
  return c._tag === "UnionType" || c._tag === "IntersectionType";
}

function shortJson(value: unknown): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
