import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeTopology, isLayerClass, type Topology } from "../graph/keras_topology.ts";
import { expectLeft, expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

type Sym = tf.SymbolicTensor;

/** The JSON tfjs writes for a small functional model using every layer pruning meets. */
function functionalJson(): Record<string, unknown> {
  const inp = tf.input({ shape: [8, 8, 3], name: "img" });
  const c1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: "same", name: "c1" })
    .apply(inp) as Sym;
  const b1 = tf.layers.batchNormalization({ name: "bn1" }).apply(c1) as Sym;
  const a1 = tf.layers.activation({ activation: "relu", name: "r1" }).apply(b1) as Sym;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 1, name: "dw" })
    .apply(tf.layers.zeroPadding2d({ padding: 1, name: "pad" }).apply(a1)) as Sym;
  const add = tf.layers.add({ name: "add" }).apply([a1, dw]) as Sym;
  const cat = tf.layers.concatenate({ name: "cat" }).apply([add, c1]) as Sym;
  const gap = tf.layers.globalAveragePooling2d({ name: "gap" }).apply(cat) as Sym;
  const out = tf.layers.dense({ units: 5, useBias: false, name: "fc" }).apply(gap) as Sym;
  const model = tf.model({ inputs: inp, outputs: out, name: "fn" });
  const json = model.toJSON(null, false) as Record<string, unknown>;
  model.dispose();
  return json;
}

function sequentialJson(): Record<string, unknown> {
  const model = tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [6, 6, 2], filters: 3, kernelSize: [3, 2], name: "sc" }),
      tf.layers.flatten({ name: "flat" }),
      tf.layers.dense({ units: 2, name: "sd" }),
    ],
  });
  const json = model.toJSON(null, false) as Record<string, unknown>;
  model.dispose();
  return json;
}

const FUNCTIONAL = functionalJson();
const SEQUENTIAL = sequentialJson();
const clone = <T>(x: T): T => structuredClone(x);
// deno-lint-ignore no-explicit-any
type Loose = any;

function fieldOf(json: unknown): string {
  return expectLeft(decodeTopology(json, "model.json")).field;
}

Deno.test("decodeTopology() reads a functional model tfjs wrote, with typed prunable fields", () => {
  const topology = expectRight(decodeTopology(FUNCTIONAL, "model.json"));
  assert(topology.class_name === "Model");
  const classes = Object.fromEntries(topology.config.layers.map((l) => [l.name, l.class_name]));
  assert.deepEqual(classes, {
    img: "InputLayer",
    c1: "Conv2D",
    bn1: "BatchNormalization",
    r1: "Activation",
    pad: "ZeroPadding2D",
    dw: "DepthwiseConv2D",
    add: "Add",
    cat: "Concatenate",
    gap: "GlobalAveragePooling2D",
    fc: "Dense",
  });
  const byName = new Map(topology.config.layers.map((l) => [l.name, l]));
  const c1 = byName.get("c1")!;
  assert(isLayerClass(c1, "Conv2D"));
  assert.equal(c1.config.filters, 4);
  assert.deepEqual(c1.config.kernel_size, [3, 3]);
  assert.equal(c1.config.padding, "same");
  assert.equal(c1.config.use_bias, true);
  const dw = byName.get("dw")!;
  assert(isLayerClass(dw, "DepthwiseConv2D"));
  assert.equal(dw.config.depth_multiplier, 1);
  assert.equal(dw.config.padding, "valid");
  const bn = byName.get("bn1")!;
  assert(isLayerClass(bn, "BatchNormalization"));
  assert.equal(bn.config.axis, -1);
  const fcLayer = byName.get("fc")!;
  assert(isLayerClass(fcLayer, "Dense"));
  assert.equal(fcLayer.config.units, 5);
  assert.equal(fcLayer.config.use_bias, false);
  assert.deepEqual(byName.get("add")!.inbound_nodes, [[["r1", 0, 0, {}], ["dw", 0, 0, {}]]]);
  assert.deepEqual(topology.config.input_layers, [["img", 0, 0]]);
  assert.deepEqual(topology.config.output_layers, [["fc", 0, 0]]);
  assert.deepEqual(byName.get("pad")!.config.padding, [[1, 1], [1, 1]]);
});

Deno.test("decodeTopology() reads a Sequential model tfjs wrote", () => {
  const topology: Topology = expectRight(decodeTopology(SEQUENTIAL, "model.json"));
  assert(topology.class_name === "Sequential");
  const layers = topology.config.layers;
  assert.deepEqual(layers.map((l) => [l.config.name, l.class_name]), [
    ["sc", "Conv2D"],
    ["flat", "Flatten"],
    ["sd", "Dense"],
  ]);
  const [sc, , sd] = layers;
  assert(isLayerClass(sc, "Conv2D") && isLayerClass(sd, "Dense"));
  assert.equal(sc.config.filters, 3);
  assert.deepEqual(sc.config.kernel_size, [3, 2]);
  assert.equal(sd.config.units, 2);
});

Deno.test("decodeTopology() reports a wrong filters type with its path and the file", () => {
  const json: Loose = clone(FUNCTIONAL);
  json.config.layers[1].config.filters = "abc";
  const error = expectLeft(decodeTopology(json, "model.json"));
  assert.equal(error._tag, "InvalidTopology");
  assert.equal(error.field, "modelTopology.config.layers.1.config.filters");
  assert.equal(
    error.message,
    'model.json: modelTopology.config.layers.1.config.filters: expected a positive integer, got "abc"',
  );
});

