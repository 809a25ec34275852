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
 * while training reads it, a wasm heap too small for the batch): prints `error: <message>`
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
  throw e;
}
