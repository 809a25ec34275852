/**
 * How long one read from the GPU takes under Deno's WebGPU, whatever its size: a submission
 * and `mapAsync` of 16 bytes, `onSubmittedWorkDone` on an empty queue, and a tfjs `data()` of
 * a small tensor on the GPU (median of 30 each). Deno's `mapAsync` polls the device and then
 * sleeps 10 ms before it checks the map again, so each comes out at 10 ms or more.
 *
 *   deno run -A tools/gpu_readback.ts
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as E from "fp-ts/Either";
import { selectBackend } from "../backend/select_backend.ts";

const selected = await selectBackend("webgpu");
if (E.isLeft(selected)) {
  console.error(selected.left.message);
  Deno.exit(1);
}

async function median(label: string, once: () => Promise<unknown>): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < 33; i++) {
    const start = performance.now();
    await once();
    if (i >= 3) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${times[times.length >> 1].toFixed(2)} ms`);
}

const device = (tf.backend() as unknown as { device: GPUDevice }).device;
const staging = device.createBuffer({
  size: 16,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
console.log(`adapter: ${selected.right.adapter}`);
await median("submit + mapAsync (16 bytes)", async () => {
  device.queue.submit([device.createCommandEncoder().finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  staging.unmap();
});
await median("onSubmittedWorkDone (empty queue)", () => device.queue.onSubmittedWorkDone());
// 4,096 values: above tfjs's size for running small operations on the CPU.
const x = tf.ones([4096]);
await median("tfjs: an Add on the GPU, then data()", async () => {
  const y = tf.add(x, 1);
  await y.data();
  y.dispose();
});
Deno.exit(0);
