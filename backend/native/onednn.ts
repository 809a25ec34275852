/**
 * oneDNN's convolutions through Deno's FFI, on memory of the wasm backend's heap: the forward
 * pass, the input gradient and the filter gradient of an NHWC convolution with an HWIO filter,
 * run by the same library PyTorch's CPU convolutions use. Debian: `apt-get install libdnnl2`
 * (oneDNN 2.x C API). Where the library is missing, or `OICSR_NO_DNNL=1` is set, `oneDnn()`
 * answers null and the kernels keep their wasm or OpenBLAS formulation; a geometry oneDNN
 * declines (its primitive descriptor fails) does the same for that convolution alone.
 *
 * Activations stay where tfjs keeps them (NHWC on the heap, no copy). Filters are reordered
 * into the blocked layout the primitive asks for, into memory this module owns, on every call:
 * training changes them every step, and the reorder costs a fraction of the convolution.
 *
 * @module
 */
import { convolutionThreads } from "./conv_threads.ts";

/** dnnl_status_success. */
const OK = 0;
const F32 = 3;
const TAG_ANY = 1, TAG_X = 2, TAG_NC = 3, TAG_NHWC = 20, TAG_HWIO = 30;
const FORWARD_TRAINING = 64, FORWARD_INFERENCE = 96, BACKWARD = 128;
const BN_USE_GLOBAL_STATS = 1, BN_USE_SCALE = 8, BN_USE_SHIFT = 16;
const CONVOLUTION_DIRECT = 1;
const ELTWISE_RELU = 31;
const ENGINE_CPU = 1;
const STREAM_DEFAULT = 1;
const ARG = {
  src: 1,
  src1: 2,
  dst: 17,
  weights: 33,
  bias: 41,
  diffSrc: 129,
  diffDst: 145,
  diffWeights: 161,
  mean: 49,
  variance: 50,
  scale: 51,
  shift: 52,
  diffScale: 255,
  diffShift: 256,
  workspace: 64,
} as const;
const QUERY = { weights: 131, diffWeights: 132, workspace: 135, implInfo: 8 } as const;
const POOLING_MAX = 511;
const BINARY_ADD = 0x1fff0, BINARY_MUL = 0x1fff1, BINARY_SUB = 0x1fff5;
/** DNNL_ARG_SRC_1 of the binary post-operation `index` (oneDNN 2.x's numbering). */
const postOpSource = (index: number) => 16384 * (index + 1) + 2;
/** sizeof(dnnl_memory_desc_t) and sizeof(dnnl_convolution_desc_t) in oneDNN 2.6, rounded up. */
const MD_BYTES = 1024, OP_DESC_BYTES = 8192;

const p = "pointer" as const, i32 = "i32" as const;
const symbols = {
  dnnl_version: { parameters: [], result: p },
  dnnl_engine_create: { parameters: [p, i32, "usize"], result: i32 },
  dnnl_stream_create: { parameters: [p, p, "u32"], result: i32 },
  dnnl_memory_desc_init_by_tag: { parameters: [p, i32, p, i32, i32], result: i32 },
  dnnl_memory_desc_equal: { parameters: [p, p], result: i32 },
  dnnl_memory_desc_get_size: { parameters: [p], result: "usize" },
  dnnl_dilated_convolution_forward_desc_init: {
    parameters: [p, i32, i32, p, p, p, p, p, p, p, p],
    result: i32,
  },
  dnnl_dilated_convolution_backward_data_desc_init: {
    parameters: [p, i32, p, p, p, p, p, p, p],
    result: i32,
  },
  dnnl_dilated_convolution_backward_weights_desc_init: {
    parameters: [p, i32, p, p, p, p, p, p, p, p],
    result: i32,
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: [p, i32, p, "f32", "u32"],
    result: i32,
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: [p, i32, p, p, "f32", "u32"],
    result: i32,
  },
  dnnl_eltwise_forward_desc_init: { parameters: [p, i32, i32, p, "f32", "f32"], result: i32 },
  dnnl_binary_desc_init: { parameters: [p, i32, p, p, p], result: i32 },
  dnnl_post_ops_append_binary: { parameters: [p, i32, p], result: i32 },
  dnnl_eltwise_backward_desc_init: { parameters: [p, i32, p, p, "f32", "f32"], result: i32 },
  dnnl_pooling_v2_forward_desc_init: {
    parameters: [p, i32, i32, p, p, p, p, p, p, p],
    result: i32,
  },
  dnnl_pooling_v2_backward_desc_init: { parameters: [p, i32, p, p, p, p, p, p, p], result: i32 },
  dnnl_primitive_attr_create: { parameters: [p], result: i32 },
  dnnl_post_ops_create: { parameters: [p], result: i32 },
  dnnl_post_ops_append_eltwise: { parameters: [p, "f32", i32, "f32", "f32"], result: i32 },
  dnnl_primitive_attr_set_post_ops: { parameters: [p, p], result: i32 },
  dnnl_primitive_desc_create: { parameters: [p, p, p, p, p], result: i32 },
  dnnl_primitive_desc_query: { parameters: [p, i32, i32, p], result: i32 },
  dnnl_primitive_desc_query_md: { parameters: [p, i32, i32], result: p },
  dnnl_reorder_primitive_desc_create: { parameters: [p, p, p, p, p, p], result: i32 },
  dnnl_primitive_create: { parameters: [p, p], result: i32 },
  dnnl_primitive_execute: { parameters: [p, p, i32, p], result: i32 },
  dnnl_memory_create: { parameters: [p, p, p, p], result: i32 },
  dnnl_memory_set_data_handle: { parameters: [p, p], result: i32 },
  dnnl_stream_wait: { parameters: [p], result: i32 },
} as const;

