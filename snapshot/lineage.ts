/**
 * The lineage of the snapshots in a store: every snapshot under the one it was made from
 * (`meta.parent`), as a forest. Built from the metadata alone (`snapshot.json`), never
 * from the weights. {@linkcode buildForest} and the lookups are pure; only
 * {@linkcode lineageForest} and {@linkcode lineageOf} read the store.
 *
 * @module
 */
import * as E from "fp-ts/Either";
import * as TE from "fp-ts/TaskEither";
import { pipe } from "fp-ts/function";
import type { StoreError } from "./errors.ts";
import type { SnapshotMeta } from "./snapshot.ts";
import type { StoreOptions } from "./store.ts";
import { listSnapshots } from "./store_list.ts";

/** One snapshot of a lineage forest and the snapshots made from it. */
export interface LineageNode {
  readonly meta: SnapshotMeta;
  /** True for a root whose `meta.parent` names a snapshot that is not in the store. */
  readonly parentMissing: boolean;
  /** The snapshots whose parent this is, oldest first (by `createdAt`, then id). */
  readonly children: ReadonlyArray<LineageNode>;
}

/** Oldest first: by `createdAt` (ISO text), then by id. */
function byAge(a: SnapshotMeta, b: SnapshotMeta): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

type Draft = { meta: SnapshotMeta; parentMissing: boolean; children: Draft[] };

/**
 * The parent/child forest of some snapshot metadata. Roots are the snapshots without a
 * parent and those whose parent is not among `metas` (`parentMissing: true`); roots and
 * every node's children are sorted oldest first (`createdAt`, then id). Every id appears
 * once: a repeated id keeps its oldest metadata, and a parent cycle (only a hand-edited
 * store can hold one) is cut at its oldest member, which becomes a root.
 *
 * @example
 * ```ts
 * import { buildForest } from "./lineage.ts";
 * import type { SnapshotMeta } from "./snapshot.ts";
 * declare const init: SnapshotMeta, trained: SnapshotMeta; // trained.parent === init.id
 * buildForest([trained, init]); // [{ meta: init, children: [{ meta: trained, ... }] }]
 * ```
 */
export function buildForest(metas: ReadonlyArray<SnapshotMeta>): LineageNode[] {
  const nodes = new Map<string, Draft>();
  for (const meta of [...metas].sort(byAge)) {
    if (!nodes.has(meta.id)) nodes.set(meta.id, { meta, parentMissing: false, children: [] });
  }
  const roots: Draft[] = [];
  for (const node of nodes.values()) {
    const parent = node.meta.parent === null ? undefined : nodes.get(node.meta.parent);
    if (parent === undefined) {
      node.parentMissing = node.meta.parent !== null;
      roots.push(node);
    } else parent.children.push(node);
  }
  cutCycles(nodes, roots);
  return roots.sort((a, b) => byAge(a.meta, b.meta));
}

/**
 * Nodes on a parent cycle, and those below them, hang from no root: makes the oldest node
 * of each cycle a root (its `parentMissing` stays false: its parent is in the store).
 */
function cutCycles(nodes: ReadonlyMap<string, Draft>, roots: Draft[]): void {
  const reached = new Set<string>();
  const reach = (root: Draft) => walk(root, (n) => reached.add(n.meta.id));
  roots.forEach(reach);
  const parentOf = (node: Draft) => nodes.get(node.meta.parent!)!;
  for (const start of nodes.values()) {
    if (reached.has(start.meta.id)) continue;
    // Every unreached node has its parent in `nodes`, so climbing ends on a cycle.
    const climbed = new Set<Draft>();
    let onCycle = start;
    while (!climbed.has(onCycle)) {
      climbed.add(onCycle);
      onCycle = parentOf(onCycle);
    }
    let oldest = onCycle;
    for (let n = parentOf(onCycle); n !== onCycle; n = parentOf(n)) {
      if (byAge(n.meta, oldest.meta) < 0) oldest = n;
    }
    const siblings = parentOf(oldest).children;
    siblings.splice(siblings.indexOf(oldest), 1);
    roots.push(oldest);
    reach(oldest);
  }
}

