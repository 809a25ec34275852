/**
 * Named weights to and from the flat little-endian buffer of a tfjs weights manifest
 * (`weights.bin`). Decoding copies: the snapshot never shares memory with a file buffer
 * or a model.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type { InvalidSnapshot, SizeMismatch, Truncated } from "./errors.ts";
import { rawBytes } from "./id.ts";
import { elementCount, type WeightEntry, type WeightSpec } from "./snapshot.ts";

/** Bytes per element of each weight dtype. */
const BYTES_PER_ELEMENT = { float32: 4, int32: 4 } as const;

/**
 * Bytes the weights of a manifest take in the buffer.
 *
 * @example
 * ```ts
 * import { manifestByteLength } from "./weights.ts";
 * manifestByteLength([{ name: "k", shape: [3, 2], dtype: "float32" }]); // 24
 * ```
 */
export function manifestByteLength(specs: ReadonlyArray<WeightSpec>): number {
  return specs.reduce((n, s) => n + elementCount(s.shape) * BYTES_PER_ELEMENT[s.dtype], 0);
}

/**
 * Cuts a weights buffer into named weights (copies), checking that it holds exactly the
 * bytes the manifest needs. `path` names the buffer's file in errors.
 *
 * @example
 * ```ts
 * import { decodeWeights } from "./weights.ts";
 * const bytes = new Uint8Array(new Float32Array([1, 2]).buffer);
 * decodeWeights([{ name: "b", shape: [2], dtype: "float32" }], bytes, "weights.bin");
 * ```
 */
export function decodeWeights(
  specs: ReadonlyArray<WeightSpec>,
  bytes: Uint8Array,
  path: string,
): E.Either<Truncated | SizeMismatch, ReadonlyArray<WeightEntry>> {
  const expectedBytes = manifestByteLength(specs);
  const actualBytes = bytes.byteLength;
  if (actualBytes < expectedBytes) {
    const message = `${path}: truncated: has ${actualBytes} bytes, ` +
      `the weights manifest needs ${expectedBytes} bytes`;
    return E.left({ _tag: "Truncated", path, expectedBytes, actualBytes, message });
  }
  if (actualBytes > expectedBytes) {
    const message = `${path}: has ${actualBytes} bytes, ` +
      `${actualBytes - expectedBytes} more than the ${expectedBytes} the weights manifest needs`;
    return E.left({ _tag: "SizeMismatch", path, expectedBytes, actualBytes, message });
  }
  const weights: WeightEntry[] = [];
  let offset = 0;
  for (const { name, shape, dtype } of specs) {
    const length = elementCount(shape) * BYTES_PER_ELEMENT[dtype];
    const chunk = bytes.slice(offset, offset + length).buffer; // a copy, aligned at 0
    const data = dtype === "float32" ? new Float32Array(chunk) : new Int32Array(chunk);
    weights.push({ name, shape: [...shape], dtype, data });
    offset += length;
  }
  return E.right(weights);
}

/**
 * A fresh buffer with the bytes of all weights, in order (the `weights.bin` layout).
 *
 * @example
 * ```ts
 * import { concatWeights } from "./weights.ts";
 * concatWeights([{ name: "b", shape: [1], dtype: "int32", data: new Int32Array([7]) }]).length; // 4
 * ```
 */
export function concatWeights(weights: ReadonlyArray<WeightEntry>): Uint8Array {
  const out = new Uint8Array(weights.reduce((n, w) => n + w.data.byteLength, 0));
  let offset = 0;
  for (const w of weights) {
    out.set(rawBytes(w.data), offset);
    offset += w.data.byteLength;
  }
  return out;
}

/**
 * The first inconsistency among weights: a duplicate name, data whose length does not fit
 * the shape, or an array type that does not fit the dtype; `undefined` when all fit.
 *
 * @example
 * ```ts
 * import { validateWeights } from "./weights.ts";
 * validateWeights([{ name: "b", shape: [2], dtype: "float32", data: new Float32Array(3) }], "x")
 *   ?.message; // 'x: weight "b" has 3 values, its shape [2] needs 2'
 * ```
 */
export function validateWeights(
  weights: ReadonlyArray<WeightEntry>,
  path: string,
): InvalidSnapshot | undefined {
  const seen = new Set<string>();
  for (const { name, shape, dtype, data } of weights) {
    const fail = (why: string): InvalidSnapshot => ({
      _tag: "InvalidSnapshot",
      path,
      message: `${path}: weight "${name}" ${why}`,
    });
    if (seen.has(name)) return fail("appears twice");
    seen.add(name);
    const expectedType = dtype === "float32" ? Float32Array : Int32Array;
    if (!(data instanceof expectedType)) {
      return fail(`has dtype ${dtype} but holds a ${data.constructor.name}`);
    }
    if (data.length !== elementCount(shape)) {
      return fail(
        `has ${data.length} values, its shape ${JSON.stringify(shape)} needs ${
          elementCount(shape)
        }`,
      );
    }
  }
  return undefined;
}

/**
 * The first NaN or ±Infinity among float32 weights, with its byte offset in the
 * `weights.bin` layout of `weights` (see {@linkcode concatWeights}); undefined when all
 * values are finite.
 *
 * @example
 * ```ts
 * import { firstNonFinite } from "./weights.ts";
 * const data = new Float32Array([1, NaN]);
 * firstNonFinite([{ name: "b", shape: [2], dtype: "float32", data }]);
 * // { weight: "b", index: 1, value: NaN, byteOffset: 4 }
 * ```
 */
export function firstNonFinite(
  weights: ReadonlyArray<WeightEntry>,
): { weight: string; index: number; value: number; byteOffset: number } | undefined {
  let offset = 0;
  for (const { name, data } of weights) {
    if (data instanceof Float32Array) {
      for (let i = 0; i < data.length; i++) {
        if (!Number.isFinite(data[i])) {
          return { weight: name, index: i, value: data[i], byteOffset: offset + 4 * i };
        }
      }
    }
    offset += data.byteLength;
  }
  return undefined;
}
