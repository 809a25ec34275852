/**
 * Data sets as plain typed arrays (uint8 HWC images, int32 labels), loaders that return
 * errors as values, and a seeded batch pipeline (shuffle, augmentation, normalisation).
 *
 * @example
 * ```ts
 * import { batches, channelStats, loadCifar10Package } from "./mod.ts";
 * const split = await loadCifar10Package({ trainSheets: 1 })();
 * if (split._tag === "Right") {
 *   const { mean, std } = channelStats(split.right.train);
 *   let seen = 0;
 *   for (const b of batches(split.right.train, { batchSize: 64, seed: 1, augment: true, mean, std })) {
 *     seen += b.size; // use b.x / b.y before asking for the next batch: buffers are reused
 *   }
 *   console.log(seen); // 10000
 * }
 * ```
 *
 * @module
 */
export * from "./errors.ts";
export * from "./image_set.ts";
export * from "./rng.ts";
export * from "./labels_json.ts";
export * from "./png_sheet.ts";
export * from "./cifar10_package.ts";
export * from "./cifar_records.ts";
export * from "./cifar_binary.ts";
export * from "./image_transforms.ts";
export * from "./image_folder_listing.ts";
export * from "./imagenet_folder.ts";
export * from "./stats.ts";
export * from "./batches.ts";
export { startDecodeWorkers, startedDecodeWorkers, stopDecodeWorkers } from "./decode_pool.ts";
