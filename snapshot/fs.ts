/**
 * The file-system capability the store uses, passed in so tests can inject failures,
 * and atomic directory writes built on it.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import { join } from "node:path";
import { ioError, type StoreError } from "./errors.ts";

/** One entry of a directory listing. */
export type DirEntry = { readonly name: string; readonly isDirectory: boolean };

/** The file operations the store needs; {@linkcode denoFs} is the real one. */
export interface StoreFs {
  readFile(path: string): Promise<Uint8Array>;
  /** Creates or replaces the file and flushes it to disk (fsync). */
  writeFile(path: string, data: Uint8Array): Promise<void>;
  /** Creates a directory and its parents; no error when it exists. */
  mkdir(path: string): Promise<void>;
  /** Creates a fresh directory inside `dir` whose name starts with `prefix`. */
  makeTempDir(dir: string, prefix: string): Promise<string>;
  rename(from: string, to: string): Promise<void>;
  /** Removes a file or a directory tree. */
  remove(path: string): Promise<void>;
  /** Is it a directory, a file, or absent (`undefined`)? */
  stat(path: string): Promise<{ readonly isDirectory: boolean } | undefined>;
  readDir(path: string): Promise<ReadonlyArray<DirEntry>>;
  /** Flushes a directory's entries to disk where the platform allows (best effort). */
  syncDir(path: string): Promise<void>;
  /**
   * Takes an exclusive lock on a directory without waiting: a function that releases it,
   * or null while another holder (another process, or another open in this one) has it.
   * The kernel drops the lock when its holder dies, even by SIGKILL. Throws where the
   * platform cannot lock a directory. Without it nothing is locked and stale temporary
   * directories are never removed.
   */
  tryLockDir?(path: string): Promise<(() => void) | null>;
}

/**
 * {@linkcode StoreFs} on Deno's file system.
 *
 * @example
 * ```ts
 * import { denoFs } from "./fs.ts";
 * await denoFs.mkdir(".oicsr/store");
 * ```
 */
export const denoFs: StoreFs = {
  readFile: (path) => Deno.readFile(path),
  async writeFile(path, data) {
    using file = await Deno.open(path, { write: true, create: true, truncate: true });
    let written = 0;
    while (written < data.byteLength) written += await file.write(data.subarray(written));
    await file.sync();
  },
  mkdir: (path) => Deno.mkdir(path, { recursive: true }),
  makeTempDir: (dir, prefix) => Deno.makeTempDir({ dir, prefix }),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path, { recursive: true }),
  async stat(path) {
    try {
      return { isDirectory: (await Deno.stat(path)).isDirectory };
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
  },
  async readDir(path) {
    const entries: DirEntry[] = [];
    for await (const e of Deno.readDir(path)) {
      entries.push({ name: e.name, isDirectory: e.isDirectory });
    }
    return entries;
  },
  async syncDir(path) {
    try {
      using dir = await Deno.open(path, { read: true });
      await dir.sync();
    } catch {
      // Not every platform can open or fsync a directory; the rename is still atomic.
    }
  },
  async tryLockDir(path) {
    const dir = await Deno.open(path, { read: true });
    let locked = false;
    try {
      locked = await dir.tryLock(true);
    } finally {
      if (!locked) dir.close();
    }
    // Closing the last descriptor releases the lock.
    return locked ? () => dir.close() : null;
  },
};

/** Prefix of the temporary directories the store writes into. */
export const TEMP_PREFIX = ".tmp-";

/**
 * Runs a file operation, turning a throw into a {@linkcode StoreError} naming `path`.
 *
 * @example
 * ```ts
 * import { attempt, denoFs } from "./fs.ts";
 * const bytes = await attempt("model.json", "read", () => denoFs.readFile("model.json"))();
 * ```
 */
export function attempt<A>(
  path: string,
  operation: string,
  run: () => Promise<A>,
): TE.TaskEither<StoreError, A> {
  return TE.tryCatch(run, (e) => ioError(path, operation, e));
}

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
 * import { denoFs, writeDirAtomic } from "./fs.ts";
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

/**
 * Removes the temporary directories (`.tmp-*`) in `parent` that no writer holds: those a
 * killed or crashed writer left. A live {@linkcode writeDirAtomic} holds the lock of its
 * temporary directory, in whichever process it runs, so its directory is kept. Does
 * nothing where the file system cannot lock directories. Resolves to the paths removed.
 *
 * @example
 * ```ts
 * import { denoFs, removeStaleTempDirs } from "./fs.ts";
 * const removed = await removeStaleTempDirs(".oicsr/store", denoFs)(); // Either<StoreError, string[]>
 * ```
 */
export function removeStaleTempDirs(
  parent: string,
  fs: StoreFs,
): TE.TaskEither<StoreError, string[]> {
  return attempt(parent, "remove stale temporary directories from", async () => {
    const removed: string[] = [];
    if (fs.tryLockDir === undefined || (await fs.stat(parent)) === undefined) return removed;
    for (const entry of await fs.readDir(parent)) {
      if (!entry.isDirectory || !entry.name.startsWith(TEMP_PREFIX)) continue;
      const path = join(parent, entry.name);
      const release = await fs.tryLockDir(path).catch(() => null);
      if (release === null) continue; // in use, gone, or not lockable here
      try {
        // Gone already: another clean-up removed it before this one took the lock.
        if ((await fs.stat(path)) === undefined) continue;
        await fs.remove(path);
        removed.push(path);
      } finally {
        release();
      }
    }
    return removed;
  });
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

/**
 * Removes a path, ignoring errors (cleanup after a failure must not hide that failure).
 *
 * @example
 * ```ts
 * import { denoFs, removeQuietly } from "./fs.ts";
 * await removeQuietly("out/.tmp-123", denoFs);
 * ```
 */
export async function removeQuietly(path: string, fs: StoreFs): Promise<void> {
  await fs.remove(path).catch(() => undefined);
}
