import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { countCost } from "../models/cost.ts";
import { buildModel } from "../models/zoo.ts";
import { resnet } from "../models/resnet.ts";
import { cifarnet } from "../models/cifarnet.ts";

await tf.setBackend("cpu");

function near(actual: number, expected: number, tolerance: number, what: string) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: ${actual} is not within ${tolerance} of ${expected}`,
  );
}

Deno.test("countCost() gives ResNet-20 about 40.6 M MACs and 0.27 M parameters", () => {
  const model = resnet({ depth: 20 });
  const { macs, params } = countCost(model);
  near(macs, 40.6e6, 0.3e6, "ResNet-20 MACs");
  near(params, 0.27e6, 0.005e6, "ResNet-20 params");
  model.dispose();
});

Deno.test("countCost() gives ResNet-56 about 125 M MACs and 0.85 M parameters", () => {
  const model = resnet({ depth: 56 });
  const { macs, params } = countCost(model);
  near(macs, 125.5e6, 1e6, "ResNet-56 MACs");
  near(params, 0.855e6, 0.01e6, "ResNet-56 params");
  model.dispose();
});

Deno.test("countCost() counts CifarNet layer by layer", () => {
  const model = cifarnet();
  const cost = countCost(model);
  const byName = Object.fromEntries(cost.layers.map((l) => [l.name, l]));
  assert.equal(byName.conv1.macs, 32 * 32 * 5 * 5 * 3 * 64);
  assert.equal(byName.conv2.macs, 16 * 16 * 5 * 5 * 64 * 64);
  assert.equal(byName.fc3.macs, 8 * 8 * 64 * 384);
  assert.equal(byName.fc3.params, 8 * 8 * 64 * 384 + 384);
  assert.equal(byName.pool1.macs, 0);
  assert.equal(cost.params, model.countParams());
  model.dispose();
});

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
  assert.match(result.left.message, /Unknown model "vgg16".*cifarnet, resnet20/);
});
