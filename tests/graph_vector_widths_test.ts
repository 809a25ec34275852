/**
 * `scalarConvolutions()`: the convolutions tfjs's WebGPU backend runs one channel at a time
 * (widths off its vec4 condition), named with their widths.
 */
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { scalarConvolutions, vec4Conv } from "../graph/vector_widths.ts";
import { snapshotOf, twoConvNet } from "./_fixtures.ts";

Deno.test("vec4Conv() follows tfjs's Conv2D condition: input a multiple of 4 or 3, output of 4", () => {
  assert.equal(vec4Conv(3, 16), true);
  assert.equal(vec4Conv(16, 8), true);
  assert.equal(vec4Conv(12, 12), true);
  assert.equal(vec4Conv(9, 12), true);
  assert.equal(vec4Conv(16, 11), false);
  assert.equal(vec4Conv(10, 16), false);
  assert.equal(vec4Conv(5, 7), false);
});

Deno.test("scalarConvolutions() names each Conv2D whose widths leave the vec4 path", async () => {
  await tf.setBackend("cpu");
  // conv1: 3 -> 6 (output not a multiple of 4); conv2: 6 -> 8 (input 6 is a multiple of 3).
  assert.deepEqual(scalarConvolutions(await snapshotOf(twoConvNet([6, 8]))), {
    convolutions: 2,
    scalar: [{ layer: "conv1", inChannels: 3, outChannels: 6 }],
  });
  // conv2: 4 -> 7.
  assert.deepEqual(scalarConvolutions(await snapshotOf(twoConvNet([4, 7]))), {
    convolutions: 2,
    scalar: [{ layer: "conv2", inChannels: 4, outChannels: 7 }],
  });
  assert.deepEqual(scalarConvolutions(await snapshotOf(twoConvNet([8, 16]))), {
    convolutions: 2,
    scalar: [],
  });
});
