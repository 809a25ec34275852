/**
 * Gradient of `Relu` as `dy * step(x)`: the stock gradient casts `step(x)` to float32,
 * which for a float32 input is a full copy of the activation (one per ReLU per step).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Gradient config for the `Relu` kernel (float32 inputs; others keep the cast). */
export const reluGradConfig: tf.GradConfig = {
  kernelName: tf.Relu,
  inputsToSave: ["x"],
  gradFunc: (dy, saved) => {
    const [x] = saved;
    const mask = () => (x.dtype === "float32" ? tf.step(x) : tf.cast(tf.step(x), "float32"));
    return { x: () => tf.mul(dy as tf.Tensor, mask()) };
  },
};
