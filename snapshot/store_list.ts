/**
 * Looking around a snapshot store: the metadata of every snapshot, and git-like lookup
 * of an id by a unique prefix.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import { join } from "node:path";
import type { StoreError } from "./errors.ts";
import { FILES, parseMetaJson } from "./files.ts";
import { attempt, denoFs, type StoreFs } from "./fs.ts";
import { isSnapshotId } from "./id.ts";
import type { SnapshotMeta } from "./snapshot.ts";
import type { StoreOptions } from "./store.ts";

/**
 * The metadata of every snapshot in the store, oldest first (by `createdAt`, then id).
 * Temporary directories and other entries that are not snapshot ids are skipped; an
 * absent store is empty. Only `snapshot.json` is read and validated; the content is not
 * hashed (use `readSnapshot` for that).
 *
 * @example
 * ```ts
 * import { listSnapshots } from "./store_list.ts";
 * const metas = await listSnapshots(".oicsr/store")(); // Either<StoreError, SnapshotMeta[]>
 * ```
 */
export function listSnapshots(
  storeRoot: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, ReadonlyArray<SnapshotMeta>> {
  const fs = options.fs ?? denoFs;
  return pipe(
    snapshotIds(storeRoot, fs),
    TE.chain((ids) =>
      TE.traverseSeqArray((id: string) => {
        const path = join(storeRoot, id, FILES.meta);
        return pipe(
          attempt(path, "read", () => fs.readFile(path)),
          TE.chainEitherK((bytes) => parseMetaJson(bytes, path, id)),
        );
      })(ids)
    ),
    TE.map((metas) =>
      [...metas].sort((a, b) =>
        a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1
      )
    ),
  );
}

/**
 * The full id of the one snapshot whose id starts with `prefix` (lowercase hex, at least
 * 4 digits, like git). Fails with `BadIdPrefix` when the prefix is not hex or matches
 * several snapshots (listing them), and `NotFound` when it matches none.
 *
 * @example
 * ```ts
 * import { resolveSnapshotId } from "./store_list.ts";
 * const id = await resolveSnapshotId(".oicsr/store", "3f2a")(); // Either<StoreError, string>
 * ```
 */
export function resolveSnapshotId(
  storeRoot: string,
  prefix: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, string> {
  const fs = options.fs ?? denoFs;
  const wanted = prefix.trim().toLowerCase();
  if (!/^[0-9a-f]{4,64}$/.test(wanted)) {
    const message = `"${prefix}" is not a snapshot id prefix: give 4 to 64 hex digits`;
    return TE.left({ _tag: "BadIdPrefix", path: storeRoot, prefix, matches: [], message });
  }
  return pipe(
    snapshotIds(storeRoot, fs),
    TE.chainEitherK((ids): E.Either<StoreError, string> => {
      const matches = ids.filter((id) => id.startsWith(wanted));
      if (matches.length === 1) return E.right(matches[0]);
      if (matches.length === 0) {
        const message = `${storeRoot}: no snapshot id starts with "${wanted}"`;
        return E.left({ _tag: "NotFound", path: storeRoot, message });
      }
      const message = `${storeRoot}: "${wanted}" is ambiguous: it starts ` +
        `${matches.length} snapshot ids (${matches.map((m) => m.slice(0, 12)).join(", ")})`;
      return E.left({ _tag: "BadIdPrefix", path: storeRoot, prefix, matches, message });
    }),
  );
}

/** Names of the snapshot directories in the store, sorted; none when it does not exist. */
function snapshotIds(storeRoot: string, fs: StoreFs): TE.TaskEither<StoreError, string[]> {
  return attempt(storeRoot, "list", async () => {
    if ((await fs.stat(storeRoot)) === undefined) return [];
    const entries = await fs.readDir(storeRoot);
    return entries.filter((e) => e.isDirectory && isSnapshotId(e.name)).map((e) => e.name).sort();
  });
}
