import assert from "node:assert/strict";
import { convolutionThreads } from "../backend/native/conv_threads.ts";
import type { ConvGeometry } from "../backend/native/onednn.ts";

/** A stride-1 "same" k x k convolution of `n` images of `side` x `side`, `ci` -> `co`. */
function conv(n: number, side: number, k: number, ci: number, co: number): ConvGeometry {
  const pad = (k - 1) / 2;
  return {
    batchSize: n,
    inHeight: side,
    inWidth: side,
    inChannels: ci,
    outHeight: side,
    outWidth: side,
    outChannels: co,
    filterHeight: k,
    filterWidth: k,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padInfo: { top: pad, left: pad, bottom: pad, right: pad },
  };
}

Deno.test("convolutionThreads() counts output channels in oneDNN's blocks of 16", () => {
  // Dense ResNet-56 at batch 64 (151 M) and a pruned layer cut to 11 -> 8 (52 M as written,
  // 104 M as computed): both on every thread.
  assert.equal(convolutionThreads(conv(64, 32, 3, 16, 16), 2), 2);
  assert.equal(convolutionThreads(conv(64, 32, 3, 11, 8), 2), 2);
  // The input channels count as they are: the 3-channel first layer (28 M) stays on one.
  assert.equal(convolutionThreads(conv(64, 32, 3, 3, 16), 2), 1);
  // At batch 1, small convolutions stay on one thread whatever their widths.
  assert.equal(convolutionThreads(conv(1, 32, 3, 16, 16), 2), 1);
  assert.equal(convolutionThreads(conv(1, 16, 5, 64, 64), 2), 1, "CifarNet's 26 M one");
  assert.equal(convolutionThreads(conv(64, 32, 3, 11, 8), 4), 4, "every thread there is");
});
