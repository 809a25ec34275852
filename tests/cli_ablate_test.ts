import assert from "node:assert/strict";
import { join } from "node:path";
import { parseAblateOptions } from "../cli/ablate_options.ts";
import {
  type Ablation,
  type AblationRow,
  ablationTable,
  ranked,
  ranking,
  rankingLine,
} from "../cli/ablate_table.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { expectLeft, expectRight, runCommand, withTempDir } from "./_helpers.ts";

/** Runs `deno task ablate` with `args` in a subprocess; its exit code and output. */
const runAblate = (args: string[]) => runCommand("ablate", args);

function row(regularizer: string, top1Pruned: number, lambda = 1e-4): Omit<AblationRow, "rank"> {
  return {
    regularizer,
    lambda,
    initial_penalty: 0.5,
    top1_trained: 0.5,
    reference_macs: 32_778_112,
    macs: 19_290_000,
    params: 870_000,
    top1_pruned: top1Pruned,
    prune_steps: 1,
    trained: "t",
    pruned: "p",
  };
}

function ablation(rows: ReadonlyArray<AblationRow>, lambda: number | null = null): Ablation {
  return {
    model: "cifarnet",
    data: "cifar10/train",
    train_images: 10000,
    test_images: 2000,
    backend: "wasm",
    adapter: "wasm simd, 2 threads",
    seed: 0,
    epochs: 1,
    target: 0.6,
    cap: 0.5,
    normalise: "mean",
    lambda_rule: lambda === null ? { kind: "budget", budget: 0.5 } : { kind: "fixed", lambda },
    initial: "i",
    rows,
    ranking: ranking(rows),
    store: ".oicsr/store",
    total_seconds: 125,
  };
}

Deno.test("ranked() ranks by top-1 after pruning, equal top-1 sharing a rank", () => {
  const rows = ranked([row("l1", 0.3), row("oicsr-gl", 0.5), row("ssr-gl", 0.3), row("none", 0.1)]);
  assert.deepEqual(rows.map((r) => r.rank), [2, 1, 2, 4]);
  assert.deepEqual(ranking(rows), ["oicsr-gl", "l1", "ssr-gl", "none"]);
  assert.equal(rankingLine(rows), "oicsr-gl > l1 = ssr-gl > none");
});

