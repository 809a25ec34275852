import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { readJournal, writeJournal } from "../cli/run_journal.ts";
import { denoFileIO } from "../snapshot/io_handler.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { outInGroups } from "../graph/out_in_groups.ts";
import { scalarConvolutions } from "../graph/vector_widths.ts";
import { expectRight, QUICK_RUN, runPrune, withTempDir } from "./_helpers.ts";

/** A whole pruning run in well under a minute: a dense model trained first, tiny data. */
const QUICK = ["--baselines", "none", ...QUICK_RUN];

Deno.test("deno task prune runs the method end to end and writes the compact model, summary and report", async () => {
  await withTempDir("prune-run-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run");
    const run = await runPrune([...QUICK, "--store", store, "--out", out]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.ok(summary.final.macs <= 0.6 * summary.start.macs, "the MACs target is met");
    assert.ok(summary.iterations.length >= 2);
    assert.ok(summary.macs_kept <= 0.6 && summary.params_kept < 1);
    assert.ok(summary.latency_ms.dense.batch64 > 0 && summary.latency_ms.compact.batch64 > 0);
    assert.deepEqual(JSON.parse(await Deno.readTextFile(join(out, "summary.json"))), summary);
    const html = await Deno.readTextFile(join(out, "report.html"));
    assert.match(html, /<svg/);
    assert.doesNotMatch(html, /https?:\/\//);
    // The exported model's convolutions off WebGPU's vec4 path: recorded, and noted in the report.
    const exported = expectRight(await readSnapshot(store, summary.exported.snapshot)());
    const scalar = scalarConvolutions(exported);
    assert.deepEqual(summary.webgpu_scalar_convolutions, scalar);
    assert.ok(scalar.convolutions > 0);
    assert.equal(html.includes("one channel at a time"), scalar.scalar.length > 0);
    // The chain of snapshots from the start to the end is in the store, each with its stage.
    const stages: string[] = [];
    for (let id = summary.final.snapshot; id !== summary.start.snapshot;) {
      const s = expectRight(await readSnapshot(store, id)());
      stages.unshift(s.meta.stage);
      id = s.meta.parent as string;
    }
    assert.match(stages.join(" "), /^train prune (train prune )*fine-tune$/);
    const journal = expectRight(await readJournal(out));
    assert.equal(journal.state.phase, "done");
    assert.equal(journal.state.snapshot, summary.final.snapshot);
    await tf.setBackend("cpu");
    const model = await tf.loadLayersModel(denoFileIO(join(out, "model")), { strict: true });
    assert.equal(model.countParams(), summary.final.params);
    model.dispose();

    // Resume: a journal rewound to just after the first removal finishes at the same model.
    const rewound = join(dir, "rewound");
    const first = journal.state.records[0];
    await writeJournal(rewound, {
      ...journal,
      state: {
        phase: "train",
        snapshot: first.pruned,
        reference: journal.state.reference,
        records: [{ ...first, top1Trained: null, trained: null }],
      },
    });
    const resumed = await runPrune(["--resume", rewound, "--quiet", "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(resumed.stdout).final.snapshot, summary.final.snapshot);

    const log = await runPrune(["log", "--store", store, summary.final.snapshot.slice(0, 12)]);
    assert.equal(log.code, 0, log.stderr);
    assert.match(log.stdout, /fine-tune/);
  });
});

Deno.test("deno task prune --channel-multiple 8 leaves every pruned width a multiple of 8", async () => {
  await withTempDir("prune-multiple-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run");
    const run = await runPrune([
      ...QUICK,
      "--channel-multiple",
      "8",
      "--max-iterations",
      "1",
      "--store",
      store,
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    const start = expectRight(await readSnapshot(store, summary.start.snapshot)());
    const final = expectRight(await readSnapshot(store, summary.final.snapshot)());
    const widths = (snapshot: typeof start) =>
      new Map(expectRight(outInGroups(snapshot)).groups.map((g) => [g.id, g.channels]));
    const before = widths(start);
    const pruned = [...widths(final)].filter(([id, w]) => w !== before.get(id));
    assert.ok(pruned.length > 0, "something was pruned");
    for (const [id, w] of pruned) assert.equal(w % 8, 0, `${id}: ${w} channels`);
    // Widths of 8s keep every convolution on WebGPU's vec4 path: no note.
    assert.deepEqual(summary.webgpu_scalar_convolutions.scalar, []);
    assert.doesNotMatch(await Deno.readTextFile(join(out, "report.html")), /one channel at a time/);
    // The multiple is in the lineage of the removal.
    const prune = expectRight(await readSnapshot(store, summary.iterations[0].pruned)());
    assert.equal((prune.meta.options as { selection: { multiple: number } }).selection.multiple, 8);
  });
});

Deno.test("deno task prune --resume names a folder that holds no run", async () => {
  await withTempDir("prune-run-", async (dir) => {
    const run = await runPrune(["--resume", dir]);
    assert.equal(run.code, 2);
    assert.match(run.stderr, new RegExp(`^--resume: ${dir}/run.json: no such file`));
  });
});
