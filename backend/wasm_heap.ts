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

/** The wasm heap cannot hold the tensors asked for: the message says what to change. */
export class WasmOutOfMemory extends RangeError {
  override name = "WasmOutOfMemory";
}

/** The most bytes tfjs has held on the wasm heap at once in this process. */
export const wasmTensorPeak = { bytes: 0 };

/** The wasm heap's ceiling: 32-bit addresses. */
const WASM_HEAP_LIMIT = 4 * 1024 ** 3;
/** Tensors beyond this leave too little of the heap for code, stacks and fragmentation. */
const WASM_TENSOR_LIMIT = 3.5 * 1024 ** 3;

/**
 * Makes the wasm backend's allocator throw a clear error before its heap runs out. tfjs
 * takes what `_malloc` returns without a check, and past the 4 GiB ceiling the allocator
 * itself fails deep inside wasm ("memory access out of bounds") or, with threads, the step
 * never ends. Counts the bytes tfjs holds (allocated and not yet freed) and refuses an
 * allocation that would take them past `limit` (default 3.5 GiB: ResNet-50 at 224x224 then
 * trains with batches of up to 5). Idempotent.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { guardWasmMalloc } from "./wasm_heap.ts";
 * await tf.setBackend("wasm");
 * guardWasmMalloc(tf.backend() as never);
 * ```
 */
export function guardWasmMalloc(
  backend: { wasm: { _malloc(n: number): number; _free(address: number): void } },
  limit: number = WASM_TENSOR_LIMIT,
): void {
  const wasm = backend.wasm as {
    _malloc(n: number): number;
    _free(address: number): void;
    guarded?: boolean;
  };
  if (wasm.guarded) return;
  // Emscripten's exports replace themselves with the raw function on their first call:
  // call them once, so that the wrappers below are not overwritten.
  wasm._free(wasm._malloc(16));
  const malloc = wasm._malloc.bind(wasm), free = wasm._free.bind(wasm);
  const sizes = new Map<number, number>();
  let held = 0;
  const peak = wasmTensorPeak;
  wasm._malloc = (bytes: number) => {
    if (held + bytes > limit) {
      const gib = (n: number) => (n / 1024 ** 3).toFixed(2);
      throw new WasmOutOfMemory(
        `the wasm backend is out of memory: its tensors would take ${gib(held + bytes)} GiB ` +
          `of a heap that ends at ${gib(WASM_HEAP_LIMIT)} GiB; use a smaller --batch-size, ` +
          `or --backend webgpu`,
      );
    }
    const address = malloc(bytes);
    sizes.set(address >>> 0, bytes);
    held += bytes;
    peak.bytes = Math.max(peak.bytes, held);
    return address;
  };
  wasm._free = (address: number) => {
    held -= sizes.get(address >>> 0) ?? 0;
    sizes.delete(address >>> 0);
    free(address);
  };
  wasm.guarded = true;
}
