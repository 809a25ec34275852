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
 * The line to print and the exit code for an error the user can act on: a {@linkcode Stop},
 * a data file found bad while training reads it, a wasm heap too small for the batch; null
 * for anything else (a bug: let it surface with its stack).
 *
 * @example
 * ```ts
 * import { actionable, Stop } from "./stop.ts";
 * console.log(actionable(new Stop("--model: unknown", 2))); // { message: "--model: unknown", code: 2 }
 * console.log(actionable(new TypeError("x is undefined"))); // null
 * ```
 */
export function actionable(e: unknown): { message: string; code: number } | null {
  if (e instanceof Stop) return { message: e.message, code: e.code };
  if (e instanceof DataErrorThrown || e instanceof WasmOutOfMemory) {
    return { message: e.message, code: 1 };
  }
  return null;
}
