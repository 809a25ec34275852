/**
 * An ImageNet-style folder written for tests: `train/<wnid>/` and `val/<wnid>/`, small JPEG
 * files whose colour depends on the class.
 *
 * @module
 */
import jpeg from "jpeg-js";

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
