/**
 * The shaders a piece of work dispatches on tfjs's WebGPU backend, for the profile the bench
 * prints and for tests that check which shader ran.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";

/** The WebGPU backend's `recordAndSubmit` (tfjs-backend-webgpu 4.22): one call a dispatch. */
interface RecordingBackend {
  recordAndSubmit: (program: { shaderKey: string }, ...rest: unknown[]) => unknown;
}

/**
 * Runs `run` and answers its result with the shader key of each dispatch it made, in order
 * (each costs tens of microseconds of the CPU's time, whatever its size); `shaders` is null
 * when the current backend is not WebGPU.
 *
 * @example
 * ```ts
 * import { dispatchedShaders } from "./dispatches.ts";
 * declare const step: () => Promise<void>;
 * const { shaders } = await dispatchedShaders(step);
 * console.log(shaders?.length ?? "not on WebGPU");
 * ```
 */
export async function dispatchedShaders<T>(
  run: () => Promise<T>,
): Promise<{ result: T; shaders: string[] | null }> {
  if (tf.getBackend() !== "webgpu") return { result: await run(), shaders: null };
  const backend = tf.backend() as unknown as RecordingBackend;
  const record = backend.recordAndSubmit;
  const shaders: string[] = [];
  backend.recordAndSubmit = (program, ...rest) => (
    shaders.push(program.shaderKey), record.call(backend, program, ...rest)
  );
  try {
    return { result: await run(), shaders };
  } finally {
    backend.recordAndSubmit = record;
  }
}
