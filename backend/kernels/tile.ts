/**
 * `Tile` as one broadcasting `Add` of the input and a small zero tensor: the wasm backend's own
 * Tile is a slow index loop (79 ms for 1M floats against 1.2 ms this way), and BatchNorm
 * gradients and `broadcastTo` go through it.
 *
 * A dimension d repeated r times becomes, for the broadcast, either the zero tensor's
 * dimension r (when d is 1) or a new axis of size r in front of d (input 1, zeros r).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { type KernelBackendLike, kernelRunner } from "./kernel_util.ts";

/** The most dimensions the backend's broadcasting Add takes (XNNPACK: 6). */
const maxBroadcastRank = 6;

/** Shapes for `add(reshape(x, inputShape), zeros(zerosShape))`, or null when too many axes. */
export function tileAsBroadcast(
  shape: readonly number[],
  reps: readonly number[],
): { inputShape: number[]; zerosShape: number[] } | null {
  const inputShape: number[] = [];
  const zerosShape: number[] = [];
  shape.forEach((d, i) => {
    if (reps[i] > 1 && d > 1) {
      inputShape.push(1, d);
      zerosShape.push(reps[i], 1);
    } else {
      inputShape.push(d);
      zerosShape.push(reps[i]);
    }
  });
  return inputShape.length > maxBroadcastRank ? null : { inputShape, zerosShape };
}

/** The kernel config of our Tile for `backendName`. */
export function tileConfig(backendName: string): tf.KernelConfig {
  return {
    kernelName: tf.Tile,
    backendName,
    kernelFunc: ({ inputs, attrs, backend }) => {
      const k = kernelRunner(backend as KernelBackendLike, backendName);
      const { x } = inputs as { x: tf.TensorInfo };
      const { reps } = attrs as unknown as tf.TileAttrs;
      const plan = x.dtype === "float32" ? tileAsBroadcast(x.shape, reps) : null;
      if (plan == null) return k.run("Tile", { x }, attrs);
      const outShape = x.shape.map((d, i) => d * reps[i]);
      const xr = k.run("Reshape", { x }, { shape: plan.inputShape });
      const zeros = k.run("Fill", {}, { shape: plan.zerosShape, value: 0, dtype: "float32" });
      const sum = k.consume("Add", { a: xr, b: zeros }, {}, xr, zeros);
      return k.consume("Reshape", { x: sum }, { shape: outShape }, sum);
    },
  };
}
