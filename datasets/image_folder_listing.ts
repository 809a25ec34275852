/**
 * The listing of an ImageNet-style folder of JPEG files, held compactly: for 1.28 M files,
 * one string of all file names, their start offsets and the labels (about 35 MB).
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { type DataError, dataError } from "./errors.ts";

/** The files of `train/` or `val/`, in set order (classes interleaved round-robin). */
export interface PartListing {
  /** `<root>/train` or `<root>/val`. */
  readonly dir: string;
  /** Class of each file. */
  readonly labels: Int32Array;
  /** File names (without their class folder), concatenated in set order. */
  readonly names: string;
  /** File i's name is names.slice(starts[i], starts[i + 1]). */
  readonly starts: Uint32Array;
}

/** The class folders (sorted) and both parts. */
export interface FolderListing {
  readonly classNames: readonly string[];
  readonly train: PartListing;
  readonly val: PartListing;
}

const JPEG_NAME = /\.jpe?g$/i;

interface Entry {
  readonly name: string;
  readonly isDirectory: boolean;
}

/** A folder that cannot be listed: missing, or unreadable. */
function folderError(dir: string, cause: unknown, expected: string): DataError {
  if (cause instanceof Deno.errors.NotFound) {
    return dataError("MissingFile", dir, expected, "not found");
  }
  const why = cause instanceof Error ? cause.message : String(cause);
  return dataError("BadFormat", dir, expected, `cannot be read: ${why}`);
}

/** The entries of `dir` (symbolic links followed, dot-files left out), sorted by name. */
async function entriesOf(dir: string, expected: string): Promise<E.Either<DataError, Entry[]>> {
  const entries: Entry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      const isDirectory = entry.isSymlink
        ? (await Deno.stat(`${dir}/${entry.name}`)).isDirectory
        : entry.isDirectory;
      entries.push({ name: entry.name, isDirectory });
    }
  } catch (e) {
    return E.left(folderError(dir, e, expected));
  }
  return E.right(entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)));
}

/** The class folders of `dir` (a file there is an error: e.g. a flat, unsorted val/). */
async function classFolders(dir: string): Promise<E.Either<DataError, string[]>> {
  const entries = await entriesOf(dir, "a folder of class folders, train/<wnid>/ and val/<wnid>/");
  if (E.isLeft(entries)) return entries;
  if (entries.right.length === 0) {
    return E.left(dataError("MissingFile", dir, "at least one class folder", "an empty folder"));
  }
  const file = entries.right.find((e) => !e.isDirectory);
  if (file !== undefined) {
    const path = `${dir}/${file.name}`;
    const expected = `only class folders in ${dir} (sort flat validation images into ` +
      `<wnid> folders first)`;
    return E.left(dataError("BadFormat", path, expected, "a file"));
  }
  return E.right(entries.right.map((e) => e.name));
}

/** The JPEG file names of one class folder, sorted; anything else is an error. */
async function classFiles(dir: string): Promise<E.Either<DataError, string[]>> {
  const entries = await entriesOf(dir, "a class folder of JPEG files");
  if (E.isLeft(entries)) return entries;
  const other = entries.right.find((e) => e.isDirectory || !JPEG_NAME.test(e.name));
  if (other !== undefined) {
    const actual = other.isDirectory ? "a folder" : "not a .jpeg/.jpg file";
    return E.left(dataError("BadFormat", `${dir}/${other.name}`, "JPEG files only", actual));
  }
  if (entries.right.length === 0) {
    return E.left(dataError("MissingFile", dir, "at least one JPEG file", "an empty class folder"));
  }
  return E.right(entries.right.map((e) => e.name));
}

/** Interleaves the classes' files round-robin into a {@link PartListing}. */
function interleave(
  dir: string,
  files: readonly string[][],
  labels: readonly number[],
): PartListing {
  const count = files.reduce((n, f) => n + f.length, 0);
  const order: string[] = [];
  const out = new Int32Array(count);
  const starts = new Uint32Array(count + 1);
  const longest = Math.max(0, ...files.map((f) => f.length));
  for (let round = 0, i = 0; round < longest; round++) {
    for (let c = 0; c < files.length; c++) {
      if (round >= files[c].length) continue;
      order.push(files[c][round]);
      out[i] = labels[c];
      starts[i + 1] = starts[i] + files[c][round].length;
      i++;
    }
  }
  return { dir, labels: out, names: order.join(""), starts };
}

async function listPart(
  dir: string,
  folders: readonly string[],
  labelOf: ReadonlyMap<string, number>,
): Promise<E.Either<DataError, PartListing>> {
  const files: string[][] = [];
  const labels: number[] = [];
  for (const folder of folders) {
    const label = labelOf.get(folder);
    if (label === undefined) {
      const expected = `one of the ${labelOf.size} class folders of train/`;
      const message = `${dir}/${folder}: wrong class folder, train/ has no class "${folder}"`;
      return E.left(
        dataError("LabelOutOfRange", `${dir}/${folder}`, expected, "an unknown class", message),
      );
    }
    const names = await classFiles(`${dir}/${folder}`);
    if (E.isLeft(names)) return names;
    files.push(names.right);
    labels.push(label);
  }
  return E.right(interleave(dir, files, labels));
}

/**
 * Lists `<root>/train/<class>/*.jpeg` and `<root>/val/<class>/*.jpeg`: classes numbered
 * by train's sorted folder names; `classes`, when given, is the number train must have.
 *
 * @example
 * ```ts
 * import { listImageFolder } from "./image_folder_listing.ts";
 * const listing = await listImageFolder("/data/imagenet", 1000);
 * if (listing._tag === "Right") console.log(listing.right.classNames[0]); // "n01440764"
 * ```
 */
export async function listImageFolder(
  root: string,
  classes?: number,
): Promise<E.Either<DataError, FolderListing>> {
  try {
    await Deno.stat(root);
  } catch (e) {
    return E.left(folderError(root, e, "an ImageNet folder holding train/ and val/"));
  }
  const trainFolders = await classFolders(`${root}/train`);
  if (E.isLeft(trainFolders)) return trainFolders;
  const classNames = trainFolders.right;
  if (classes !== undefined && classNames.length !== classes) {
    const expected = `${classes} class folders`;
    const actual = `${classNames.length} class folders`;
    return E.left(dataError("LabelOutOfRange", `${root}/train`, expected, actual));
  }
  const valFolders = await classFolders(`${root}/val`);
  if (E.isLeft(valFolders)) return valFolders;
  const labelOf = new Map(classNames.map((name, i) => [name, i]));
  const train = await listPart(`${root}/train`, classNames, labelOf);
  if (E.isLeft(train)) return train;
  const val = await listPart(`${root}/val`, valFolders.right, labelOf);
  if (E.isLeft(val)) return val;
  return E.right({ classNames, train: train.right, val: val.right });
}
