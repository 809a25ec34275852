/**
 * Issue 7, guarantee 2: a disk that fills during a run, and a read-only store, stop
 * `deno task prune` with one line naming the path and exit code 1; the last complete
 * snapshot verifies and no partial snapshot directory is left. The small disks are tmpfs
 * mounts in a private mount namespace (`unshare -rm`), which works as root and not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJournal } from "../cli/run_journal.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { expectRight, QUICK_RUN, runPrune, withTempDir } from "./_helpers.ts";

const PRUNE = new URL("../cli/prune.ts", import.meta.url).pathname;
const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/** Fails the test, clearly, where mount namespaces are not available. */
async function requireUnshare(): Promise<void> {
  const probe = await new Deno.Command("unshare", { args: ["-rm", "true"], stderr: "piped" })
    .output().catch((e) => ({ success: false, stderr: new TextEncoder().encode(String(e)) }));
  if (!probe.success) {
    assert.fail(
      "the disk-fault tests need `unshare -rm` (util-linux, user namespaces): " +
        new TextDecoder().decode(probe.stderr).trim(),
    );
  }
}

/**
 * Runs `deno task prune <args>` in a mount namespace after `mount` (shell), then copies
 * `keep` (a mount point, gone with the namespace) to `copy`; the exit code and stderr.
 */
async function inNamespace(mount: string, args: string[], keep?: [string, string]) {
  const prune = [Deno.execPath(), "run", "-A", PRUNE, ...args].map(quote).join(" ");
  const save = keep ? `cp -a ${quote(keep[0])}/. ${quote(keep[1])}/;` : "";
  const script = `${mount} || exit 99; ${prune}; rc=$?; ${save} exit $rc`;
  const out = await new Deno.Command("unshare", {
    args: ["-rm", "sh", "-c", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.notEqual(out.code, 99, `mount failed: ${stderr}`);
  return { code: out.code, stderr };
}

/** Bytes a folder's files take on tmpfs (whole 4 KiB pages). */
async function pages(dir: string): Promise<number> {
  let n = 0;
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    n += e.isDirectory ? await pages(p) : Math.ceil((await Deno.stat(p)).size / 4096) * 4096;
  }
  return n;
}

/** The one line of a failed run: exit code 1, no stack trace. */
function oneLine(run: { code: number; stderr: string }, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /\n\s+at /, "no stack trace");
  assert.match(run.stderr, pattern);
  assert.equal(run.stderr.split("\n").length, 2, `one line: ${run.stderr}`);
}

/** Every entry of a store is a snapshot that verifies; none is temporary. */
async function storeVerifies(store: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const e of Deno.readDir(store)) {
    assert.ok(!e.name.startsWith(".tmp-"), `${e.name}: a partial snapshot is left`);
    expectRight(await readSnapshot(store, e.name)());
    ids.push(e.name);
  }
  return ids;
}

/** Trains a dense model quickly into `store` (deno task baseline); its trained snapshot id. */
async function trainedBaseline(store: string, out: string): Promise<string> {
  const args = [...QUICK_RUN.slice(0, 8), "--backend", "wasm", "--quiet", "--store", store];
  const seed = await runPrune([...args, "--out", out], "baseline");
  assert.equal(seed.code, 0, seed.stderr);
  return JSON.parse(await Deno.readTextFile(join(out, "summary.json"))).snapshot;
}

Deno.test("a store whose disk fills during the run stops with the path; the last snapshot verifies", async () => {
  await requireUnshare();
  await withTempDir("faults-disk-", async (dir) => {
    // A reference run on a roomy disk gives the snapshots' sizes.
    const ref = join(dir, "ref");
    const plain = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        PRUNE,
        ...QUICK_RUN,
        "--baselines",
        "none",
        "--store",
        ref,
        "--out",
        join(dir, "r0"),
      ],
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(plain.code, 0, new TextDecoder().decode(plain.stderr));
    const sizes = await Promise.all((await storeVerifies(ref)).map((id) => pages(join(ref, id))));
    const biggest = Math.max(...sizes);
    // Room for the two start snapshots (initial, trained), not for a third.
    const size = Math.floor((2.5 * biggest) / 1024);
    const store = join(dir, "store"), copy = join(dir, "copy"), out = join(dir, "run");
    await Deno.mkdir(store), await Deno.mkdir(copy);
    const run = await inNamespace(
      `mount -t tmpfs -o size=${size}k tmpfs ${quote(store)}`,
      [...QUICK_RUN, "--baselines", "none", "--store", store, "--out", out],
      [store, copy],
    );
    oneLine(
      run,
      new RegExp(
        `^error: ${store}/.*: [Nn]o space left on device.*` +
          `\\(writing ${store}/[0-9a-f]{64}; nothing was left\\)`,
      ),
    );
    const ids = await storeVerifies(copy);
    assert.equal(ids.length, 2, "the initial and the trained snapshot");
    const journal = expectRight(await readJournal(out));
    assert.ok(ids.includes(journal.state.snapshot), "the journal points at a stored snapshot");
  });
});

Deno.test("a read-only store stops the run with the path and stays as it was", async () => {
  await requireUnshare();
  await withTempDir("faults-disk-", async (dir) => {
    const store = join(dir, "store");
    const trained = await trainedBaseline(store, join(dir, "b"));
    const before = (await storeVerifies(store)).sort();
    const run = await inNamespace(
      `mount --bind ${quote(store)} ${quote(store)} && mount -o remount,ro,bind ${quote(store)}`,
      [...QUICK_RUN, "--from", trained, "--store", store, "--out", join(dir, "run")],
    );
    oneLine(run, new RegExp(`^error: ${store}.*: .*[Rr]ead-only file system`));
    assert.deepEqual((await storeVerifies(store)).sort(), before);
  });
});

Deno.test("a run folder whose disk fills stops at the journal with its path; run.json stays whole", async () => {
  await requireUnshare();
  await withTempDir("faults-disk-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run"), copy = join(dir, "copy");
    const trained = await trainedBaseline(store, join(dir, "b"));
    await Deno.mkdir(out), await Deno.mkdir(copy);
    // One page: the first journal fits; the next, written beside it, does not.
    const run = await inNamespace(
      `mount -t tmpfs -o size=4k tmpfs ${quote(out)}`,
      [...QUICK_RUN, "--from", trained, "--store", store, "--out", out],
      [out, copy],
    );
    oneLine(run, new RegExp(`^error: ${out}/run\\.json.*: [Nn]o space left on device`));
    const left = await Array.fromAsync(Deno.readDir(copy));
    assert.deepEqual(left.map((e) => e.name), ["run.json"], "no temporary journal left");
    const journal = expectRight(await readJournal(copy));
    expectRight(await readSnapshot(store, journal.state.snapshot)());
    await storeVerifies(store);
  });
});
