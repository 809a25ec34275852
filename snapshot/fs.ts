/**
 * The file-system capability the store uses, passed in so tests can inject failures, and
 * the clean-up of the temporary directories killed writers left (`atomic_dir.ts` writes).
 *
 * @module
 */
import * as TE from "fp-ts/TaskEither";
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

/**
 * Removes the temporary directories (`.tmp-*`) in `parent` that no writer holds: those a
 * killed or crashed writer left. A live `writeDirAtomic` (atomic_dir.ts) holds the lock of its
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