Deno.test("decodeTopology() reports missing layers and unreadable shapes by field", () => {
  const noLayers: Loose = clone(FUNCTIONAL);
  delete noLayers.config.layers;
  assert.equal(fieldOf(noLayers), "modelTopology.config.layers");
  const noSeqLayers: Loose = clone(SEQUENTIAL);
  delete noSeqLayers.config.layers;
  assert.equal(fieldOf(noSeqLayers), "modelTopology.config.layers");
  const badKernel: Loose = clone(SEQUENTIAL);
  badKernel.config.layers[0].config.kernel_size = [3, 0];
  assert.equal(fieldOf(badKernel), "modelTopology.config.layers.0.config.kernel_size.1");
  const badRef: Loose = clone(FUNCTIONAL);
  badRef.config.layers[2].inbound_nodes[0][0][1] = -1;
  assert.equal(fieldOf(badRef), "modelTopology.config.layers.2.inbound_nodes.0.0.1");
  assert.equal(fieldOf(null), "modelTopology");
});

Deno.test("decodeTopology() refuses an unknown top-level class and the old Sequential array", () => {
  const error = expectLeft(decodeTopology({ ...FUNCTIONAL, class_name: "Graph" }, "m.json"));
  assert.equal(error.field, "modelTopology.class_name");
  assert.equal(
    error.message,
    'm.json: modelTopology.class_name: expected "Model" | "Functional" | "Sequential", got "Graph"',
  );
  const old = expectLeft(decodeTopology({ class_name: "Sequential", config: [] }, "m.json"));
  assert.equal(old.field, "modelTopology.config");
  assert.match(old.message, /old array form of Sequential is not supported/);
});

Deno.test("decodeTopology() reports duplicate layer names", () => {
  const json: Loose = clone(FUNCTIONAL);
  json.config.layers[3].name = "c1";
  assert.equal(fieldOf(json), "modelTopology.config.layers.3.name");
  const seq: Loose = clone(SEQUENTIAL);
  seq.config.layers[2].config.name = "sc";
  assert.equal(fieldOf(seq), "modelTopology.config.layers.2.config.name");
});

Deno.test("decodeTopology() reports references to layers that do not exist", () => {
  const json: Loose = clone(FUNCTIONAL);
  json.config.layers[6].inbound_nodes[0][1][0] = "ghost";
  const error = expectLeft(decodeTopology(json, "model.json"));
  assert.equal(error.field, "modelTopology.config.layers.6.inbound_nodes.0.1.0");
  assert.equal(error.actual, '"ghost"');
  const out: Loose = clone(FUNCTIONAL);
  out.config.output_layers[0][0] = "nowhere";
  assert.equal(fieldOf(out), "modelTopology.config.output_layers.0.0");
  const inp: Loose = clone(FUNCTIONAL);
  inp.config.input_layers[0][1] = 1;
  assert.equal(fieldOf(inp), "modelTopology.config.input_layers.0.1");
});

Deno.test("decodeTopology() reports a cycle at the layer that closes it", () => {
  const json: Loose = clone(FUNCTIONAL);
  // c1 (layer 1) now reads r1 (layer 3), which reads bn1, which reads c1.
  json.config.layers[1].inbound_nodes[0][0][0] = "r1";
  const error = expectLeft(decodeTopology(json, "model.json"));
  assert.equal(error.field, "modelTopology.config.layers.1.name");
  assert.equal(error.actual, "c1 -> r1 -> bn1 -> c1");
});

Deno.test("decodeTopology() keeps the config of an unknown layer class as JSON", () => {
  const json: Loose = clone(FUNCTIONAL);
  json.config.layers[3].class_name = "MyCustomLayer";
  json.config.layers[3].config.anything = { nested: [1, "two", null] };
  const topology = expectRight(decodeTopology(json, "model.json"));
  assert(topology.class_name !== "Sequential");
  const layer = topology.config.layers[3];
  assert.equal(layer.class_name, "MyCustomLayer");
  assert.deepEqual(layer.config.anything, { nested: [1, "two", null] });
});

/** Paths to every value in a JSON tree (objects and arrays). */
function paths(value: unknown, prefix: readonly (string | number)[] = []): (string | number)[][] {
  if (typeof value !== "object" || value === null) return [];
  const entries = Array.isArray(value)
    ? value.map((v, i) => [i, v] as const)
    : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...prefix, k], ...paths(v, [...prefix, k])]);
}

Deno.test("decodeTopology() never throws on a randomly mutated topology", () => {
  const sources = [FUNCTIONAL, SEQUENTIAL];
  const all = sources.map((s) => paths(s));
  fc.assert(
    fc.property(
      fc.nat({ max: 1 }),
      fc.nat(),
      fc.boolean(),
      fc.jsonValue({ maxDepth: 3 }),
      (which, pick, remove, replacement) => {
        const json: Loose = clone(sources[which]);
        const path = all[which][pick % all[which].length];
        const parent = path.slice(0, -1).reduce((o: Loose, k) => o[k], json);
        const key = path.at(-1)!;
        if (remove) delete parent[key];
        else parent[key] = replacement;
        const result = decodeTopology(json, "model.json");
        assert(result._tag === "Left" || result._tag === "Right");
        if (result._tag === "Left") {
          assert.match(result.left.message, /^model\.json: modelTopology/);
        }
      },
    ),
    { numRuns: 300, seed: 7 },
  );
});
