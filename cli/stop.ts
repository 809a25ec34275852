/**
 * How the commands stop on an error the user can act on: one line, an exit code.
 * @module
 */
import * as E from "fp-ts/Either";
import { WasmOutOfMemory } from "../backend/wasm_heap.ts";
import { DataErrorThrown } from "../datasets/errors.ts";

/** A failure the user can act on: one line, then exit code 1 (or 2 for bad flags). */
export class Stop extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

/** The value of a Right; throws {@linkcode Stop} with the Left's message. */
export function orStop<A>(result: E.Either<{ message: string }, A>, code = 1): A {
  if (E.isLeft(result)) throw new Stop(result.left.message, code);
  return result.right;
}

/**
 * Ends a command on an error the user can act on (a {@linkcode Stop}, a data file found bad
 * while training reads it, a wasm heap too small for the batch, a disk full or read-only): prints `error: <message>`
 * and returns the exit code. Anything else is a bug and is thrown again, with its stack.
 *
 * @example
 * ```ts
 * import { reportStop, Stop } from "./stop.ts";
 * const code = reportStop(new Stop("--model: unknown model", 2)); // prints "error: --model: unknown model"
 * console.log(code); // 2
 * ```
 */
export function reportStop(e: unknown): number {
  if (e instanceof Stop) return console.error(`error: ${e.message}`), e.code;
  if (e instanceof DataErrorThrown || e instanceof WasmOutOfMemory) {
    return console.error(`error: ${e.message}`), 1;
  }
  const io = fileSystemError(e);
  if (io !== null) return console.error(`error: ${io}`), 1;
  throw e;
}

/**
 * One line for an error the operating system raised on a file (disk full, read-only
 * folder, permission denied): `<path>: <reason> (while <operation>)`, or null for any
 * other error. Deno's message names the path for most calls (`open`, `writefile`,
 * `rename`); a write to an open file names none, so the line names no path then.
 *
 * @example
 * ```ts
 * import { fileSystemError } from "./stop.ts";
 * const e = Object.assign(new Error("No space left on device (os error 28): writefile 'r/a.json'"), { code: "ENOSPC" });
 * fileSystemError(e); // "r/a.json: no space left on device (while writefile)"
 * ```
 */
export function fileSystemError(e: unknown): string | null {
  if (!(e instanceof Error)) return null;
  const m = /^(.*?) \(os error \d+\)(?:: (\w+) '([^']*)'(?: -> '([^']*)')?)?$/.exec(e.message);
  if (m === null) return null;
  const reason = m[1].charAt(0).toLowerCase() + m[1].slice(1);
  if (m[3] === undefined) return `${reason} (a file operation failed)`;
  const path = m[4] ?? m[3];
  return `${path}: ${reason} (while ${m[2]})`;
}
