/**
 * The three passes of an NHWC convolution on the wasm heap through oneDNN
 * (`./onednn.ts`): each answers null where oneDNN does not take the geometry or the
 * attributes, and the caller runs its own formulation instead.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelRunner } from "../kernels/kernel_util.ts";
import { heapOffset, type WasmHeapBackend } from "../wasm_heap.ts";
import type { ConvOperand, ConvPass, ConvPrimitive, OneDnn } from "./onednn.ts";

type Info = tf.backend_util.Conv2DInfo;

/** The compiled pass for `info`, or null (NCHW, a non-float32 operand, no implementation). */
function primitive(
  dnnl: OneDnn,
  pass: ConvPass,
  info: Info,
  operands: readonly tf.TensorInfo[],
  fusion = {},
): ConvPrimitive | null {
  if (info.dataFormat !== "channelsLast") return null;
  if (operands.some((t) => t.dtype !== "float32")) return null;
  return dnnl.convolution(pass, info, fusion);
}

/** Runs `prim` with each named operand's heap offset; `out` is allocated first. */
function execute(
  k: KernelRunner,
  prim: ConvPrimitive,
  outShape: number[],
  outName: "dst" | "diffSrc" | "diffWeights",
  inputs: Partial<Record<"src" | "weights" | "bias" | "diffDst", tf.TensorInfo>>,
): tf.TensorInfo {
  const backend = k.backend as WasmHeapBackend;
  const out = backend.makeOutput(outShape, "float32");
  const offsets: Partial<Record<ConvOperand<ConvPass>, number>> = {
    [outName]: heapOffset(backend, out),
  };
  for (const [name, t] of Object.entries(inputs)) {
    offsets[name as ConvOperand<ConvPass>] = heapOffset(backend, t!);
  }
  prim.run(backend.wasm.HEAPU8, offsets);
  return out;
}

/**
 * `Conv2D` / `FusedConv2D` forward: y = x * w (+ bias, then ReLU when `relu`), or null.
 */
export function conv2dDnnl(
  k: KernelRunner,
  dnnl: OneDnn,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: Info,
  fused: { bias?: tf.TensorInfo; relu?: boolean } = {},
): tf.TensorInfo | null {
  const { bias, relu = false } = fused;
  if (bias != null && tf.util.sizeFromShape(bias.shape) !== info.outChannels) return null;
  const operands = bias ? [x, filter, bias] : [x, filter];
  const prim = primitive(dnnl, "forward", info, operands, { bias: bias != null, relu });
  if (prim == null) return null;
  return execute(k, prim, info.outShape, "dst", {
    src: x,
    weights: filter,
    ...(bias ? { bias } : {}),
  });
}

/** `Conv2DBackpropInput`: dx from dy and the filter, or null. */
export function conv2dBackpropInputDnnl(
  k: KernelRunner,
  dnnl: OneDnn,
  dy: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: Info,
): tf.TensorInfo | null {
  const prim = primitive(dnnl, "backwardData", info, [dy, filter]);
  if (prim == null) return null;
  return execute(k, prim, info.inShape, "diffSrc", { diffDst: dy, weights: filter });
}

/** `Conv2DBackpropFilter`: dw (HWIO) from x and dy, or null. */
export function conv2dBackpropFilterDnnl(
  k: KernelRunner,
  dnnl: OneDnn,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: Info,
): tf.TensorInfo | null {
  const prim = primitive(dnnl, "backwardWeights", info, [x, dy]);
  if (prim == null) return null;
  const shape = [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels];
  return execute(k, prim, shape, "diffWeights", { src: x, diffDst: dy });
}
