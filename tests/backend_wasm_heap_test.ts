/**
 * guardWasmMalloc(): the wasm heap's allocator refuses, with a clear error, what would take
 * the tensors past the limit, instead of failing inside wasm.
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { selectBackend } from "../backend/select_backend.ts";
import { guardWasmMalloc } from "../backend/wasm_heap.ts";

/** An allocator like Emscripten's: `_malloc` replaces itself with the raw one on first call. */
function fakeWasm() {
  let next = 8;
  const freed: number[] = [];
  const raw = (n: number) => (next += n) - n;
  const wasm = {
    _malloc(n: number): number {
      wasm._malloc = raw;
      return raw(n);
    },
    _free: (address: number) => void freed.push(address),
  };
  return { wasm, freed };
}

Deno.test("guardWasmMalloc() refuses what would pass the limit and counts what is freed", () => {
  const { wasm, freed } = fakeWasm();
  guardWasmMalloc({ wasm }, 1000);
  const a = wasm._malloc(600);
  assert.throws(() => wasm._malloc(401), /out of memory: .* use a smaller --batch-size/);
  wasm._free(a);
  assert.ok(freed.includes(a));
  const b = wasm._malloc(1000);
  assert.ok(b > a, "the allocation goes through once the first is freed");
  guardWasmMalloc({ wasm }, 10);
  assert.doesNotThrow(() => wasm._free(wasm._malloc(0)), "a second guard is not stacked");
});

Deno.test("selectBackend('wasm') guards the real allocator: a too large tensor is an error", async () => {
  await selectBackend("wasm");
  const start = tf.memory().numTensors;
  // 4 GiB of float32: refused by the guard, not written over the heap.
  assert.throws(() => tf.zeros([1024, 1024, 1024]), /the wasm backend is out of memory/);
  const ok = tf.ones([4]);
  assert.deepEqual([...await ok.data()], [1, 1, 1, 1]);
  ok.dispose();
  assert.equal(tf.memory().numTensors, start);
});
