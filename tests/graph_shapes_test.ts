import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { decodeTopology } from "../graph/keras_topology.ts";
import { layerGraph } from "../graph/layer_graph.ts";
import { inferShapes, type Shape } from "../graph/shapes.ts";
import { cifarnet } from "../models/cifarnet.ts";
import { resnet } from "../models/resnet.ts";
import type { JsonObject } from "../snapshot/snapshot.ts";
import { expectRight } from "./_helpers.ts";

await tf.setBackend("cpu");

type Sym = tf.SymbolicTensor;
const L = tf.layers;

/** The shapes inferred from the JSON tfjs writes for `model`. */
function shapesOf(json: unknown): ReadonlyMap<string, Shape | null> {
  return inferShapes(layerGraph(expectRight(decodeTopology(json, "model.json"))));
}

/**
 * Asserts that every layer's inferred shape is tfjs's `outputShape` less the batch axis,
 * except for the layers in `actual`, whose shapes are checked against `actual` instead.
 */
function assertShapesMatchTfjs(
  model: tf.LayersModel,
  actual: Readonly<Record<string, Shape>> = {},
): void {
  const shapes = shapesOf(model.toJSON(null, false));
  for (const layer of model.layers) {
    const expected = Object.hasOwn(actual, layer.name)
      ? actual[layer.name]
      : (layer.outputShape as Array<number | null>).slice(1);
    assert.deepEqual(shapes.get(layer.name), expected, `layer "${layer.name}"`);
  }
  model.dispose();
}

/** The shapes of `model`'s outputs for one example of zeros, less the batch axis. */
function runShapes(model: tf.LayersModel, input: number[]): Record<string, Shape> {
  return tf.tidy(() => {
    const outs = model.predict(tf.zeros([1, ...input])) as tf.Tensor[];
    return Object.fromEntries(
      model.outputLayers.map((layer, i) => [layer.name, outs[i].shape.slice(1)]),
    );
  });
}

Deno.test("inferShapes() matches tfjs for convolutions with odd sizes, strides and dilations", () => {
  const x = tf.input({ shape: [23, 17, 3], name: "in" });
  const convs = [
    L.conv2d({ filters: 4, kernelSize: [3, 2], strides: [2, 3], name: "c_valid" }),
    L.conv2d({ filters: 5, kernelSize: 5, strides: 3, padding: "same", name: "c_same" }),
    L.conv2d({ filters: 2, kernelSize: 3, dilationRate: [2, 3], name: "c_dilated" }),
    L.conv2d({ filters: 2, kernelSize: 4, dilationRate: 2, padding: "same", name: "c_dil_same" }),
    L.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, strides: 2, name: "dw" }),
    L.depthwiseConv2d({ kernelSize: [1, 3], dilationRate: 2, padding: "same", name: "dw_d" }),
    L.separableConv2d({ filters: 7, kernelSize: 3, depthMultiplier: 3, strides: 2, name: "sep" }),
    L.separableConv2d({ filters: 6, kernelSize: [2, 5], padding: "same", name: "sep_same" }),
  ];
  const outputs = convs.map((c) => c.apply(x) as Sym);
  assertShapesMatchTfjs(tf.model({ inputs: x, outputs }));
});

Deno.test("inferShapes() matches tfjs for pooling, padding, cropping and upsampling", () => {
  const x = tf.input({ shape: [19, 14, 5], name: "in" });
  const outputs = [
    L.maxPooling2d({ poolSize: 3, name: "max3" }),
    L.maxPooling2d({ poolSize: [3, 2], strides: [2, 1], padding: "same", name: "max_same" }),
    L.averagePooling2d({ poolSize: 2, strides: 3, name: "avg" }),
    L.averagePooling2d({ poolSize: [4, 5], padding: "same", name: "avg_same" }),
    L.globalAveragePooling2d({ name: "gap" }),
    L.globalMaxPooling2d({ name: "gmp" }),
    L.zeroPadding2d({ padding: 2, name: "pad_int" }),
    L.zeroPadding2d({ padding: [1, 3], name: "pad_pair" }),
    L.zeroPadding2d({ padding: [[0, 2], [3, 1]], name: "pad_full" }),
    L.cropping2D({ cropping: 1, name: "crop_int" }),
    L.cropping2D({ cropping: [[2, 0], [1, 4]], name: "crop_full" }),
    L.upSampling2d({ size: [3, 2], name: "up" }),
    L.upSampling2d({ name: "up_default" }),
  ].map((layer) => layer.apply(x) as Sym);
  assertShapesMatchTfjs(tf.model({ inputs: x, outputs }));
});

