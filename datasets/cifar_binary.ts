/**
 * The official CIFAR binary format. CIFAR-10: `data_batch_1.bin` .. `data_batch_5.bin` and
 * `test_batch.bin`, records of 1 label byte + 3072 pixel bytes. CIFAR-100: `train.bin` and
 * `test.bin`, records of 2 label bytes (coarse, fine) + 3072 pixel bytes. Pixels are planar
 * (1024 R, 1024 G, 1024 B, each row-major) and are converted to HWC.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { type DataError, dataError, fileError } from "./errors.ts";
import { CIFAR_IMAGE_BYTES, cifarImageSet, type MemoryImageSet, type Split } from "./image_set.ts";
import { type CifarRecordLayout, decodeCifarRecords, recordWords } from "./cifar_records.ts";

/** Which CIFAR and, for CIFAR-100, which labels. */
export interface CifarBinaryOptions {
  readonly variant: "cifar10" | "cifar100";
  /** CIFAR-100 only: 100 fine classes (default) or 20 coarse superclasses. */
  readonly labels?: "fine" | "coarse";
}

interface Variant extends CifarRecordLayout {
  readonly name: string;
  readonly subfolder: string;
  readonly train: readonly string[];
  readonly test: readonly string[];
}

function variantOf(options: CifarBinaryOptions): Variant {
  if (options.variant === "cifar10") {
    const train = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
    return {
      name: "cifar10",
      subfolder: "cifar-10-batches-bin",
      train,
      test: ["test_batch.bin"],
      labelBytes: 1,
      labelIndex: 0,
      classes: 10,
    };
  }
  const coarse = options.labels === "coarse";
  return {
    name: coarse ? "cifar100-coarse" : "cifar100",
    subfolder: "cifar-100-binary",
    train: ["train.bin"],
    test: ["test.bin"],
    labelBytes: 2,
    labelIndex: coarse ? 0 : 1,
    classes: coarse ? 20 : 100,
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function resolveDir(dir: string, v: Variant): Promise<E.Either<DataError, string>> {
  if (!(await exists(dir))) {
    return E.left(
      dataError("MissingFile", dir, "a folder holding the CIFAR binary files", "not found"),
    );
  }
  for (const candidate of [dir, `${dir}/${v.subfolder}`]) {
    if (await exists(`${candidate}/${v.test[0]}`)) return E.right(candidate);
  }
  const file = `${dir}/${v.test[0]}`;
  return E.left(
    dataError(
      "MissingFile",
      file,
      `${v.test[0]} in ${dir} or in ${dir}/${v.subfolder}/`,
      "not found",
    ),
  );
}

async function recordCount(
  file: string,
  layout: CifarRecordLayout,
): Promise<E.Either<DataError, number>> {
  const recordBytes = layout.labelBytes + CIFAR_IMAGE_BYTES;
  let size: number;
  try {
    const info = await Deno.stat(file);
    if (!info.isFile) return E.left(dataError("BadFormat", file, "a file", "a folder"));
    size = info.size;
  } catch (e) {
    return E.left(fileError(file, e));
  }
  if (size === 0 || size % recordBytes !== 0) {
    const expected = `a whole number of ${recordBytes}-byte records`;
    const message = `${file}: ${size} bytes is not a whole number of ${recordBytes}-byte records (${
      recordWords(layout)
    })`;
    return E.left(dataError("TruncatedFile", file, expected, `${size} bytes`, message));
  }
  return E.right(size / recordBytes);
}

async function readExactly(file: string, out: Uint8Array): Promise<E.Either<DataError, void>> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(file, { read: true });
    for (let offset = 0; offset < out.length;) {
      const n = await handle.read(out.subarray(offset));
      if (n === null) {
        return E.left(dataError("TruncatedFile", file, `${out.length} bytes`, `${offset} bytes`));
      }
      offset += n;
    }
    return E.right(undefined);
  } catch (e) {
    return E.left(fileError(file, e));
  } finally {
    handle?.close();
  }
}

async function loadPart(
  dir: string,
  part: "train" | "test",
  v: Variant,
): Promise<E.Either<DataError, MemoryImageSet>> {
  const files = v[part].map((f) => `${dir}/${f}`);
  const counts: number[] = [];
  for (const file of files) {
    const count = await recordCount(file, v);
    if (E.isLeft(count)) return count;
    counts.push(count.right);
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const images = new Uint8Array(total * CIFAR_IMAGE_BYTES);
  const labels = new Int32Array(total);
  const recordBytes = v.labelBytes + CIFAR_IMAGE_BYTES;
  const buffer = new Uint8Array(Math.max(...counts) * recordBytes); // reused across files
  for (let f = 0, first = 0; f < files.length; first += counts[f], f++) {
    const bytes = buffer.subarray(0, counts[f] * recordBytes);
    const read = await readExactly(files[f], bytes);
    if (E.isLeft(read)) return read;
    const end = first + counts[f];
    const imagesOut = images.subarray(first * CIFAR_IMAGE_BYTES, end * CIFAR_IMAGE_BYTES);
    const decoded = decodeCifarRecords(bytes, files[f], v, imagesOut, labels.subarray(first, end));
    if (E.isLeft(decoded)) return decoded;
  }
  return E.right(cifarImageSet(`${v.name}/${part}`, images, labels, v.classes));
}

/**
 * Loads CIFAR-10 or CIFAR-100 in the official binary format from `dir` (or from its
 * `cifar-10-batches-bin/` / `cifar-100-binary/` subfolder). Any whole number of records per
 * file is accepted; a partial record is a TruncatedFile error.
 *
 * @example
 * ```ts
 * import { loadCifarBinary } from "./cifar_binary.ts";
 * const split = await loadCifarBinary("/data", { variant: "cifar100", labels: "coarse" })();
 * if (split._tag === "Left") console.error(split.left.message);
 * else console.log(split.right.train.classes); // 20
 * ```
 */
export function loadCifarBinary(
  dir: string,
  options: CifarBinaryOptions,
): TE.TaskEither<DataError, Split<MemoryImageSet>> {
  return async () => {
    const v = variantOf(options);
    const root = await resolveDir(dir.replace(/\/+$/, "") || "/", v);
    if (E.isLeft(root)) return root;
    const train = await loadPart(root.right, "train", v);
    if (E.isLeft(train)) return train;
    const test = await loadPart(root.right, "test", v);
    if (E.isLeft(test)) return test;
    return E.right({ train: train.right, test: test.right });
  };
}