type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];
type Pointer = Deno.PointerValue;

/** A convolution as tfjs describes it (NHWC activations, HWIO filter), strides and pads. */
export interface ConvGeometry {
  readonly batchSize: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly dilationHeight: number;
  readonly dilationWidth: number;
  readonly padInfo: {
    readonly top: number;
    readonly left: number;
    readonly bottom: number;
    readonly right: number;
  };
}

/** Which computation of a convolution: y = x * w, dx from dy and w, dw from x and dy. */
export type ConvPass = "forward" | "backwardData" | "backwardWeights";

/** What the forward pass fuses: a bias added per output channel, then an optional ReLU. */
export interface ConvFusion {
  readonly bias?: boolean;
  readonly relu?: boolean;
}

/** One primitive compiled for one geometry; `run` executes it on operands in a heap. */
export interface Executable<Name extends string> {
  /** oneDNN's implementation, e.g. "brgconv:avx512_core" or "jit:avx512_core". */
  readonly implementation: string;
  /** Buffers the library points into (descriptors, reordered filters), kept alive here. */
  readonly retained: readonly ArrayBufferView[];
  /** `operands`: the byte offset in `heap` of each operand the primitive reads or writes. */
  run(heap: Uint8Array, operands: Readonly<Partial<Record<Name, number>>>): void;
}

/** Operands of a convolution pass. Weights are HWIO, activations NHWC. */
export type ConvOperand<P extends ConvPass> = P extends "forward"
  ? "src" | "weights" | "dst" | "bias"
  : P extends "backwardData" ? "diffDst" | "weights" | "diffSrc"
  : "src" | "diffDst" | "diffWeights";

/** One convolution pass, compiled for one geometry. */
export type ConvPrimitive<P extends ConvPass = ConvPass> = Executable<ConvOperand<P>>;

/** Batch normalisation in training mode over all axes but the last (NHWC or NC). */
export interface BatchNormPrimitives {
  /** dst = scale (src - mean) / sqrt(variance + epsilon) + shift; writes mean, variance. */
  readonly forward: Executable<"src" | "scale" | "shift" | "dst" | "mean" | "variance">;
  /**
   * The gradients through the batch statistics, from the forward pass's mean and variance
   * (oneDNN asks for the shift too, though the gradients do not depend on it).
   */
  readonly backward: Executable<
    | "src"
    | "mean"
    | "variance"
    | "diffDst"
    | "scale"
    | "shift"
    | "diffSrc"
    | "diffScale"
    | "diffShift"
  >;
}

/** Operands of inference-mode batch normalisation. */
export type BatchNormInferenceOperand = "src" | "mean" | "variance" | "scale" | "shift" | "dst";

/** ReLU over a flat float32 tensor and its gradient (dy where x > 0, else 0). */
export interface ReluPrimitives {
  readonly forward: Executable<"src" | "dst">;
  readonly backward: Executable<"src" | "diffDst" | "diffSrc">;
}

/**
 * Max pooling's gradient: `forward` recomputes the pooling to record where each maximum was
 * (`workspace`, `workspaceBytes` long), `backward` sends dy there.
 */
export interface MaxPoolPrimitives {
  readonly workspaceBytes: number;
  readonly forward: Executable<"src" | "dst" | "workspace">;
  readonly backward: Executable<"diffDst" | "workspace" | "diffSrc">;
}

/** The binding: primitives by geometry, cached for the process. */
export interface OneDnn {
  /** e.g. "oneDNN 2.6.3". */
  readonly description: string;
  /** The compiled pass, or null where oneDNN has no implementation for it. */
  convolution<P extends ConvPass>(
    pass: P,
    geometry: ConvGeometry,
    fusion?: ConvFusion,
  ): ConvPrimitive<P> | null;
  /** Training-mode batch normalisation of `shape` ([N, H, W, C] or [N, C]), or null. */
  batchNorm(shape: readonly number[], epsilon: number): BatchNormPrimitives | null;
  /**
   * Inference-mode batch normalisation of `shape` with given statistics:
   * dst = scale (src - mean) / sqrt(variance + epsilon) + shift; or null.
   */
  batchNormInference(
    shape: readonly number[],
    epsilon: number,
  ): Executable<BatchNormInferenceOperand> | null;
  /** ReLU of `size` values, or null. */
  relu(size: number): ReluPrimitives | null;
  /** Max pooling of `geometry` (NHWC; filter and stride from it), for its gradient; or null. */
  maxPool(geometry: ConvGeometry): MaxPoolPrimitives | null;
  /** Max pooling of `geometry` alone (no record of the maxima), or null. */
  maxPoolForward(geometry: ConvGeometry): Executable<"src" | "dst"> | null;
}

