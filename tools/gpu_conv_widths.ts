/**
 * What a convolution's width costs on WebGPU: tfjs's shaders (`conv2d_mm`, `conv_backprop_mm`)
 * against ours (`backend/kernels/conv2d_forward_wgsl.ts`), forward 3x3 convolution and its
 * stride-1 input gradient, at the widths a dense ResNet-56 has and at narrower ones pruning
 * leaves. The two run in turn in one process; each time is the median over `--repeats` of
 * three calls and one read back (Deno's read costs about 10 ms whatever the size: Backends in
 * the README).
 *
 *     XDG_RUNTIME_DIR=/tmp deno run -A tools/gpu_conv_widths.ts [--batch 64] [--repeats 5]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { selectBackend } from "../backend/select_backend.ts";
import { gpuConvolution, tfjsConvIsVectorised } from "../backend/kernels/conv2d_forward.ts";
import { type KernelBackendLike, runKernel } from "../backend/kernels/kernel_util.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    batch: { type: "string", default: "64" },
    repeats: { type: "string", default: "5" },
  },
});
const batch = Number(values.batch), repeats = Number(values.repeats);

/** [side, input channels, output channels]: ResNet-56's three stages, dense and narrowed. */
const GEOMETRIES = [
  [32, 16, 16],
  [32, 16, 11],
  [32, 11, 16],
  [32, 11, 11],
  [16, 32, 32],
  [16, 23, 27],
  [8, 64, 64],
  [8, 37, 41],
] as const;

const selected = await selectBackend("webgpu");
if (selected._tag === "Left") {
  console.error(selected.left.message);
  Deno.exit(1);
}
// Ours for every width here; tfjs's through its own kernel functions, called directly.
gpuConvolution.use = "wgsl";
const backend = tf.backend() as KernelBackendLike;

/** The median milliseconds of three calls of `run` and one read of the last result. */
async function time(run: () => tf.Tensor): Promise<number> {
  const times: number[] = [];
  for (let r = 0; r <= repeats; r++) {
    const start = performance.now();
    const outs = [run(), run(), run()];
    await outs[2].data();
    if (r > 0) times.push(performance.now() - start); // the first compiles the shaders
    tf.dispose(outs);
  }
  return times.sort((a, b) => a - b)[times.length >> 1];
}

/** tfjs's own kernel `name`, as a tensor. */
const stock = (name: string, inputs: Record<string, tf.Tensor>, a: object) => () =>
  tf.engine().makeTensorFromTensorInfo(
    runKernel(backend, "webgpu", name, inputs, a as tf.NamedAttrMap),
  );

const attrs = { strides: 1, pad: "same", dataFormat: "NHWC", dilations: 1 };
console.log(`batch ${batch}, ${selected.right.adapter}; ms for three calls and one read`);
console.log("geometry          forward: tfjs   ours   input gradient: tfjs   ours");
for (const [side, ci, co] of GEOMETRIES) {
  const x = tf.randomNormal([batch, side, side, ci], 0, 1, "float32", 1);
  const dy = tf.randomNormal([batch, side, side, co], 0, 1, "float32", 2);
  const filter = tf.randomNormal([3, 3, ci, co], 0, 1, "float32", 3);
  const gradAttrs = { ...attrs, inputShape: x.shape };
  const forward = [
    await time(stock("Conv2D", { x, filter }, attrs)),
    await time(() => tf.conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, 1, "same")),
  ];
  const gradient = [
    await time(stock("Conv2DBackpropInput", { dy, filter }, gradAttrs)),
    await time(() =>
      tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, x.shape as never, 1, "same")
    ),
  ];
  const vec4 = tfjsConvIsVectorised(
    { inChannels: ci, outChannels: co } as tf.backend_util.Conv2DInfo,
  );
  console.log(
    `${side}x${side} ${ci} -> ${co}`.padEnd(18) +
      `${forward[0].toFixed(1).padStart(14)} ${forward[1].toFixed(1).padStart(6)}` +
      `${gradient[0].toFixed(1).padStart(23)} ${gradient[1].toFixed(1).padStart(6)}` +
      (vec4 ? "   (tfjs vec4)" : "   (tfjs scalar)"),
  );
  tf.dispose([x, dy, filter]);
}
Deno.exit(0);
