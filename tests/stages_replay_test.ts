import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as TE from "fp-ts/TaskEither";
import { replayCommand, replayLine } from "../cli/replay.ts";
import { selectBackend } from "../backend/select_backend.ts";
import { takeImages } from "../datasets/image_set.ts";
import { applyPrunePlan, maskPlan } from "../graph/prune_plan.ts";
import { snapshotId } from "../snapshot/id.ts";
import { copySnapshot, type Snapshot } from "../snapshot/snapshot.ts";
import { writeSnapshot } from "../snapshot/store.ts";
import { foldBatchNorm } from "../stages/fold_batch_norm.ts";
import { init } from "../stages/init.ts";
import { pruneReference, pruneStep } from "../stages/prune_step.ts";
import { type ReplayEnv, replayStage } from "../stages/replay.ts";
import { train } from "../stages/train.ts";
import { quickTraining, smallSnapshot, testEnv, tintedImages } from "./_fixtures.ts";
import { expectLeft, expectRight, withTempDir } from "./_helpers.ts";

expectRight(await selectBackend("cpu"));

/** Resolves the recorded "tinted-N" data sets the way the CLI resolves CIFAR. */
const tinted: ReplayEnv["data"] = (name, count) => {
  const n = /^tinted-(\d+)$/.exec(name);
  if (n === null) {
    return TE.left({ _tag: "DataUnavailable", name, count, message: `${name}: not tinted` });
  }
  return TE.right(takeImages(tintedImages(Number(n[1])), count));
};
const env: ReplayEnv = { ...testEnv(), data: tinted };

const initial = await smallSnapshot();
const trained = expectRight(
  await train(initial, tintedImages(64), quickTraining({ epochs: 1 }), testEnv())(),
);
const reference = expectRight(pruneReference(trained));
const pruned = expectRight(pruneStep(trained, {
  score: { normalise: "none", costAware: false },
  step: 0.3,
  target: 0.5,
  cap: 0.5,
  reference,
}));

/** `s` with its first weight value changed (and the id that content has): same meta. */
function tampered(s: Snapshot): Snapshot {
  const data = Float32Array.from(s.weights[0].data);
  data[0] += 0.5;
  const weights = [{ ...s.weights[0], data }, ...s.weights.slice(1)];
  return { ...s, weights, meta: { ...s.meta, id: snapshotId(s.topology, weights) } };
}

Deno.test("replayStage() re-runs a train snapshot bit-identically on the cpu backend", async () => {
  const tensors = tf.memory().numTensors;
  const [snapshot, parent] = [copySnapshot(trained), copySnapshot(initial)];
  const r = expectRight(await replayStage(trained, initial, env)());
  assert.deepEqual(r, {
    stage: "train",
    expected: trained.meta.id,
    actual: trained.meta.id,
    identical: true,
    sameBackend: true,
    detail: null,
  });
  assert.deepEqual(trained, snapshot, "the snapshot is not modified");
  assert.deepEqual(initial, parent, "the parent is not modified");
  assert.equal(tf.memory().numTensors, tensors);
});

Deno.test("replayStage() re-runs a regularized fine-tune stage bit-identically", async () => {
  const options = quickTraining({ epochs: 1, regularizer: { kind: "oicsr-gl", lambda: 1e-3 } });
  const tuned = expectRight(
    await train(pruned, tintedImages(32), options, { ...testEnv(), stage: "fine-tune" })(),
  );
  const r = expectRight(await replayStage(tuned, pruned, env)());
  assert.equal(r.stage, "fine-tune");
  assert.equal(r.actual, tuned.meta.id);
  assert.ok(r.identical);
});

Deno.test("replayStage() recomputes a pruneStep's plan and removal bit-identically", async () => {
  assert.notEqual(pruned.meta.id, trained.meta.id, "the step removes channels");
  const snapshot = copySnapshot(pruned);
  const r = expectRight(await replayStage(pruned, trained, env)());
  assert.equal(r.stage, "prune");
  assert.equal(r.actual, pruned.meta.id);
  assert.ok(r.identical);
  assert.equal(r.detail, null);
  assert.deepEqual(pruned, snapshot, "the snapshot is not modified");
});

