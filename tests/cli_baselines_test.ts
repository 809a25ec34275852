import assert from "node:assert/strict";
import { join } from "node:path";
import { findBaseline, publishBaseline } from "../cli/baselines.ts";
import { readSnapshot } from "../snapshot/store.ts";
import { withMetrics } from "../stages/metrics.ts";
import { smallSnapshot } from "./_fixtures.ts";
import { expectLeft, expectRight, withTempDir } from "./_helpers.ts";

Deno.test("the shipped CifarNet baseline is found, verifies and records how it was trained", async () => {
  const root = new URL("../baselines", import.meta.url).pathname;
  const found = expectRight(await findBaseline(root, { model: "cifarnet", data: "cifar10" })());
  assert.ok(found !== null);
  assert.equal(found.meta.stage, "train");
  assert.ok(found.meta.metrics.top1 > 0.6);
  assert.equal(found.meta.metrics.macs, 32_778_112);
  const options = found.meta.options as { epochs: number; weightDecay: number; data: string };
  assert.equal(options.data, "cifar10/train");
  assert.equal(options.weightDecay, 5e-4);
  assert.equal(
    expectRight(await findBaseline(root, { model: "resnet20", data: "cifar10" })()),
    null,
  );
});

Deno.test("publishBaseline() stores the snapshot and names it in baselines.json", async () => {
  await withTempDir("baselines-", async (dir) => {
    const unevaluated = await smallSnapshot(2);
    const o = { model: "tiny", data: "tinted" };
    const refused = expectLeft(await publishBaseline(dir, o, unevaluated)());
    assert.match(refused.message, /has no top-1: evaluate it before publishing/);
    const s = withMetrics(unevaluated, { top1: 0.5 });
    assert.equal(expectRight(await publishBaseline(dir, o, s)()), s.meta.id);
    const found = expectRight(await findBaseline(dir, o)());
    assert.equal(found?.meta.id, s.meta.id);
    expectRight(await readSnapshot(dir, s.meta.id)());
    await Deno.writeTextFile(join(dir, "baselines.json"), '{"tiny/tinted": {"id": 3}}');
    assert.match(expectLeft(await findBaseline(dir, o)()).message, /baselines\.json: .*id/);
  });
});
