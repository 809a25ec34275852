/**
 * Our WebGPU forward convolution (`backend/kernels/conv2d_forward_wgsl.ts`), and the input
 * gradient that runs through it, against the `cpu` backend, on the adapter this machine has (a
 * software one without a GPU).
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  gpuConvolution,
  gpuConvolutions,
  tfjsConvIsVectorised,
  tfjsInputGradientIsVectorised,
} from "../backend/kernels/conv2d_forward.ts";
import { tileWidth } from "../backend/kernels/conv2d_forward_wgsl.ts";
import { selectBackend } from "../backend/select_backend.ts";
import { assertClose, runOn, seededTensor } from "./_helpers.ts";

/** [kernel, stride, dilation, padding, in channels, out channels, images, height, width] */
const cases = [
  [3, 1, 1, "same", 16, 11, 2, 8, 8], // a pruned width: 12 columns, one partly outside
  [3, 1, 1, "same", 11, 16, 3, 7, 9], // input channels not a multiple of 4: scalar loads
  [3, 2, 1, "same", 16, 16, 2, 9, 8], // vectorised widths: ours only when told "wgsl"
  [5, 1, 1, "valid", 3, 5, 2, 11, 9],
  [1, 2, 1, "same", 6, 7, 2, 7, 9],
  [3, 1, 2, "same", 5, 6, 2, 9, 9], // dilation 2
  [3, 1, 1, "same", 8, 100, 1, 6, 6], // two column tiles of 52
  [3, 1, 1, "same", 37, 130, 2, 5, 5], // three column tiles of 44, 37 steps: a partial load
  [3, 1, 1, "same", 4, 1, 1, 13, 13], // one output channel, 169 rows: two row tiles
] as const;

function convolve(c: (typeof cases)[number], fused: boolean): () => tf.Tensor[] {
  const [kernel, stride, dilation, pad, ci, co, n, h, w] = c;
  return () => {
    const x = seededTensor([n, h, w, ci], 1) as tf.Tensor4D;
    const filter = seededTensor([kernel, kernel, ci, co], 2) as tf.Tensor4D;
    if (!fused) return [tf.conv2d(x, filter, stride, pad, "NHWC", dilation)];
    const bias = seededTensor([co], 3) as tf.Tensor1D;
    const common = { x, filter, strides: stride, pad, dilations: dilation, bias } as const;
    return [
      tf.fused.conv2d({ ...common, activation: "relu" }),
      tf.fused.conv2d({ ...common, activation: "linear" }),
    ];
  };
}

const gpu = await selectBackend("webgpu");

for (const use of gpuConvolutions) {
  Deno.test({
    name: `Conv2D and FusedConv2D (bias, ReLU) on webgpu (${use}) match cpu`,
    ignore: gpu._tag === "Left",
    fn: async () => {
      gpuConvolution.use = use;
      try {
        for (const c of cases) {
          const [, , , , ci, co] = c;
          const ours = use === "wgsl" || !tfjsConvIsVectorised({
            inChannels: ci,
            outChannels: co,
          } as tf.backend_util.Conv2DInfo);
          for (const fused of [false, true]) {
            const want = await runOn("cpu", convolve(c, fused));
            const got = await runOn("webgpu", convolve(c, fused));
            assertClose(got.values, want.values, `${c} fused ${fused}`, 1e-5);
            const ran = got.shaders.filter((k) => k.includes("oicsr_conv2d_forward")).length;
            assert.equal(ran, ours ? got.values.length : 0, `${c} fused ${fused}: our shader`);
          }
        }
      } finally {
        gpuConvolution.use = "auto";
      }
    },
  });
}

