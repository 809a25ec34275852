import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  buildForest,
  focusOn,
  lineageForest,
  type LineageNode,
  lineageOf,
  pathTo,
} from "../snapshot/lineage.ts";
import { denoFs, type StoreFs } from "../snapshot/fs.ts";
import type { Json, SnapshotMeta } from "../snapshot/snapshot.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import { smallSnapshot } from "./_fixtures.ts";
import { expectLeft, expectRight, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

/** Metadata with a made-up id (`c` repeated): enough for the pure functions. */
function meta(
  c: string,
  parent: string | null,
  createdAt: string,
  more: { stage?: string; options?: Json; metrics?: Record<string, number> } = {},
): SnapshotMeta {
  return {
    id: c.repeat(64),
    parent: parent === null ? null : parent.repeat(64),
    stage: more.stage ?? "train",
    options: more.options ?? {},
    seed: 0,
    metrics: more.metrics ?? {},
    backend: { name: "cpu", adapter: "", threads: 1 },
    versions: { oicsr: "test", tfjs: "4.22.0", deno: "2.9.6" },
    createdAt,
  };
}

/** The tree as nested [short id, children] pairs, easy to compare. */
type Shape = [string, Shape[]] | [string, Shape[], "parent missing"];
function shape(node: LineageNode): Shape {
  const s: Shape = [node.meta.id.slice(0, 2), node.children.map(shape)];
  return node.parentMissing ? [s[0], s[1], "parent missing"] : s;
}

const t = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

Deno.test("buildForest() hangs each snapshot under its parent, oldest first", () => {
  const metas = [
    meta("c", "b", t(4)),
    meta("e", "c", t(5)),
    meta("b", "a", t(2)),
    meta("d", "b", t(3)),
    meta("a", null, t(1), { stage: "init" }),
  ];
  assert.deepEqual(buildForest(metas).map(shape), [
    ["aa", [["bb", [["dd", []], ["cc", [["ee", []]]]]]]],
  ]);
});

Deno.test("buildForest() breaks createdAt ties by id and sorts roots the same way", () => {
  const metas = [meta("9", null, t(1)), meta("3", null, t(1)), meta("0", null, t(2))];
  metas.push(meta("8", "3", t(3)), meta("2", "3", t(3)));
  assert.deepEqual(buildForest(metas).map(shape), [
    ["33", [["22", []], ["88", []]]],
    ["99", []],
    ["00", []],
  ]);
});

Deno.test("buildForest() makes a snapshot whose parent is not given a root marked parentMissing", () => {
  const forest = buildForest([meta("a", null, t(2)), meta("b", "f", t(1)), meta("c", "b", t(3))]);
  assert.deepEqual(forest.map(shape), [["bb", [["cc", []]], "parent missing"], ["aa", []]]);
  assert.equal(forest[1].parentMissing, false, "no parent at all is not a missing parent");
  assert.deepEqual(buildForest([]), []);
});

Deno.test("buildForest() keeps every snapshot of a hand-made parent cycle, cut at its oldest", () => {
  // b -> c -> d -> b is a cycle; e hangs off it and is older than all of them.
  const metas = [
    meta("b", "d", t(2)),
    meta("c", "b", t(3)),
    meta("d", "c", t(4)),
    meta("e", "c", t(1)),
    meta("s", "s", t(5)),
  ];
  assert.deepEqual(buildForest(metas).map(shape), [
    ["bb", [["cc", [["ee", []], ["dd", []]]]]],
    ["ss", []],
  ]);
});

Deno.test("buildForest() does not change its input and keeps the oldest of a repeated id", () => {
  const metas = [meta("b", "a", t(2)), meta("a", null, t(1))];
  const copy = structuredClone(metas);
  const forest = buildForest([...metas, { ...meta("b", null, t(9)), stage: "again" }]);
  assert.deepEqual(metas, copy);
  assert.deepEqual(forest.map(shape), [["aa", [["bb", []]]]]);
  assert.equal(forest[0].children[0].meta.stage, "train");
});

Deno.test("pathTo() and focusOn() give the chain to a snapshot and keep its descendants", () => {
  const forest = buildForest([
    meta("a", null, t(1)),
    meta("b", "a", t(2)),
    meta("c", "b", t(3)),
    meta("d", "b", t(4)),
    meta("e", "c", t(5)),
    meta("z", null, t(6)),
  ]);
  const id = "c".repeat(64);
  assert.deepEqual(pathTo(forest, id)?.map((n) => n.meta.id[0]), ["a", "b", "c"]);
  assert.deepEqual(shape(focusOn(forest, id)!), ["aa", [["bb", [["cc", [["ee", []]]]]]]]);
  assert.deepEqual(shape(focusOn(forest, "z".repeat(64))!), ["zz", []]);
  assert.equal(pathTo(forest, "f".repeat(64)), undefined);
  assert.equal(focusOn(forest, "f".repeat(64)), undefined);
  assert.equal(forest[0].children[0].children.length, 2, "the forest is not cut");
});

Deno.test("pathTo() follows a chain of 5000 snapshots without running out of stack", () => {
  const ids = Array.from({ length: 5000 }, (_, i) => i.toString(16).padStart(64, "0"));
  const metas = ids.map((id, i) => ({ ...meta("0", null, t(0)), id, parent: ids[i - 1] ?? null }));
  const forest = buildForest(metas);
  assert.equal(pathTo(forest, ids[4999])?.length, 5000);
});

/** A real snapshot (content-hashed weights of seed `seed`) with crafted lineage metadata. */
async function stored(root: string, seed: number, fields: Partial<SnapshotMeta>) {
  const s = await smallSnapshot(seed);
  const snapshot = { ...s, meta: { ...s.meta, ...fields } };
  expectRight(await writeSnapshot(root, snapshot)());
  return snapshot.meta;
}

/** A store: a -> b -> {d, c}, c -> e, and f whose parent was never stored. */
async function lineageStore(root: string) {
  const a = await stored(root, 1, { stage: "init", createdAt: t(1) });
  const b = await stored(root, 2, { parent: a.id, stage: "train", createdAt: t(2) });
  const c = await stored(root, 3, { parent: b.id, stage: "prune", createdAt: t(4) });
  const d = await stored(root, 4, { parent: b.id, stage: "prune", createdAt: t(3) });
  const e = await stored(root, 5, { parent: c.id, stage: "train", createdAt: t(5) });
  const f = await stored(root, 6, { parent: "f".repeat(64), stage: "train", createdAt: t(0) });
  return { a, b, c, d, e, f };
}

Deno.test("lineageForest() reads the store's tree from snapshot.json alone", async () => {
  await withTempDir("lineage-", async (root) => {
    const { a, b, c, d, e, f } = await lineageStore(root);
    const read: string[] = [];
    const fs: StoreFs = { ...denoFs, readFile: (p) => (read.push(p), denoFs.readFile(p)) };
    const forest = expectRight(await lineageForest(root, { fs })());
    assert.equal(read.length, 6);
    assert.ok(read.every((p) => p.endsWith("snapshot.json")), read.join("\n"));
    const ids = (n: LineageNode): unknown => [n.meta.id, n.parentMissing, n.children.map(ids)];
    assert.deepEqual(forest.map(ids), [
      [f.id, true, []],
      [a.id, false, [[b.id, false, [[d.id, false, []], [c.id, false, [[e.id, false, []]]]]]]],
    ]);
    assert.deepEqual(forest[1].children[0].meta, b);
  });
});

Deno.test("lineageOf() gives the metadata from the root to a snapshot, NotFound naming an absent id", async () => {
  await withTempDir("lineage-", async (root) => {
    const { a, b, c, e, f } = await lineageStore(root);
    assert.deepEqual(expectRight(await lineageOf(root, e.id)()), [a, b, c, e]);
    assert.deepEqual(expectRight(await lineageOf(root, f.id)()), [f]);
    const missing = expectLeft(await lineageOf(root, "f".repeat(64))());
    assert.equal(missing._tag, "NotFound");
    assert.equal(missing.message, `${root}: no snapshot ${"f".repeat(64)} in the store`);
    assert.deepEqual(expectRight(await lineageForest(`${root}/absent`)()), []);
  });
});
