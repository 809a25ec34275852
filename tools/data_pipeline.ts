/**
 * Does decoding keep up with training? Trains a zoo model on a folder of JPEG files (an
 * ImageNet-style `train/<class>/*.JPEG` tree: `--data-dir`, or 80 images of 400x400 written to
 * a temporary folder) on the wasm backend for `--epochs` epochs, once with the images decoded
 * on the training thread and once by the decoding pool started before the backend
 * (`datasets/decode_pool.ts`), each in its own process; prints images/s and the share of the
 * time the training loop waited for its next batch.
 *
 *     deno run -A tools/data_pipeline.ts [--model resnet50] [--batch 4] [--epochs 2]
 *
 * @module
 */
import { parseArgs } from "node:util";
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";
import { startDecodeWorkers } from "../datasets/decode_pool.ts";
import { loadImageFolder } from "../datasets/imagenet_folder.ts";
import { decodeWorkersFor, prefetchedBatches } from "../datasets/prefetch.ts";
import { buildModel } from "../models/zoo.ts";
import { makeTrainStep } from "../stages/train_model.ts";
import { writeImageFolder } from "../tests/_image_folder_fixture.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    model: { type: "string", default: "resnet50" },
    batch: { type: "string", default: "4" },
    epochs: { type: "string", default: "2" },
    "data-dir": { type: "string" },
    decode: { type: "string" },
  },
});

/** One process's measurement: `decode` is "pool" (workers started first) or "thread". */
async function measure(root: string, decode: string): Promise<void> {
  if (decode === "pool") startDecodeWorkers();
  const backend = await selectBackend("wasm");
  if (E.isLeft(backend)) throw new Error(backend.left.message);
  const split = await loadImageFolder(root)();
  if (E.isLeft(split)) throw new Error(split.left.message);
  const set = split.right.train;
  const net = buildModel(values.model!, { seed: 0, classes: set.classes });
  if (E.isLeft(net)) throw new Error(net.left.message);
  const shape = net.right.inputs[0].shape.slice(1) as [number, number, number];
  const trainer = makeTrainStep(net.right, shape, set.classes, {
    momentum: 0.9,
    weightDecay: 5e-4,
  });
  const workers = decodeWorkersFor("wasm");
  const batchSize = Number(values.batch);
  for (let epoch = 0; epoch < Number(values.epochs); epoch++) {
    const start = performance.now();
    let images = 0, waited = 0, asked = performance.now();
    for await (
      const b of prefetchedBatches(set, { batchSize, seed: 1, epoch, augment: true }, workers)
    ) {
      waited += performance.now() - asked;
      await trainer.step(b.x, b.y, b.size, 0.01);
      images += b.size;
      asked = performance.now();
    }
    const ms = performance.now() - start;
    console.log(JSON.stringify({
      decode: decode === "pool"
        ? `${workers} worker${workers === 1 ? "" : "s"}`
        : "training thread",
      adapter: backend.right.adapter,
      model: values.model,
      batch: batchSize,
      epoch,
      img_s: Math.round(images / ms * 1e4) / 10,
      waiting_for_data: `${(waited / ms * 100).toFixed(1)} %`,
    }));
  }
}

async function main(): Promise<number> {
  if (values.decode !== undefined) {
    await measure(values["data-dir"]!, values.decode);
    return 0;
  }
  const root = values["data-dir"] ?? await Deno.makeTempDir({ prefix: "oicsr-pipeline-" });
  try {
    if (values["data-dir"] === undefined) {
      await writeImageFolder(root, { classes: 10, perClass: 8, side: 400 });
    }
    for (const decode of ["thread", "pool"]) {
      const args = ["run", "-A", import.meta.filename!, ...Deno.args, "--decode", decode];
      if (values["data-dir"] === undefined) args.push("--data-dir", root);
      const child = new Deno.Command(Deno.execPath(), {
        args,
        stdout: "inherit",
        stderr: "inherit",
      });
      const { code } = await child.output();
      if (code !== 0) return code;
    }
    return 0;
  } finally {
    if (values["data-dir"] === undefined) await Deno.remove(root, { recursive: true });
  }
}

Deno.exit(await main());
