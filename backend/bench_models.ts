/**
 * The two reference networks of the throughput bench, built with the tf.layers functional
 * API: a CifarNet-like net and a CIFAR ResNet-20 (3x3 convs, BN, 1x1 projection shortcuts).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** conv5x5-64, relu, maxpool 3/2, conv5x5-64, relu, maxpool 3/2, dense 384, 192, 10. */
export function cifarNet(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = input as tf.SymbolicTensor;
  for (const name of ["conv1", "conv2"]) {
    x = tf.layers.conv2d({ name, filters: 64, kernelSize: 5, padding: "same", activation: "relu" })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: "same" })
      .apply(x) as tf.SymbolicTensor;
  }
  x = tf.layers.flatten().apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 384, activation: "relu" }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: 192, activation: "relu" }).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 10 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: "cifarnet" });
}

function convBn(x: tf.SymbolicTensor, filters: number, kernelSize: number, strides: number) {
  const conv = tf.layers.conv2d({ filters, kernelSize, strides, padding: "same", useBias: false })
    .apply(x) as tf.SymbolicTensor;
  return tf.layers.batchNormalization({ axis: -1 }).apply(conv) as tf.SymbolicTensor;
}

const relu = (x: tf.SymbolicTensor) => tf.layers.reLU().apply(x) as tf.SymbolicTensor;

/** CIFAR ResNet-20: 16/32/64 channels, 3 basic blocks per stage. */
export function resNet20(): tf.LayersModel {
  const input = tf.input({ shape: [32, 32, 3] });
  let x = relu(convBn(input, 16, 3, 1));
  let channels = 16;
  for (const [stage, width] of [16, 32, 64].entries()) {
    for (let block = 0; block < 3; block++) {
      const strides = stage > 0 && block === 0 ? 2 : 1;
      const y = convBn(relu(convBn(x, width, 3, strides)), width, 3, 1);
      const shortcut = strides !== 1 || channels !== width ? convBn(x, width, 1, strides) : x;
      x = relu(tf.layers.add().apply([y, shortcut]) as tf.SymbolicTensor);
      channels = width;
    }
  }
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const logits = tf.layers.dense({ units: 10 }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: logits, name: "resnet20" });
}
