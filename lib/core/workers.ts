/**
 * Worker threads that a caller waits on synchronously (Atomics.wait), with their deaths made
 * visible to it. A thread blocked in Atomics.wait runs no event loop, so it never sees a worker's
 * 'exit' event: a worker that stops (terminated, out of memory, process.exit) would leave it
 * waiting forever. So the workers are started by a supervisor thread whose event loop is free; when
 * one stops unexpectedly the supervisor writes which one and why into a shared status block and
 * wakes the caller's wait address, and the caller throws (`deathMessage()`).
 *
 * Nothing here keeps Node alive: the supervisor is unref()-ed (its workers end with it), so a
 * script ends without `terminate()`; `terminate()` stops them all at once. Used by the kernel
 * engine's pool (lib/nn/threads/pool.ts) and by vector environments in workers (lib/envs/vector-env-workers.ts).
 */
import { Worker } from "node:worker_threads";

/** Status block: [DEAD (index + 1 of the first worker that stopped), STOP], then the message. */
const DEAD = 0, STOP = 1, SLOTS = 2, MESSAGE_BYTES = 1024;

const SUPERVISOR = `
"use strict";
const { Worker, workerData, parentPort } = require("node:worker_threads");
const { status, wake, code, data } = workerData;
const s = new Int32Array(status, 0, ${SLOTS});
const w = new Int32Array(wake.buffer, wake.byteOffset, 1);
let ready = 0;
const workers = data.map((wd, i) => {
  const worker = new Worker(code, { eval: true, workerData: wd });
  let error = "";
  worker.on("message", (m) => { if (m === "ready" && ++ready === data.length) parentPort.postMessage("ready"); });
  worker.on("error", (e) => { error = String((e && e.stack) || e); });
  worker.on("exit", (exitCode) => {
    if (Atomics.load(s, ${STOP})) return;
    const why = "worker " + (i + 1) + " stopped (exit code " + exitCode + ")" + (error ? ": " + error : "");
    if (Atomics.compareExchange(s, ${DEAD}, 0, i + 1) === 0) {
      new Uint8Array(status, ${SLOTS * 4}, ${MESSAGE_BYTES}).set(new TextEncoder().encode(why).subarray(0, ${MESSAGE_BYTES - 1}));
    }
    Atomics.notify(w, 0);
    parentPort.postMessage({ died: i, why });
  });
  return worker;
});
parentPort.on("message", (m) => {
  if (m && m.kill !== undefined) setTimeout(() => { const x = workers[m.kill]; if (x) x.terminate(); }, m.afterMs);
});
`;

export interface SupervisedWorkersOptions {
  /** The workers' code (evaluated, CommonJS); it must post "ready" to its parentPort once it serves. */
  code: string;
  /** One workerData per worker (cloneable; SharedArrayBuffers are shared). */
  data: unknown[];
  /** An Int32Array slot the caller waits on, woken (Atomics.notify) when a worker stops. */
  wake: Int32Array;
}

export interface SupervisedWorkers {
  readonly count: number;
  /** Why a worker stopped, or undefined while all run. Synchronous: readable while waiting. */
  deathMessage(): string | undefined;
  /** For tests: the supervisor terminates worker `index` after `afterMs`. */
  killWorker(index: number, afterMs: number): void;
  /** Stops every worker (no death is reported for them). */
  terminate(): Promise<void>;
}

/** Starts the workers through a supervisor; resolves once every one has posted "ready". */
export async function startSupervisedWorkers(opts: SupervisedWorkersOptions): Promise<SupervisedWorkers> {
  if (opts.data.length < 1) throw new RangeError("startSupervisedWorkers needs at least one worker");
  const status = new SharedArrayBuffer(SLOTS * 4 + MESSAGE_BYTES);
  const s = new Int32Array(status, 0, SLOTS);
  const supervisor = new Worker(SUPERVISOR, { eval: true, workerData: { status, wake: opts.wake, code: opts.code, data: opts.data } });
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      Atomics.store(s, STOP, 1);
      void supervisor.terminate();
      reject(new Error(`the worker threads did not start: ${why}`));
    };
    supervisor.on("message", (m) => {
      if (m === "ready") resolve();
      else if (m && typeof m === "object" && "died" in m) fail(String((m as { why: string }).why));
    });
    supervisor.once("error", (e) => fail(String((e as Error)?.stack ?? e)));
    supervisor.once("exit", (code) => fail(`the supervisor exited (code ${code})`));
  });
  supervisor.removeAllListeners();
  supervisor.on("error", () => {}); // its workers' failures show in the status block
  supervisor.unref();
  return {
    count: opts.data.length,
    deathMessage() {
      if (!Atomics.load(s, DEAD)) return undefined;
      const bytes = new Uint8Array(status, SLOTS * 4, MESSAGE_BYTES);
      const end = bytes.indexOf(0);
      return new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
    },
    killWorker(index, afterMs) {
      if (!(index >= 0 && index < opts.data.length)) throw new RangeError(`no worker ${index}; there are ${opts.data.length}`);
      supervisor.postMessage({ kill: index, afterMs });
    },
    async terminate() {
      Atomics.store(s, STOP, 1);
      await supervisor.terminate();
    },
  };
}
