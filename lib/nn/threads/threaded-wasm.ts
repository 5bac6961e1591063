/**
 * Starts TensorFlow.js's multi-threaded WebAssembly build (tfjs-backend-wasm-threaded-simd.wasm,
 * shipped in @tensorflow/tfjs-backend-wasm/dist) under Node, where tfjs itself never tries it.
 *
 * Why it does not start by itself: tfjs reports WASM_HAS_MULTITHREAD_SUPPORT = false whenever
 * IS_NODE (tfjs issue #3830), and forcing the flag is not enough, because emscripten's glue makes
 * its pthread Workers from `blob:` URLs, which Node's worker_threads.Worker refuses (it takes a
 * file, a data: URL or code). Three things are patched, for the time of the initialisation only
 * (`startThreadedWasm` puts every one back before it returns, success or not):
 *
 *   1. The worker script. tfjs wraps its worker code in a Blob and passes
 *      URL.createObjectURL(blob) to `new Worker(url)`. We record the text of the Blobs made while
 *      the backend starts, and a Worker asked for such a URL starts from that text (`eval: true`),
 *      followed by a few lines of ours (WORKER_SHIM) that provide what the code expects in Node.
 *   2. The main script. Each worker is then sent a "load" message whose `urlOrBlob` is a Blob of
 *      the module factory ("var WasmBackendModuleThreadedSimd = function…"), which the worker would
 *      `importScripts` through another blob: URL. We send a marker instead and the worker evaluates
 *      the recorded text. The factory's source refers to names of tfjs's Node bundle
 *      (`require$$0` … for fs, path, perf_hooks, os; `_scriptDir`), defined by the shim first.
 *   3. The thread count. The C side caps XNNPACK's pool at emscripten_num_logical_cores() / 2
 *      (it assumes two hyper-threads per core), which in Node is os.cpus().length / 2: one thread
 *      on this 2-core machine. While the module starts, os.cpus() reports each core twice.
 *
 * The memory of the threaded build is a SharedArrayBuffer, which is what lets our own workers
 * (./pool.ts) compute on tfjs's tensors in place.
 *
 * Exercised by tests/nn-threads.test.ts (results equal to the one-thread build's, fallback, exit).
 */
import { createRequire } from "node:module";
import type * as Os from "node:os";
import type * as WorkerThreads from "node:worker_threads";
import * as tf from "@tensorflow/tfjs";
import * as tfWasm from "@tensorflow/tfjs-backend-wasm";

// the modules themselves (not an import's namespace copy): their Worker and cpus are what we swap
const nodeRequire = createRequire(typeof __filename === "string" ? __filename : `${process.cwd()}/index.js`);
const os = nodeRequire("node:os") as typeof Os;
const workerThreads = nodeRequire("node:worker_threads") as typeof WorkerThreads;

/** The start of the module factory's text, as tfjs builds the Blob of it. */
const FACTORY_PREFIX = "var WasmBackendModuleThreadedSimd";
const MAIN_SCRIPT_MARKER = "tsrl:threaded-wasm-main-script";

/**
 * Appended to tfjs's worker code. Its first lines replaced `importScripts` (for Node, with a file
 * read); ours reads the marker as the recorded factory text, and defines the bundle's names the
 * factory's source uses.
 */
const WORKER_SHIM = `
;(function () {
  const data = require("node:worker_threads").workerData;
  global._scriptDir = data.scriptDir;
  global.require$$0 = require("node:fs");
  global.require$$1 = require("node:path");
  global.require$$3 = require("node:perf_hooks");
  global.require$$4 = require("node:os");
  global.commonjsGlobal = global;
  const fileImport = global.importScripts;
  global.importScripts = (url) => (url === ${JSON.stringify(MAIN_SCRIPT_MARKER)} ? (0, eval)(data.mainScript) : fileImport(url));
})();
`;

export interface ThreadedWasmStart {
  /** Threads XNNPACK's pool got (tfjs's getThreadsCount after the start). */
  threads: number;
}

/** Workers this module started (tfjs's pthread pool), for tests that check they are gone. */
export const startedWorkers: WorkerThreads.Worker[] = [];

