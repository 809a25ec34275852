/**
 * Content address of a snapshot: sha256 over a canonical serialisation of the topology
 * and the weights. The metadata is not part of it, so the same model always gets the
 * same id, whichever stage, time or machine produced it.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { Json, JsonObject, WeightEntry } from "./snapshot.ts";

/** Version tag hashed first, so a change of this serialisation changes every id. */
const FORMAT = "oicsr-snapshot-id-v1";

/**
 * JSON text of a value with the keys of every object sorted (code-unit order) and no
 * whitespace, so that equal values give equal text whatever their key order.
 *
 * @example
 * ```ts
 * import { canonicalJson } from "./id.ts";
 * canonicalJson({ b: 1, a: [true, null] }); // '{"a":[true,null],"b":1}'
 * ```
 */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new RangeError(`canonicalJson: ${value} has no JSON form`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${(value as readonly Json[]).map(canonicalJson).join(",")}]`;
  }
  const object = value as JsonObject;
  const keys = Object.keys(object).filter((k) => object[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(object[k])}`).join(",")}}`;
}

/**
 * The snapshot id: lowercase sha256 hex over the format tag, the canonical topology JSON,
 * then for each weight in order its name, dtype, shape and raw little-endian bytes. Every
 * part is length-prefixed, so no two different inputs share a serialisation.
 *
 * @example
 * ```ts
 * import { snapshotId } from "./id.ts";
 * const id = snapshotId({ class_name: "Sequential" }, [
 *   { name: "d/bias", shape: [2], dtype: "float32", data: new Float32Array([0, 1]) },
 * ]);
 * id.length; // 64
 * ```
 */
export function snapshotId(
  topology: JsonObject,
  weights: ReadonlyArray<WeightEntry>,
): string {
  const hash = createHash("sha256");
  const text = (s: string) => bytes(new TextEncoder().encode(s));
  const bytes = (b: Uint8Array) => {
    hash.update(u64(b.byteLength));
    hash.update(b);
  };
  text(FORMAT);
  text(canonicalJson(topology));
  hash.update(u64(weights.length));
  for (const w of weights) {
    text(w.name);
    text(w.dtype);
    text(JSON.stringify(w.shape));
    bytes(rawBytes(w.data));
  }
  return hash.digest("hex");
}

/**
 * True for a full snapshot id: 64 lowercase hex digits.
 *
 * @example
 * ```ts
 * import { isSnapshotId } from "./id.ts";
 * isSnapshotId("abc"); // false
 * ```
 */
export function isSnapshotId(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text);
}

/**
 * A view of the bytes of a weight array (no copy). tfjs, and so `weights.bin`, uses the
 * host's byte order, which is little-endian on every platform tfjs supports.
 *
 * @example
 * ```ts
 * import { rawBytes } from "./id.ts";
 * rawBytes(new Float32Array([1])).length; // 4
 * ```
 */
export function rawBytes(data: Float32Array | Int32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function u64(n: number): Uint8Array {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  return out;
}
