/**
 * Worker threads that run chunks of a job on shared WebAssembly memory, with the calling thread
 * taking part: `run(fn, arg, chunks)` returns when chunks 0 … chunks − 1 of `fn(arg, chunk,
 * scratch)` have all run, somewhere. Synchronous, as tfjs kernels are.
 *
 * The protocol is a control block of i32 in the shared memory (slots below). The caller writes the
 * job, stores a new sequence number and wakes the workers (Atomics.notify); everyone claims chunks
 * with a compare-and-swap on NEXT, whose high bits carry the job's sequence number, so a worker
 * still finishing one job can never claim a chunk of the next with the old job's arguments. Each
 * finished chunk adds one to DONE; the caller waits (Atomics.wait, in slices) until DONE = chunks.
 * Chunks are handed out one at a time, so a core that another process keeps busy simply takes
 * fewer of them.
 *
 * Failures are errors, never hangs:
 *   - an exception in a worker (a wasm trap: a job with bad addresses) is caught there, written
 *     to ERROR and the message area; the caller stops handing out chunks, waits for the ones
 *     handed out, and throws it (the worker itself is fine and serves the next job);
 *   - a worker that stops (terminated, out of memory, exited) cannot tell anyone itself; the
 *     supervisor thread of lib/core/workers.ts sees it and wakes the caller, which throws, and
 *     from then on runs every job on the calling thread alone (still correct) — the error says so.
 *
 * Nothing here keeps Node alive (lib/core/workers.ts), so a script or a test run ends without
 * `dispose()`; `dispose()` stops the workers at once.
 */
import { startSupervisedWorkers } from "../../core/workers";

/** Slots of the control block (i32 indices). */
const SEQ = 0, FN = 1, ARG = 2, NCHUNKS = 3, NEXT = 4, DONE = 5, ERROR = 6, STOP = 7;
export const CONTROL_SLOTS = 16;
/** Bytes after the slots where a failing worker writes its message (UTF-8). */
export const MESSAGE_BYTES = 1024;
export const CONTROL_BYTES = CONTROL_SLOTS * 4 + MESSAGE_BYTES;
/** Chunk indices live in NEXT's low bits; the job's sequence number in the bits above. */
const CHUNK_BITS = 20;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;
export const MAX_CHUNKS = CHUNK_MASK;
const TAG_MASK = 0x3ff;
/** How long the caller waits in one Atomics.wait before looking for a failed or stopped worker again (ms). */
const WAIT_SLICE_MS = 20;
/** Atomics.load spins before a worker sleeps on its futex (cheap wake-up for back-to-back jobs). */
const WORKER_SPINS = 20_000;

/**
 * A compute worker: instantiate the kernels on the shared memory, then serve jobs forever.
 * Plain JavaScript (evaluated, not loaded from a file), so it runs the same under the CLI, the
 * kernel and vitest.
 */
const COMPUTE_WORKER = `
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const { memory, module, control, scratch, names, index } = workerData;
const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
const fns = names.map((n) => exports[n]);
const c = new Int32Array(memory.buffer, control, ${CONTROL_SLOTS});
function fail(err) {
  const text = new TextEncoder().encode(String((err && err.stack) || err)).subarray(0, ${MESSAGE_BYTES - 1});
  if (Atomics.compareExchange(c, ${ERROR}, 0, index + 1) === 0) {
    const bytes = new Uint8Array(memory.buffer, control + ${CONTROL_SLOTS * 4}, ${MESSAGE_BYTES});
    bytes.fill(0);
    bytes.set(text);
  }
  Atomics.notify(c, ${DONE});
}
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  let s = Atomics.load(c, ${SEQ});
  for (let i = 0; s === seen && i < ${WORKER_SPINS}; i++) s = Atomics.load(c, ${SEQ});
  while (s === seen) { Atomics.wait(c, ${SEQ}, seen); s = Atomics.load(c, ${SEQ}); }
  seen = s;
  if (Atomics.load(c, ${STOP})) break;
  const fn = fns[c[${FN}]], arg = c[${ARG}], n = c[${NCHUNKS}], tag = (s & ${TAG_MASK}) << ${CHUNK_BITS};
  for (;;) {
    const v = Atomics.load(c, ${NEXT});
    if ((v & ~${CHUNK_MASK}) !== tag || (v & ${CHUNK_MASK}) >= n) break;
    if (Atomics.compareExchange(c, ${NEXT}, v, v + 1) !== v) continue;
    try {
      fn(arg, v & ${CHUNK_MASK}, scratch);
    } catch (err) {
      fail(err);
    }
    // counted even when it failed: the caller waits for every chunk handed out before it throws
    Atomics.add(c, ${DONE}, 1);
    Atomics.notify(c, ${DONE});
  }
}
`;

export interface PoolOptions {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  /** Exported chunk functions, by index in `run`: fn(arg, chunk, scratch). */
  names: string[];
  /** The calling thread's instance of `module` (on the same memory). */
  exports: WebAssembly.Exports;
  /** Byte address of CONTROL_BYTES of memory for the control block (zeroed here). */
  control: number;
  /** One scratch address per thread, the caller's first. */
  scratch: number[];
}

export interface ThreadPool {
  /** Threads that compute, the caller's included. */
  readonly threads: number;
  /** False once a worker failed or the pool was disposed: jobs then run on the calling thread. */
  readonly healthy: boolean;
  /** Runs chunks 0 … chunks − 1 of function `fn` on `arg` (on the calling thread only if `alone`); throws if a worker failed. */
  run(fn: number, arg: number, chunks: number, alone?: boolean): void;
  /** For tests: the supervisor terminates compute worker `index` after `afterMs`. */
  killWorker(index: number, afterMs: number): void;
  /** Stops the workers; later jobs run on the calling thread. */
  dispose(): Promise<void>;
}

