import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lineageText, LOG_HELP, logCommand, snapshotLine } from "../cli/lineage.ts";
import { buildForest } from "../snapshot/lineage.ts";
import type { SnapshotMeta } from "../snapshot/snapshot.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import { smallSnapshot } from "./_fixtures.ts";
import { expectLeft, expectRight, runCommand, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

const t = (minute: number) => `2026-01-01T00:${String(minute).padStart(2, "0")}:00.000Z`;

/** Metadata with an id made of `hex` repeated, for the pure renderers. */
function meta(hex: string, fields: Partial<SnapshotMeta> = {}): SnapshotMeta {
  return {
    id: hex.repeat(64 / hex.length),
    parent: null,
    stage: "train",
    options: {},
    seed: 0,
    metrics: {},
    backend: { name: "cpu", adapter: "", threads: 1 },
    versions: { oicsr: "test", tfjs: "4.22.0", deno: "2.9.6" },
    createdAt: t(0),
    ...fields,
  };
}

Deno.test("snapshotLine() shows top1 in %, loss, MACs and params in M, channels a prune removed", () => {
  const metrics = { top1: 0.712, loss: 0.81234, macs: 32_778_112, params: 1_762_000, seconds: 3 };
  assert.equal(
    snapshotLine(meta("3f2a9c1d04be0000", { metrics }), false),
    "3f2a9c1d04be  train      top1 71.20% loss 0.812 macs 32.78M params 1.76M",
  );
  const plan = { s1_conv: [0, 4, 9], s2_conv: [1], fc: [] };
  const prune = meta("1a2b", { stage: "prune", options: { plan }, metrics: { macs: 29_100_000 } });
  assert.equal(snapshotLine(prune, false), "1a2b1a2b1a2b  prune      -4 channels macs 29.10M");
  assert.equal(
    snapshotLine(meta("77", { stage: "prune", options: { ratio: 0.5 } }), false),
    "777777777777  prune",
    "no plan, no channel count",
  );
  assert.equal(
    snapshotLine(meta("ab", { stage: "init", metrics: { params: 563 } }), false),
    "abababababab  init       params 0.000563M",
  );
  assert.equal(
    snapshotLine(meta("cd", { parent: "9".repeat(64), stage: "finetune-long" }), true),
    "cdcdcdcdcdcd  finetune-long  (parent 999999999999 not in the store)",
  );
});

Deno.test("lineageText() draws the forest with ├─ └─ │ branches", () => {
  const at = (hex: string, parent: string | null, minute: number, stage = "train") =>
    meta(hex, { parent: parent?.repeat(64) ?? null, createdAt: t(minute), stage });
  const forest = buildForest([
    at("a", null, 1, "init"),
    at("b", "a", 2),
    at("c", "b", 3, "prune"),
    at("d", "c", 4),
    at("e", "c", 5),
    at("f", "b", 6, "prune"),
    at("9", null, 7, "init"),
  ]);
  assert.deepEqual(lineageText(forest).split("\n"), [
    "aaaaaaaaaaaa  init",
    "└─ bbbbbbbbbbbb  train",
    "   ├─ cccccccccccc  prune",
    "   │  ├─ dddddddddddd  train",
    "   │  └─ eeeeeeeeeeee  train",
    "   └─ ffffffffffff  prune",
    "999999999999  init",
  ]);
  assert.equal(lineageText([]), "");
});

/** A real snapshot (content-hashed weights of seed `seed`) with crafted lineage metadata. */
async function stored(root: string, seed: number, fields: Partial<SnapshotMeta>) {
  const s = await smallSnapshot(seed);
  const snapshot = { ...s, meta: { ...s.meta, stage: "train", ...fields } };
  expectRight(await writeSnapshot(root, snapshot)());
  return snapshot.meta;
}

/** a (init) -> b (train) -> {d, c} (prune), c -> e (train); f's parent was never stored. */
async function lineageStore(root: string) {
  const cost = { macs: 32_778_112, params: 1_762_000 };
  const a = await stored(root, 1, { stage: "init", metrics: cost, createdAt: t(1) });
  const trained = { ...cost, top1: 0.712, loss: 0.8123 };
  const b = await stored(root, 2, { parent: a.id, metrics: trained, createdAt: t(2) });
  const prune = (plan: Record<string, number[]>, macs: number, minute: number) => ({
    parent: b.id,
    stage: "prune",
    options: { plan },
    metrics: { macs },
    createdAt: t(minute),
  });
  const c = await stored(root, 3, prune({ g1: [0, 1, 2], g2: [5] }, 29_100_000, 4));
  const d = await stored(root, 4, prune({ g1: [3] }, 30_000_000, 3));
  const tuned = { top1: 0.7, loss: 0.9 };
  const e = await stored(root, 5, { parent: c.id, metrics: tuned, createdAt: t(5) });
  const f = await stored(root, 6, { parent: "f".repeat(64), createdAt: t(0) });
  return { a, b, c, d, e, f };
}

const short = (m: SnapshotMeta) => m.id.slice(0, 12);

Deno.test("logCommand() prints the store's lineage, roots oldest first", async () => {
  await withTempDir("log-", async (store) => {
    const { a, b, c, d, e, f } = await lineageStore(store);
    const text = expectRight(await logCommand([], { store })());
    assert.deepEqual(text.split("\n"), [
      `${short(f)}  train      (parent ffffffffffff not in the store)`,
      `${short(a)}  init       macs 32.78M params 1.76M`,
      `└─ ${short(b)}  train      top1 71.20% loss 0.812 macs 32.78M params 1.76M`,
      `   ├─ ${short(d)}  prune      -1 channels macs 30.00M`,
      `   └─ ${short(c)}  prune      -4 channels macs 29.10M`,
      `      └─ ${short(e)}  train      top1 70.00% loss 0.900`,
    ]);
    assert.equal(expectRight(await logCommand(["--help"], { store })()), LOG_HELP);
  });
});

Deno.test("logCommand() with an id prefix keeps the chain to it and its descendants", async () => {
  await withTempDir("log-", async (dir) => {
    const { a, b, c, e } = await lineageStore(dir);
    const args = [c.id.slice(0, 6).toUpperCase(), "--store", dir];
    const text = expectRight(await logCommand(args, { store: "elsewhere" })());
    assert.deepEqual(text.split("\n"), [
      `${short(a)}  init       macs 32.78M params 1.76M`,
      `└─ ${short(b)}  train      top1 71.20% loss 0.812 macs 32.78M params 1.76M`,
      `   └─ ${short(c)}  prune      -4 channels macs 29.10M`,
      `      └─ ${short(e)}  train      top1 70.00% loss 0.900`,
    ]);
    const leaf = expectRight(await logCommand([`--store=${dir}`, e.id], { store: "x" })());
    assert.equal(leaf.split("\n").length, 4);
  });
});

Deno.test("logCommand() --json gives the forest as metas and children", async () => {
  await withTempDir("log-", async (store) => {
    const { a, b, c, d, e, f } = await lineageStore(store);
    const node = (meta: SnapshotMeta, children: unknown[], parentMissing = false) => ({
      meta,
      parentMissing,
      children,
    });
    const tree = node(a, [node(b, [node(d, []), node(c, [node(e, [])])])]);
    const all = JSON.parse(expectRight(await logCommand(["--json"], { store })()));
    assert.deepEqual(all, [node(f, [], true), tree]);
    const one = JSON.parse(
      expectRight(await logCommand(["--json", d.id.slice(0, 8)], { store })()),
    );
    assert.deepEqual(one, [node(a, [node(b, [node(d, [])])])]);
  });
});

/** A snapshot.json alone under `store/<id>/`: all `log` reads, with an id of our choosing. */
async function metaOnly(store: string, m: SnapshotMeta) {
  await Deno.mkdir(join(store, m.id), { recursive: true });
  await Deno.writeTextFile(join(store, m.id, "snapshot.json"), JSON.stringify(m));
}

Deno.test("logCommand() fails with one line for an unknown, ambiguous or bad prefix", async () => {
  await withTempDir("log-", async (store) => {
    await metaOnly(store, meta("abcd0000"));
    await metaOnly(store, meta("abcd1111"));
    const log = async (...args: string[]) => expectLeft(await logCommand(args, { store })());
    const unknown = await log("0123");
    assert.equal(unknown._tag, "NotFound");
    assert.equal(unknown.message, `${store}: no snapshot id starts with "0123"`);
    const ambiguous = await log("abcd");
    assert.equal(ambiguous._tag, "BadIdPrefix");
    assert.equal(
      ambiguous.message,
      `${store}: "abcd" is ambiguous: it starts 2 snapshot ids (abcd0000abcd, abcd1111abcd)`,
    );
    assert.match((await log("zz")).message, /"zz" is not a snapshot id prefix/);
    for (const e of [unknown, ambiguous]) assert.ok(!e.message.includes("\n"));
  });
});

Deno.test("logCommand() fails for an empty or absent store and for bad arguments", async () => {
  await withTempDir("log-", async (dir) => {
    for (const store of [dir, join(dir, "absent")]) {
      const empty = expectLeft(await logCommand([], { store })());
      assert.equal(empty._tag, "EmptyStore");
      assert.equal(empty.message, `${store}: no snapshots in this store (is --store right?)`);
    }
    const bad = async (...args: string[]) => expectLeft(await logCommand(args, { store: dir })());
    assert.deepEqual(await bad("--jsn"), {
      _tag: "BadLogArgs",
      arg: "--jsn",
      message: "log: unknown flag --jsn (log --help lists them)",
    });
    assert.equal(
      (await bad("abcd", "ef01")).message,
      'log: one snapshot id prefix at most, got "abcd" and "ef01"',
    );
    assert.equal((await bad("--store")).message, "log: --store needs a folder");
  });
});

const runLog = (args: string[]) => runCommand("lineage", args);

Deno.test("deno run cli/lineage.ts log prints the tree, exits 1 on store errors and 2 on bad flags", async () => {
  await withTempDir("log-", async (store) => {
    const { a, e } = await lineageStore(store);
    const all = await runLog(["log", "--store", store]);
    assert.equal(all.code, 0, all.stderr);
    assert.equal(all.stdout, expectRight(await logCommand([], { store })()) + "\n");
    const chain = await runLog(["log", "--store", store, e.id.slice(0, 12)]);
    assert.equal(chain.code, 0, chain.stderr);
    assert.equal(chain.stdout.split("\n")[0], `${short(a)}  init       macs 32.78M params 1.76M`);
    const json = await runLog(["log", "--store", store, "--json"]);
    assert.equal(JSON.parse(json.stdout).length, 2);
    const missing = await runLog(["log", "--store", store, "0000"]);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `error: ${store}: no snapshot id starts with "0000"\n`);
    const empty = await runLog(["log", "--store", join(store, "nothing")]);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /^error: .*no snapshots in this store/);
    assert.equal((await runLog(["log", "--store", store, "--bogus"])).code, 2);
    assert.equal((await runLog(["lg"])).code, 2);
  });
});
