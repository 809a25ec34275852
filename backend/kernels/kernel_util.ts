/**
 * Helpers for kernels built from other kernels of the same backend: the stock kernels are
 * captured once, before we replace any, and intermediate results are released by data id.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** A backend as seen from inside a kernel: enough to free intermediate results. */
export type KernelBackendLike = tf.KernelBackend & {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
};

type Attrs = tf.NamedAttrMap;
type Inputs = Record<string, tf.TensorInfo | undefined> | readonly tf.TensorInfo[];

const stockKernels = new Map<string, tf.KernelFunc>();

/** Remembers the backend's own kernel `name` (once: later calls keep the first one). */
export function captureStock(backendName: string, name: string): void {
  const key = `${backendName}/${name}`;
  if (stockKernels.has(key)) return;
  const config = tf.getKernel(name, backendName);
  if (config != null) stockKernels.set(key, config.kernelFunc);
}

/** Whether the backend had its own kernel `name` before we registered ours. */
export function hasStock(backendName: string, name: string): boolean {
  return stockKernels.has(`${backendName}/${name}`) || tf.getKernel(name, backendName) != null;
}

/** Runs the backend's stock kernel `name` (captured before replacement, else current). */
export function runKernel(
  backend: KernelBackendLike,
  backendName: string,
  name: string,
  inputs: Inputs,
  attrs: Attrs = {},
): tf.TensorInfo {
  const func = stockKernels.get(`${backendName}/${name}`) ??
    tf.getKernel(name, backendName)?.kernelFunc;
  if (func == null) throw new Error(`Kernel '${name}' is missing on backend '${backendName}'`);
  return func({ inputs: inputs as tf.NamedTensorInfoMap, attrs, backend }) as tf.TensorInfo;
}

/** Frees intermediate results (each was created by a kernel call inside our kernel). */
export function release(backend: KernelBackendLike, ...infos: tf.TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A small kernel runner bound to one backend: `k.run("Transpose", {x}, {perm})`. */
export interface KernelRunner {
  readonly backend: KernelBackendLike;
  run(name: string, inputs: Inputs, attrs?: Attrs): tf.TensorInfo;
  /** Runs and frees the listed inputs afterwards (they must be intermediates). */
  consume(name: string, inputs: Inputs, attrs: Attrs, ...owned: tf.TensorInfo[]): tf.TensorInfo;
  release(...infos: tf.TensorInfo[]): void;
}

/** Binds `runKernel`/`release` to a backend. */
export function kernelRunner(backend: KernelBackendLike, backendName: string): KernelRunner {
  return {
    backend,
    run: (name, inputs, attrs = {}) => runKernel(backend, backendName, name, inputs, attrs),
    consume: (name, inputs, attrs, ...owned) => {
      const out = runKernel(backend, backendName, name, inputs, attrs);
      release(backend, ...owned);
      return out;
    },
    release: (...infos) => release(backend, ...infos),
  };
}

/** Registers `config`, replacing any kernel already registered under its name. */
export function replaceKernel(config: tf.KernelConfig): void {
  captureStock(config.backendName, config.kernelName);
  if (tf.getKernel(config.kernelName, config.backendName) != null) {
    tf.unregisterKernel(config.kernelName, config.backendName);
  }
  tf.registerKernel(config);
}

/** The convolution geometry behind a `Conv2DBackpropFilter` call (dilation 1). */
export function filterGradientInfo(
  x: tf.TensorInfo,
  attrs: tf.Conv2DBackpropFilterAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
}
