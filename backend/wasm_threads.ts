/**
 * Makes tfjs's threaded-SIMD wasm binary start under Deno. Under Deno tfjs believes it runs in
 * Node, so Emscripten starts its pthread workers with `node:worker_threads`, and three things
 * fail: (1) the worker script is given as a `blob:` URL, which Deno's worker_threads rejects
 * (ERR_WORKER_PATH); (2) the worker script does `Object.assign(global, {location, ...})` and
 * `location` is getter-only in a Deno worker; (3) the main script reaches the workers as a Blob
 * they cannot read. Besides, the backend uses `os.cpus().length / 2` threads at most (it assumes
 * two hyper-threads per core), which is 1 on a 2-vCPU machine.
 *
 * `withWasmThreads` writes both scripts to a temporary folder (worker script patched), swaps
 * worker_threads' `Worker` for one that loads them, and reports twice the CPUs while the
 * backend starts.
 *
 * Known problem: a process with threads started often does not exit by itself after its last
 * step (the pthread workers keep it alive; `unref()` on them did not help): end such programs
 * with `Deno.exit()`. `deno test` is not affected. Call it around the first `tf.setBackend("wasm")` of the process.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const wasmOut = "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd";

/** Replaces `Object.assign(global, {...})` by one that skips getter-only globals. */
const safeAssign = "(function(o){for(const k in o){try{Object.defineProperty(global,k," +
  "{value:o[k],writable:true,configurable:true})}catch(_){}}})({";

interface Scripts {
  readonly worker: string;
  readonly main: string;
}

let scripts: Scripts | null = null;

/**
 * Writes the pthread worker script and the main script where worker_threads can load them:
 * a folder in the system's temporary directory named by the scripts' hash, shared by every
 * process (written once, atomically: temp folder, then rename).
 */
function writeScripts(): Scripts {
  if (scripts != null) return scripts;
  const { wasmWorkerContents } = require(`${wasmOut}.worker.js`) as { wasmWorkerContents: string };
  // The contents come from a template literal: restore the "\n" escapes, as tfjs does.
  const workerText = wasmWorkerContents.replace(/\n/g, "\\n").replace(
    "Object.assign(global,{",
    safeAssign,
  );
  const factory = require(`${wasmOut}.js`) as { default?: unknown };
  const mainText = `var WasmBackendModuleThreadedSimd = ${factory.default ?? factory};`;
  const hash = createHash("sha256").update(workerText).update(mainText).digest("hex");
  const dir = join(tmpdir(), `oicsr-wasm-threads-${hash.slice(0, 16)}`);
  scripts = { worker: join(dir, "worker.cjs"), main: join(dir, "main.cjs") };
  if (!exists(scripts.worker) || !exists(scripts.main)) {
    const temp = Deno.makeTempDirSync({ dir: tmpdir(), prefix: ".oicsr-wasm-threads-" });
    Deno.writeTextFileSync(join(temp, "worker.cjs"), workerText);
    Deno.writeTextFileSync(join(temp, "main.cjs"), mainText);
    try {
      Deno.renameSync(temp, dir);
    } catch {
      Deno.removeSync(temp, { recursive: true }); // another process wrote it first
    }
  }
  return scripts;
}

function exists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

type WorkerClass = new (path: unknown, options?: unknown) => {
  postMessage(message: unknown, transfer?: unknown): void;
};

let patched = false;

/** Makes worker_threads' Worker load our files instead of tfjs's blob URLs. */
function patchWorker(files: Scripts): void {
  if (patched) return;
  const workerThreads = require("worker_threads") as { Worker: WorkerClass };
  const Base = workerThreads.Worker;
  workerThreads.Worker = class extends Base {
    constructor(_path: unknown, options?: unknown) {
      super(files.worker, options);
    }
    override postMessage(message: unknown, transfer?: unknown): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown };
      const fixed = m?.cmd === "load" && typeof m.urlOrBlob !== "string"
        ? { ...m, urlOrBlob: files.main }
        : message;
      super.postMessage(fixed, transfer);
    }
  };
  patched = true;
}

/**
 * Runs `start` (which must start the wasm backend) with the threaded binary and `threads`
 * threads; returns what `start` returns. Side effects: the scripts' folder in the temporary
 * directory (kept for the next process),
 * worker_threads' Worker replaced for the process.
 */
export async function withWasmThreads<T>(threads: number, start: () => Promise<T>): Promise<T> {
  patchWorker(writeScripts());
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  const os = require("os") as { cpus(): unknown[] };
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]);
  try {
    return await start();
  } finally {
    os.cpus = cpus;
  }
}
