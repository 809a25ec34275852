import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { join } from "node:path";
import { abbreviate, explainText, type Explanation, explanation } from "../cli/explain.ts";
import type { GroupAnalysis } from "../graph/out_in_groups.ts";
import { exportLayersModel } from "../snapshot/store.ts";
import { smallSnapshot } from "./_fixtures.ts";
import { expectRight, runPrune, withTempDir } from "./_helpers.ts";

await tf.setBackend("cpu");

const slice = (layer: string, weight: string, axis: number, channelOf: number[]) => ({
  layer,
  weight: `${layer}/${weight}`,
  axis,
  channelOf: new Int32Array(channelOf),
});

/** conv1 (2 channels) -> bn1 -> flatten of 2x1 positions -> fc; the input and fc's outputs stay. */
const analysis: GroupAnalysis = {
  groups: [{
    id: "conv1",
    channels: 2,
    layers: ["conv1", "bn1", "relu1", "flat", "fc"],
    producers: [slice("conv1", "kernel", 3, [0, 1]), slice("conv1", "bias", 0, [0, 1])],
    passThrough: [slice("bn1", "gamma", 0, [0, 1])],
    consumers: [slice("fc", "kernel", 0, [0, 1, 0, 1])],
  }],
  unprunable: [
    {
      id: "input",
      channels: 3,
      layers: ["input", "conv1"],
      reasons: ['the network input "input"'],
    },
    { id: "fc", channels: 10, layers: ["fc"], reasons: ['it reaches the model output "fc"'] },
  ],
};
const facts = { model: "net/model.json", layers: 6, macs: 1_234_567, params: 890, uncounted: [] };

Deno.test("explanation() keeps layer, weight, axis and index counts, and is plain JSON", () => {
  const e = explanation(facts, analysis);
  assert.deepEqual(e.groups[0].consumers, [
    { layer: "fc", weight: "fc/kernel", axis: 0, indices: 4 },
  ]);
  assert.deepEqual(e.groups[0].producers.map((s) => s.weight), ["conv1/kernel", "conv1/bias"]);
  assert.deepEqual(e.unprunable.map((u) => u.id), ["input", "fc"]);
  assert.deepEqual(JSON.parse(JSON.stringify(e)), e, "no typed arrays survive");
  assert.equal(e.macs, 1_234_567);
});

Deno.test("explainText() prints the header, one line per group and the reasons", () => {
  const lines = explainText(explanation(facts, analysis)).split("\n");
  assert.equal(lines[0], "model       net/model.json");
  assert.ok(lines.includes("MACs        1.23 M"), lines.join("\n"));
  assert.ok(lines.includes("prunable    1 groups, 2 channels"));
  assert.ok(lines.includes("unprunable  2 groups, 13 channels"));
  const group = lines.find((l) => l.trimStart().startsWith("conv1"));
  assert.match(group!, /^ {2}conv1\s+2\s+2\/1\/1 {2}5 layers: conv1, bn1, relu1, flat, fc$/);
  const input = lines.find((l) => l.trimStart().startsWith("input"));
  assert.match(input!, /3 {2}the network input "input" \(2 layers: input, conv1\)$/);
});

Deno.test("explainText() lists the layers whose MACs are not counted", () => {
  const why = 'layer "odd" (MyCustomLayer): it has a weight "kernel", but no rule counts it';
  const text = explainText(explanation({ ...facts, uncounted: [why] }, analysis));
  assert.match(text, /MACs {8}1\.23 M, not counting 1 layer:\n {12}- layer "odd"/);
  const none = explainText(explanation({ ...facts, macs: null }, { groups: [], unprunable: [] }));
  assert.match(none, /MACs {8}not counted/);
  assert.match(none, /prunable out-in-channel groups.*\n.*\n {2}\(none\)/);
});

Deno.test("abbreviate() keeps short lists and cuts long ones to the first names and the last", () => {
  assert.equal(abbreviate(["a"]), "1 layer: a");
  assert.equal(abbreviate(["a", "b", "c", "d", "e"]), "5 layers: a, b, c, d, e");
  assert.equal(abbreviate(["a", "b", "c", "d", "e", "f"]), "6 layers: a, b, c, d, ... f");
});

