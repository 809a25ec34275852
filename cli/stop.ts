/**
 * How the commands stop on an error the user can act on: one line, an exit code.
 * @module
 */
import * as E from "fp-ts/Either";

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