/** [kernel, stride, padding, in channels, out channels, images, height, width] */
const gradientCases = [
  [3, 1, "same", 16, 11, 2, 8, 8], // a pruned width: ours
  [3, 1, "same", 11, 16, 2, 7, 9],
  [3, 1, "same", 16, 16, 2, 8, 8], // vectorised widths: ours only when told "wgsl"
  [3, 2, "same", 6, 7, 2, 9, 8], // stride 2: always tfjs's
  [5, 1, "valid", 3, 5, 2, 11, 9], // padded by 4 each side
  [5, 1, "same", 8, 6, 1, 7, 7],
  [1, 1, "same", 6, 7, 2, 5, 5],
  [3, 1, "same", 37, 130, 1, 5, 5], // three column tiles
] as const;

/** The input gradient of the convolution `c` describes, for a seeded output gradient. */
function inputGradient(c: (typeof gradientCases)[number]): () => tf.Tensor[] {
  const [kernel, stride, pad, ci, co, n, h, w] = c;
  const [oh, ow] = pad === "same"
    ? [Math.ceil(h / stride), Math.ceil(w / stride)]
    : [Math.ceil((h - kernel + 1) / stride), Math.ceil((w - kernel + 1) / stride)];
  return () => {
    const dy = seededTensor([n, oh, ow, co], 4) as tf.Tensor4D;
    const filter = seededTensor([kernel, kernel, ci, co], 5) as tf.Tensor4D;
    return [tf.conv2dTranspose(dy, filter, [n, h, w, ci], stride, pad)];
  };
}

for (const use of gpuConvolutions) {
  Deno.test({
    name: `Conv2DBackpropInput on webgpu (${use}) matches cpu; stride 1 through our shader`,
    ignore: gpu._tag === "Left",
    fn: async () => {
      gpuConvolution.use = use;
      try {
        for (const c of gradientCases) {
          const [, stride, , ci, co] = c;
          const vectorised = tfjsInputGradientIsVectorised({
            inChannels: ci,
            outChannels: co,
          } as tf.backend_util.Conv2DInfo);
          const ours = stride === 1 && (use === "wgsl" || !vectorised);
          const want = await runOn("cpu", inputGradient(c));
          const got = await runOn("webgpu", inputGradient(c));
          assertClose(got.values, want.values, `${c}`, 1e-5);
          const ran = got.shaders.filter((k) => k.includes("oicsr_conv2d_forward")).length;
          assert.equal(ran, ours ? 1 : 0, `${c}: our shader`);
        }
      } finally {
        gpuConvolution.use = "auto";
      }
    },
  });
}

Deno.test("tfjsConvIsVectorised() and tfjsInputGradientIsVectorised() follow tfjs 4.22's vec4 choice", () => {
  const info = (inChannels: number, outChannels: number) =>
    ({ inChannels, outChannels }) as tf.backend_util.Conv2DInfo;
  assert.equal(tfjsConvIsVectorised(info(16, 16)), true);
  assert.equal(tfjsConvIsVectorised(info(3, 64)), true, "RGB input: vec3 reads");
  assert.equal(tfjsConvIsVectorised(info(16, 11)), false);
  assert.equal(tfjsConvIsVectorised(info(11, 16)), false);
  assert.equal(tfjsInputGradientIsVectorised(info(16, 16)), true);
  assert.equal(tfjsInputGradientIsVectorised(info(3, 64)), false, "no vec3 reads there");
  assert.equal(tfjsInputGradientIsVectorised(info(16, 11)), false);
});

Deno.test("tileWidth() covers the output channels in even tiles of a multiple of 4, up to 64", () => {
  for (const co of [1, 4, 11, 16, 63, 64, 65, 100, 130, 512]) {
    const tn = tileWidth(co), tiles = Math.ceil(co / tn);
    assert.ok(tn % 4 === 0 && tn <= 64, `${co}: ${tn}`);
    assert.ok(tiles * tn - co < 4 * tiles, `${co}: ${tiles} tiles of ${tn} waste under 4 each`);
  }
  assert.deepEqual([tileWidth(11), tileWidth(64), tileWidth(100)], [12, 16 * 4, 52]);
});