Deno.test("replayStage() applies a recorded plan without a selection, and a mask", async () => {
  for (const made of [applyPrunePlan(trained, { conv1: [1] }), maskPlan(trained, { conv1: [2] })]) {
    const s = expectRight(made);
    const r = expectRight(await replayStage(s, trained, env)());
    assert.equal(r.stage, s.meta.stage);
    assert.ok(r.identical, `${s.meta.stage} replays`);
  }
});

Deno.test("replayStage() folds the batch norms again for a fold-bn snapshot", async () => {
  const folded = expectRight(foldBatchNorm(trained));
  assert.equal(folded.meta.stage, "fold-bn");
  const r = expectRight(await replayStage(folded, trained, env)());
  assert.ok(r.identical);
  // From another parent the fold gives another model: the replay says so.
  const other = expectRight(
    await replayStage(
      { ...folded, meta: { ...folded.meta, parent: initial.meta.id } },
      initial,
      env,
    )(),
  );
  assert.equal(other.identical, false);
});

Deno.test("replayStage() re-runs init from its recorded options", async () => {
  const made = expectRight(await init({ model: "resnet20", classes: 10, seed: 3 }, testEnv())());
  const r = expectRight(await replayStage(made, null, env)());
  assert.equal(r.stage, "init");
  assert.ok(r.identical);
});

Deno.test("replayStage() reports tampered weights as differing, with the id it got", async () => {
  for (const [s, parent] of [[trained, initial], [pruned, trained]] as const) {
    const bad = tampered(s);
    const r = expectRight(await replayStage(bad, parent, env)());
    assert.equal(r.identical, false);
    assert.equal(r.expected, bad.meta.id);
    assert.equal(r.actual, s.meta.id);
  }
});

Deno.test("replayStage() reports a recorded plan that the selection no longer chooses", async () => {
  const options = pruned.meta.options as { plan: Record<string, number[]> };
  const plan = { conv1: [...options.plan.conv1.map((c) => (c + 1) % 4)] };
  const bad = {
    ...pruned,
    meta: { ...pruned.meta, options: { ...pruned.meta.options as object, plan } },
  };
  const r = expectRight(await replayStage(bad, trained, env)());
  assert.equal(r.identical, false);
  assert.match(r.detail ?? "", /the selection chose the plan .* the snapshot records/);
});

Deno.test("replayStage() fails with the stage named for a stage it does not know", async () => {
  const imported = { ...initial, meta: { ...initial.meta, stage: "import" } };
  const e = expectLeft(await replayStage(imported, null, env)());
  assert.equal(e._tag, "UnknownStage");
  assert.match(e.message, /Cannot replay stage "import" of snapshot [0-9a-f]{12}: replay knows/);
});

Deno.test("replayStage() fails on a parent other than the recorded one, or missing data", async () => {
  const wrong = expectLeft(await replayStage(trained, pruned, env)());
  assert.equal(wrong._tag, "WrongParent");
  assert.match(wrong.message, /it was made from [0-9a-f]{12}, the parent given is [0-9a-f]{12}/);
  const orphan = { ...trained, meta: { ...trained.meta, parent: null } };
  const none = expectLeft(await replayStage(orphan, null, env)());
  assert.match(none.message, /stage "train"\): it records no parent/);
  const few: ReplayEnv = { ...env, data: () => TE.right(tintedImages(10, 1)) };
  const data = expectLeft(await replayStage(trained, initial, { ...few, data: few.data })());
  assert.equal(data._tag, "DataUnavailable");
  assert.match(data.message, /trained on 64 images of tinted-64, only 10 are available/);
  const options = { ...trained.meta.options as object, lr: "fast" };
  const odd = { ...trained, meta: { ...trained.meta, options } };
  const bad = expectLeft(await replayStage(odd, initial, env)());
  assert.equal(bad._tag, "BadRecordedOptions");
  assert.match(bad.message, /"lr"/);
});

