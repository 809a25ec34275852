/**
 * Fuzzing of the model files a user or the store hands the tool: thousands of mutated
 * `model.json` / `weights.bin` / `snapshot.json` files, each made invalid on purpose.
 * Every one must end in an error value naming the file (and the field or byte offset),
 * within a time limit, with the store untouched.
 *
 * Reproduce: deno test -A --no-check=remote tests/fuzz_model_files_test.ts
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import assert from "node:assert/strict";
import { join } from "node:path";
import { checkFitsData, modelSnapshot } from "../cli/load_model.ts";
import { cifarImageSet } from "../datasets/image_set.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import type { Snapshot } from "../snapshot/snapshot.ts";
import { exportLayersModel, readSnapshot, writeSnapshot } from "../snapshot/store.ts";
import { tinyModel } from "../snapshot/_fixtures.ts";
import { assertNames, bounded, seeded, Tally, treeDigest } from "./_fuzz.ts";
import {
  type BaseModel,
  FUNCTIONAL_MUTATORS,
  MODEL_MUTATORS,
  type Mutated,
} from "./_fuzz_model_mutators.ts";
import { STORE_MUTATORS, type StoredFiles } from "./_fuzz_store_mutators.ts";
import { smallNet, snapshotOf, testEnv } from "./_fixtures.ts";
import { expectRight, runPrune, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

/** Inputs per base model (a functional and a Sequential one). */
const CASES_PER_BASE = 1000;
/** The most one input may take before it counts as a hang. */
const LIMIT_MS = 20_000;
/** Inputs to the store's reader. */
const STORE_CASES = 800;
/** One input of each kind through the command line (a subprocess each). */
const CLI_MUTATORS = { ...MODEL_MUTATORS, ...FUNCTIONAL_MUTATORS };
const DATA = cifarImageSet("cifar10/train", new Uint8Array(2 * 3072), new Int32Array([0, 1]), 2);

function sequentialNet(): tf.LayersModel {
  return tf.sequential({
    name: "seq",
    layers: [
      tf.layers.conv2d({ name: "conv", inputShape: [32, 32, 3], filters: 3, kernelSize: 3 }),
      tf.layers.batchNormalization({ name: "bn" }),
      tf.layers.globalAveragePooling2d({ name: "pool" }),
      tf.layers.dense({ name: "fc", units: 2 }),
    ],
  });
}

/**
 * What `deno task prune --model <path>` does before training: import, check against the
 * data, analyse the channel groups, and only then store the snapshot.
 */
async function importAsTheCliDoes(path: `${string}.json`, store: string) {
  const imported = await modelSnapshot(path, { classes: 2, seed: 0 }, testEnv())();
  if (E.isLeft(imported)) return imported;
  const fits = await checkFitsData(imported.right, path, DATA)();
  if (E.isLeft(fits)) return fits;
  const groups = outInGroups(fits.right);
  if (E.isLeft(groups)) return E.left({ message: `${path}: ${groups.left.message}` });
  return E.right(await writeSnapshot(store, fits.right)());
}

async function baseOf(snapshot: Snapshot, dir: string, functional: boolean): Promise<BaseModel> {
  expectRight(await exportLayersModel(snapshot, dir)());
  return {
    json: JSON.parse(await Deno.readTextFile(join(dir, "model.json"))),
    weights: await Deno.readFile(join(dir, "weights.bin")),
    functional,
    weightsPath: join(dir, "weights.bin"),
  };
}

async function writeCase(dir: string, base: BaseModel, m: Mutated): Promise<void> {
  await Deno.remove(dir, { recursive: true }).catch(() => undefined);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(join(dir, "model.json"), m.text ?? JSON.stringify(base.json));
  await Deno.writeFile(join(dir, "weights.bin"), m.weights ?? base.weights);
}