/** oneDNN 2.x only: the descriptors above are its C API (3.x changed them). */
const LIBRARIES = ["libdnnl.so.2"];
/**
 * Batch normalisation runs on one thread: it is bound by memory, and its kernels meet at
 * several barriers per call, so a second thread waiting for a busy core cost more than it
 * gave (64x32x32x16 forward: 0.5 ms on one thread, 9-24 ms on two with another process on
 * the machine).
 */
const BATCH_NORM_THREADS = 1;
/**
 * ReLU runs on every thread from this many values on, below on one: waking the other
 * threads costs more than it saves on small tensors (0.15 ms for 65,536 values on two).
 */
const PARALLEL_ELEMENTS = 1 << 20;
const GEOMETRY_FIELDS = [
  "batchSize",
  "inHeight",
  "inWidth",
  "inChannels",
  "outHeight",
  "outWidth",
  "outChannels",
  "filterHeight",
  "filterWidth",
  "strideHeight",
  "strideWidth",
  "dilationHeight",
  "dilationWidth",
] as const;

/** What identifies a primitive's geometry in the cache: every field of `g` and its pads. */
function geometryKey(g: ConvGeometry): (number | boolean)[] {
  return [...GEOMETRY_FIELDS.map((f) => g[f]), ...Object.values(g.padInfo)];
}

/** Throws with the function's name when a oneDNN call fails. */
function check(name: string, status: number): void {
  if (status !== OK) throw new Error(`oneDNN: ${name} failed with status ${status}`);
}

/** A slot for one pointer written by the library, and its address. */
function outSlot(): { slot: BigUint64Array; at: Pointer; read(): Pointer } {
  const slot = new BigUint64Array(1);
  return { slot, at: Deno.UnsafePointer.of(slot), read: () => Deno.UnsafePointer.create(slot[0]) };
}

/** Owned native-side buffers kept alive as long as the primitive that points at them. */
class Keep {
  readonly buffers: ArrayBufferView[] = [];
  ptr(buffer: ArrayBufferView): Pointer {
    this.buffers.push(buffer);
    return Deno.UnsafePointer.of(buffer as Uint8Array<ArrayBuffer>);
  }
}

function dims(...values: number[]): BigInt64Array {
  return BigInt64Array.from(values.map(BigInt));
}

/** Strides, dilations (oneDNN counts from 0), left/top and right/bottom pads of `g`. */
function spatial(keep: Keep, g: ConvGeometry): [Pointer, Pointer, Pointer, Pointer] {
  return [
    keep.ptr(dims(g.strideHeight, g.strideWidth)),
    keep.ptr(dims(g.dilationHeight - 1, g.dilationWidth - 1)),
    keep.ptr(dims(g.padInfo.top, g.padInfo.left)),
    keep.ptr(dims(g.padInfo.bottom, g.padInfo.right)),
  ];
}

/** An operand of a primitive: oneDNN's argument id, its memory, and the caller's name. */
type Binding = readonly [arg: number, memory: Pointer, name: string];

/** libgomp, which the Debian build of oneDNN runs its threads on. */
const openMpSymbols = {
  omp_set_num_threads: { parameters: [i32], result: "void" },
  omp_get_max_threads: { parameters: [], result: i32 },
} as const;

class Library {
  readonly description: string;
  readonly #lib: Symbols;
  readonly #openMp: Deno.DynamicLibrary<typeof openMpSymbols>["symbols"] | null;
  /** OpenMP's thread count when the library loaded: the convolutions' count. */
  readonly #maxThreads: number;
  #threads: number;
  readonly #engine: Pointer;
  readonly #stream: Pointer;
  readonly #cache = new Map<string, unknown>();

