/**
 * A directory written atomically: its files go into a locked temporary directory beside it,
 * are flushed, and the directory is renamed into place in one step.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import { join } from "node:path";
import { ioError, type StoreError } from "./errors.ts";
import { attempt, removeQuietly, type StoreFs, TEMP_PREFIX } from "./fs.ts";

/** Where and how {@linkcode writeDirAtomic} writes. */
export interface WriteDirOptions {
  /** Directory that holds the temporary directory; must be on the same file system as `dir`. */
  readonly tempParent: string;
  readonly fs: StoreFs;
}

/**
 * Writes `files` (name → bytes) into a fresh temporary directory, fsyncs them, and renames
 * it to `dir` in one step, so `dir` appears complete or not at all. `dir` must be absent
 * or empty. On failure the temporary directory is removed. The temporary directory is
 * locked while it is written, so that {@linkcode removeStaleTempDirs} (in any process)
 * removes only those that killed writers left. Resolves to `"written"`, or to `"existed"`
 * when another writer created `dir` first (the temporary copy is dropped).
 *
 * @example
 * ```ts
 * import { writeDirAtomic } from "./atomic_dir.ts";
 * import { denoFs } from "./fs.ts";
 * const files = { "a.txt": new TextEncoder().encode("hi") };
 * await writeDirAtomic("out/x", files, { tempParent: "out", fs: denoFs })();
 * ```
 */
export function writeDirAtomic(
  dir: string,
  files: Readonly<Record<string, Uint8Array>>,
  { tempParent, fs }: WriteDirOptions,
): TE.TaskEither<StoreError, "written" | "existed"> {
  return pipe(
    attempt(tempParent, "create directory", () => fs.mkdir(tempParent)),
    TE.chain(() => lockedTempDir(tempParent, fs)),
    TE.chain(({ temp, release }) =>
      pipe(
        writeAll(temp, files, fs),
        TE.chain(() => attempt(temp, "flush directory", () => fs.syncDir(temp))),
        TE.chain(() => renameOrExisting(temp, dir, fs)),
        // The temporary directory goes; the message says which directory was being written.
        TE.orElse((error) =>
          TE.leftTask(() =>
            removeQuietly(temp, fs).then(() =>
              error.path.startsWith(temp)
                ? { ...error, message: `${error.message} (writing ${dir}; nothing was left)` }
                : error
            )
          )
        ),
        // The directory is in place: flushing its parent is best effort, never a failure.
        TE.chainFirstTaskK(() => () => fs.syncDir(tempParent).catch(() => undefined)),
        (written) => async () => {
          try {
            return await written();
          } finally {
            release();
          }
        },
      )
    ),
  );
}

/**
 * A fresh temporary directory in `parent`, locked so that {@linkcode removeStaleTempDirs}
 * in another process leaves it alone. Should a clean-up remove it between its creation
 * and the lock, another one is made.
 */
function lockedTempDir(
  parent: string,
  fs: StoreFs,
): TE.TaskEither<StoreError, { temp: string; release: () => void }> {
  return async () => {
    for (let tries = 0; tries < 8; tries++) {
      const made = await attempt(
        parent,
        "create a temporary directory",
        () => fs.makeTempDir(parent, TEMP_PREFIX),
      )();
      if (made._tag === "Left" || fs.tryLockDir === undefined) {
        return pipe(made, E.map((temp) => ({ temp, release: () => {} })));
      }
      const temp = made.right;
      const release = await fs.tryLockDir(temp).catch((e) =>
        // Gone: a clean-up took it. Any other failure: this platform cannot lock it.
        e instanceof Deno.errors.NotFound ? null : () => {}
      );
      if (release !== null && (await fs.stat(temp).catch(() => undefined)) !== undefined) {
        return E.right({ temp, release });
      }
      release?.();
    }
    const why = new Error("a concurrent clean-up removed every temporary directory made");
    return E.left(ioError(parent, "create a temporary directory", why));
  };
}

function writeAll(
  dir: string,
  files: Readonly<Record<string, Uint8Array>>,
  fs: StoreFs,
): TE.TaskEither<StoreError, void> {
  return async () => {
    for (const [name, bytes] of Object.entries(files)) {
      const path = join(dir, name);
      const r = await attempt(path, "write", () => fs.writeFile(path, bytes))();
      if (r._tag === "Left") return r;
    }
    return { _tag: "Right", right: undefined };
  };
}

function renameOrExisting(
  temp: string,
  dir: string,
  fs: StoreFs,
): TE.TaskEither<StoreError, "written" | "existed"> {
  return async () => {
    try {
      await fs.rename(temp, dir);
      return { _tag: "Right", right: "written" };
    } catch (e) {
      const there = await fs.stat(dir).catch(() => undefined);
      const entries = there?.isDirectory ? await fs.readDir(dir).catch(() => []) : [];
      if (entries.length === 0) return { _tag: "Left", left: ioError(dir, "rename into place", e) };
      await removeQuietly(temp, fs);
      return { _tag: "Right", right: "existed" };
    }
  };
}
