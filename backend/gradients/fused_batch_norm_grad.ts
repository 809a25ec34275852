/**
 * Gradient of `FusedBatchNorm` with broadcasting instead of `tile`, sharing the two sums.
 * Same formulas as tfjs's own: for per-channel mean/variance m, v, scale g, s = rsqrt(v + eps):
 * dx = dy*s*g, dm = -s*g*sum(dy), dv = -0.5*s^3*g*sum(dy*(x-m)), dg = s*sum(dy*(x-m)),
 * db = sum(dy), sums over every axis but the channel axis.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** Gradient config for the `FusedBatchNorm` kernel. */
export const fusedBatchNormGradConfig: tf.GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ["x", "mean", "variance", "scale"],
  gradFunc: (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const g = dy as tf.Tensor;
    const axes = tf.backend_util.getReductionAxes(mean.shape, x.shape);
    const reduce = (t: tf.Tensor) => tf.reshape(axes.length > 0 ? tf.sum(t, axes) : t, mean.shape);
    const scaleValue = scale ?? tf.scalar(1);
    const s = tf.rsqrt(tf.add(variance, varianceEpsilon));
    const sg = tf.mul(s, scaleValue);
    const sumDy = () => reduce(g);
    const sumDyXc = () => reduce(tf.mul(g, tf.sub(x, mean)));
    return {
      x: () => tf.mul(g, sg),
      mean: () => tf.mul(tf.neg(sg), sumDy()),
      variance: () => tf.mul(tf.mul(tf.mul(tf.square(s), sg), -0.5), sumDyXc()),
      scale: () => tf.mul(s, sumDyXc()),
      offset: () => sumDy(),
    };
  },
};