Deno.test("inferShapes() matches tfjs for shape-keeping layers, Flatten, Dense, Reshape, Permute", () => {
  const x = tf.input({ shape: [6, 5, 4], name: "in" });
  const keep = [
    L.batchNormalization({ name: "bn" }),
    L.layerNormalization({ name: "ln" }),
    L.activation({ activation: "relu", name: "act" }),
    L.reLU({ name: "relu" }),
    L.leakyReLU({ name: "leaky" }),
    L.elu({ name: "elu" }),
    L.prelu({ name: "prelu" }),
    L.softmax({ name: "softmax" }),
    L.thresholdedReLU({ name: "thr" }),
    L.dropout({ rate: 0.5, name: "drop" }),
    L.gaussianNoise({ stddev: 0.1, name: "gnoise" }),
    L.gaussianDropout({ rate: 0.1, name: "gdrop" }),
    L.alphaDropout({ rate: 0.1, name: "adrop" }),
  ];
  const outputs = keep.map((layer) => layer.apply(x) as Sym);
  const reshaped = L.reshape({ targetShape: [-1, 8], name: "reshape" }).apply(x) as Sym;
  const permuted = L.permute({ dims: [2, 1], name: "perm" }).apply(reshaped) as Sym;
  outputs.push(
    L.flatten({ name: "flat" }).apply(x) as Sym,
    L.dense({ units: 3, name: "dense3d" }).apply(x) as Sym,
    permuted,
    L.reshape({ targetShape: [20, 6], name: "reshape_fixed" }).apply(x) as Sym,
    L.permute({ dims: [3, 1, 2], name: "perm3" }).apply(x) as Sym,
  );
  // tfjs's symbolic shape leaves Reshape's -1 unknown (the batch axis is unknown, so it
  // does not solve for it); the tensors it computes have it, and so does inferShapes().
  // (Only these two run: tfjs's Softmax layer refuses a rank-4 input on its default axis 1.)
  const run = tf.model({ inputs: x, outputs: [reshaped, permuted] });
  const { reshape, perm } = runShapes(run, [6, 5, 4]);
  const model = tf.model({ inputs: x, outputs });
  assert.deepEqual([reshape, perm], [[15, 8], [8, 15]]);
  assertShapesMatchTfjs(model, { reshape, perm });
});

Deno.test("inferShapes() matches tfjs for merges with broadcasting and Concatenate axes", () => {
  const a = tf.input({ shape: [7, 5, 4], name: "a" });
  const b = tf.input({ shape: [1, 5, 4], name: "b" });
  const c = tf.input({ shape: [7, 5, 2], name: "c" });
  const d = tf.input({ shape: [4], name: "d" });
  const outputs = [
    L.add({ name: "add" }).apply([a, b]),
    L.multiply({ name: "mul" }).apply([a, b, a]),
    L.average({ name: "avg" }).apply([a, d]),
    L.maximum({ name: "max" }).apply([d, a]),
    L.minimum({ name: "min" }).apply([a, a]),
    L.concatenate({ name: "cat_last" }).apply([a, c, a]),
    L.concatenate({ axis: 3, name: "cat_3" }).apply([c, a]),
    L.concatenate({ axis: 1, name: "cat_1" }).apply([a, b]),
    L.concatenate({ axis: -3, name: "cat_neg" }).apply([b, a]),
  ] as Sym[];
  assertShapesMatchTfjs(tf.model({ inputs: [a, b, c, d], outputs }));
});

Deno.test("inferShapes() matches tfjs for a Sequential model and an input of any size", () => {
  assertShapesMatchTfjs(tf.sequential({
    layers: [
      L.conv2d({ inputShape: [15, 9, 2], filters: 3, kernelSize: 3, strides: 2, name: "s1" }),
      L.maxPooling2d({ poolSize: 2, padding: "same", name: "s2" }),
      L.flatten({ name: "s3" }),
      L.dense({ units: 4, name: "s4" }),
    ],
  }));
  const x = tf.input({ shape: [null, null, 3], name: "any" });
  const y = L.conv2d({ filters: 8, kernelSize: 3, strides: 2, name: "conv" }).apply(x) as Sym;
  const z = L.upSampling2d({ name: "up" }).apply(L.zeroPadding2d({ name: "pad" }).apply(y));
  const g = L.globalAveragePooling2d({ name: "gap" }).apply(z) as Sym;
  assertShapesMatchTfjs(tf.model({ inputs: x, outputs: [g, z as Sym] }));
});

