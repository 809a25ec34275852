/**
 * A store of trained starting models: snapshots plus `baselines.json`, which names the
 * baseline of each model and data set. `deno task baseline --publish <dir>` adds one;
 * `deno task prune` starts from it.
 * @module
 */
import * as E from "fp-ts/Either";
import * as t from "io-ts";
import { join } from "node:path";
import { describeValidation } from "../snapshot/errors.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { isSnapshotId } from "../snapshot/id.ts";
import { readSnapshot, writeSnapshot } from "../snapshot/store.ts";

/** `baselines.json`: `<model>/<data>` -> the snapshot id and how it was made. */
export const BaselineIndex = t.record(
  t.string,
  t.type({ id: t.string, top1: t.number, command: t.string }),
);
/** `baselines.json`: `<model>/<data>` -> the snapshot id and how it was made. */
export type BaselineIndex = t.TypeOf<typeof BaselineIndex>;

/** A baselines store whose index cannot be read. */
export interface BadBaselines {
  readonly _tag: "BadBaselines";
  readonly message: string;
}

const indexPath = (dir: string) => join(dir, "baselines.json");
const key = (o: { model: string; data: string }) => `${o.model}/${o.data}`;

async function readIndex(dir: string): Promise<E.Either<BadBaselines, BaselineIndex>> {
  let text: string;
  try {
    text = await Deno.readTextFile(indexPath(dir));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return E.right({});
    return E.left({ _tag: "BadBaselines", message: `${indexPath(dir)}: ${e}` });
  }
  try {
    return E.mapLeft((errors: t.Errors): BadBaselines => ({
      _tag: "BadBaselines",
      message: `${indexPath(dir)}: ${describeValidation(errors).detail}`,
    }))(BaselineIndex.decode(JSON.parse(text)));
  } catch (e) {
    return E.left({ _tag: "BadBaselines", message: `${indexPath(dir)}: not valid JSON (${e})` });
  }
}

/**
 * The baseline of `model` on `data` in the store `dir`, or null when it has none. An
 * entry whose id is not a snapshot id (which could name a path out of the store) is
 * refused, naming `baselines.json` and the field.
 *
 * @example
 * ```ts
 * import { findBaseline } from "./baselines.ts";
 * const start = await findBaseline("baselines", { model: "cifarnet", data: "cifar10" })();
 * ```
 */
export function findBaseline(dir: string, o: { model: string; data: string }) {
  return async (): Promise<E.Either<{ message: string }, Snapshot | null>> => {
    const index = await readIndex(dir);
    if (E.isLeft(index)) return index;
    const entry = Object.hasOwn(index.right, key(o)) ? index.right[key(o)] : undefined;
    if (entry === undefined) return E.right(null);
    if (!isSnapshotId(entry.id)) {
      // The id names a folder of the store: anything but 64 hex digits could lead out of it.
      const field = `${JSON.stringify(key(o))}.id`;
      const message = `${indexPath(dir)}: field ${field} is ${JSON.stringify(entry.id)}, ` +
        `not a snapshot id (64 hex digits)`;
      return E.left({ _tag: "BadBaselines", message });
    }
    return await readSnapshot(dir, entry.id)();
  };
}

/**
 * Copies a trained snapshot into the store `dir` and names it the baseline of its model
 * and data in `baselines.json` (written through a temporary file and a rename).
 *
 * @example
 * ```ts
 * import { publishBaseline } from "./baselines.ts";
 * import type { Snapshot } from "../snapshot/snapshot.ts";
 * declare const trained: Snapshot;
 * await publishBaseline("baselines", { model: "cifarnet", data: "cifar10" }, trained)();
 * ```
 */
export function publishBaseline(dir: string, o: { model: string; data: string }, s: Snapshot) {
  return async (): Promise<E.Either<{ message: string }, string>> => {
    const top1 = s.meta.metrics.top1;
    if (top1 === undefined) {
      return E.left({
        message: `snapshot ${s.meta.id.slice(0, 12)} has no top-1: evaluate it before publishing`,
      });
    }
    const written = await writeSnapshot(dir, s)();
    if (E.isLeft(written)) return written;
    const index = await readIndex(dir);
    if (E.isLeft(index)) return index;
    const command = `deno task baseline ${Deno.args.join(" ")}`.trim();
    const next = {
      ...index.right,
      [key(o)]: { id: s.meta.id, top1: s.meta.metrics.top1, command },
    };
    const temp = `${indexPath(dir)}.tmp-${crypto.randomUUID()}`;
    await Deno.writeTextFile(temp, JSON.stringify(next, null, 2) + "\n");
    await Deno.rename(temp, indexPath(dir));
    return E.right(s.meta.id);
  };
}
