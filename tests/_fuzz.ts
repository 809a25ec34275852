/**
 * Helpers the fuzz tests share: a seeded random source, a per-input time limit, a digest
 * of a folder tree (to prove nothing was written) and a tally of inputs per kind.
 * @module
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { splitmix32 } from "../datasets/rng.ts";

/** A seeded source of random choices. */
export interface Random {
  /** An integer in [0, n). */
  int(n: number): number;
  /** One element of `xs`. */
  pick<T>(xs: ReadonlyArray<T>): T;
}

/** A {@linkcode Random} from a fixed seed (splitmix32). */
export function seeded(seed: number): Random {
  const next = splitmix32(seed);
  const int = (n: number) => Math.floor((next() / 2 ** 32) * n);
  return { int, pick: (xs) => xs[int(xs.length)] };
}

/** Awaits `work`, failing with `label` when it takes longer than `ms` (a hang). */
export async function bounded<T>(work: Promise<T>, ms: number, label: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every file under `dir` (sorted) with the sha256 of its bytes; "" when `dir` is absent. */
export async function treeDigest(dir: string): Promise<string> {
  const lines: string[] = [];
  const walk = async (at: string, prefix: string): Promise<void> => {
    for await (const e of Deno.readDir(at)) {
      const path = join(at, e.name), name = `${prefix}${e.name}`;
      if (e.isDirectory) await walk(path, `${name}/`);
      else {lines.push(
          `${name} ${createHash("sha256").update(await Deno.readFile(path)).digest("hex")}`,
        );}
    }
  };
  try {
    await walk(dir, "");
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return "";
    throw e;
  }
  return lines.sort().join("\n");
}

/** Inputs counted per kind of mutation. */
export class Tally {
  readonly #counts = new Map<string, number>();
  add(kind: string): void {
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }
  get total(): number {
    return [...this.#counts.values()].reduce((a, b) => a + b, 0);
  }
  /** `kind: count` lines and the total, for the test log. */
  report(title: string): string {
    const rows = [...this.#counts].sort(([a], [b]) => a.localeCompare(b));
    return [`${title}: ${this.total} inputs, failures: 0`, ...rows.map(([k, n]) => `  ${k}: ${n}`)]
      .join("\n");
  }
}

/** Asserts that an error message names `file` and, when given, mentions `also`. */
export function assertNames(
  message: string,
  file: string,
  also: string | RegExp | undefined,
  label: string,
) {
  assert.ok(message.includes(file), `${label}: the message does not name ${file}: ${message}`);
  if (typeof also === "string") {
    assert.ok(message.includes(also), `${label}: the message does not mention ${also}: ${message}`);
  } else if (also !== undefined) {
    assert.match(message, also, `${label}: ${message}`);
  }
  assert.ok(!message.includes("\n    at "), `${label}: a stack trace in the message`);
}
