import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import type { MemoryImageSet } from "../datasets/image_set.ts";
import { splitmix32 } from "../datasets/rng.ts";
import { train } from "../stages/train.ts";
import { quickTraining, snapshotOf, testEnv, twoConvNet } from "./_fixtures.ts";

/** `count` random 8x8x3 images in two classes. */
function tinyImages(count: number): MemoryImageSet {
  const rng = splitmix32(5);
  const images = Uint8Array.from({ length: count * 8 * 8 * 3 }, () => rng() >>> 24);
  const labels = Int32Array.from({ length: count }, (_, i) => i % 2);
  return {
    kind: "memory",
    name: "tiny",
    images,
    labels,
    count,
    height: 8,
    width: 8,
    channels: 3,
    classes: 2,
  };
}

/** conv -> BN -> ReLU -> conv -> BN -> ReLU -> pool -> dense, for 8x8x3 inputs. */
function tinyNet(): tf.LayersModel {
  return twoConvNet([4, 4], { side: 8, strides: 1 });
}

// 32 images in batches of 4 for 125 epochs: 1,000 steps, with the oicsr-gl regularizer
// (its gradients run every step) and augmentation, as a pruning run trains; on wasm, where
// our replacement kernels run.
Deno.test("train() holds live tensors and bytes constant over 1,000 steps", async () => {
  assert.ok(E.isRight(await selectBackend("wasm")), "the wasm backend must start");
  const start = tf.memory().numTensors;
  const initial = await snapshotOf(tinyNet());
  const live: { tensors: number; bytes: number }[] = [];
  const options = quickTraining({
    epochs: 125,
    batchSize: 4,
    lr: 0.01,
    regularizer: { kind: "oicsr-gl", lambda: 1e-4 },
  });
  const trained = await train(initial, tinyImages(32), options, {
    ...testEnv(),
    onStep: () => {
      const m = tf.memory();
      live.push({ tensors: m.numTensors, bytes: m.numBytes });
    },
  })();
  assert.ok(E.isRight(trained), "training must not diverge");
  assert.equal(live.length, 1000);
  assert.deepEqual(live[999], live[9], "live tensors and bytes after step 10 and step 1,000");
  assert.equal(tf.memory().numTensors, start, "nothing is left once training returns");
});
