/**
 * io-ts codecs for numbers in flags and files, named by what they accept so that error
 * messages read "expected a positive integer".
 * @module
 */
import * as t from "io-ts";

/** A number given on the command line (parsed from text; NaN when the text is no number). */
function numberWhere(name: string, ok: (n: number) => boolean) {
  return new t.Type<number, number, unknown>(
    name,
    (u): u is number => typeof u === "number" && ok(u),
    (u, c) => (typeof u === "number" && ok(u) ? t.success(u) : t.failure(u, c)),
    t.identity,
  );
}

/** Any integer (an axis, possibly negative). */
export const Integer = numberWhere("an integer", (n) => Number.isInteger(n));
/** An integer >= 1. */
export const PositiveInt = numberWhere("a positive integer", (n) => Number.isInteger(n) && n > 0);
/** An integer >= 0. */
export const NonNegativeInt = numberWhere(
  "an integer >= 0",
  (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 31,
);
/** A finite number > 0. */
export const PositiveNumber = numberWhere("a number > 0", (n) => Number.isFinite(n) && n > 0);
/** A finite number >= 0. */
export const NonNegativeNumber = numberWhere(
  "a number >= 0",
  (n) => Number.isFinite(n) && n >= 0,
);
/** A number in (0, 1]: a fraction of something kept or removed. */
export const Fraction = numberWhere("a number in (0, 1]", (n) => n > 0 && n <= 1);
/** A number in (0, 1), both ends excluded. */
export const OpenFraction = numberWhere("a number in (0, 1)", (n) => n > 0 && n < 1);
/** A number in [0, 1). */
export const Momentum = numberWhere("a number in [0, 1)", (n) => n >= 0 && n < 1);

/** One of a fixed list of names, reported as such. */
export function oneOf<const K extends readonly string[]>(names: K) {
  const keys = Object.fromEntries(names.map((n) => [n, null])) as { [P in K[number]]: null };
  return t.keyof(keys, `one of ${names.join(", ")}`);
}

/** `codec` or null (a flag left unset). */
export function orNull<C extends t.Mixed>(codec: C) {
  return t.union([codec, t.null], codec.name);
}
