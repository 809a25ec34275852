import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { buildModel } from "../models/zoo.ts";
import { resnet } from "../models/resnet.ts";

await tf.setBackend("cpu");

Deno.test("resnet() with option A shortcuts has frozen identity projections", async () => {
  const model = resnet({ depth: 20, shortcut: "A" });
  const proj = model.getLayer("s2b1_proj_conv");
  assert.equal(proj.trainable, false);
  const kernel = await proj.getWeights()[0].data();
  // [1, 1, 16, 32]: channel c of the input goes to channel c of the output.
  assert.equal(kernel[3 * 32 + 3], 1);
  assert.equal(kernel[3 * 32 + 4], 0);
  assert.equal(Array.from(kernel).reduce((a, b) => a + b, 0), 16);
  model.dispose();
});

Deno.test("resnet() rejects a depth that is not 6n+2", () => {
  assert.throws(() => resnet({ depth: 21 }), /6n\+2/);
});

Deno.test("buildModel() gives the same weights for the same seed and others for another", async () => {
  const read = async (seed: number) => {
    const model = E.getOrElseW(() => assert.fail("cifarnet must build"))(
      buildModel("cifarnet", { seed, classes: 10 }),
    );
    const data = await Promise.all(model.getWeights().map((w) => w.data()));
    model.dispose();
    return data;
  };
  // Seed 0 too: tfjs's initialisers take a seed of 0 as none and draw a random one.
  for (const seed of [0, 3]) assert.deepEqual(await read(seed), await read(seed), `seed ${seed}`);
  const [a, b] = [await read(3), await read(4)];
  assert.notDeepEqual(a[0], b[0], "another seed gives another first kernel");
  assert.notDeepEqual(a[2], b[2]);
});

Deno.test("buildModel() names the allowed models for an unknown one", () => {
  const result = buildModel("vgg16", { seed: 0, classes: 10 });
  assert.ok(E.isLeft(result));
  assert.match(result.left.message, /Unknown model "vgg16".*cifarnet, alexnet, resnet20.*resnet50/);
});