/**
 * Sets the wasm backend up as the threaded build with `xnnThreads` threads in XNNPACK's pool and
 * initialises it (tf.setBackend("wasm")). Throws if it does not start; the caller then starts
 * the one-thread build (`resetToSingleThreadWasm`).
 */
export async function startThreadedWasm(xnnThreads: number): Promise<ThreadedWasmStart> {
  if (!Number.isInteger(xnnThreads) || xnnThreads < 1) throw new RangeError(`xnnThreads must be a positive integer, got ${xnnThreads}`);
  if (typeof SharedArrayBuffer !== "function") throw new Error("SharedArrayBuffer is not available");
  const bundle = nodeRequire.resolve("@tensorflow/tfjs-backend-wasm");
  const texts = new WeakMap<Blob, string>();
  const urlTexts = new Map<string, string>();
  let mainScript: string | undefined;

  const RealBlob = globalThis.Blob;
  const realCreateObjectURL = URL.createObjectURL;
  const RealWorker = workerThreads.Worker;
  const realCpus = os.cpus;
  class RecordingBlob extends RealBlob {
    constructor(...args: ConstructorParameters<typeof Blob>) {
      super(...args);
      const parts = args[0];
      if (parts && parts.every((p) => typeof p === "string")) {
        const text = (parts as string[]).join("");
        texts.set(this, text);
        if (text.startsWith(FACTORY_PREFIX)) mainScript = text;
      }
    }
  }
  class BlobUrlWorker extends RealWorker {
    constructor(url: string | URL, options?: WorkerThreads.WorkerOptions) {
      const text = typeof url === "string" ? urlTexts.get(url) : undefined;
      if (text === undefined) super(url, options);
      else {
        if (mainScript === undefined) throw new Error("threaded wasm: the module factory's script was not seen before its workers");
        super(text + WORKER_SHIM, { eval: true, workerData: { mainScript, scriptDir: bundle } });
        startedWorkers.push(this);
      }
    }
    override postMessage(message: unknown, transfer?: readonly WorkerThreads.TransferListItem[]): void {
      const m = message as { cmd?: string; urlOrBlob?: unknown } | null;
      if (m && m.cmd === "load" && m.urlOrBlob instanceof RealBlob) message = { ...m, urlOrBlob: MAIN_SCRIPT_MARKER };
      super.postMessage(message, transfer);
    }
  }

  const workerModule = workerThreads as { Worker: typeof RealWorker };
  const osModule = os as { cpus: typeof os.cpus };
  globalThis.Blob = RecordingBlob;
  URL.createObjectURL = (obj: Blob) => {
    const url = realCreateObjectURL(obj);
    const text = texts.get(obj);
    if (text !== undefined) urlTexts.set(url, text);
    return url;
  };
  workerModule.Worker = BlobUrlWorker;
  osModule.cpus = () => { const cpus = realCpus(); return [...cpus, ...cpus]; };
  try {
    tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    tfWasm.setThreadsCount(xnnThreads);
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("tfjs's threaded wasm build failed to initialise");
    await tf.ready();
    // emscripten ref()s a worker while it runs a thread, and XNNPACK's pool threads run (waiting
    // for work) for the life of the process: unreferenced, they do not keep Node from exiting
    for (const w of startedWorkers) w.unref();
    return { threads: tfWasm.getThreadsCount() };
  } finally {
    globalThis.Blob = RealBlob;
    URL.createObjectURL = realCreateObjectURL;
    workerModule.Worker = RealWorker;
    osModule.cpus = realCpus;
  }
}

/** After a failed start: the flags back as tfjs sets them in Node, so "wasm" starts the one-thread build. */
export function resetToSingleThreadWasm(): void {
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  tfWasm.setThreadsCount(1);
}

/** Whether the running wasm backend's memory is shared (the threaded build). */
export function wasmMemoryIsShared(): boolean {
  const backend = tf.findBackend("wasm") as unknown as { wasm?: { HEAPU8?: Uint8Array } } | null;
  const heap = backend?.wasm?.HEAPU8;
  return heap !== undefined && typeof SharedArrayBuffer === "function" && heap.buffer instanceof SharedArrayBuffer;
}