Deno.test("inferShapes() matches tfjs on CifarNet and ResNet-20 of the zoo", () => {
  assertShapesMatchTfjs(cifarnet());
  assertShapesMatchTfjs(resnet({ depth: 20 }));
});

/** A Sequential topology as Keras (Python) writes it: ints where tfjs writes pairs. */
function kerasSequential(layers: ReadonlyArray<[string, JsonObject]>): JsonObject {
  return {
    class_name: "Sequential",
    config: {
      name: "keras",
      layers: layers.map(([class_name, config], i) => ({
        class_name,
        config: { name: `l${i}`, ...config },
      })),
    },
  };
}

Deno.test("inferShapes() reads the config forms Keras writes (ints, null strides, batch_shape)", () => {
  const shapes = shapesOf(kerasSequential([
    ["InputLayer", { batch_shape: [null, 32, 30, 3] }],
    ["Conv2D", { filters: 8, kernel_size: 3, strides: 2, padding: "valid", dilation_rate: 1 }],
    ["MaxPooling2D", { pool_size: 2, strides: null, padding: "valid" }],
    ["ZeroPadding2D", { padding: 1 }],
    ["GlobalAveragePooling2D", { keepdims: true }],
    ["Reshape", { target_shape: [-1] }],
  ]));
  assert.deepEqual([...shapes.values()], [[32, 30, 3], [15, 14, 8], [7, 7, 8], [9, 9, 8], [
    1,
    1,
    8,
  ], [8]]);
});

Deno.test("inferShapes() gives null for an unknown class and every layer that reads it", () => {
  const shapes = shapesOf(kerasSequential([
    ["InputLayer", { batch_input_shape: [null, 8, 8, 3] }],
    ["Conv2D", { filters: 4, kernel_size: 3 }],
    ["Mystery", {}],
    ["Conv2D", { filters: 4, kernel_size: 3 }],
    ["Flatten", {}],
  ]));
  assert.deepEqual([...shapes.values()], [[8, 8, 3], [6, 6, 4], null, null, null]);
});

Deno.test("inferShapes() gives null for channels-first layers and windows that do not fit", () => {
  const shapes = shapesOf(kerasSequential([
    ["InputLayer", { batch_input_shape: [null, 4, 4, 3] }],
    ["Conv2D", { filters: 4, kernel_size: 3, data_format: "channels_first" }],
  ]));
  assert.equal(shapes.get("l1"), null);
  const small = shapesOf(kerasSequential([
    ["InputLayer", { batch_input_shape: [null, 4, 4, 3] }],
    ["Conv2D", { filters: 4, kernel_size: 5 }],
  ]));
  assert.equal(small.get("l1"), null);
});

Deno.test("inferShapes() gives null for a shared (irregular) layer and what follows it", () => {
  const [x1, x2] = [tf.input({ shape: [6], name: "x1" }), tf.input({ shape: [6], name: "x2" })];
  const shared = L.dense({ units: 6, name: "shared" });
  const both = [shared.apply(x1), shared.apply(x2)] as Sym[];
  const cat = L.concatenate({ name: "cat" }).apply(both) as Sym;
  const out = L.dense({ units: 2, name: "out" }).apply(cat) as Sym;
  const model = tf.model({ inputs: [x1, x2], outputs: out });
  const shapes = shapesOf(model.toJSON(null, false));
  model.dispose();
  assert.deepEqual(shapes.get("x1"), [6]);
  assert.equal(shapes.get("shared"), null);
  assert.equal(shapes.get("cat"), null);
  assert.equal(shapes.get("out"), null);
});

Deno.test("inferShapes() takes well under 10 ms for ResNet-56", () => {
  const model = resnet({ depth: 56 });
  const graph = layerGraph(expectRight(decodeTopology(model.toJSON(null, false), "model.json")));
  model.dispose();
  inferShapes(graph);
  const times = Array.from({ length: 5 }, () => {
    const start = performance.now();
    inferShapes(graph);
    return performance.now() - start;
  });
  assert.ok(Math.min(...times) < 10, `best of 5: ${Math.min(...times).toFixed(2)} ms`);
});
