/**
 * A content-addressed snapshot store on disk: one directory per snapshot, named by its id,
 * holding `model.json` + `weights.bin` (loadable by `tf.loadLayersModel`) and
 * `snapshot.json` (the metadata).
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import { dirname, join, resolve } from "node:path";
import type { StoreError } from "./errors.ts";
import { decodeSnapshotFiles, encodeSnapshotFiles, FILES, type SnapshotFiles } from "./files.ts";
import {
  attempt,
  denoFs,
  removeQuietly,
  removeStaleTempDirs,
  type StoreFs,
  TEMP_PREFIX,
} from "./fs.ts";
import { writeDirAtomic } from "./atomic_dir.ts";
import { isSnapshotId } from "./id.ts";
import type { Snapshot } from "./snapshot.ts";

/** Options of the store functions. */
export interface StoreOptions {
  /** The file system; defaults to Deno's. Tests inject failures here. */
  readonly fs?: StoreFs;
}

/**
 * The default store root, `.oicsr/store` under `cwd`.
 *
 * @example
 * ```ts
 * import { defaultStoreRoot } from "./store.ts";
 * defaultStoreRoot("/home/me/run"); // "/home/me/run/.oicsr/store"
 * ```
 */
export function defaultStoreRoot(cwd: string = Deno.cwd()): string {
  return join(cwd, ".oicsr", "store");
}

/**
 * Writes a snapshot under `storeRoot/<id>/`, atomically: the files go into a temporary
 * directory inside the store root, are fsynced, and the directory is renamed to the id.
 * Writing an id that is already stored does nothing. Fails, writing nothing, when
 * `meta.id` is not the content hash or the metadata is not valid JSON. Resolves to the id.
 *
 * @example
 * ```ts
 * import { writeSnapshot } from "./store.ts";
 * import type { Snapshot } from "./snapshot.ts";
 * declare const snapshot: Snapshot;
 * const id = await writeSnapshot(".oicsr/store", snapshot)(); // Either<StoreError, string>
 * ```
 */
