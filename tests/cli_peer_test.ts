import assert from "node:assert/strict";
import { PEER_MODELS, runPeer } from "../cli/peer.ts";
import { MODEL_NAMES } from "../models/zoo.ts";

Deno.test("runPeer() refuses a model the PyTorch reference does not define as ours", async () => {
  const r = await runPeer({ model: "resnet50", batch: 4, seconds: 1, script: "/nowhere.py" });
  assert.ok(r._tag === "Left");
  assert.match(r.left.message, /^the reference script has no resnet50 \(it has cifarnet, /);
  assert.ok(PEER_MODELS.every((m) => (MODEL_NAMES as readonly string[]).includes(m)));
});
