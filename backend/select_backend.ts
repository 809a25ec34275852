/**
 * Picks and starts the TensorFlow.js backend, registers our replacement kernels on it and
 * describes it as a small JSON value (printed at start, recorded in every snapshot).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import "@tensorflow/tfjs-backend-webgpu";
import * as E from "fp-ts/Either";
import {
  type BackendError,
  backendInitFailed,
  backendUnavailable,
  unknownBackend,
} from "./errors.ts";
import { registerGradients } from "./gradients/register_gradients.ts";
import { keepsStock, registerKernels } from "./register_kernels.ts";
import { stockBatchNormTraining, useBatchNormTraining } from "./batch_norm_training.ts";
import { oneDnn } from "./native/onednn.ts";
import { gpuFilterGradient, gpuFilterGradients } from "./kernels/conv2d_backprop_filter.ts";
import { gpuConvolution, gpuConvolutions } from "./kernels/conv2d_forward.ts";
import { guardWasmMalloc } from "./wasm_heap.ts";
import { withWasmThreads } from "./wasm_threads.ts";
import { openBlas } from "./native/openblas.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The names `selectBackend` accepts. */
export const backendNames = ["auto", "webgpu", "wasm", "cpu"] as const;

/** A name `selectBackend` accepts. */
export type BackendName = typeof backendNames[number];

/** What runs the tensors: JSON-serialisable, recorded in snapshots. */
export interface BackendInfo {
  /** The tfjs backend in use. */
  readonly name: "webgpu" | "wasm" | "cpu";
  /** e.g. "llvmpipe (LLVM 15.0.6, 256 bits), fallback" or "wasm simd, 1 thread". */
  readonly adapter: string;
  /** CPU threads the backend computes with (1 for webgpu: the GPU's own are not counted). */
  readonly threads: number;
  /** Kernels replaced by ours on this backend, then gradients replaced (all backends). */
  readonly kernels: readonly string[];
  /** The tfjs version. */
  readonly tfjs: string;
}

/** Options of `selectBackend`. */
export interface SelectOptions {
  /**
   * Kernels to leave as the backend has them (for measurements), or ["all"]: tfjs as
   * published, as a browser runs it; default none.
   */
  readonly keepStock?: readonly string[];
  /**
   * wasm threads, fixed by the first start of wasm in a process; default: the number of
   * CPUs (`navigator.hardwareConcurrency`). More than 1 loads the threaded binary (see
   * wasm_threads.ts: a program that starts threads must end with `Deno.exit()`).
   */
  readonly threads?: number;
}

interface GpuAdapterFacts {
  readonly description: string;
  readonly fallback: boolean;
}

/**
 * Mesa's Vulkan driver prints "XDG_RUNTIME_DIR is invalid" on every adapter request when
 * the variable is unset (as under CI); a private folder in the temporary directory, one per
 * user and kept for the next process, satisfies it.
 */
function quietVulkanLoader(): void {
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const dir = join(tmpdir(), `oicsr-xdg-${Deno.uid() ?? "user"}`);
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    Deno.env.set("XDG_RUNTIME_DIR", dir);
  } catch {
    // Without env, sys or write permission the message stays; nothing depends on it.
  }
}

