/**
 * How many threads tsrl computes on, and starting them with the wasm backend (initBackend calls
 * `startWasmThreads` in place of tf.setBackend("wasm")).
 *
 * Why these routes, measured on this project's 2-core Sapphire Rapids (Node 20, tfjs 4.22):
 *   (a) tfjs's threaded wasm build started under Node (./threaded-wasm.ts) gives XNNPACK a pool of
 *       pthreads, which parallelises its GEMM and its element-wise ops — but its GEMM runs at
 *       ~25–33 GFLOP/s per core here, tfjs's batched and transposed products never reach it (a
 *       plain loop at ~1–2 GFLOP/s), and a pthread that died would leave XNNPACK's pool waiting
 *       forever (the main thread spins in wasm, no error can reach it).
 *   (b) our own kernels (./engine.ts: a GEMM and fused optimiser passes generated as wasm SIMD)
 *       split across worker_threads by ./pool.ts: ~35 GFLOP/s per core with mul+add, ~45 with
 *       relaxed SIMD's fused multiply-add, any transposes and batch sharing as strides, bitwise
 *       the same result on 1 or N threads, and a dead worker is an error.
 *   So we use both: (a) only for its shared memory (our workers compute on tfjs's tensors where
 *   they lie, no copies) and its parallel element-wise ops, and (b) for the products and the
 *   optimiser. A native addon (AVX-512, AMX) would be faster still but needs a compiler or a
 *   prebuilt binary at install, which a fresh offline machine with npm's install scripts off
 *   does not give; WebAssembly is what every Node runs.
 *
 * Threads: `TSRL_THREADS` if set (1 = the one-thread build, our kernels on the main thread),
 * else the machine's available parallelism, at most 8.
 */
import * as os from "node:os";
import * as tf from "@tensorflow/tfjs";
import { startEngine, type EngineMemory, type KernelEngine } from "./engine";
import { resetToSingleThreadWasm, startThreadedWasm } from "./threaded-wasm";
import { setKernelEngine } from "./tf-kernels";

export const MAX_DEFAULT_THREADS = 8;

/** `TSRL_THREADS` as a thread count, or undefined; throws naming a bad value. */
export function parseThreadsEnv(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new RangeError(`TSRL_THREADS=${JSON.stringify(value)} is not a thread count; expected an integer from 1 to 256`);
  return n;
}

/** The thread count to use: TSRL_THREADS, else min(available parallelism, 8). */
export function defaultThreads(): number {
  const fromEnv = parseThreadsEnv(process.env.TSRL_THREADS);
  if (fromEnv !== undefined) return fromEnv;
  const available = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, available));
}

export interface WasmThreadsStart {
  /** Threads our kernels run on (1 when only the main thread). */
  threads: number;
  engine?: KernelEngine;
  /** For the backend's one-line message: what runs, and why not more. */
  note: string;
}

interface EmscriptenLike {
  wasmMemory?: WebAssembly.Memory;
  asm?: { memory?: WebAssembly.Memory };
  _malloc(bytes: number): number;
}

/**
 * Initialises tfjs's wasm backend — the threaded build when `threads` > 1, falling back to the
 * one-thread build if it does not start — then our kernel engine on its memory. Never throws for
 * lack of threads: the note says what happened.
 */
export async function startWasmThreads(threads: number): Promise<WasmThreadsStart> {
  let threadedProblem: string | undefined;
  // (tf.findBackend would start initialising it: look in the engine's registry instead)
  const alreadyRunning = (tf.engine() as unknown as { registry: Record<string, unknown> }).registry.wasm !== undefined;
  if (threads > 1 && !alreadyRunning) {
    try {
      await startThreadedWasm(1);
    } catch (err) {
      threadedProblem = firstLine(err);
      resetToSingleThreadWasm();
    }
  } else if (threads > 1) {
    threadedProblem = "the wasm backend was already initialised with one thread";
  }
  if (tf.getBackend() !== "wasm") {
    const ok = await tf.setBackend("wasm");
    if (!ok) throw new Error("tfjs backend 'wasm' failed to initialise");
    await tf.ready();
  }
  const heap = wasmHeap();
  if (!heap) return { threads: 1, note: "tfjs's kernels only: the wasm memory is not reachable" };
  let engine: KernelEngine;
  try {
    engine = await startEngine(heap, { threads });
  } catch (err) {
    return { threads: 1, note: `tfjs's kernels only: ours did not start (${firstLine(err)})` };
  }
  setKernelEngine(engine, tf.backend());
  guardHeapExhaustion();
  const what = `${engine.threads} thread${engine.threads === 1 ? "" : "s"}${engine.fma ? ", fused multiply-add" : ""}`;
  const why = threadedProblem ? `; the threaded build did not start: ${threadedProblem}` : threads === 1 && defaultThreads() === 1 && process.env.TSRL_THREADS ? "; TSRL_THREADS=1" : "";
  return { threads: engine.threads, engine, note: `${what}${why}` };
}

/**
 * tfjs's wasm backend does not check its allocator's result: when the heap cannot grow (wasm32's
 * 4 GiB), a tensor gets address 0 and silently overwrites the heap's start. Make that an error
 * that says what happened instead (wrapping the allocator tfjs calls for every tensor).
 */
function guardHeapExhaustion(): void {
  const wasm = (tf.backend() as unknown as { wasm: EmscriptenLike & { tsrlGuarded?: boolean } }).wasm;
  if (wasm.tsrlGuarded) return;
  const malloc = wasm._malloc.bind(wasm);
  wasm._malloc = (bytes: number) => {
    const at = malloc(bytes);
    if (at === 0 && bytes > 0) {
      const heap = wasm.wasmMemory ?? wasm.asm?.memory;
      const size = heap ? `${(heap.buffer.byteLength / 2 ** 30).toFixed(2)} GiB` : "its limit";
      throw new RangeError(`the WebAssembly heap is full: ${(bytes / 2 ** 20).toFixed(1)} MiB more do not fit in ${size} (wasm32 tops out at 4 GiB) — use a smaller batch or model`);
    }
    return at;
  };
  wasm.tsrlGuarded = true;
}

/** The running wasm backend's memory and allocator (for ./engine.ts), if it is running. */
export function wasmHeap(): EngineMemory | undefined {
  if (tf.getBackend() !== "wasm") return undefined;
  const wasm = (tf.backend() as unknown as { wasm: EmscriptenLike }).wasm;
  const memory = wasm.wasmMemory ?? wasm.asm?.memory;
  return memory ? { memory, malloc: (n) => wasm._malloc(n) } : undefined;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split("\n")[0].slice(0, 200);
}