  constructor(lib: Symbols) {
    this.#lib = lib;
    const version = new Deno.UnsafePointerView(lib.dnnl_version()!);
    this.description = `oneDNN ${version.getInt32(0)}.${version.getInt32(4)}.${
      version.getInt32(8)
    }`;
    const engine = outSlot();
    check("dnnl_engine_create", lib.dnnl_engine_create(engine.at, ENGINE_CPU, 0n));
    this.#engine = engine.read();
    const stream = outSlot();
    check("dnnl_stream_create", lib.dnnl_stream_create(stream.at, this.#engine, STREAM_DEFAULT));
    this.#stream = stream.read();
    try {
      this.#openMp = Deno.dlopen("libgomp.so.1", openMpSymbols).symbols;
    } catch {
      this.#openMp = null;
    }
    this.#maxThreads = this.#openMp?.omp_get_max_threads() ?? 1;
    this.#threads = this.#maxThreads;
  }

  /**
   * Sets OpenMP's thread count for what the main thread runs next (primitives are created
   * and run with the same count, as oneDNN requires of OpenMP builds).
   */
  #useThreads(count: number): void {
    if (this.#openMp == null || count === this.#threads) return;
    this.#openMp.omp_set_num_threads(count);
    this.#threads = count;
  }
  #cached<T>(key: string, build: () => T): T {
    if (!this.#cache.has(key)) this.#cache.set(key, build());
    return this.#cache.get(key) as T;
  }

  convolution<P extends ConvPass>(
    pass: P,
    g: ConvGeometry,
    fusion: ConvFusion = {},
  ): ConvPrimitive<P> | null {
    const key = [
      "conv",
      pass,
      fusion.bias ?? false,
      fusion.relu ?? false,
      ...geometryKey(g),
    ].join();
    const threads = convolutionThreads(g, this.#maxThreads);
    this.#useThreads(threads);
    return this.#cached(key, () => this.#convolution(pass, g, fusion, threads));
  }

  batchNorm(shape: readonly number[], epsilon: number): BatchNormPrimitives | null {
    const key = ["bn", epsilon, ...shape].join();
    this.#useThreads(BATCH_NORM_THREADS);
    return this.#cached(key, () => this.#batchNorm(shape, epsilon));
  }

  batchNormInference(
    shape: readonly number[],
    epsilon: number,
  ): Executable<BatchNormInferenceOperand> | null {
    const key = ["bn-inference", epsilon, ...shape].join();
    this.#useThreads(BATCH_NORM_THREADS);
    return this.#cached(key, () => this.#batchNormInference(shape, epsilon));
  }

  maxPool(g: ConvGeometry): MaxPoolPrimitives | null {
    const key = ["maxpool", ...geometryKey(g)];
    this.#useThreads(this.#maxThreads);
    return this.#cached(key.join(), () => this.#maxPool(g));
  }

  maxPoolForward(g: ConvGeometry): Executable<"src" | "dst"> | null {
    const size = g.batchSize * g.inHeight * g.inWidth * g.inChannels;
    const threads = size >= PARALLEL_ELEMENTS ? this.#maxThreads : 1;
    const key = ["maxpool-forward", ...geometryKey(g)];
    this.#useThreads(threads);
    return this.#cached(key.join(), () => this.#maxPoolForward(g, threads));
  }

  relu(size: number): ReluPrimitives | null {
    const threads = size >= PARALLEL_ELEMENTS ? this.#maxThreads : 1;
    this.#useThreads(threads);
    return this.#cached(`relu,${size}`, () => this.#relu(size, threads));
  }

  /** The NHWC input and output of a convolution or pooling of geometry `g`. */
  #inOut(keep: Keep, g: ConvGeometry): [Pointer, Pointer] {
    return [
      this.#md(keep, TAG_NHWC, g.batchSize, g.inChannels, g.inHeight, g.inWidth),
      this.#md(keep, TAG_NHWC, g.batchSize, g.outChannels, g.outHeight, g.outWidth),
    ];
  }

  #md(keep: Keep, tag: number, ...shape: number[]): Pointer {
    const md = keep.ptr(new Uint8Array(MD_BYTES));
    const d = keep.ptr(dims(...shape));
    check(
      "dnnl_memory_desc_init_by_tag",
      this.#lib.dnnl_memory_desc_init_by_tag(md, shape.length, d, F32, tag),
    );
    return md;
  }

  /** A primitive descriptor, or null where oneDNN has no implementation. */
  #primitiveDesc(op: Pointer, attr: Pointer, hint: Pointer): Pointer | null {
    const pd = outSlot();
    const status = this.#lib.dnnl_primitive_desc_create(pd.at, op, attr, this.#engine, hint);
    return status === OK ? pd.read() : null;
  }

  #primitive(pd: Pointer): Pointer {
    const prim = outSlot();
    check("dnnl_primitive_create", this.#lib.dnnl_primitive_create(prim.at, pd));
    return prim.read();
  }

  #memory(md: Pointer): Pointer {
    const mem = outSlot();
    check("dnnl_memory_create", this.#lib.dnnl_memory_create(mem.at, md, this.#engine, null));
    return mem.read();
  }

