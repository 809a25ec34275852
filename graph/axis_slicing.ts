/**
 * Selecting and zeroing indices along one axis of a row-major array: the only two
 * operations pruning does to weights. Inputs are never written.
 *
 * @module
 */

type Values = Float32Array | Int32Array;

function strides(shape: ReadonlyArray<number>, axis: number): { outer: number; inner: number } {
  const outer = shape.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  return { outer, inner };
}

/**
 * The values at indices `keep` (ascending) along `axis`, and the new shape.
 *
 * @example
 * ```ts
 * import { takeAlongAxis } from "./axis_slicing.ts";
 * const r = takeAlongAxis(Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3], 1, Int32Array.of(0, 2));
 * // r.data = Float32Array [1, 3, 4, 6], r.shape = [2, 2]
 * ```
 */
export function takeAlongAxis<T extends Values>(
  data: T,
  shape: ReadonlyArray<number>,
  axis: number,
  keep: Int32Array,
): { data: T; shape: number[] } {
  const { outer, inner } = strides(shape, axis);
  const width = shape[axis];
  const out = new (data.constructor as { new (n: number): T })(outer * keep.length * inner);
  for (let o = 0; o < outer; o++) {
    for (let k = 0; k < keep.length; k++) {
      const from = (o * width + keep[k]) * inner;
      out.set(data.subarray(from, from + inner), (o * keep.length + k) * inner);
    }
  }
  const next = [...shape];
  next[axis] = keep.length;
  return { data: out, shape: next };
}

/**
 * A copy with the values at indices `drop` along `axis` set to zero.
 *
 * @example
 * ```ts
 * import { zeroAlongAxis } from "./axis_slicing.ts";
 * zeroAlongAxis(Float32Array.of(1, 2, 3, 4), [2, 2], 0, Int32Array.of(1));
 * // Float32Array [1, 2, 0, 0]
 * ```
 */
export function zeroAlongAxis<T extends Values>(
  data: T,
  shape: ReadonlyArray<number>,
  axis: number,
  drop: Int32Array,
): T {
  const { outer, inner } = strides(shape, axis);
  const width = shape[axis];
  const out = data.slice() as T;
  for (let o = 0; o < outer; o++) {
    for (const d of drop) out.fill(0, (o * width + d) * inner, (o * width + d + 1) * inner);
  }
  return out;
}
