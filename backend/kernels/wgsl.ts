/**
 * Our own WGSL compute shaders, run through tfjs's WebGPU backend (`runWebGPUProgram`): the
 * backend compiles each shader once per key, binds the output first, then the inputs in order,
 * then a uniform block holding each input's and the output's shape (`uniforms.xShape`,
 * `uniforms.outShape`, ...) followed by the fields a program declares. Shaders see
 * `localId`, `localIndex`, `workgroupId` and `numWorkgroups`, and write `result`.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/** The value of one uniform field after the shapes, in the order the program declares them. */
export interface UniformValue {
  readonly type: "int32" | "float32";
  readonly data: readonly number[];
}

/** What a program is: a shader body with `fn main()` and how many workgroups run it. */
export interface WgslProgram {
  /** Names the compiled shader: everything the code bakes in must be part of it. */
  readonly key: string;
  /** Input names, in the order the inputs are passed. */
  readonly inputs: readonly string[];
  readonly outputShape: readonly number[];
  readonly workgroupSize: readonly [number, number, number];
  readonly workgroups: readonly [number, number, number];
  /** WGSL fields of the uniform block, e.g. "fh : i32, lr : f32,". */
  readonly uniforms?: string;
  /** Module-scope WGSL: constants, workgroup memory and `fn main()`. */
  readonly code: string;
}

/** tfjs's `WebGPUProgram`, the fields it reads (tfjs-backend-webgpu 4.22). */
interface TfjsProgram {
  variableNames: string[];
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y: number[]; z: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  uniforms?: string;
  getUserCode: () => string;
}

/** The WebGPU backend as our kernels use it. */
export interface WebGpuBackendLike {
  runWebGPUProgram(
    program: TfjsProgram,
    inputs: tf.TensorInfo[],
    outputDtype: tf.DataType,
    uniforms?: { type: string; data: number[] }[],
  ): tf.TensorInfo;
  /** Device limits, e.g. the largest workgroup count per dimension. */
  readonly device: { readonly limits: { readonly maxComputeWorkgroupsPerDimension: number } };
  /** Frees a tensor's data (our intermediate results). */
  disposeData(dataId: tf.DataId): boolean;
}

/**
 * Runs `program` on `inputs` and returns its float32 output. The dispatch layout names three
 * dimensions so that tfjs calls `main()` without an index and leaves the workgroups as given.
 */
export function runWgsl(
  backend: WebGpuBackendLike,
  program: WgslProgram,
  inputs: readonly tf.TensorInfo[],
  uniforms: readonly UniformValue[] = [],
): tf.TensorInfo {
  const limit = backend.device.limits.maxComputeWorkgroupsPerDimension;
  if (program.workgroups.some((n) => n > limit)) {
    throw new Error(`${program.key}: ${program.workgroups} workgroups, limit ${limit} a dimension`);
  }
  const tfjs: TfjsProgram = {
    variableNames: [...program.inputs],
    outputShape: [...program.outputShape],
    shaderKey: `oicsr_${program.key}`,
    dispatchLayout: { x: [0], y: [1], z: [2] },
    dispatch: [...program.workgroups],
    workgroupSize: [...program.workgroupSize],
    uniforms: program.uniforms,
    getUserCode: () => program.code,
  };
  return backend.runWebGPUProgram(
    tfjs,
    [...inputs],
    "float32",
    uniforms.map((u) => ({ type: u.type, data: [...u.data] })),
  );
}

/** Workgroups of 256 threads a dispatch may take along x (WebGPU's minimum limit is 65,535). */
const ROW = 32768;

/**
 * Workgroups for one thread per value of `size` values, 256 to a workgroup, laid out in rows
 * so that no dimension passes the limit; the shader's index is {@link FLAT_INDEX}.
 */
export function flatWorkgroups(size: number): [number, number, number] {
  const n = Math.max(1, Math.ceil(size / 256));
  return n <= ROW ? [n, 1, 1] : [ROW, Math.ceil(n / ROW), 1];
}

/** The WGSL expression of a thread's value index under {@link flatWorkgroups}. */
export const FLAT_INDEX =
  "(i32(workgroupId.y) * i32(numWorkgroups.x) + i32(workgroupId.x)) * 256 + i32(localIndex)";

/**
 * One thread per value of `shape` computing `expression`, in which `i` is the value's index,
 * `c` its index along the last axis, inputs are read by name (`x[i]`, `scale[c]`) and each
 * float of `uniforms` is `uniforms.<name>`.
 */
export function elementwiseWgsl(
  backend: WebGpuBackendLike,
  key: string,
  shape: readonly number[],
  inputs: Record<string, tf.TensorInfo>,
  uniforms: Record<string, number>,
  expression: string,
): tf.TensorInfo {
  const size = shape.reduce((a, b) => a * b, 1);
  const names = Object.keys(inputs), fields = Object.keys(uniforms);
  return runWgsl(
    backend,
    {
      key,
      inputs: names,
      outputShape: shape,
      workgroupSize: [256, 1, 1],
      workgroups: flatWorkgroups(size),
      uniforms: fields.map((f) => `${f} : f32,`).join(" ") + " size : i32, channels : i32,",
      code: `
fn main() {
  let i = ${FLAT_INDEX};
  if (i < uniforms.size) {
    let c = i % uniforms.channels;
    result[i] = ${expression};
  }
}
`,
    },
    names.map((n) => inputs[n]),
    [
      ...fields.map((f) => ({ type: "float32" as const, data: [uniforms[f]] })),
      ...ints(size, shape.length === 0 ? 1 : shape[shape.length - 1]),
    ],
  );
}

/** An int32 uniform per value, in order. */
export function ints(...values: number[]): UniformValue[] {
  return values.map((v) => ({ type: "int32", data: [v] }));
}
