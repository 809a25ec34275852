/**
 * Errors of the data loaders, as values: a tag, the file, what was expected, what was
 * found, and a message that names the file.
 *
 * @module
 */

/** What went wrong while reading a data set. */
export type DataErrorTag = "MissingFile" | "TruncatedFile" | "BadFormat" | "LabelOutOfRange";

/** A data loading failure; `message` names the file and what was expected. */
export interface DataError {
  readonly _tag: DataErrorTag;
  /** The path of the file (or folder) at fault. */
  readonly file: string;
  /** What the loader expected, e.g. `"a whole number of 3073-byte records"`. */
  readonly expected: string;
  /** What it found, when known, e.g. `"30729999 bytes"`. */
  readonly actual?: string;
  readonly message: string;
}

/**
 * Builds a {@link DataError} whose message reads `file: actual; expected …`.
 *
 * @example
 * ```ts
 * import { dataError } from "./errors.ts";
 * const e = dataError("MissingFile", "/data/test_batch.bin", "a readable file", "not found");
 * console.log(e.message); // "/data/test_batch.bin: not found (expected a readable file)"
 * ```
 */
export function dataError(
  tag: DataErrorTag,
  file: string,
  expected: string,
  actual?: string,
  message?: string,
): DataError {
  const text = message ?? `${file}: ${actual ?? "unreadable"} (expected ${expected})`;
  return actual === undefined
    ? { _tag: tag, file, expected, message: text }
    : { _tag: tag, file, expected, actual, message: text };
}

/**
 * Turns an exception thrown while opening or reading `file` into a {@link DataError}:
 * `NotFound` becomes `MissingFile`, anything else `BadFormat`.
 *
 * @example
 * ```ts
 * import { fileError } from "./errors.ts";
 * try {
 *   await Deno.readFile("/nowhere/x.bin");
 * } catch (e) {
 *   console.log(fileError("/nowhere/x.bin", e)._tag); // "MissingFile"
 * }
 * ```
 */
export function fileError(file: string, cause: unknown): DataError {
  if (cause instanceof Deno.errors.NotFound) {
    return dataError("MissingFile", file, "an existing file", "not found");
  }
  const why = cause instanceof Error ? cause.message : String(cause);
  return dataError("BadFormat", file, "a readable file", `cannot be read: ${why}`);
}

/**
 * A {@link DataError} thrown where errors cannot be returned: from inside the batch
 * generator, which reads a streamed set's files while training runs. Whoever runs the
 * loop catches it and reports `error.data.message`.
 *
 * @example
 * ```ts
 * import { DataErrorThrown, dataError } from "./errors.ts";
 * try {
 *   throw new DataErrorThrown(dataError("BadFormat", "/imagenet/val/n01/x.JPEG", "a JPEG image", "truncated"));
 * } catch (e) {
 *   if (e instanceof DataErrorThrown) console.log(e.data.file); // "/imagenet/val/n01/x.JPEG"
 * }
 * ```
 */
export class DataErrorThrown extends Error {
  constructor(readonly data: DataError) {
    super(data.message);
    this.name = "DataErrorThrown";
  }
}