export function writeSnapshot(
  storeRoot: string,
  snapshot: Snapshot,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, string> {
  const fs = options.fs ?? denoFs;
  const dir = join(storeRoot, snapshot.meta.id);
  return pipe(
    TE.fromEither(encodeSnapshotFiles(snapshot, dir)),
    TE.chain((files) =>
      pipe(
        attempt(dir, "stat", () => fs.stat(dir)),
        TE.chain((there) =>
          there === undefined
            ? writeDirAtomic(dir, namedFiles(files), { tempParent: storeRoot, fs })
            : TE.right("existed" as const)
        ),
      )
    ),
    TE.map(() => snapshot.meta.id),
  );
}

/**
 * Removes what killed writers left in the store: the temporary directories (`.tmp-*`)
 * that no live writer holds. Snapshots are never touched, and a concurrent
 * {@linkcode writeSnapshot}, in this process or another, keeps its temporary directory.
 * Resolves to the paths removed.
 *
 * @example
 * ```ts
 * import { cleanStore } from "./store.ts";
 * const removed = await cleanStore(".oicsr/store")(); // Either<StoreError, string[]>
 * ```
 */
export function cleanStore(
  storeRoot: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, string[]> {
  return removeStaleTempDirs(storeRoot, options.fs ?? denoFs);
}

/**
 * Reads and verifies the snapshot `id`: missing files, invalid JSON fields, a truncated
 * `weights.bin` and content that does not hash to `id` are errors naming the file.
 *
 * @example
 * ```ts
 * import { readSnapshot } from "./store.ts";
 * const snapshot = await readSnapshot(".oicsr/store", "3f2a...")(); // Either
 * ```
 */
export function readSnapshot(
  storeRoot: string,
  id: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, Snapshot> {
  const fs = options.fs ?? denoFs;
  const dir = join(storeRoot, id);
  if (!isSnapshotId(id)) {
    const message = `${dir}: "${id}" is not a snapshot id (64 hex digits); ` +
      `use resolveSnapshotId() for a prefix`;
    return TE.left({ _tag: "BadIdPrefix", path: dir, prefix: id, matches: [], message });
  }
  const read = (name: string) =>
    attempt(join(dir, name), "read", () => fs.readFile(join(dir, name)));
  return pipe(
    attempt(dir, "stat", () => fs.stat(dir)),
    TE.chain((there) =>
      there?.isDirectory ? TE.right(undefined) : TE.left<StoreError>({
        _tag: "NotFound",
        path: dir,
        message: `${dir}: no snapshot ${id} in the store ${storeRoot}`,
      })
    ),
    TE.chain(() =>
      pipe(
        TE.Do,
        TE.bind("modelJson", () => read(FILES.model)),
        TE.bind("snapshotJson", () => read(FILES.meta)),
        TE.bind("weightsBin", () => read(FILES.weights)),
      )
    ),
    TE.chainEitherK((files) => decodeSnapshotFiles(files, dir, id)),
  );
}

/**
 * Writes a snapshot's `model.json` + `weights.bin` (the standard tfjs LayersModel format,
 * no metadata) to `dir`. When `dir` is absent or empty the pair appears at once (a
 * temporary sibling directory is renamed); when `dir` holds other files, each of the two
 * files is replaced atomically, weights first. Resolves to `dir`.
 *
 * @example
 * ```ts
 * import { exportLayersModel } from "./store.ts";
 * import type { Snapshot } from "./snapshot.ts";
 * declare const compact: Snapshot;
 * await exportLayersModel(compact, "out/compact")();
 * ```
 */
export function exportLayersModel(
  snapshot: Snapshot,
  dir: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, string> {
  const fs = options.fs ?? denoFs;
  const target = resolve(dir);
  return pipe(
    TE.fromEither(encodeSnapshotFiles(snapshot, target)),
    TE.map(({ modelJson, weightsBin }) => ({
      [FILES.weights]: weightsBin,
      [FILES.model]: modelJson,
    })),
    TE.chain((files) =>
      pipe(
        attempt(target, "list", () => listIfDir(fs, target)),
        TE.chain((entries) =>
          entries.length === 0
            ? writeDirAtomic(target, files, { tempParent: dirname(target), fs })
            : replaceFilesIn(target, files, fs) as TE.TaskEither<StoreError, unknown>
        ),
      )
    ),
    TE.map(() => dir),
  );
}

function namedFiles(files: SnapshotFiles): Record<string, Uint8Array> {
  return {
    [FILES.weights]: files.weightsBin,
    [FILES.model]: files.modelJson,
    [FILES.meta]: files.snapshotJson,
  };
}

async function listIfDir(fs: StoreFs, dir: string): Promise<readonly string[]> {
  const there = await fs.stat(dir);
  if (there === undefined) return [];
  if (!there.isDirectory) throw new Error("exists and is not a directory");
  return (await fs.readDir(dir)).map((e) => e.name);
}

/** Writes the files into a temporary directory inside `dir`, then renames each into place. */
function replaceFilesIn(
  dir: string,
  files: Readonly<Record<string, Uint8Array>>,
  fs: StoreFs,
): TE.TaskEither<StoreError, void> {
  return pipe(
    attempt(dir, "create a temporary directory", () => fs.makeTempDir(dir, TEMP_PREFIX)),
    TE.chain((temp) => async () => {
      try {
        for (const [name, bytes] of Object.entries(files)) {
          const r = await attempt(
            join(temp, name),
            "write",
            () => fs.writeFile(join(temp, name), bytes),
          )();
          if (E.isLeft(r)) return r;
        }
        for (const name of Object.keys(files)) {
          const r = await attempt(
            join(dir, name),
            "replace",
            () => fs.rename(join(temp, name), join(dir, name)),
          )();
          if (E.isLeft(r)) return r;
        }
        return E.right(await fs.syncDir(dir));
      } finally {
        await removeQuietly(temp, fs);
      }
    }),
  );
}