Deno.test("replay command: bit-identical exits 0, a tampered snapshot exits 1 with the id", async () => {
  await withTempDir("oicsr-replay-", async (store) => {
    for (const s of [initial, trained, tampered(trained)]) {
      expectRight(await writeSnapshot(store, s)());
    }
    const run = (id: string, ...more: string[]) =>
      replayCommand([id.slice(0, 8), "--store", store, "--backend", "cpu", ...more], {
        store: "/nonexistent",
        data: tinted,
      })();
    const ok = expectRight(await run(trained.meta.id));
    const short = (s: Snapshot) => s.meta.id.slice(0, 12);
    assert.equal(
      ok.text,
      `replayed train ${short(trained)} from ${short(initial)} on cpu: bit-identical`,
    );
    assert.equal(ok.exitCode, 0);
    const bad = tampered(trained);
    const differs = expectRight(await run(bad.meta.id));
    assert.equal(differs.exitCode, 1);
    assert.match(differs.text, new RegExp(`${short(bad)} from .* differs: got ${trained.meta.id}`));
    const orphan = expectLeft(await run(pruned.meta.id));
    assert.equal(orphan._tag, "NotFound");
    const flag = expectLeft(await run(trained.meta.id, "--fast"));
    assert.equal(flag._tag, "BadReplayArgs");
  });
});

Deno.test("replay command: a missing parent is named; another backend gets a note", async () => {
  await withTempDir("oicsr-replay-", async (store) => {
    expectRight(await writeSnapshot(store, pruned)());
    const e = expectLeft(
      await replayCommand([pruned.meta.id, "--store", store, "--backend", "cpu"], {
        store,
        data: tinted,
      })(),
    );
    assert.match(e.message, /the parent of [0-9a-f]{12}/);
  });
  const onWasm = {
    ...trained,
    meta: { ...trained.meta, backend: { ...trained.meta.backend, name: "wasm" } },
  };
  const result = {
    stage: "train",
    expected: trained.meta.id,
    actual: trained.meta.id,
    identical: true,
    sameBackend: false,
    detail: null,
  };
  assert.match(
    replayLine(result, onWasm, "cpu"),
    /on cpu: bit-identical\n {2}note: the snapshot was made on wasm; identical results are only promised on the same backend/,
  );
});

Deno.test("deno run cli/replay.ts replay: the recorded backend by default, exit codes", async () => {
  await withTempDir("oicsr-replay-", async (store) => {
    for (const s of [initial, trained, pruned]) expectRight(await writeSnapshot(store, s)());
    const cli = new URL("../cli/replay.ts", import.meta.url).pathname;
    const run = async (...args: string[]) => {
      const command = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", cli, "replay", ...args, "--store", store],
        stdout: "piped",
        stderr: "piped",
      });
      const { code, stdout, stderr } = await command.output();
      const text = (b: Uint8Array) => new TextDecoder().decode(b);
      return { code, stdout: text(stdout), stderr: text(stderr) };
    };
    const ok = await run(pruned.meta.id.slice(0, 10));
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^replayed prune [0-9a-f]{12} from [0-9a-f]{12} on cpu: bit-identical/);
    const data = await run(trained.meta.id.slice(0, 10));
    assert.equal(data.code, 1);
    assert.match(data.stderr, /error: tinted-64: replay cannot load this data set/);
    assert.equal((await run("xyz")).code, 1);
    assert.equal((await run(trained.meta.id, "--backend", "tpu")).code, 2);
  });
});

Deno.test("replayStage() re-runs a regularized train snapshot bit-identically on wasm", async () => {
  expectRight(await selectBackend("wasm"));
  try {
    const options = quickTraining({ epochs: 1, regularizer: { kind: "oicsr-gl", lambda: 1e-3 } });
    const wasmEnv = { ...testEnv(), data: tinted };
    const made = expectRight(await train(initial, tintedImages(64), options, wasmEnv)());
    assert.equal(made.meta.backend.name, "wasm");
    const r = expectRight(await replayStage(made, initial, wasmEnv)());
    assert.ok(r.identical && r.sameBackend, JSON.stringify(r));
  } finally {
    expectRight(await selectBackend("cpu"));
  }
});