Deno.test("fuzz: every mutated user model.json / weights.bin is refused by name, the store untouched", async () => {
  await withTempDir("fuzz-model-", async (root) => {
    const store = join(root, "store");
    const bases = [
      await baseOf(await snapshotOf(smallNet(3, 2)), join(root, "functional"), true),
      await baseOf(await snapshotOf(sequentialNet()), join(root, "sequential"), false),
    ];
    // The bases themselves are accepted (so each refusal below is the mutation's doing).
    for (const base of bases) {
      const path = join(base.weightsPath, "..", "model.json") as `${string}.json`;
      expectRight(await importAsTheCliDoes(path, store));
    }
    const before = await treeDigest(store);
    // The two bases were written: a case that reached the store would change this digest.
    assert.equal([...Deno.readDirSync(store)].length, 2);
    const tally = new Tally();
    const failures: string[] = [];
    const r = seeded(20240607);
    const start = tf.memory().numTensors;
    for (const base of bases) {
      const mutators = { ...MODEL_MUTATORS, ...(base.functional ? FUNCTIONAL_MUTATORS : {}) };
      const kinds = Object.keys(mutators);
      for (let n = 0; n < CASES_PER_BASE; n++) {
        const kind = kinds[n % kinds.length];
        const m = mutators[kind](base, r, structuredClone(base.json));
        const dir = join(root, "case");
        await writeCase(dir, base, m);
        const path = join(dir, "model.json") as `${string}.json`;
        const label = `${base.functional ? "functional" : "sequential"} #${n} (${kind}${
          m.detail ? `: ${m.detail}` : ""
        })`;
        try {
          const result = await bounded(importAsTheCliDoes(path, store), LIMIT_MS, label);
          if (E.isRight(result)) {
            await Deno.writeTextFile(join(root, "accepted.json"), m.text ?? "");
            await Deno.remove(store, { recursive: true });
            expectRight(
              await importAsTheCliDoes(
                join(bases[0].weightsPath, "..", "model.json") as `${string}.json`,
                store,
              ),
            );
            expectRight(
              await importAsTheCliDoes(
                join(bases[1].weightsPath, "..", "model.json") as `${string}.json`,
                store,
              ),
            );
            assert.fail(`${label}: accepted`);
          }
          const message = result.left.message;
          const named = m.blame.map((f) => join(dir, f)).find((f) => message.includes(f));
          assertNames(message, named ?? join(dir, m.blame[0]), m.mention, label);
          assert.equal(await treeDigest(store), before, `${label}: the store changed`);
        } catch (e) {
          failures.push(e instanceof Error ? e.message.split("\n")[0] : String(e));
        }
        tally.add(kind);
      }
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
    assert.equal(tf.memory().numTensors, start, "no tensor leaked");
    console.log(tally.report("user model files"));
  });
});

Deno.test("fuzz: every mutated file of a stored snapshot makes readSnapshot() fail naming the file", async () => {
  await withTempDir("fuzz-store-", async (store) => {
    const snapshot = await snapshotOf(tinyModel());
    const id = expectRight(await writeSnapshot(store, snapshot)());
    const dir = join(store, id);
    const names = ["model.json", "snapshot.json", "weights.bin"] as const;
    const files = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, await Deno.readFile(join(dir, n))])),
    ) as unknown as StoredFiles;
    const tally = new Tally();
    const failures: string[] = [];
    const r = seeded(7);
    for (let n = 0; tally.total < STORE_CASES; n++) {
      const m = STORE_MUTATORS[n % STORE_MUTATORS.length](files, r);
      if (m === null) continue; // a flip outside what the id covers leaves a valid file
      await Deno.writeFile(join(dir, m.file), m.bytes);
      const label = `#${n} (${m.kind})`;
      try {
        const result = await bounded(readSnapshot(store, id)(), LIMIT_MS, label);
        if (E.isRight(result)) assert.fail(`${label}: accepted`);
        const message = result.left.message;
        const named = m.blame.map((f) => join(dir, f)).find((f) => message.includes(f));
        assertNames(message, named ?? join(dir, m.blame[0]), m.mention, label);
      } catch (e) {
        failures.push(e instanceof Error ? e.message.split("\n")[0] : String(e));
      }
      await Deno.writeFile(join(dir, m.file), files[m.file]);
      tally.add(m.kind);
    }
    assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
    expectRight(await readSnapshot(store, id)());
    console.log(tally.report("stored snapshot files"));
  });
});

Deno.test("deno task prune --model <bad model.json> stops with one line naming the file, the store untouched", async () => {
  await withTempDir("fuzz-cli-", async (root) => {
    const store = join(root, "store");
    expectRight(await writeSnapshot(store, await snapshotOf(tinyModel()))());
    const before = await treeDigest(store);
    const base = await baseOf(await snapshotOf(smallNet(3, 2)), join(root, "base"), true);
    const kinds = Object.keys(CLI_MUTATORS);
    const r = seeded(99);
    for (const [n, kind] of kinds.entries()) {
      const m = CLI_MUTATORS[kind](base, r, structuredClone(base.json));
      const dir = join(root, `case${n}`);
      await writeCase(dir, base, m);
      const path = join(dir, "model.json");
      const args = ["--model", path, "--store", store, "--train-limit", "64", "--test-limit", "64"];
      const run = await bounded(runPrune([...args, "--backend", "cpu"]), 60_000, kind);
      assert.equal(run.code, 1, `${kind}: ${run.stderr}`);
      const lines = run.stderr.trim().split("\n").filter((l) => !/^(backend|data): /.test(l));
      assert.equal(lines.length, 1, `${kind}: one line, got ${run.stderr}`);
      assert.match(lines[0], /^error: /, kind);
      const named = m.blame.map((f) => join(dir, f)).find((f) => lines[0].includes(f));
      assertNames(lines[0], named ?? path, m.mention, kind);
      assert.equal(await treeDigest(store), before, `${kind}: the store changed`);
    }
  });
});
