/**
 * Command-line flags from a table: each flag's key, kind, default and help; parsing with
 * `node:util` `parseArgs` and validation with an io-ts codec, errors naming the flag.
 * @module
 */
import * as E from "fp-ts/Either";
import type * as t from "io-ts";
import { parseArgs } from "node:util";

/** One flag: its key, kind, default and help line. */
export interface Flag<K extends string = string> {
  readonly key: K;
  readonly kind: "string" | "number" | "boolean";
  readonly fallback: string | number | boolean | null;
  readonly help: string;
  /** How `--help` shows the default, where `fallback` alone says too little. */
  readonly shown?: string;
}

/** A flag the user gave is unknown or its value is not allowed. */
export interface BadFlag {
  readonly _tag: "BadFlag";
  readonly message: string;
}

/** `batchSize` -> `--batch-size`. */
export function flagName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** `--cap -1` as `--cap=-1`: a number flag's value may be negative (and then be refused). */
function negativeValues(args: readonly string[], flags: ReadonlyArray<Flag>): string[] {
  const numeric = new Set(flags.filter((f) => f.kind === "number").map((f) => flagName(f.key)));
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    if (numeric.has(args[i]) && value !== undefined && /^-[\d.]/.test(value)) {
      out.push(`${args[i]}=${value}`), i++;
    } else out.push(args[i]);
  }
  return out;
}

function describe(value: unknown): string {
  return typeof value === "number" && Number.isNaN(value) ? "not a number" : JSON.stringify(value);
}

/**
 * Parses `args` against a flag table and validates the values with `codec`; the error
 * names the flag, what it got and what is allowed.
 *
 * @example
 * ```ts
 * import * as t from "io-ts";
 * import { parseFlags } from "./flags.ts";
 * const flags = [{ key: "epochs", kind: "number", fallback: 2, help: "epochs" }] as const;
 * parseFlags(["--epochs", "x"], flags, t.type({ epochs: t.number }));
 * // Left: "--epochs: expected number, got not a number"
 * ```
 */
export function parseFlags<A>(
  args: readonly string[],
  flags: ReadonlyArray<Flag>,
  codec: t.Decoder<unknown, A>,
): E.Either<BadFlag, A> {
  const config = Object.fromEntries(flags.map((f) => [
    flagName(f.key).slice(2),
    { type: f.kind === "boolean" ? "boolean" as const : "string" as const },
  ]));
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: negativeValues(args, flags), options: config, strict: true }).values;
  } catch (e) {
    // parseArgs explains over several lines; one is enough.
    const message = (e as Error).message.replace(/\s*\n\s*/g, " ");
    return E.left({ _tag: "BadFlag", message: `${message} (--help lists the flags)` });
  }
  const raw = Object.fromEntries(flags.map((f) => {
    const given = values[flagName(f.key).slice(2)];
    if (given === undefined) return [f.key, f.fallback];
    return [f.key, f.kind === "number" ? Number(given) : given];
  }));
  return E.mapLeft((errors: t.Errors): BadFlag => {
    const first = errors[0];
    const key = [...first.context].reverse().find((c) => flags.some((f) => f.key === c.key))
      ?.key ?? "";
    const expected = first.context[first.context.length - 1].type.name;
    return {
      _tag: "BadFlag",
      message: `${flagName(key)}: expected ${expected}, got ${describe(first.value)}`,
    };
  })(codec.decode(raw));
}

/**
 * The keys of the flags `args` gives explicitly (defaults left out), for the checks that
 * only apply to a flag the user wrote, such as contradictions between flags.
 *
 * @example
 * ```ts
 * import { givenFlags } from "./flags.ts";
 * const flags = [{ key: "batchSize", kind: "number", fallback: 64, help: "images" }] as const;
 * givenFlags(["--batch-size=32"], flags); // Set { "batchSize" }
 * ```
 */
export function givenFlags<K extends string>(
  args: readonly string[],
  flags: ReadonlyArray<Flag<K>>,
): ReadonlySet<K> {
  const byName = new Map(flags.map((f) => [flagName(f.key).slice(2), f.key]));
  const config = Object.fromEntries(flags.map((f) => [
    flagName(f.key).slice(2),
    { type: f.kind === "boolean" ? "boolean" as const : "string" as const },
  ]));
  const { tokens } = parseArgs({ args: [...args], options: config, strict: false, tokens: true });
  return new Set(
    tokens.flatMap((t) => t.kind === "option" && byName.has(t.name) ? [byName.get(t.name)!] : []),
  );
}
