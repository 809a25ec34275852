/**
 * Label files in JSON: a flat array of class indices, e.g. `[3,8,8,0,6,…]`.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { type DataError, dataError } from "./errors.ts";

/** The shape of a labels file: a JSON array of numbers. */
export const LabelsJson = t.array(t.number);
/** A parsed labels file. */
export type LabelsJson = t.TypeOf<typeof LabelsJson>;

/**
 * Parses a labels file: a JSON array of exactly `count` integers in 0 .. classes - 1.
 *
 * @example
 * ```ts
 * import { parseLabelsJson } from "./labels_json.ts";
 * const labels = parseLabelsJson("[3,8,8]", "test_lables.json", 3, 10);
 * console.log(labels._tag === "Right" && [...labels.right]); // [3, 8, 8]
 * ```
 */
export function parseLabelsJson(
  text: string,
  file: string,
  count: number,
  classes: number,
): E.Either<DataError, Int32Array> {
  const shape = `a JSON array of ${count} integer labels in 0..${classes - 1}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return E.left(dataError("BadFormat", file, shape, `invalid JSON (${why})`));
  }
  if (!Array.isArray(json)) {
    return E.left(dataError("BadFormat", file, shape, "not an array of numbers"));
  }
  const odd = json.findIndex((v) => typeof v !== "number");
  if (odd >= 0) {
    return E.left(
      dataError(
        "BadFormat",
        file,
        shape,
        `not an array of numbers: ${describe(json[odd])} at index ${odd}`,
      ),
    );
  }
  if (json.length !== count) {
    return E.left(dataError("BadFormat", file, shape, `${json.length} labels`));
  }
  const labels = new Int32Array(count);
  if (!LabelsJson.is(json)) return E.left(dataError("BadFormat", file, shape, "not numbers"));
  for (let i = 0; i < count; i++) {
    const label = json[i];
    if (!Number.isInteger(label) || label < 0 || label >= classes) {
      return E.left(
        dataError(
          "LabelOutOfRange",
          file,
          `labels in 0..${classes - 1}`,
          `label ${label} at index ${i}`,
        ),
      );
    }
    labels[i] = label;
  }
  return E.right(labels);
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