Deno.test("prune --model resnet20 --explain lists 12 groups, the input and logits unprunable", async () => {
  await withTempDir("explain-", async (dir) => {
    const store = join(dir, "store"), out = join(dir, "run");
    const run = await runPrune([
      "--model",
      "resnet20",
      "--explain",
      "--store",
      store,
      "--out",
      out,
    ]);
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split("\n");
    assert.ok(lines.includes("model       resnet20"));
    assert.ok(lines.includes("MACs        40.81 M"), run.stdout);
    assert.ok(lines.includes("params      0.27 M (274042)"), run.stdout);
    assert.match(run.stdout, /^prunable {4}12 groups, /m);
    const start = lines.indexOf("unprunable channels");
    const groups = lines.slice(0, start).filter((l) =>
      /^ {2}(stem|s\d)\w+\s+\d+\s+\d+\/\d+\/\d+/.test(l)
    );
    assert.equal(groups.length, 12, run.stdout);
    const internal = groups.filter((l) => /^ {2}s\db\d_1_conv\s/.test(l));
    assert.equal(internal.length, 9, "one group per block-internal channel set");
    assert.match(lines.slice(start).join("\n"), /input\s+3 {2}the network input "input"/);
    assert.match(lines.slice(start).join("\n"), /logits\s+10 {2}.*"logits"/);
    assert.equal(await Deno.stat(store).catch(() => null), null, "writes no snapshot");
    assert.equal(await Deno.stat(out).catch(() => null), null, "writes no run folder");
  });
});

Deno.test("prune --model <model.json> --explain --json gives the groups of an imported model", async () => {
  await withTempDir("explain-", async (dir) => {
    const path = join(dir, "net", "model.json");
    expectRight(await exportLayersModel(await smallSnapshot(), join(dir, "net"))());
    const run = await runPrune(["--model", path, "--explain", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const e: Explanation = JSON.parse(run.stdout);
    assert.equal(e.model, path);
    assert.deepEqual(e.groups.map((g) => [g.id, g.channels]), [["conv1", 4]]);
    const [conv1] = e.groups;
    assert.deepEqual(conv1.producers.map((s) => s.weight), ["conv1/kernel", "conv1/bias"]);
    assert.deepEqual(conv1.passThrough.map((s) => s.layer), ["bn1", "bn1", "bn1", "bn1"]);
    assert.deepEqual(conv1.consumers, [{
      layer: "logits",
      weight: "logits/kernel",
      axis: 0,
      indices: 4,
    }]);
    assert.deepEqual(e.unprunable.map((u) => u.id).sort(), ["input", "logits"]);
    assert.equal(e.params, 4 * 27 + 4 + 4 * 4 + 4 * 2 + 2);
  });
});

/** A hand-written Sequential model.json whose second layer is of a class tfjs does not know. */
function customModelJson(): Record<string, unknown> {
  const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
  const weights = [
    { name: "conv1/kernel", shape: [3, 3, 3, 2], dtype: "float32" },
    { name: "conv1/bias", shape: [2], dtype: "float32" },
    { name: "fc/kernel", shape: [128, 3], dtype: "float32" },
    { name: "fc/bias", shape: [3], dtype: "float32" },
  ];
  return {
    format: "layers-model",
    modelTopology: {
      class_name: "Sequential",
      config: {
        name: "custom",
        layers: [
          layer("Conv2D", {
            name: "conv1",
            batch_input_shape: [null, 8, 8, 3],
            filters: 2,
            kernel_size: [3, 3],
            strides: [1, 1],
            padding: "same",
            data_format: "channels_last",
            use_bias: true,
          }),
          layer("MyCustomLayer", { name: "custom1" }),
          layer("Flatten", { name: "flat" }),
          layer("Dense", { name: "fc", units: 3, use_bias: true }),
        ],
      },
    },
    weightsManifest: [{ paths: ["weights.bin"], weights }],
  };
}

Deno.test("prune --explain marks the channels that reach an unknown layer class unprunable", async () => {
  await withTempDir("explain-", async (dir) => {
    const path = join(dir, "model.json");
    await Deno.writeTextFile(path, JSON.stringify(customModelJson()));
    await Deno.writeFile(join(dir, "weights.bin"), new Uint8Array(4 * (54 + 2 + 384 + 3)));
    const run = await runPrune(["--model", path, "--explain", "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const e: Explanation = JSON.parse(run.stdout);
    const conv1 = e.unprunable.find((u) => u.id === "conv1");
    assert.ok(conv1 !== undefined, JSON.stringify(e.unprunable));
    assert.equal(conv1.channels, 2);
    assert.ok(conv1.reasons.some((r) => r.includes("custom1") && r.includes("MyCustomLayer")));
    assert.ok(!e.groups.some((g) => g.id === "conv1"));
    const text = await runPrune(["--model", path, "--explain"]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /conv1\s+2 {2}.*MyCustomLayer/);
  });
});