/** Asks `navigator.gpu` for an adapter; Left with the reason when there is none. */
async function gpuAdapter(): Promise<E.Either<string, GpuAdapterFacts>> {
  const gpu = (globalThis.navigator as { gpu?: GPU } | undefined)?.gpu;
  if (gpu == null) return E.left("navigator.gpu is missing (no WebGPU in this runtime)");
  quietVulkanLoader();
  try {
    const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
    if (adapter == null) return E.left("navigator.gpu.requestAdapter() gave no adapter");
    const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
    const legacy = adapter as GPUAdapter & { isFallbackAdapter?: boolean };
    const description = info.description || info.device || info.vendor || "unknown adapter";
    return E.right({
      description,
      fallback: info.isFallbackAdapter === true || legacy.isFallbackAdapter === true,
    });
  } catch (e) {
    return E.left(`requestAdapter failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Makes `name` the current backend; Left when tfjs cannot start it. */
async function start(name: string): Promise<E.Either<BackendError, void>> {
  try {
    const ok = await tf.setBackend(name);
    await tf.ready();
    return ok && tf.getBackend() === name
      ? E.right(undefined)
      : E.left(backendInitFailed(name, "tf.setBackend returned false (see the warning above)"));
  } catch (e) {
    return E.left(backendInitFailed(name, e instanceof Error ? e.message : String(e)));
  }
}

function wasmThreads(): number {
  const wasm = (tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount(): number } } })
    .wasm;
  return wasm?.tfjs?.getThreadsCount() ?? 1;
}

/** Starts wasm, threaded when asked and possible; falls back to one thread. */
async function startWasm(threads: number): Promise<E.Either<BackendError, void>> {
  if (threads <= 1 || tf.findBackend("wasm") != null) return await start("wasm");
  const threaded = await withWasmThreads(threads, () => start("wasm"));
  if (E.isRight(threaded)) return threaded;
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  return await start("wasm");
}

/**
 * Routes training-mode batch normalisation through our fused operation on `backendName`
 * unless `keepStock` names "BatchNormTraining"; answers the names now replaced.
 */
function routeBatchNorm(backendName: string, keepStock: readonly string[] = []): string[] {
  if (!keepsStock(keepStock, "BatchNormTraining")) return [useBatchNormTraining(backendName)];
  stockBatchNormTraining(backendName);
  return [];
}

async function useWasm(options: SelectOptions): Promise<E.Either<BackendError, BackendInfo>> {
  const started = await startWasm(options.threads ?? navigator.hardwareConcurrency ?? 1);
  if (E.isLeft(started)) return started;
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  const threads = wasmThreads();
  guardWasmMalloc(tf.backend() as unknown as Parameters<typeof guardWasmMalloc>[0]);
  const blas = openBlas(), dnnl = oneDnn();
  const adapter = `wasm${simd ? " simd" : ""}, ${threads} thread${threads === 1 ? "" : "s"}` +
    (dnnl ? `, ${dnnl.description}` : ", no oneDNN") +
    (blas ? `, ${blas.description}` : ", no OpenBLAS");
  const kernels = [
    ...registerKernels("wasm", options.keepStock),
    ...registerGradients(options.keepStock),
    ...routeBatchNorm("wasm", options.keepStock),
  ];
  return E.right({ name: "wasm", adapter, threads, kernels, tfjs: tf.version.tfjs });
}

/** The value of environment variable `name` among `choices` (the first when it is unset). */
function envChoice<T extends string>(
  name: string,
  choices: readonly T[],
): E.Either<BackendError, T> {
  const value = Deno.env.get(name) ?? choices[0];
  const known = choices.find((c) => c === value);
  return known === undefined
    ? E.left(
      backendInitFailed("webgpu", `${name} is "${value}", expected one of ${choices.join(", ")}`),
    )
    : E.right(known);
}

async function useWebgpu(
  facts: GpuAdapterFacts,
  options: SelectOptions,
): Promise<E.Either<BackendError, BackendInfo>> {
  const started = await start("webgpu");
  if (E.isLeft(started)) return started;
  // Our shaders as chosen by default unless these name others (to compare them).
  const formulation = envChoice("OICSR_GPU_FILTER_GRAD", gpuFilterGradients);
  if (E.isLeft(formulation)) return formulation;
  const convolution = envChoice("OICSR_GPU_CONV", gpuConvolutions);
  if (E.isLeft(convolution)) return convolution;
  gpuFilterGradient.formulation = formulation.right;
  gpuConvolution.use = convolution.right;
  // A choice other than the default gives other rounding: the description (which snapshots
  // and reports record) names it.
  const chosen = [
    formulation.right === gpuFilterGradients[0] ? "" : `, filter gradient ${formulation.right}`,
    convolution.right === gpuConvolutions[0] ? "" : `, convolution ${convolution.right}`,
  ].join("");
  const adapter = facts.description + (facts.fallback ? ", fallback" : "") + chosen;
  const kernels = [
    ...registerKernels("webgpu", options.keepStock),
    ...registerGradients(options.keepStock),
    ...routeBatchNorm("webgpu", options.keepStock),
  ];
  return E.right({ name: "webgpu", adapter, threads: 1, kernels, tfjs: tf.version.tfjs });
}

async function useCpu(options: SelectOptions): Promise<E.Either<BackendError, BackendInfo>> {
  const started = await start("cpu");
  if (E.isLeft(started)) return started;
  const kernels = registerGradients(options.keepStock);
  return E.right({ name: "cpu", adapter: "js", threads: 1, kernels, tfjs: tf.version.tfjs });
}

/**
 * Starts the backend `name` and registers our kernels on it (idempotent).
 * "auto" takes WebGPU on a hardware adapter, else wasm.
 *
 * @example
 * ```ts
 * const info = await selectBackend("wasm");
 * if (info._tag === "Right") console.log(JSON.stringify(info.right));
 * ```
 */
export async function selectBackend(
  name: BackendName,
  options: SelectOptions = {},
): Promise<E.Either<BackendError, BackendInfo>> {
  switch (name) {
    case "wasm":
      return await useWasm(options);
    case "cpu":
      return await useCpu(options);
    case "webgpu": {
      const facts = await gpuAdapter();
      return E.isLeft(facts)
        ? E.left(backendUnavailable("webgpu", facts.left))
        : await useWebgpu(facts.right, options);
    }
    case "auto": {
      const facts = await gpuAdapter();
      return E.isRight(facts) && !facts.right.fallback
        ? await useWebgpu(facts.right, options)
        : await useWasm(options);
    }
    default:
      return E.left(unknownBackend(String(name), backendNames));
  }
}
