/**
 * `Conv2D` and `FusedConv2D` on wasm through oneDNN where it is installed: XNNPACK packs a
 * filter the first time it sees the tensor, and in training every step brings new filters.
 * On WebGPU, our shader (`conv2d_forward_wgsl.ts`) for the widths tfjs's own runs one channel
 * at a time. Anything neither takes (NCHW, PReLU or other fused activations, no library) runs
 * the backend's own kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, kernelRunner, runKernel } from "./kernel_util.ts";
import { conv2dDnnl } from "../native/conv2d_dnnl.ts";
import { oneDnn } from "../native/onednn.ts";
import { conv2dForwardWgsl, type ConvEpilogue } from "./conv2d_forward_wgsl.ts";
import type { WebGpuBackendLike } from "./wgsl.ts";
import { vec4Conv } from "../../graph/vector_widths.ts";

/** When WebGPU takes our forward shader. */
export const gpuConvolutions = ["auto", "wgsl"] as const;

/**
 * "auto": our shader where tfjs's would read one channel at a time (input channels not a
 * multiple of 4 or 3, or output channels not a multiple of 4), tfjs's vector shader elsewhere;
 * "wgsl": ours for every NHWC convolution. `selectBackend` sets it from `OICSR_GPU_CONV`.
 */
export const gpuConvolution: { use: typeof gpuConvolutions[number] } = { use: "auto" };

/** Whether tfjs 4.22's WebGPU convolution (`conv2d_mm`) takes its vector (vec4) shader. */
export function tfjsConvIsVectorised(info: tf.backend_util.Conv2DInfo): boolean {
  return vec4Conv(info.inChannels, info.outChannels);
}

/**
 * Whether tfjs 4.22's WebGPU input gradient (`conv_backprop_mm`) takes its vec4 shader, for
 * the convolution `info` describes.
 */
export function tfjsInputGradientIsVectorised(info: tf.backend_util.Conv2DInfo): boolean {
  return info.inChannels % 4 === 0 && info.outChannels % 4 === 0;
}

/** Our WebGPU convolution for `info`, or null where the stock kernel is to run. */
function viaWgsl(
  backend: unknown,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  epilogue?: ConvEpilogue,
): tf.TensorInfo | null {
  if (info.dataFormat !== "channelsLast") return null;
  const bias = epilogue?.bias;
  if (bias != null && tf.util.sizeFromShape(bias.shape) !== info.outChannels) return null;
  if (gpuConvolution.use === "auto" && tfjsConvIsVectorised(info)) return null;
  return conv2dForwardWgsl(backend as WebGpuBackendLike, x, filter, info, epilogue);
}

/** The forward convolution's geometry from the kernel's attributes. */
function forwardInfo(x: tf.TensorInfo, filter: tf.TensorInfo, a: tf.Conv2DAttrs) {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(a.dataFormat),
  );
}

/** `Conv2D` for `backendName`: oneDNN (wasm), our shader (webgpu), else the stock kernel. */
export function conv2dConfig(backendName: string): tf.KernelConfig {
  const dnnl = backendName === "wasm" ? oneDnn() : null;
  const gpu = backendName === "webgpu";
  return {
    kernelName: tf.Conv2D,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as KernelBackendLike;
      const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DAttrs;
      const info = forwardInfo(x, filter, a);
      const out = gpu
        ? viaWgsl(backend, x, filter, info)
        : dnnl && conv2dDnnl(kernelRunner(b, backendName), dnnl, x, filter, info);
      return out || runKernel(b, backendName, tf.Conv2D, inputs, attrs);
    },
  };
}

/**
 * `FusedConv2D` for `backendName`: bias and ReLU through oneDNN (wasm) or our shader (webgpu),
 * else the stock kernel.
 */
export function fusedConv2dConfig(backendName: string): tf.KernelConfig {
  const dnnl = backendName === "wasm" ? oneDnn() : null;
  const gpu = backendName === "webgpu";
  return {
    kernelName: tf.FusedConv2D,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as KernelBackendLike;
      const { x, filter, bias, preluActivationWeights } = inputs as Record<
        string,
        tf.TensorInfo | undefined
      >;
      const a = attrs as unknown as tf.FusedConv2DAttrs;
      const plain = a.activation === "linear" || a.activation === "relu";
      if (!plain || preluActivationWeights != null) {
        return runKernel(b, backendName, tf.FusedConv2D, inputs, attrs);
      }
      const info = forwardInfo(x!, filter!, a);
      const epilogue = { bias, relu: a.activation === "relu" };
      const out = gpu
        ? viaWgsl(backend, x!, filter!, info, epilogue)
        : dnnl && conv2dDnnl(kernelRunner(b, backendName), dnnl, x!, filter!, info, epilogue);
      return out || runKernel(b, backendName, tf.FusedConv2D, inputs, attrs);
    },
  };
}
