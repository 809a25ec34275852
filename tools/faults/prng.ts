/**
 * A small seeded pseudo-random generator, so that a fault campaign is the same for the
 * same seed.
 * @module
 */

/**
 * Mulberry32: a generator of numbers in [0, 1) from a 32-bit seed.
 *
 * @example
 * ```ts
 * import { mulberry32 } from "./prng.ts";
 * const random = mulberry32(1);
 * random(); // 0.6270739405881613, the same on every run
 * ```
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