  #execute(primitive: Pointer, args: Pointer, count: number): void {
    check(
      "dnnl_primitive_execute",
      this.#lib.dnnl_primitive_execute(primitive, this.#stream, count, args),
    );
  }

  /**
   * The executable of primitive descriptor `pd` whose operands are `bindings` (memories
   * pointed at the heap on each run); `before` / `after` run around it (the filter reorders).
   */
  #executable<Name extends string>(
    keep: Keep,
    pd: Pointer,
    bindings: readonly Binding[],
    threads: number,
    hooks: { before?: (at: (name: string) => Pointer) => void; after?: () => void } = {},
  ): Executable<Name> {
    const lib = this.#lib;
    const primitive = this.#primitive(pd);
    const args = keep.ptr(execArgs(bindings.map(([arg, memory]) => [arg, memory])));
    return {
      implementation: this.#implementation(pd),
      retained: keep.buffers,
      run: (heap, operands) => {
        const base = Deno.UnsafePointer.of(heap as Uint8Array<ArrayBuffer>)!;
        const at = (name: string) => {
          const offset = (operands as Record<string, number | undefined>)[name];
          if (offset === undefined) throw new Error(`oneDNN: no operand "${name}"`);
          return Deno.UnsafePointer.offset(base, offset);
        };
        for (const [, memory, name] of bindings) {
          if (name === "") continue;
          check("dnnl_memory_set_data_handle", lib.dnnl_memory_set_data_handle(memory, at(name)));
        }
        this.#useThreads(threads);
        hooks.before?.(at);
        this.#execute(primitive, args, bindings.length);
        hooks.after?.();
        check("dnnl_stream_wait", lib.dnnl_stream_wait(this.#stream));
      },
    };
  }

  /**
   * A reorder between the caller's HWIO filter and the primitive's layout `md`: the memory
   * in the primitive's layout (a buffer owned here), the caller's memory, and the reorder.
   * Null where the primitive takes HWIO as it is.
   */
  #filterReorder(keep: Keep, user: Pointer, md: Pointer, toUser: boolean) {
    const lib = this.#lib;
    if (lib.dnnl_memory_desc_equal(user, md) !== 0) return null;
    const size = Number(lib.dnnl_memory_desc_get_size(md));
    const buffer = keep.ptr(new Uint8Array(size + 64));
    const misalignment = Number(Deno.UnsafePointer.value(buffer) % 64n);
    const aligned = Deno.UnsafePointer.offset(buffer!, (64 - misalignment) % 64);
    const [from, to] = toUser ? [md, user] : [user, md];
    const pd = outSlot();
    check(
      "dnnl_reorder_primitive_desc_create",
      lib.dnnl_reorder_primitive_desc_create(pd.at, from, this.#engine, to, this.#engine, null),
    );
    const userMem = this.#memory(user), ownMem = this.#memory(md);
    check("dnnl_memory_set_data_handle", lib.dnnl_memory_set_data_handle(ownMem, aligned));
    const [fromMem, toMem] = toUser ? [ownMem, userMem] : [userMem, ownMem];
    const args = keep.ptr(execArgs([[ARG.src, fromMem], [ARG.dst, toMem]]));
    const primitive = this.#primitive(pd.read());
    return { ownMem, userMem, run: () => this.#execute(primitive, args, 2) };
  }

  #convolution<P extends ConvPass>(
    pass: P,
    g: ConvGeometry,
    fusion: ConvFusion,
    threads: number,
  ): ConvPrimitive<P> | null {
    const lib = this.#lib, keep = new Keep();
    const [src, dst] = this.#inOut(keep, g);
    const filterDims = [g.outChannels, g.inChannels, g.filterHeight, g.filterWidth];
    const userFilter = this.#md(keep, TAG_HWIO, ...filterDims);
    const anyFilter = this.#md(keep, TAG_ANY, ...filterDims);
    const bias = pass === "forward" && fusion.bias ? this.#md(keep, TAG_X, g.outChannels) : null;
    const geometry = spatial(keep, g);

    const forwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_dilated_convolution_forward_desc_init",
      lib.dnnl_dilated_convolution_forward_desc_init(
        forwardOp,
        FORWARD_TRAINING,
        CONVOLUTION_DIRECT,
        src,
        anyFilter,
        bias,
        dst,
        ...geometry,
      ),
    );
    const relu = pass === "forward" && fusion.relu ? this.#reluAttr() : null;
    const forwardPd = this.#primitiveDesc(forwardOp, relu, null);
    if (forwardPd == null) return null;
    let pd = forwardPd;
    if (pass !== "forward") {
      const op = keep.ptr(new Uint8Array(OP_DESC_BYTES));
      check(
        `dnnl_dilated_convolution_${pass}_desc_init`,
        pass === "backwardData"
          ? lib.dnnl_dilated_convolution_backward_data_desc_init(
            op,
            CONVOLUTION_DIRECT,
            src,
            anyFilter,
            dst,
            ...geometry,
          )
          : lib.dnnl_dilated_convolution_backward_weights_desc_init(
            op,
            CONVOLUTION_DIRECT,
            src,
            anyFilter,
            null,
            dst,
            ...geometry,
          ),
      );
      const backwardPd = this.#primitiveDesc(op, null, forwardPd);
      if (backwardPd == null) return null;
      pd = backwardPd;
    }
    const toUser = pass === "backwardWeights";
    const filterName = toUser ? "diffWeights" : "weights";
    const filterMd = lib.dnnl_primitive_desc_query_md(
      pd,
      toUser ? QUERY.diffWeights : QUERY.weights,
      0,
    );
    const reorder = this.#filterReorder(keep, userFilter, filterMd, toUser);
    const [srcArg, srcName, dstArg, dstName] = pass === "forward"
      ? [ARG.src, "src", ARG.dst, "dst"]
      : pass === "backwardData"
      ? [ARG.diffSrc, "diffSrc", ARG.diffDst, "diffDst"]
      : [ARG.src, "src", ARG.diffDst, "diffDst"];
    const bindings: Binding[] = [
      [srcArg, this.#memory(src), srcName],
      [dstArg, this.#memory(dst), dstName],
      reorder
        ? [toUser ? ARG.diffWeights : ARG.weights, reorder.ownMem, ""]
        : [toUser ? ARG.diffWeights : ARG.weights, this.#memory(userFilter), filterName],
    ];
    if (bias) bindings.push([ARG.bias, this.#memory(bias), "bias"]);
    return this.#executable(keep, pd, bindings, threads, {
      before: (at) => {
        if (reorder == null) return;
        check(
          "dnnl_memory_set_data_handle",
          lib.dnnl_memory_set_data_handle(reorder.userMem, at(filterName)),
        );
        if (!toUser) reorder.run();
      },
      after: () => {
        if (reorder != null && toUser) reorder.run();
      },
    });
  }

  /** A channels-last tensor of rank 4 or 2 as oneDNN sees it (N, C first), or null. */
  #channelsLast(keep: Keep, shape: readonly number[]): Pointer | null {
    const channels = shape[shape.length - 1];
    return shape.length === 4
      ? this.#md(keep, TAG_NHWC, shape[0], channels, shape[1], shape[2])
      : shape.length === 2
      ? this.#md(keep, TAG_NC, shape[0], channels)
      : null;
  }

  #batchNormInference(shape: readonly number[], epsilon: number) {
    if (shape.length === 2 || shape[shape.length - 1] % 8 !== 0) {
      const affine = this.#channelAffine(shape, epsilon);
      if (affine != null) return affine;
    }
    const keep = new Keep();
    const data = this.#channelsLast(keep, shape);
    if (data == null) return null;
    const op = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_batch_normalization_forward_desc_init",
      this.#lib.dnnl_batch_normalization_forward_desc_init(
        op,
        FORWARD_INFERENCE,
        data,
        epsilon,
        BN_USE_GLOBAL_STATS | BN_USE_SCALE | BN_USE_SHIFT,
      ),
    );
    const pd = this.#primitiveDesc(op, null, null);
    if (pd == null) return null;
    const vector = () => this.#memory(this.#md(keep, TAG_X, shape[shape.length - 1]));
    return this.#executable<BatchNormInferenceOperand>(keep, pd, [
      [ARG.src, this.#memory(data), "src"],
      [ARG.dst, this.#memory(data), "dst"],
      [ARG.mean, vector(), "mean"],
      [ARG.variance, vector(), "variance"],
      [ARG.scale, vector(), "scale"],
      [ARG.shift, vector(), "shift"],
    ], BATCH_NORM_THREADS);
  }

  /**
   * Inference-mode batch normalisation as one binary primitive with two post-operations,
   * dst = (src - mean) * factor + shift, factor = scale / sqrt(variance + epsilon) computed
   * before each run: oneDNN's batch norm has vectorised kernels for NHWC widths that are
   * multiples of 8 (AVX2) or 16 (AVX-512), faster than this, and runs a generic loop for the
   * other widths (most of those pruning leaves) and for [N, C]; this ran 64x32x32x11 in
   * 0.75-0.84 ms against 1.69 and 65536x16 in 0.81 against 2.5-2.8. Null where oneDNN has no
   * implementation.
   */
  #channelAffine(
    shape: readonly number[],
    epsilon: number,
  ): Executable<BatchNormInferenceOperand> | null {
    const lib = this.#lib, keep = new Keep();
    const data = this.#channelsLast(keep, shape);
    if (data == null) return null;
    const channels = shape[shape.length - 1];
    const vectorDims = shape.length === 4 ? [1, channels, 1, 1] : [1, channels];
    const vector = this.#md(keep, shape.length === 4 ? TAG_NHWC : TAG_NC, ...vectorDims);
    const op = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_binary_desc_init",
      lib.dnnl_binary_desc_init(op, BINARY_SUB, data, vector, data),
    );
    const attr = this.#postOpsAttr((ops) => {
      for (const alg of [BINARY_MUL, BINARY_ADD]) {
        check("dnnl_post_ops_append_binary", lib.dnnl_post_ops_append_binary(ops, alg, vector));
      }
    });
    const pd = this.#primitiveDesc(op, attr, null);
    if (pd == null) return null;
    const factor = new Float32Array(channels);
    const factorMemory = this.#memory(vector);
    check(
      "dnnl_memory_set_data_handle",
      lib.dnnl_memory_set_data_handle(factorMemory, keep.ptr(factor)),
    );
    return this.#executable<BatchNormInferenceOperand>(
      keep,
      pd,
      [
        [ARG.src, this.#memory(data), "src"],
        [ARG.src1, this.#memory(vector), "mean"],
        [ARG.dst, this.#memory(data), "dst"],
        [postOpSource(0), factorMemory, ""],
        [postOpSource(1), this.#memory(vector), "shift"],
      ],
      BATCH_NORM_THREADS,
      {
        before: (at) => {
          const variance = new Deno.UnsafePointerView(at("variance")!);
          const scale = new Deno.UnsafePointerView(at("scale")!);
          for (let c = 0; c < channels; c++) {
            const root = Math.fround(Math.sqrt(Math.fround(variance.getFloat32(4 * c) + epsilon)));
            factor[c] = scale.getFloat32(4 * c) / root;
          }
        },
      },
    );
  }

  #batchNorm(shape: readonly number[], epsilon: number): BatchNormPrimitives | null {
    const lib = this.#lib, keep = new Keep();
    const channels = shape[shape.length - 1];
    const data = this.#channelsLast(keep, shape);
    if (data == null) return null;
    const vector = () => this.#memory(this.#md(keep, TAG_X, channels));
    const flags = BN_USE_SCALE | BN_USE_SHIFT;
    const forwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_batch_normalization_forward_desc_init",
      lib.dnnl_batch_normalization_forward_desc_init(
        forwardOp,
        FORWARD_TRAINING,
        data,
        epsilon,
        flags,
      ),
    );
    const forwardPd = this.#primitiveDesc(forwardOp, null, null);
    if (forwardPd == null) return null;
    const backwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_batch_normalization_backward_desc_init",
      lib.dnnl_batch_normalization_backward_desc_init(
        backwardOp,
        BACKWARD,
        data,
        data,
        epsilon,
        flags,
      ),
    );
    const backwardPd = this.#primitiveDesc(backwardOp, null, forwardPd);
    if (backwardPd == null) return null;
    const tensor = () => this.#memory(data);
    return {
      forward: this.#executable(keep, forwardPd, [
        [ARG.src, tensor(), "src"],
        [ARG.dst, tensor(), "dst"],
        [ARG.scale, vector(), "scale"],
        [ARG.shift, vector(), "shift"],
        [ARG.mean, vector(), "mean"],
        [ARG.variance, vector(), "variance"],
      ], BATCH_NORM_THREADS),
      backward: this.#executable(keep, backwardPd, [
        [ARG.src, tensor(), "src"],
        [ARG.diffDst, tensor(), "diffDst"],
        [ARG.mean, vector(), "mean"],
        [ARG.variance, vector(), "variance"],
        [ARG.scale, vector(), "scale"],
        [ARG.shift, vector(), "shift"],
        [ARG.diffSrc, tensor(), "diffSrc"],
        [ARG.diffScale, vector(), "diffScale"],
        [ARG.diffShift, vector(), "diffShift"],
      ], BATCH_NORM_THREADS),
    };
  }

  #relu(size: number, threads: number): ReluPrimitives | null {
    const lib = this.#lib, keep = new Keep();
    const data = this.#md(keep, TAG_X, size);
    const forwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_eltwise_forward_desc_init",
      lib.dnnl_eltwise_forward_desc_init(forwardOp, FORWARD_TRAINING, ELTWISE_RELU, data, 0, 0),
    );
    const forwardPd = this.#primitiveDesc(forwardOp, null, null);
    if (forwardPd == null) return null;
    const backwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_eltwise_backward_desc_init",
      lib.dnnl_eltwise_backward_desc_init(backwardOp, ELTWISE_RELU, data, data, 0, 0),
    );
    const backwardPd = this.#primitiveDesc(backwardOp, null, forwardPd);
    if (backwardPd == null) return null;
    const tensor = () => this.#memory(data);
    return {
      forward: this.#executable(keep, forwardPd, [
        [ARG.src, tensor(), "src"],
        [ARG.dst, tensor(), "dst"],
      ], threads),
      backward: this.#executable(keep, backwardPd, [
        [ARG.src, tensor(), "src"],
        [ARG.diffDst, tensor(), "diffDst"],
        [ARG.diffSrc, tensor(), "diffSrc"],
      ], threads),
    };
  }

  /**
   * Max pooling's forward operation descriptor for `g` (`kind`: training records where the
   * maxima are, inference does not), its NHWC input and output, and its window geometry.
   */
  #maxPoolForwardOp(keep: Keep, g: ConvGeometry, kind: number) {
    const [src, dst] = this.#inOut(keep, g);
    const [strides, dilates, padL, padR] = spatial(keep, g);
    const window = keep.ptr(dims(g.filterHeight, g.filterWidth));
    const geometry = [strides, window, dilates, padL, padR] as const;
    const op = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_pooling_v2_forward_desc_init",
      this.#lib.dnnl_pooling_v2_forward_desc_init(op, kind, POOLING_MAX, src, dst, ...geometry),
    );
    return { op, src, dst, geometry };
  }

  #maxPool(g: ConvGeometry): MaxPoolPrimitives | null {
    const lib = this.#lib, keep = new Keep();
    const { op: forwardOp, src, dst, geometry } = this.#maxPoolForwardOp(keep, g, FORWARD_TRAINING);
    const forwardPd = this.#primitiveDesc(forwardOp, null, null);
    if (forwardPd == null) return null;
    const backwardOp = keep.ptr(new Uint8Array(OP_DESC_BYTES));
    check(
      "dnnl_pooling_v2_backward_desc_init",
      lib.dnnl_pooling_v2_backward_desc_init(backwardOp, POOLING_MAX, src, dst, ...geometry),
    );
    const backwardPd = this.#primitiveDesc(backwardOp, null, forwardPd);
    if (backwardPd == null) return null;
    const workspace = lib.dnnl_primitive_desc_query_md(forwardPd, QUERY.workspace, 0);
    return {
      workspaceBytes: Number(lib.dnnl_memory_desc_get_size(workspace)),
      forward: this.#executable(keep, forwardPd, [
        [ARG.src, this.#memory(src), "src"],
        [ARG.dst, this.#memory(dst), "dst"],
        [ARG.workspace, this.#memory(workspace), "workspace"],
      ], this.#maxThreads),
      backward: this.#executable(keep, backwardPd, [
        [ARG.diffDst, this.#memory(dst), "diffDst"],
        [ARG.workspace, this.#memory(workspace), "workspace"],
        [ARG.diffSrc, this.#memory(src), "diffSrc"],
      ], this.#maxThreads),
    };
  }

  #maxPoolForward(g: ConvGeometry, threads: number): Executable<"src" | "dst"> | null {
    const keep = new Keep();
    const { op, src, dst } = this.#maxPoolForwardOp(keep, g, FORWARD_INFERENCE);
    const pd = this.#primitiveDesc(op, null, null);
    if (pd == null) return null;
    return this.#executable(keep, pd, [
      [ARG.src, this.#memory(src), "src"],
      [ARG.dst, this.#memory(dst), "dst"],
    ], threads);
  }

  /** Primitive attributes whose post-operations `append` adds to the list it is given. */
  #postOpsAttr(append: (ops: Pointer) => void): Pointer {
    const lib = this.#lib;
    const attr = outSlot(), ops = outSlot();
    check("dnnl_primitive_attr_create", lib.dnnl_primitive_attr_create(attr.at));
    check("dnnl_post_ops_create", lib.dnnl_post_ops_create(ops.at));
    append(ops.read());
    check(
      "dnnl_primitive_attr_set_post_ops",
      lib.dnnl_primitive_attr_set_post_ops(attr.read(), ops.read()),
    );
    return attr.read();
  }

  #reluAttr(): Pointer {
    return this.#postOpsAttr((ops) =>
      check(
        "dnnl_post_ops_append_eltwise",
        this.#lib.dnnl_post_ops_append_eltwise(ops, 1, ELTWISE_RELU, 0, 0),
      )
    );
  }

  #implementation(pd: Pointer): string {
    const info = outSlot();
    const status = this.#lib.dnnl_primitive_desc_query(pd, QUERY.implInfo, 0, info.at);
    const ptr = info.read();
    return status === OK && ptr ? new Deno.UnsafePointerView(ptr).getCString() : "unknown";
  }
}