Deno.test("ablationTable() prints the set-up, one aligned row per regularizer and the ranking", () => {
  const rows = ranked([row("oicsr-gl", 0.4512, 4.331e-4), row("none", 0.3, 0)]);
  const text = ablationTable(ablation(rows), (s) => `${s} s`);
  const lines = text.split("\n");
  assert.equal(lines[0], "model    cifarnet, seed 0, 1 epoch on 10000 cifar10/train images");
  assert.match(text, /^lambda {3}each regularizer's lambda makes lambda \* R = 0\.5 at the/m);
  assert.match(text, /^pruning {2}to <= 60\.00 % of 32\.78 M MACs, no fine-tuning/m);
  const header = lines.findIndex((l) => l.startsWith("regularizer"));
  assert.equal(
    lines[header],
    "regularizer   lambda  top-1 trained        MACs pruned  params pruned  top-1 pruned  rank",
  );
  assert.equal(
    lines[header + 1],
    "oicsr-gl     4.33e-4        50.00 %  19.29 M (58.85 %)         0.87 M       45.12 %     1",
  );
  assert.equal(
    lines[header + 2],
    "none               0        50.00 %  19.29 M (58.85 %)         0.87 M       30.00 %     2",
  );
  assert.equal(lines.at(-2), "ranking by top-1 after pruning: oicsr-gl > none");
  assert.equal(lines.at(-1), "time 125 s; snapshots in .oicsr/store (initial i)");
  const fixed = ablationTable(ablation(rows, 1e-4), String);
  assert.match(fixed, /^lambda {3}0\.0001 for every regularizer \(--lambda\)$/m);
});

Deno.test("parseAblateOptions() fills the defaults and refuses bad values with the flag named", () => {
  const o = expectRight(parseAblateOptions([]));
  assert.deepEqual(o.regularizers, ["oicsr-gl", "ssr-gl", "l1", "none"]);
  assert.deepEqual([o.model, o.epochs, o.target, o.cap, o.budget, o.lambda], [
    "cifarnet",
    1,
    0.6,
    0.5,
    0.5,
    null,
  ]);
  const given = expectRight(
    parseAblateOptions(["--regularizers", "l1, bn-l1", "--epochs", "0.5", "--lambda", "0"]),
  );
  assert.deepEqual([given.regularizers, given.epochs, given.lambda], [["l1", "bn-l1"], 0.5, 0]);
  const message = (args: string[]) => expectLeft(parseAblateOptions(args)).message;
  assert.equal(message(["--target", "1"]), "--target: expected a number in (0, 1), got 1");
  assert.equal(message(["--cap", "x"]), "--cap: expected a number in (0, 1), got not a number");
  assert.match(
    message(["--regularizers", "l1,l1"]),
    /^--regularizers: expected a comma-separated list of oicsr-gl, .* each at most once, got "l1,l1"$/,
  );
  assert.equal(message(["--lambda=-1"]), "--lambda: expected a number >= 0, got -1");
  assert.match(message(["--fine-tune"]), /Unknown option '--fine-tune'/);
});

Deno.test("deno task ablate trains each regularizer from one start and prunes all to the target", async () => {
  await withTempDir("ablate-", async (dir) => {
    const store = join(dir, "store");
    const run = await runAblate([
      ...["--train-limit", "256", "--test-limit", "200", "--steps-per-epoch", "2"],
      ...["--epochs", "1", "--backend", "wasm", "--store", store, "--json", "--quiet"],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout) as Ablation;
    assert.deepEqual(result.rows.map((r) => r.regularizer), ["oicsr-gl", "ssr-gl", "l1", "none"]);
    assert.equal(result.test_images, 200);
    assert.deepEqual([...result.ranking].sort(), ["l1", "none", "oicsr-gl", "ssr-gl"]);
    const initial = expectRight(await readSnapshot(store, result.initial)());
    assert.deepEqual([initial.meta.stage, initial.meta.parent], ["init", null]);
    for (const r of result.rows) {
      assert.equal(r.reference_macs, 32_778_112, "every run starts from the dense model");
      assert.ok(r.macs <= result.target * r.reference_macs, `${r.regularizer} reaches the target`);
      assert.ok(r.macs > 0.5 * r.reference_macs, `${r.regularizer} stops near the target`);
      assert.equal(r.initial_penalty, r.regularizer === "none" ? 0 : 0.5);
      const trained = expectRight(await readSnapshot(store, r.trained)());
      assert.deepEqual([trained.meta.stage, trained.meta.parent], ["train", result.initial]);
      assert.deepEqual((trained.meta.options as { regularizer: unknown }).regularizer, {
        kind: r.regularizer,
        lambda: r.lambda,
      });
      assert.equal(trained.meta.metrics.top1, r.top1_trained);
      // The pruned snapshot descends from the trained one through prune steps only.
      let id = r.pruned, steps = 0;
      while (id !== r.trained) {
        const s = expectRight(await readSnapshot(store, id)());
        assert.equal(s.meta.stage, "prune");
        id = s.meta.parent!, steps++;
      }
      assert.equal(steps, r.prune_steps);
      const pruned = expectRight(await readSnapshot(store, r.pruned)());
      assert.deepEqual([pruned.meta.metrics.macs, pruned.meta.metrics.top1], [
        r.macs,
        r.top1_pruned,
      ]);
    }
    const lambdas = new Set(result.rows.map((r) => r.lambda));
    assert.equal(lambdas.size, 4, "the budget gives each regularizer its own lambda");
  });
});

Deno.test("deno task ablate refuses a bad flag with one line and exit code 2", async () => {
  const run = await runAblate(["--regularizers", "oicsr-gl,group"]);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /^--regularizers: expected a comma-separated list of .*got "oicsr-gl,group"\n/,
  );
  assert.equal(run.stdout, "");
});
