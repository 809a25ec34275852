/**
 * What a convolution's width costs on oneDNN: times the forward 3x3 convolution (bias, ReLU,
 * as the folded models run it) at the widths a dense ResNet-56 has and at the narrower ones
 * pruning leaves, at batch 64 and 1, and prints milliseconds and GMAC/s per geometry.
 *
 *     deno run -A tools/conv_widths.ts [--batch 64,1] [--repeats 20]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { oneDnn } from "../backend/native/onednn.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    batch: { type: "string", default: "64,1" },
    repeats: { type: "string", default: "20" },
  },
});

/** [side, input channels, output channels]: ResNet-56's three stages, dense and narrowed. */
const GEOMETRIES = [
  [32, 16, 16],
  [32, 16, 11],
  [32, 11, 16],
  [32, 11, 11],
  [32, 16, 8],
  [32, 9, 9],
  [16, 32, 32],
  [16, 32, 19],
  [16, 23, 21],
  [8, 64, 64],
  [8, 64, 48],
  [8, 64, 37],
  [8, 57, 46],
];

const dnnl = oneDnn();
if (dnnl === null) {
  console.error("oneDNN is not loaded (libdnnl2 missing or OICSR_NO_DNNL=1)");
  Deno.exit(1);
}
const heap = new Uint8Array(128 << 20);
const operands = { src: 0, dst: 40 << 20, weights: 80 << 20, bias: 90 << 20 };
const repeats = Number(values.repeats);
console.log("batch  side  in  out  implementation          ms      GMAC/s");
for (const batch of values.batch!.split(",").map(Number)) {
  for (const [side, inChannels, outChannels] of GEOMETRIES) {
    const pad = { top: 1, left: 1, bottom: 1, right: 1 };
    const conv = dnnl.convolution("forward", {
      batchSize: batch,
      inHeight: side,
      inWidth: side,
      inChannels,
      outHeight: side,
      outWidth: side,
      outChannels,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padInfo: pad,
    }, { bias: true, relu: true });
    if (conv === null) continue;
    const n = batch === 1 ? repeats * 20 : repeats;
    for (let i = 0; i < 3; i++) conv.run(heap, operands);
    const start = performance.now();
    for (let i = 0; i < n; i++) conv.run(heap, operands);
    const ms = (performance.now() - start) / n;
    const gmacs = batch * side * side * inChannels * outChannels * 9 / 1e9;
    console.log(
      [
        String(batch).padStart(5),
        String(side).padStart(4),
        String(inChannels).padStart(3),
        String(outChannels).padStart(4),
        conv.implementation.padEnd(22),
        ms.toFixed(3).padStart(7),
        (gmacs / ms * 1e3).toFixed(1).padStart(9),
      ].join("  "),
    );
  }
}
Deno.exit(0);
