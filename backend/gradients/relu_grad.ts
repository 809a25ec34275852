/**
 * Gradient of `Relu` as `dy * step(x)`: the stock gradient casts `step(x)` to float32,
 * which for a float32 input is a full copy of the activation (one per ReLU per step).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { RELU_GRAD } from "../kernels/relu.ts";

/**
 * Gradient config for the `Relu` kernel (float32 inputs; others keep the cast). Where the
 * backend has our `OicsrReluGrad` kernel (wasm, webgpu), that one kernel does it.
 */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const mask = () => (x.dtype === "float32" ? tf.step(x) : tf.cast(tf.step(x), "float32"));
    const fused = x.dtype === "float32" && tf.getKernel(RELU_GRAD, tf.getBackend()) != null;
    return {
      x: () =>
        fused
          ? tf.engine().runKernel(RELU_GRAD, { dy: dy as tf.Tensor, x }, {}) as tf.Tensor
          : tf.mul(dy as tf.Tensor, mask()),
    };
  },
};
