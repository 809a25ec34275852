/**
 * The weights a tfjs `model.json` manifest lists, read from its shard files: each shard's path
 * checked to stay in the model's folder, the shards of a group concatenated and cut into
 * weights, and any NaN or infinite value refused with its shard file and byte offset.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import type * as TE from "fp-ts/TaskEither";
import { dirname, join } from "node:path";
import type { StoreError } from "./errors.ts";
import { attempt, type StoreFs } from "./fs.ts";
import { checkShardPath } from "./manifest_paths.ts";
import type { WeightEntry, WeightSpec } from "./snapshot.ts";
import { decodeWeights, firstNonFinite } from "./weights.ts";

/** One group of a weights manifest: its shard files and the weights they hold, in order. */
export interface ShardGroup {
  readonly paths: ReadonlyArray<string>;
  readonly weights: ReadonlyArray<WeightSpec>;
}

/**
 * Every group's shards read (each path checked to lie inside the model's folder first) and
 * concatenated, cut into weights in manifest order; a NaN or infinite value is refused.
 */
export function readManifestWeights(
  manifest: ReadonlyArray<ShardGroup>,
  modelPath: string,
  fs: StoreFs,
): TE.TaskEither<StoreError, ReadonlyArray<WeightEntry>> {
  const dir = dirname(modelPath);
  return async () => {
    const weights: WeightEntry[] = [];
    for (const [g, group] of manifest.entries()) {
      const shards: Uint8Array[] = [];
      for (const [k, name] of group.paths.entries()) {
        const outside = await checkShardPath(modelPath, dir, name, [g, k]);
        if (outside !== undefined) return E.left(outside);
        const path = join(dir, name);
        const bytes = await attempt(path, "read", () => fs.readFile(path))();
        if (E.isLeft(bytes)) return bytes;
        shards.push(bytes.right);
      }
      const data = new Uint8Array(shards.reduce((n, s) => n + s.byteLength, 0));
      shards.reduce((offset, s) => (data.set(s, offset), offset + s.byteLength), 0);
      const where = group.paths.map((name) => join(dir, name)).join(" + ");
      const decoded = decodeWeights(group.weights, data, where);
      if (E.isLeft(decoded)) return decoded;
      const bad = nonFinite(
        decoded.right,
        group.paths.map((name, k) => ({
          path: join(dir, name),
          bytes: shards[k].byteLength,
        })),
      );
      if (bad !== undefined) return E.left(bad);
      weights.push(...decoded.right);
    }
    return E.right(weights);
  };
}

/** The first NaN or infinite weight of a group, named by shard file and byte offset. */
function nonFinite(
  weights: ReadonlyArray<WeightEntry>,
  shards: ReadonlyArray<{ readonly path: string; readonly bytes: number }>,
): StoreError | undefined {
  const found = firstNonFinite(weights);
  if (found === undefined) return undefined;
  let offset = found.byteOffset;
  const shard = shards.find((s) => offset < s.bytes || ((offset -= s.bytes), false)) ?? shards[0];
  const message = `${shard.path}: byte offset ${offset}: value ${found.index} of weight ` +
    `"${found.weight}" is ${found.value}; weights must be finite numbers`;
  return { _tag: "InvalidSnapshot", path: shard.path, message };
}
