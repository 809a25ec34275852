/**
 * How many threads a oneDNN convolution runs on. Waking OpenMP's sleeping threads costs tens
 * to hundreds of microseconds a call on these virtual machines, more than small convolutions
 * take (ResNet-56 at batch 1: 12.9 ms a prediction on two threads, 6.1 on one; CifarNet's
 * second convolution at batch 1, 26 M multiply-accumulates: 370-450 us on two, 240-290 on
 * one), so a convolution runs on every thread from `PARALLEL_MACS` on, below on one.
 *
 * @module
 */
import type { ConvGeometry } from "./onednn.ts";

/** Multiply-accumulates, as computed, from which a convolution runs on every thread. */
export const PARALLEL_MACS = 1 << 26;

/** `n` rounded up to a multiple of 16. */
const block16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * The threads for the convolution `g` (any pass: each does the same multiply-accumulates),
 * out of `maxThreads`. Its multiply-accumulates are counted with the output channels rounded
 * up to 16, the block oneDNN's AVX-512 kernels compute them in (input channels are a plain
 * loop: 11 cost about 11/16 of 16), so that the count follows the time: a pruned 11 -> 8
 * convolution at 32x32 and batch 64 (52 M as written, 104 M as computed) took 2.0 ms on one
 * thread, more than the dense 16 -> 16 (151 M) on two, and 1.2 ms on two.
 *
 * @example
 * ```ts
 * import { convolutionThreads } from "./conv_threads.ts";
 * import type { ConvGeometry } from "./onednn.ts";
 * declare const g: ConvGeometry;
 * console.log(convolutionThreads(g, 2)); // 1 or 2
 * ```
 */
export function convolutionThreads(g: ConvGeometry, maxThreads: number): number {
  const macs = g.batchSize * g.outHeight * g.outWidth * block16(g.outChannels) *
    g.inChannels * g.filterHeight * g.filterWidth;
  return macs >= PARALLEL_MACS ? maxThreads : 1;
}