/** Visits a tree depth first, parents before children (no recursion: chains can be long). */
function walk<N extends { readonly children: ReadonlyArray<N> }>(root: N, visit: (n: N) => void) {
  const stack = [root];
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    visit(node);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
}

/**
 * The nodes from a root of `forest` down to the snapshot `id` (root first, `id` last);
 * `undefined` when `id` is not in the forest.
 *
 * @example
 * ```ts
 * import { buildForest, pathTo } from "./lineage.ts";
 * import type { SnapshotMeta } from "./snapshot.ts";
 * declare const init: SnapshotMeta, trained: SnapshotMeta; // trained.parent === init.id
 * pathTo(buildForest([init, trained]), trained.id)?.map((n) => n.meta.stage); // init, train
 * ```
 */
export function pathTo(
  forest: ReadonlyArray<LineageNode>,
  id: string,
): LineageNode[] | undefined {
  const parents = new Map<string, LineageNode | undefined>();
  const nodes = new Map<string, LineageNode>();
  for (const root of forest) {
    parents.set(root.meta.id, undefined);
    walk(root, (node) => {
      nodes.set(node.meta.id, node);
      for (const child of node.children) parents.set(child.meta.id, node);
    });
  }
  const path: LineageNode[] = [];
  for (let node = nodes.get(id); node !== undefined; node = parents.get(node.meta.id)) {
    path.push(node);
  }
  return path.length === 0 ? undefined : path.reverse();
}

/**
 * The one tree of `forest` that holds `id`, cut down to the chain from its root to `id`
 * (each ancestor keeps only the child on that chain) and every descendant of `id`;
 * `undefined` when `id` is not in the forest.
 *
 * @example
 * ```ts
 * import { buildForest, focusOn } from "./lineage.ts";
 * import type { SnapshotMeta } from "./snapshot.ts";
 * declare const metas: SnapshotMeta[], id: string;
 * focusOn(buildForest(metas), id); // one LineageNode, or undefined
 * ```
 */
export function focusOn(
  forest: ReadonlyArray<LineageNode>,
  id: string,
): LineageNode | undefined {
  const path = pathTo(forest, id);
  if (path === undefined) return undefined;
  return path.slice(0, -1).reduceRight<LineageNode>(
    (child, node) => ({ meta: node.meta, parentMissing: node.parentMissing, children: [child] }),
    path[path.length - 1],
  );
}

/**
 * The lineage forest of every snapshot in the store (see {@linkcode buildForest}); an
 * empty or absent store gives `[]`. Reads only each `snapshot.json`, so it is cheap, but
 * one invalid `snapshot.json` fails it (the error names the file).
 *
 * @example
 * ```ts
 * import { lineageForest } from "./lineage.ts";
 * const forest = await lineageForest(".oicsr/store")(); // Either<StoreError, LineageNode[]>
 * ```
 */
export function lineageForest(
  storeRoot: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, LineageNode[]> {
  return pipe(listSnapshots(storeRoot, options), TE.map(buildForest));
}

/**
 * The metadata of the chain from the oldest ancestor in the store down to the snapshot
 * `id` (a full id; `resolveSnapshotId` turns a prefix into one). Fails with `NotFound`
 * naming `id` when the store does not hold it.
 *
 * @example
 * ```ts
 * import { lineageOf } from "./lineage.ts";
 * const chain = await lineageOf(".oicsr/store", "3f2a9c1d04be...")(); // Either
 * ```
 */
export function lineageOf(
  storeRoot: string,
  id: string,
  options: StoreOptions = {},
): TE.TaskEither<StoreError, SnapshotMeta[]> {
  return pipe(
    lineageForest(storeRoot, options),
    TE.chainEitherK((forest) => {
      const path = pathTo(forest, id);
      if (path !== undefined) return E.right(path.map((node) => node.meta));
      const message = `${storeRoot}: no snapshot ${id} in the store`;
      return E.left<StoreError>({ _tag: "NotFound", path: storeRoot, message });
    }),
  );
}
