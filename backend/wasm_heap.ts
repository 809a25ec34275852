/**
 * What our kernels use of the wasm backend beyond the kernel API: its heap, where each
 * tensor lives in it, and outputs allocated there for JavaScript or native code to fill.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { KernelBackendLike } from "./kernels/kernel_util.ts";

/** The wasm backend as our heap-level kernels see it. */
export interface WasmHeapBackend extends KernelBackendLike {
  readonly wasm: { readonly HEAPU8: Uint8Array };
  readonly dataIdMap: { get(id: tf.DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

/** Byte offset of a tensor in the heap. */
export function heapOffset(backend: WasmHeapBackend, t: tf.TensorInfo): number {
  const data = backend.dataIdMap.get(t.dataId);
  if (data == null) throw new Error("tensor is not on the wasm heap");
  return data.memoryOffset;
}
