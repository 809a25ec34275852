/**
 * A small seeded pseudo-random generator (splitmix32) for reproducible shuffles and
 * augmentation. Never uses `Math.random`.
 *
 * @module
 */

/** A generator of uniformly distributed unsigned 32-bit integers. */
export type Rng = () => number;

/** Murmur3's 32-bit finaliser: a bijective mix of all input bits. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * splitmix32: a fast generator with a 2^32 period that passes the usual statistical
 * tests; the same seed always gives the same sequence.
 *
 * @example
 * ```ts
 * import { splitmix32 } from "./rng.ts";
 * const a = splitmix32(42), b = splitmix32(42);
 * console.log(a() === b()); // true
 * ```
 */
export function splitmix32(seed: number): Rng {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let t = state ^ (state >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/**
 * Combines integers (e.g. seed, epoch, stream) into one 32-bit seed; different tuples give
 * unrelated seeds.
 *
 * @example
 * ```ts
 * import { mixSeed } from "./rng.ts";
 * console.log(mixSeed(1, 0) !== mixSeed(1, 1)); // true
 * ```
 */
export function mixSeed(...parts: readonly number[]): number {
  let h = 0x243f6a88;
  for (const part of parts) {
    h = fmix32((h ^ fmix32((part | 0) + 0x9e3779b9)) + 0x7f4a7c15);
    // Numbers beyond 32 bits contribute their high part too.
    const high = Math.floor(part / 4294967296);
    if (high !== 0 && Number.isFinite(high)) h = fmix32(h ^ (high | 0));
  }
  return h;
}

/**
 * An integer in 0 .. n - 1 (multiply-shift; bias below n / 2^32, negligible for data sets).
 *
 * @example
 * ```ts
 * import { splitmix32, uniformInt } from "./rng.ts";
 * const r = uniformInt(splitmix32(7), 9);
 * console.log(r >= 0 && r < 9); // true
 * ```
 */
export function uniformInt(rng: Rng, n: number): number {
  return Math.floor((rng() * n) / 4294967296);
}

/**
 * A uniformly random permutation of 0 .. n - 1 (Fisher-Yates), written into `out` when it
 * is given and long enough, so that it can be reused.
 *
 * @example
 * ```ts
 * import { shuffledIndices, splitmix32 } from "./rng.ts";
 * const order = shuffledIndices(5, splitmix32(1));
 * console.log([...order].sort().join()); // "0,1,2,3,4"
 * ```
 */
export function shuffledIndices(n: number, rng: Rng, out?: Int32Array): Int32Array {
  const order = out !== undefined && out.length >= n ? out.subarray(0, n) : new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = uniformInt(rng, i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