/** dnnl_exec_arg_t[]: { int arg; dnnl_memory_t memory; } with the pointer at offset 8. */
function execArgs(pairs: readonly (readonly [number, Pointer])[]): Uint8Array {
  const bytes = new Uint8Array(16 * pairs.length);
  const view = new DataView(bytes.buffer);
  pairs.forEach(([arg, mem], i) => {
    view.setInt32(16 * i, arg, true);
    view.setBigUint64(16 * i + 8, BigInt(Deno.UnsafePointer.value(mem)), true);
  });
  return bytes;
}

let loaded: OneDnn | null | undefined;

/**
 * The oneDNN binding, opened once per process; null where the library cannot be loaded or
 * `OICSR_NO_DNNL=1` is set (to measure or test the other formulations).
 *
 * @example
 * ```ts
 * const dnnl = oneDnn();
 * console.log(dnnl ? dnnl.description : "no oneDNN: wasm and OpenBLAS kernels only");
 * ```
 */
export function oneDnn(): OneDnn | null {
  if (loaded !== undefined) return loaded;
  let disabled = false;
  try {
    disabled = Deno.env.get("OICSR_NO_DNNL") === "1";
  } catch {
    disabled = false;
  }
  loaded = null;
  if (disabled) return loaded;
  // OpenMP's threads spin after each parallel region by default, which takes the cores from
  // the wasm threads running the next kernel (ResNet-20 inference ran 5x slower). libgomp
  // reads this when it loads, so it is set before the library is opened.
  if (Deno.env.get("OMP_WAIT_POLICY") === undefined) Deno.env.set("OMP_WAIT_POLICY", "passive");
  for (const name of LIBRARIES) {
    try {
      loaded = new Library(Deno.dlopen(name, symbols).symbols);
      break;
    } catch {
      continue;
    }
  }
  return loaded;
}
