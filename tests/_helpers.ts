/**
 * Small helpers the test files share.
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { dispatchedShaders } from "../backend/kernels/dispatches.ts";
import type { Either } from "fp-ts/Either";

/** Runs `body` with a fresh temporary folder named with `prefix`, then removes it. */
export async function withTempDir(
  prefix: string,
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** The error of a Left; fails the test on a Right. */
export function expectLeft<L, R>(result: Either<L, R>): L {
  if (result._tag === "Right") assert.fail("expected a Left, got a Right");
  return result.left;
}

/** The value of a Right; fails the test with the error's message on a Left. */
export function expectRight<L extends { message: string }, R>(result: Either<L, R>): R {
  if (result._tag === "Left") assert.fail(result.left.message);
  return result.right;
}

/** The model's predictions for `x`, read back and freed. */
/** Seeded values in [-1, 1) (an LCG, the same on every backend), so failures reproduce. */
export function seededTensor(shape: number[], seed: number): tf.Tensor {
  let s = seed >>> 0;
  const values = new Float32Array(tf.util.sizeFromShape(shape)).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
  return tf.tensor(values, shape);
}

export async function predictValues(model: tf.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const values = await y.data() as Float32Array;
  y.dispose();
  return values;
}

/** Runs Deno with `args` (in `cwd`, default this process's) in a subprocess; code and output. */
export async function runDeno(args: readonly string[], cwd?: string) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: text(output.stdout), stderr: text(output.stderr) };
}

/** Runs `cli/<command>.ts` (what `deno task <command>` runs) in a subprocess; code and output. */
export function runCommand(
  command: "prune" | "baseline" | "ablate" | "bench" | "lineage",
  args: readonly string[],
) {
  const script = new URL(`../cli/${command}.ts`, import.meta.url).pathname;
  return runDeno(["run", "-A", script, ...args]);
}

/** Runs `deno task <command>` (prune by default) in a subprocess; its exit code and output. */
export function runPrune(args: string[], command: "prune" | "baseline" = "prune") {
  return runCommand(command, args);
}

/**
 * Flags for a whole pruning run in well under a minute on the wasm backend: tiny data, short
 * epochs (the first eight: the dense training's). Add `--baselines none` to train the dense
 * model first.
 */
export const QUICK_RUN: readonly string[] = [
  "--epochs",
  "1",
  "--steps-per-epoch",
  "3",
  "--train-limit",
  "512",
  "--test-limit",
  "300",
  "--reg-epochs",
  "0.5",
  "--iter-epochs",
  "0.5",
  "--fine-tune-epochs",
  "1",
  "--eval-limit",
  "200",
  "--latency-runs",
  "2",
  "--backend",
  "wasm",
  "--quiet",
  "--json",
] as const; // deno-fmt-ignore

/**
 * Every output of `build` on `backend`, read back, with the kernels it ran and, on webgpu, the
 * shader key of each dispatch; fails the test if a tensor leaked.
 */
export async function runOn(backend: string, build: () => tf.Tensor[]) {
  await tf.setBackend(backend);
  const before = tf.memory().numTensors;
  const { result: info, shaders } = await dispatchedShaders(() => tf.profile(() => tf.tidy(build)));
  const outs = info.result as tf.Tensor[];
  const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
  tf.dispose(outs);
  assert.equal(tf.memory().numTensors, before, `tensors leaked on ${backend}`);
  return { values, kernels: info.kernels.map((k) => k.name), shaders: shaders ?? [] };
}

/** Each output within `tol` times its largest magnitude (at least 1) of the reference. */
export function assertClose(got: Float32Array[], want: Float32Array[], label: string, tol: number) {
  assert.equal(got.length, want.length, `${label}: outputs`);
  got.forEach((g, i) => {
    assert.equal(g.length, want[i].length, `${label}: output ${i} size`);
    const scale = want[i].reduce((m, v) => Math.max(m, Math.abs(v)), 1);
    const worst = g.reduce((m, v, j) => Math.max(m, Math.abs(v - want[i][j])), 0);
    assert.ok(worst <= tol * scale, `${label}: output ${i} off by ${worst} (scale ${scale})`);
  });
}
