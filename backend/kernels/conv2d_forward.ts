/**
 * `Conv2D` and `FusedConv2D` on wasm through oneDNN where it is installed: XNNPACK packs a
 * filter the first time it sees the tensor, and in training every step brings new filters.
 * Anything oneDNN does not take (NCHW, PReLU or other fused activations, no library) runs
 * the backend's own kernel.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, kernelRunner, runKernel } from "./kernel_util.ts";
import { conv2dDnnl } from "../native/conv2d_dnnl.ts";
import { oneDnn } from "../native/onednn.ts";

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

/** `Conv2D` for `backendName` (wasm): oneDNN, else the stock kernel. */
export function conv2dConfig(backendName: string): tf.KernelConfig {
  const dnnl = oneDnn();
  return {
    kernelName: tf.Conv2D,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const b = backend as KernelBackendLike;
      const { x, filter } = inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
      const a = attrs as unknown as tf.Conv2DAttrs;
      const out = dnnl &&
        conv2dDnnl(kernelRunner(b, backendName), dnnl, x, filter, forwardInfo(x, filter, a));
      return out ?? runKernel(b, backendName, tf.Conv2D, inputs, attrs);
    },
  };
}

/** `FusedConv2D` for `backendName` (wasm): oneDNN for bias and ReLU, else the stock kernel. */
export function fusedConv2dConfig(backendName: string): tf.KernelConfig {
  const dnnl = oneDnn();
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
      const out = dnnl && plain && preluActivationWeights == null
        ? conv2dDnnl(kernelRunner(b, backendName), dnnl, x!, filter!, forwardInfo(x!, filter!, a), {
          bias,
          relu: a.activation === "relu",
        })
        : null;
      return out ?? runKernel(b, backendName, tf.FusedConv2D, inputs, attrs);
    },
  };
}
