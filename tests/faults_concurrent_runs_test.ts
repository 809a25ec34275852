/**
 * Issue 7, "nothing crashes": two runs on one store at once leave it sound and end at the
 * same snapshots; two runs on one run folder cannot interleave, the second stops at once;
 * and the store's clean-up of what killed writers left never touches a live writer's files.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { lockRunFolder, writeJournal } from "../cli/run_journal.ts";
import { denoFs } from "../snapshot/fs.ts";
import { cleanStore, writeSnapshot } from "../snapshot/store.ts";
import { SMALL_RUN } from "../tools/faults/kill_resume.ts";
import { checkRunFolder, verifyStore } from "../tools/faults/store_check.ts";
import { finalOf } from "../tools/faults/trial.ts";
import { smallSnapshot } from "./_fixtures.ts";
import { expectRight, runPrune, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

Deno.test("two deno task prune runs on one store at once both end at the same snapshot, the store sound", async () => {
  await withTempDir("faults-two-runs-", async (dir) => {
    const store = join(dir, "store");
    const run = (out: string) => runPrune([...SMALL_RUN, "--store", store, "--out", out, "--json"]);
    const [a, b] = await Promise.all([run(join(dir, "a")), run(join(dir, "b"))]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const final = finalOf(a.stdout);
    assert.equal(finalOf(b.stdout), final);
    const check = await verifyStore(store);
    assert.deepEqual([check.problems, check.temporaries], [[], []]);
    assert.ok(check.snapshots.includes(final));
    assert.deepEqual(await checkRunFolder(join(dir, "a"), store, final), []);
    assert.deepEqual(await checkRunFolder(join(dir, "b"), store, final), []);
  });
});

/** `deno task prune` in the background, its standard error collected as it comes. */
function background(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli/prune.ts", ...args],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  const drained = child.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (text += chunk) }),
  );
  const until = async (done: () => boolean | Promise<boolean>) => {
    while (!await done()) {
      assert.ok((await Promise.race([child.status, delay(50)])) === undefined, text);
    }
  };
  return { child, drained, stderr: () => text, until };
}

const delay = (ms: number) => new Promise<undefined>((r) => setTimeout(() => r(undefined), ms));
const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

Deno.test("a second run on a run folder in use stops at once naming it; a killed run leaves no lock", async () => {
  await withTempDir("faults-lock-", async (dir) => {
    const out = join(dir, "run");
    const args = [...SMALL_RUN, "--fine-tune-epochs", "40", "--store", join(dir, "store")];
    const first = background([...args, "--out", out]);
    await first.until(() => /^backend: /m.test(first.stderr()));
    const busy =
      `error: ${out} is in use by another run (wait for it to end, or choose another --out)`;
    const same = await runPrune([...args, "--out", out]);
    assert.deepEqual([same.code, same.stderr.trim()], [1, busy]);
    await first.until(() => exists(join(out, "run.json")));
    const resumed = await runPrune(["--resume", out]);
    assert.deepEqual([resumed.code, resumed.stderr.trim()], [1, busy]);
    first.child.kill("SIGKILL");
    assert.equal((await first.child.status).signal, "SIGKILL");
    await first.drained;
    // The kernel dropped the killed run's lock: resuming works at once.
    const after = await runPrune(["--resume", out, "--json", "--quiet"]);
    assert.equal(after.code, 0, after.stderr);
    const check = await verifyStore(join(dir, "store"));
    assert.deepEqual([check.problems, check.temporaries], [[], []]);
    assert.deepEqual(await checkRunFolder(out, join(dir, "store"), finalOf(after.stdout)), []);
  });
});

Deno.test("deno task baseline on a run folder in use stops at once naming it", async () => {
  await withTempDir("faults-lock-", async (dir) => {
    const out = join(dir, "run");
    // Another run holds the folder (an flock, as a live run holds it).
    using _held = expectRight(await lockRunFolder(out));
    const run = await runPrune(["--out", out, "--store", join(dir, "store")], "baseline");
    const busy =
      `error: ${out} is in use by another run (wait for it to end, or choose another --out)`;
    assert.deepEqual([run.code, run.stderr.trim()], [1, busy]);
    assert.deepEqual(await Array.fromAsync(Deno.readDir(out)), [], "nothing written");
  });
});

Deno.test("a fresh run onto a folder holding another run's journal points to --resume", async () => {
  await withTempDir("faults-other-", async (dir) => {
    const out = join(dir, "run"), store = join(dir, "store");
    const s = await smallSnapshot(1);
    expectRight(await writeSnapshot(store, s)());
    const state = { phase: "done" as const, snapshot: s.meta.id, reference: null, records: [] };
    const start = { id: s.meta.id, top1: 0, top5: null };
    await writeJournal(out, { version: 1, options: { model: "other" }, store, start, state });
    const run = await runPrune([...SMALL_RUN, "--store", store, "--out", out]);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(
      run.stderr.trim(),
      `error: ${out} already holds a run with other options (run.json): continue it with ` +
        `--resume ${out}, or choose another --out`,
    );
  });
});

Deno.test("cleanStore() removes a killed writer's temporary folder and keeps a live writer's", async () => {
  await withTempDir("faults-clean-", async (store) => {
    await Deno.mkdir(join(store, ".tmp-dead"));
    await Deno.writeTextFile(join(store, ".tmp-dead", "weights.bin"), "partial");
    await Deno.mkdir(join(store, ".tmp-live"));
    const release = await denoFs.tryLockDir!(join(store, ".tmp-live"));
    assert.ok(release !== null);
    assert.deepEqual(expectRight(await cleanStore(store)()), [join(store, ".tmp-dead")]);
    assert.deepEqual([...Deno.readDirSync(store)].map((e) => e.name), [".tmp-live"]);
    release();
    assert.deepEqual(expectRight(await cleanStore(store)()), [join(store, ".tmp-live")]);
    assert.deepEqual(expectRight(await cleanStore(join(store, "absent"))()), []);
  });
});

Deno.test("writeSnapshot() racing cleanStore() never loses a write", async () => {
  await withTempDir("faults-race-", async (store) => {
    const snapshots = await Promise.all(Array.from({ length: 12 }, (_, i) => smallSnapshot(i + 1)));
    let writing = true, cleaned = 0;
    const cleaner = (async () => {
      while (writing) cleaned += expectRight(await cleanStore(store)()).length;
    })();
    const written = await Promise.all(snapshots.map((s) => writeSnapshot(store, s)()));
    writing = false;
    await cleaner;
    // Every write lands. (A clean-up may take a writer's folder in the instant between its
    // creation and its lock, while it is still empty; the writer then makes another, so
    // `cleaned` may count it: what must hold is that no write is lost.)
    assert.deepEqual(written.map(expectRight), snapshots.map((s) => s.meta.id));
    assert.ok(cleaned <= snapshots.length, `${cleaned} folders cleaned`);
    const check = await verifyStore(store);
    assert.deepEqual([check.problems, check.temporaries.length], [[], 0]);
    assert.equal(check.snapshots.length, new Set(snapshots.map((s) => s.meta.id)).size);
  });
});
