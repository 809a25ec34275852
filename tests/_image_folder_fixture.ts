/**
 * An ImageNet-style folder written for tests: `train/<wnid>/` and `val/<wnid>/`, small JPEG
 * files whose colour depends on the class.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import jpeg from "jpeg-js";
import type { ImageSet } from "../datasets/image_set.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";

/** Options of {@link writeImageFolder}. */
export interface ImageFolderFixture {
  /** Class folders (wnids n00000000, n00000001, ...). */
  readonly classes: number;
  /** JPEG files per class in train/ (val/ gets one per class). */
  readonly perClass: number;
  /** Side of the square images (default 24). */
  readonly side?: number;
}

/** Writes the folder under `root` and returns `root`. */
export async function writeImageFolder(root: string, o: ImageFolderFixture): Promise<string> {
  const side = o.side ?? 24;
  for (let c = 0; c < o.classes; c++) {
    const wnid = `n${String(c).padStart(8, "0")}`;
    const rgba = new Uint8Array(side * side * 4);
    for (let p = 0; p < side * side; p++) {
      rgba.set([(c * 37) % 256, (c * 91 + p) % 256, (c * 13 + 2 * p) % 256, 255], p * 4);
    }
    const bytes = jpeg.encode({ data: rgba, width: side, height: side }, 90).data;
    for (const [part, count] of [["train", o.perClass], ["val", 1]] as const) {
      await Deno.mkdir(`${root}/${part}/${wnid}`, { recursive: true });
      for (let k = 0; k < count; k++) {
        await Deno.writeFile(`${root}/${part}/${wnid}/${k}.JPEG`, bytes);
      }
    }
  }
  return root;
}

/** The training set of a folder `smallFolderSet` wrote, decoded at 16x16 (resized to 20). */
export async function loadSmallFolder(root: string): Promise<ImageSet> {
  const split = await loadImageFolder(root, { size: 16, resize: 20 })();
  if (E.isLeft(split)) throw new Error(split.left.message);
  return split.right.train;
}

/** Writes a folder of 3 classes x 7 images of 40x40 under `root`; its streamed training set. */
export async function smallFolderSet(root: string): Promise<ImageSet> {
  await writeImageFolder(root, { classes: 3, perClass: 7, side: 40 });
  return await loadSmallFolder(root);
}
