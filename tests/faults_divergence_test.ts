/**
 * Issue 7, guarantee 3: a NaN or Inf in the loss or the weights stops training at once,
 * with one line naming the step, the stage and the last good snapshot; nothing is written
 * from the diverged model, and `--resume` with the fixed flag continues the run.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJournal } from "../cli/run_journal.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { listSnapshots } from "../snapshot/store_list.ts";
import { expectRight, QUICK_RUN, runPrune, withTempDir } from "./_helpers.ts";

/** A whole pruning run in seconds (as in cli_prune_run_test.ts). */
const QUICK = ["--baselines", "none", ...QUICK_RUN];

/** Runs a diverging prune and checks the line and the store; resolves to the last good id. */
async function diverges(dir: string, flags: string[], stage: string): Promise<string> {
  const store = join(dir, "store"), out = join(dir, "run");
  const run = await runPrune([...QUICK, ...flags, "--store", store, "--out", out]);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, "");
  const line = new RegExp(
    `^error: ${stage} diverged at step (\\d+) \\(epoch \\d+\\): .*lower the learning rate .*; ` +
      `nothing was written from it, the last good snapshot is ([0-9a-f]{64})\\n$`,
  );
  const m = line.exec(run.stderr);
  assert.ok(m !== null, `${flags.join(" ")}: ${run.stderr}`);
  const lastGood = m[2];
  // The last good snapshot is in the store and verifies; nothing newer is there.
  const good = expectRight(await readSnapshot(store, lastGood)());
  for (const meta of expectRight(await listSnapshots(store)())) {
    assert.ok(meta.createdAt <= good.meta.createdAt, `${meta.id} (${meta.stage}) is newer`);
  }
  const entries = await Array.fromAsync(Deno.readDir(store));
  assert.ok(entries.every((e) => !e.name.startsWith(".tmp-")), "no temporary directory left");
  return lastGood;
}

Deno.test("a lambda far too large stops the regularized training, and --resume with a fixed --lambda finishes", async () => {
  await withTempDir("faults-diverge-", async (dir) => {
    const lastGood = await diverges(dir, ["--lambda", "1e30"], "regularize");
    const out = join(dir, "run");
    const journal = expectRight(await readJournal(out));
    assert.deepEqual([journal.state.phase, journal.state.snapshot], ["regularize", lastGood]);
    const resumed = await runPrune(["--resume", out, "--lambda", "1e-4", "--quiet", "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    const summary = JSON.parse(resumed.stdout);
    assert.equal(summary.start.snapshot, lastGood);
    const done = expectRight(await readJournal(out));
    assert.equal(done.state.phase, "done");
    assert.equal((done.options as { lambda: number }).lambda, 1e-4, "the journal records the fix");
  });
});

Deno.test("a pruning learning rate far too large stops the regularized training", async () => {
  await withTempDir("faults-diverge-", async (dir) => {
    await diverges(dir, ["--prune-lr", "1e6"], "regularize");
  });
});

Deno.test("a lambda far too large after the first removal names prune-iteration 1 train", async () => {
  await withTempDir("faults-diverge-", async (dir) => {
    const lastGood = await diverges(
      dir,
      ["--reg-epochs", "0", "--lambda", "1e30"],
      "prune-iteration 1 train",
    );
    const journal = expectRight(await readJournal(join(dir, "run")));
    assert.equal(journal.state.records[0].pruned, lastGood, "the pruned snapshot is the last good");
    assert.equal(journal.state.snapshot, lastGood);
  });
});

Deno.test("a fine-tuning learning rate far too large names fine-tune", async () => {
  await withTempDir("faults-diverge-", async (dir) => {
    const flags = ["--reg-epochs", "0", "--iter-epochs", "0", "--prune-lr", "1e6"];
    const lastGood = await diverges(dir, flags, "fine-tune");
    const journal = expectRight(await readJournal(join(dir, "run")));
    assert.deepEqual([journal.state.phase, journal.state.snapshot], ["finetune", lastGood]);
  });
});

Deno.test("a learning rate far too large stops the baseline's training at its initial snapshot", async () => {
  await withTempDir("faults-diverge-", async (dir) => {
    const lastGood = await diverges(dir, ["--lr", "1e6"], "baseline train");
    const initial = expectRight(await readSnapshot(join(dir, "store"), lastGood)());
    assert.equal(initial.meta.parent, null, "the untrained initial snapshot");
  });
});
