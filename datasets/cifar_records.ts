/**
 * Records of the CIFAR binary format: label byte(s), then 3072 planar pixel bytes (1024 R,
 * 1024 G, 1024 B, each plane row-major), decoded to HWC.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import { type DataError, dataError } from "./errors.ts";
import { CIFAR_IMAGE_BYTES } from "./image_set.ts";

/** How one record is laid out: its label bytes, which of them to use, and the classes. */
export interface CifarRecordLayout {
  readonly labelBytes: 1 | 2;
  readonly labelIndex: 0 | 1;
  readonly classes: number;
}

/**
 * Words for the content of a record, for error messages.
 *
 * @example
 * ```ts
 * import { recordWords } from "./cifar_records.ts";
 * console.log(recordWords({ labelBytes: 1, labelIndex: 0, classes: 10 })); // "label + 32x32x3 pixels"
 * ```
 */
export function recordWords(layout: CifarRecordLayout): string {
  return layout.labelBytes === 1 ? "label + 32x32x3 pixels" : "2 label bytes + 32x32x3 pixels";
}

/**
 * Decodes whole records into `images` (HWC) and `labels`, one record per label; `bytes`
 * must hold exactly labels.length records. Labels beyond the classes give LabelOutOfRange.
 *
 * @example
 * ```ts
 * import { decodeCifarRecords } from "./cifar_records.ts";
 * const record = new Uint8Array(3073); record[0] = 7; record[1] = 255; // label 7, R of pixel 0
 * const images = new Uint8Array(3072), labels = new Int32Array(1);
 * decodeCifarRecords(record, "x.bin", { labelBytes: 1, labelIndex: 0, classes: 10 }, images, labels);
 * console.log(labels[0], images[0], images[1]); // 7 255 0
 * ```
 */
export function decodeCifarRecords(
  bytes: Uint8Array,
  file: string,
  layout: CifarRecordLayout,
  images: Uint8Array,
  labels: Int32Array,
): E.Either<DataError, void> {
  const recordBytes = layout.labelBytes + CIFAR_IMAGE_BYTES;
  const plane = CIFAR_IMAGE_BYTES / 3;
  for (let r = 0; r < labels.length; r++) {
    const start = r * recordBytes;
    const label = bytes[start + layout.labelIndex];
    if (label >= layout.classes) {
      const expected = `labels in 0..${layout.classes - 1}`;
      const actual = `label ${label} in record ${r}`;
      const message = `${file}: ${actual} (expected ${expected}), at byte offset ` +
        `${start + layout.labelIndex}`;
      return E.left(dataError("LabelOutOfRange", file, expected, actual, message));
    }
    labels[r] = label;
    const px = start + layout.labelBytes;
    const out = r * CIFAR_IMAGE_BYTES;
    for (let p = 0, o = out; p < plane; p++, o += 3) {
      images[o] = bytes[px + p];
      images[o + 1] = bytes[px + plane + p];
      images[o + 2] = bytes[px + 2 * plane + p];
    }
  }
  return E.right(undefined);
}
