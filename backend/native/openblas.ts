/**
 * OpenBLAS's `cblas_sgemm` through Deno's FFI, on memory of the wasm backend's heap, so
 * that the heaviest kernels run on a multi-threaded native GEMM without copying tensors; a
 * product with one row or one column runs as `cblas_sgemv` (a Dense layer at batch 1:
 * OpenBLAS's GEMM packs the whole weight matrix first, 3x slower on 4096 x 384).
 * Debian: `apt-get install libopenblas0-pthread`. Where the library is missing (or FFI is
 * not allowed), `openBlas()` answers null and the kernels keep their wasm formulation.
 *
 * @module
 */

const ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112;

const i32 = "i32" as const, f32 = "f32" as const, ptr = "pointer" as const;
const symbols = {
  // (order, transA, transB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc)
  cblas_sgemm: {
    parameters: [i32, i32, i32, i32, i32, i32, f32, ptr, i32, ptr, i32, f32, ptr, i32],
    result: "void",
  },
  // (order, trans, m, n, alpha, A, lda, x, incx, beta, y, incy)
  cblas_sgemv: {
    parameters: [i32, i32, i32, i32, f32, ptr, i32, ptr, i32, f32, ptr, i32],
    result: "void",
  },
  openblas_get_num_threads: { parameters: [], result: "i32" },
  openblas_get_config: { parameters: [], result: "pointer" },
} as const;

/** A row-major matrix in a heap: byte offset, leading dimension, transposed or not. */
export interface HeapMatrix {
  readonly offset: number;
  readonly ld: number;
  readonly trans?: boolean;
}

/** The GEMM we use: C (m x n) = alpha A (m x k) B (k x n) + beta C, all in one heap. */
export interface Blas {
  /** e.g. "OpenBLAS 0.3.21 ... (2 threads)". */
  readonly description: string;
  readonly threads: number;
  sgemm(
    heap: Uint8Array,
    dims: { readonly m: number; readonly n: number; readonly k: number },
    a: HeapMatrix,
    b: HeapMatrix,
    c: HeapMatrix,
    beta?: number,
  ): void;
}

const LIBRARIES = ["libopenblas.so.0", "libopenblas.so"];
let loaded: Blas | null | undefined;

function open(): Blas | null {
  for (const name of LIBRARIES) {
    let lib;
    try {
      lib = Deno.dlopen(name, symbols);
    } catch {
      continue;
    }
    const { cblas_sgemm, cblas_sgemv, openblas_get_num_threads, openblas_get_config } = lib.symbols;
    const threads = openblas_get_num_threads();
    const config = openblas_get_config();
    const text = config ? new Deno.UnsafePointerView(config).getCString() : name;
    return {
      description: `${text} (${threads} thread${threads === 1 ? "" : "s"})`,
      threads,
      sgemm(heap, { m, n, k }, a, b, c, beta = 0) {
        const base = Deno.UnsafePointer.of(heap as Uint8Array<ArrayBuffer>);
        const at = (x: HeapMatrix) => Deno.UnsafePointer.offset(base!, x.offset);
        if (m === 1 || n === 1) {
          // One row of C: c = op(B)^T a, a strided by its leading dimension when stored as
          // a column. One column: c = op(A) b likewise, c strided by its own.
          const [matrix, vector, rows, columns] = m === 1
            ? [b, a, ...(b.trans ? [n, k] : [k, n])]
            : [a, b, ...(a.trans ? [k, m] : [m, k])];
          const transpose = m === 1 ? !b.trans : a.trans;
          const vectorStride = (m === 1 ? a.trans : !b.trans) ? vector.ld : 1;
          cblas_sgemv(
            ROW_MAJOR,
            transpose ? TRANS : NO_TRANS,
            rows,
            columns,
            1,
            at(matrix),
            matrix.ld,
            at(vector),
            vectorStride,
            beta,
            at(c),
            m === 1 ? 1 : c.ld,
          );
          return;
        }
        cblas_sgemm(
          ROW_MAJOR,
          a.trans ? TRANS : NO_TRANS,
          b.trans ? TRANS : NO_TRANS,
          m,
          n,
          k,
          1,
          at(a),
          a.ld,
          at(b),
          b.ld,
          beta,
          at(c),
          c.ld,
        );
      },
    };
  }
  return null;
}

/**
 * The OpenBLAS binding, opened once per process; null where the library cannot be
 * loaded or `OICSR_NO_BLAS=1` is set (to measure or test the wasm formulation).
 *
 * @example
 * ```ts
 * const blas = openBlas();
 * console.log(blas ? blas.description : "no OpenBLAS: wasm kernels only");
 * ```
 */
export function openBlas(): Blas | null {
  if (loaded === undefined) {
    let disabled = false;
    try {
      disabled = Deno.env.get("OICSR_NO_BLAS") === "1";
    } catch {
      disabled = false;
    }
    loaded = disabled ? null : open();
  }
  return loaded;
}