type ChunkFn = (arg: number, chunk: number, scratch: number) => void;

/** A pool with no workers: every job on the calling thread. */
export function callerOnlyPool(exports: WebAssembly.Exports, names: string[], scratch: number): ThreadPool {
  const fns = names.map((n) => exports[n] as ChunkFn);
  return {
    threads: 1,
    healthy: true,
    run(fn, arg, chunks) {
      const f = fns[fn];
      for (let i = 0; i < chunks; i++) f(arg, i, scratch);
    },
    killWorker() { throw new Error("this pool has no workers"); },
    dispose: async () => {},
  };
}

/** Starts `opts.scratch.length − 1` workers; resolves when they are ready to take jobs. */
export async function startPool(opts: PoolOptions): Promise<ThreadPool> {
  const { memory, control } = opts;
  const workerCount = opts.scratch.length - 1;
  if (workerCount < 1) throw new RangeError("startPool needs at least two scratch areas (the caller's and one worker's)");
  if (typeof SharedArrayBuffer !== "function" || !(memory.buffer instanceof SharedArrayBuffer)) throw new TypeError("startPool needs a shared WebAssembly.Memory");
  const fns = opts.names.map((n) => {
    const f = opts.exports[n];
    if (typeof f !== "function") throw new Error(`the kernels module exports no function ${n}`);
    return f as ChunkFn;
  });
  const c = new Int32Array(memory.buffer, control, CONTROL_SLOTS);
  new Uint8Array(memory.buffer, control, CONTROL_BYTES).fill(0);
  // the compute workers, started by a supervisor that reports a death by waking DONE's waiter
  const workers = await startSupervisedWorkers({
    code: COMPUTE_WORKER,
    data: opts.scratch.slice(1).map((scratch, index) => ({ memory, module: opts.module, control, scratch, names: opts.names, index })),
    wake: new Int32Array(memory.buffer as SharedArrayBuffer, control + DONE * 4, 1),
  });

  let seq = 0;
  let broken: string | undefined;
  const mainScratch = opts.scratch[0];
  const message = (): string => {
    const bytes = new Uint8Array(memory.buffer, control + CONTROL_SLOTS * 4, MESSAGE_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
  };
  /** A worker that stopped (the pool is then broken), or an exception in one (that job's). */
  const failure = (): Error | undefined => {
    const death = workers.deathMessage();
    if (death) {
      broken = death;
      return new Error(`tsrl threads: ${death} — the job did not finish; later jobs run on the calling thread alone`);
    }
    const error = Atomics.load(c, ERROR);
    if (error) {
      const e = new Error(`tsrl threads: worker ${error} failed: ${message()}`);
      Atomics.store(c, ERROR, 0);
      return e;
    }
    return undefined;
  };
  const alone = (f: ChunkFn, arg: number, chunks: number) => { for (let i = 0; i < chunks; i++) f(arg, i, mainScratch); };

  return {
    threads: workerCount + 1,
    get healthy() { return broken === undefined; },
    run(fn, arg, chunks, callerOnly = false) {
      const f = fns[fn];
      if (chunks <= 0) return;
      if (chunks > MAX_CHUNKS) throw new RangeError(`a job of ${chunks} chunks; at most ${MAX_CHUNKS}`);
      if (broken || callerOnly || chunks === 1) { alone(f, arg, chunks); return; }
      const before = failure();
      if (before) throw before;
      seq = (seq + 1) | 0;
      const tag = (seq & TAG_MASK) << CHUNK_BITS;
      c[FN] = fn;
      c[ARG] = arg;
      c[NCHUNKS] = chunks;
      Atomics.store(c, DONE, 0);
      Atomics.store(c, NEXT, tag);
      Atomics.store(c, SEQ, seq);
      Atomics.notify(c, SEQ);
      let thrown: unknown;
      for (;;) {
        const v = Atomics.load(c, NEXT);
        if ((v & CHUNK_MASK) >= chunks || Atomics.load(c, ERROR)) break;
        if (Atomics.compareExchange(c, NEXT, v, v + 1) !== v) continue;
        try {
          f(arg, v & CHUNK_MASK, mainScratch);
        } catch (err) {
          thrown = err;
        }
        Atomics.add(c, DONE, 1);
        if (thrown) break;
      }
      // no more chunks handed out; wait for the ones that were (a dead worker's never come)
      const claimed = Math.min(chunks, Atomics.exchange(c, NEXT, tag | CHUNK_MASK) & CHUNK_MASK);
      for (let spins = 0; ; spins++) {
        const done = Atomics.load(c, DONE);
        if (done >= claimed) break;
        if (workers.deathMessage()) break;
        if (spins > 2000) Atomics.wait(c, DONE, done, WAIT_SLICE_MS);
      }
      if (thrown) {
        Atomics.store(c, ERROR, 0); // the same job failing in a worker too says nothing more
        throw thrown;
      }
      const after = failure();
      if (after) throw after;
    },
    killWorker: (index, afterMs) => workers.killWorker(index, afterMs),
    async dispose() {
      if (broken === "disposed") return;
      broken = "disposed";
      Atomics.store(c, STOP, 1);
      Atomics.store(c, SEQ, (seq = (seq + 1) | 0));
      Atomics.notify(c, SEQ);
      await workers.terminate();
    },
  };
}
