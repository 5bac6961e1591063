/**
 * The second half of each PPO minibatch step's gradient (./ppo-part.ts) computed in a worker
 * thread, while the calling thread computes the first half: the typed engine's update on two cores.
 *
 *   const half = await startPpoPartWorker({ policySpec, valueSpec, params, policySize, maxRows: 64 });
 *   half.start(mb, h, config);  … the first half here …  const { grads, stats } = half.finish();
 *
 * `params` (the actor's parameters, then the critic's, flat) must be a view of a SharedArrayBuffer:
 * the worker's trainers read the parameters there, the ones the caller's trainers and Adam use, so
 * nothing is copied per step but the half minibatch (rows [h, rows): a few KB). The worker writes its
 * gradient and its shares of the loss terms into shared memory; `finish` returns views of them.
 * Hand-off is lib/core/workers.ts's way: sequence numbers and Atomics.wait/notify on a control
 * block, the worker spinning a little before it sleeps (the next step comes within ~0.1 ms). The
 * half is claimed with a compare-and-swap, by the worker when it picks the step up or by the
 * caller when it finished its own half first (the worker asleep, or its core busy with another
 * process) — then the caller computes it itself, so a busy machine costs little more than one
 * thread; either way the same numbers.
 *
 * Failures are errors, never hangs: an exception in the worker is thrown by `finish` with its
 * message; a worker that stops (killed, out of memory) is seen by the supervisor, which wakes the
 * caller, and `finish` throws naming it — that step was not taken — and from then on the second
 * halves run on the calling thread (./ppo-part.ts's inThreadPart: the same numbers, one core).
 * A minibatch of more rows than `maxRows` has its second half computed here too, for the same reason.
 * Nothing here keeps Node alive; `dispose()` stops the worker.
 */
import * as path from "node:path";
import { startSupervisedWorkers } from "../core/workers";
import type { MlpSpec } from "../nn/mlp/mlp";
import { mlpParamCount } from "../nn/mlp/trainer";
import { inThreadPart, type PpoPartStats, type PpoSecondHalf } from "./ppo-part";
import type { PpoLossConfig, PpoMinibatch } from "./ppo-nets";

/** Control slots (i32). */
const SEQ = 0, DONE = 1, ERROR = 2, STOP = 3, COUNT = 4, MEAN_OVER = 5, HAS_MASK = 6, CLIP_VLOSS = 7, CLAIM = 8, SLOTS = 12;
/** Sequence numbers stay positive i32 (a claimed half is marked by negating its number). */
const SEQ_MASK = 0x3fffffff;
/** Float64 slots: the loss settings in, the part's statistics out. */
const CLIP_COEF = 0, ENT_COEF = 1, VF_COEF = 2, STATS = 3, SCALARS = 16;
const STAT_NAMES = ["policyLoss", "valueLoss", "entropy", "oldApproxKl", "approxKl", "clipFrac"] as const;
const MESSAGE_BYTES = 1024;
/** How long the caller waits in one Atomics.wait before it looks for a stopped worker again (ms). */
const WAIT_SLICE_MS = 20;
/**
 * Atomics.load spins (~7 ns each) before the worker sleeps on its futex: the steps of an update
 * come ~0.1 ms apart, so it often catches the next one awake. Not longer: with another process
 * keeping a core busy, a spinning worker takes time from our own main thread — measured on 64-row
 * steps under such a load, 1-thread time ÷ 2-thread time was 0.95 with no spinning, 0.94 with 5,000
 * spins and 0.81 with 50,000.
 */
const WORKER_SPINS = 10_000;

const ROOT = path.resolve(__dirname, "..", "..");

/** Byte offsets of the fields in the worker's shared buffer (the parameters have their own). */
function layout(paramCount: number, maxRows: number, obsSize: number, nActions: number) {
  const align8 = (x: number) => Math.ceil(x / 8) * 8;
  const message = SLOTS * 4;
  const scalars = align8(message + MESSAGE_BYTES);
  const grads = scalars + SCALARS * 8;
  const obs = grads + paramCount * 4;
  const actions = obs + maxRows * obsSize * 4;
  const oldLogp = actions + maxRows * 4;
  const adv = oldLogp + maxRows * 4;
  const ret = adv + maxRows * 4;
  const oldV = ret + maxRows * 4;
  const masks = oldV + maxRows * 4;
  return { slots: SLOTS, scalarCount: SCALARS, message, scalars, grads, obs, actions, oldLogp, adv, ret, oldV, masks, bytes: masks + maxRows * nActions, paramCount, maxRows, obsSize, nActions };
}

/** The arrays over the shared buffer, the same on both sides: the worker inlines this function's source, so it names nothing from this module. */
function sharedViews(buffer: SharedArrayBuffer, at: ReturnType<typeof layout>) {
  const rows = at.maxRows;
  return {
    control: new Int32Array(buffer, 0, at.slots),
    scalars: new Float64Array(buffer, at.scalars, at.scalarCount),
    grads: new Float32Array(buffer, at.grads, at.paramCount),
    obs: new Float32Array(buffer, at.obs, rows * at.obsSize),
    actions: new Int32Array(buffer, at.actions, rows),
    oldLogp: new Float32Array(buffer, at.oldLogp, rows),
    adv: new Float32Array(buffer, at.adv, rows),
    ret: new Float32Array(buffer, at.ret, rows),
    oldV: new Float32Array(buffer, at.oldV, rows),
    masks: new Uint8Array(buffer, at.masks, rows * at.nActions),
  };
}

/** The worker: trainers over the shared parameters, then one part gradient per sequence number. */
const WORKER = `
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const { root, buffer, paramsBuffer, paramsOffset, at, policySpec, valueSpec, policySize } = workerData;
require(root + "/lib/node/register-ts.cjs");
const { mlpTrainerOn } = require(root + "/lib/nn/mlp/trainer.ts");
const { createPpoPart } = require(root + "/lib/algos/ppo-part.ts");
const v = (${sharedViews.toString()})(buffer, at);
const c = v.control, f = v.scalars;
const params = new Float32Array(paramsBuffer, paramsOffset, at.paramCount);
const part = createPpoPart(
  mlpTrainerOn("policy", policySpec, { params: params.subarray(0, policySize), grads: v.grads.subarray(0, policySize) }),
  mlpTrainerOn("value", valueSpec, { params: params.subarray(policySize), grads: v.grads.subarray(policySize) }),
);
const stats = ${JSON.stringify(STAT_NAMES)};
function fail(err) {
  Atomics.store(c, ${ERROR}, 1);
  const m = new Uint8Array(buffer, at.message, ${MESSAGE_BYTES});
  m.fill(0);
  m.set(new TextEncoder().encode(String((err && err.stack) || err)).subarray(0, ${MESSAGE_BYTES - 1}));
}
parentPort.postMessage("ready");
let seen = 0;
for (;;) {
  let s = Atomics.load(c, ${SEQ});
  for (let k = 0; s === seen && k < ${WORKER_SPINS}; k++) s = Atomics.load(c, ${SEQ});
  while (s === seen) { Atomics.wait(c, ${SEQ}, seen); s = Atomics.load(c, ${SEQ}); }
  seen = s;
  if (Atomics.load(c, ${STOP})) break;
  // the caller takes the half back if it finished its own first: whoever swaps CLAIM computes it
  if (Atomics.compareExchange(c, ${CLAIM}, s, -s) !== s) continue;
  try {
    const n = c[${COUNT}], k = at.nActions;
    const mb = {
      obs: v.obs.subarray(0, n * at.obsSize), actions: v.actions.subarray(0, n), oldLogp: v.oldLogp.subarray(0, n),
      adv: v.adv.subarray(0, n), ret: v.ret.subarray(0, n), oldV: v.oldV.subarray(0, n),
      masks: c[${HAS_MASK}] ? v.masks.subarray(0, n * k) : undefined,
    };
    const config = { clipCoef: f[${CLIP_COEF}], entCoef: f[${ENT_COEF}], vfCoef: f[${VF_COEF}], clipVloss: c[${CLIP_VLOSS}] === 1, maxGradNorm: 0 };
    const r = part.gradient(mb, 0, n, c[${MEAN_OVER}], config);
    stats.forEach((name, i) => { f[${STATS} + i] = r[name]; });
  } catch (err) {
    fail(err);
  }
  Atomics.store(c, ${DONE}, s);
  Atomics.notify(c, ${DONE});
}
`;

export interface PpoPartWorkerOptions {
  policySpec: MlpSpec;
  valueSpec: MlpSpec;
  /** The actor's parameters then the critic's, flat, on a SharedArrayBuffer (the ones the caller trains). */
  params: Float32Array;
  /** Parameters of the actor (where the critic's start in `params`). */
  policySize: number;
  /** The largest second half the worker takes (rows); larger ones are computed on the calling thread. */
  maxRows: number;
}

export interface PpoPartWorker extends PpoSecondHalf {
  /** Second halves the worker computed so far (the rest: taken back by the caller, or after a failure). */
  readonly halvesInWorker: number;
  /** For tests: the supervisor terminates the worker after `afterMs` (a crash, as the supervisor sees one). */
  killWorker(afterMs: number): void;
}

/** Starts the worker; resolves once it is ready to take halves. */
export async function startPpoPartWorker(opts: PpoPartWorkerOptions): Promise<PpoPartWorker> {
  const { policySpec, valueSpec, params, policySize } = opts;
  if (!(params.buffer instanceof SharedArrayBuffer)) throw new TypeError("startPpoPartWorker: params must be a view of a SharedArrayBuffer (the worker trains the same parameters)");
  const expected = mlpParamCount(policySpec) + mlpParamCount(valueSpec);
  if (params.length !== expected || policySize !== mlpParamCount(policySpec)) throw new RangeError(`startPpoPartWorker: params has ${params.length} numbers and policySize ${policySize}, expected ${expected} and ${mlpParamCount(policySpec)}`);
  if (!(Number.isInteger(opts.maxRows) && opts.maxRows >= 1)) throw new RangeError(`startPpoPartWorker: maxRows must be a positive integer, got ${opts.maxRows}`);
  const obsSize = policySpec.inputSize, nActions = policySpec.outputSize;
  const at = layout(expected, opts.maxRows, obsSize, nActions);
  const buffer = new SharedArrayBuffer(at.bytes);
  const v = sharedViews(buffer, at);
  const c = v.control, f = v.scalars;
  const workers = await startSupervisedWorkers({
    code: WORKER,
    data: [{ root: ROOT, buffer, paramsBuffer: params.buffer, paramsOffset: params.byteOffset, at, policySpec, valueSpec, policySize }],
    wake: new Int32Array(buffer, DONE * 4, 1),
  });
  // after a death: the second halves on this thread (the same numbers); also for minibatches larger than maxRows
  let here: PpoSecondHalf | undefined;
  const inThread = () => (here ??= inThreadPart(policySpec, valueSpec, params, policySize));
  let seq = 0, inWorker = 0, pending: "worker" | "here" | undefined, broken: string | undefined;
  let startedMb: PpoMinibatch | undefined, startedFrom = 0, startedConfig: PpoLossConfig | undefined;

  /** The error for a worker that stopped; from now on the halves are computed here. */
  const died = (death: string): Error => {
    broken = death;
    void workers.terminate();
    return new Error(`PPO update worker: ${death} — this minibatch step was not taken; later steps compute both halves on the calling thread (the same numbers)`);
  };
  const message = (): string => {
    const bytes = new Uint8Array(buffer, at.message, MESSAGE_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
  };

  return {
    get workers() { return broken ? 0 : 1; },
    get halvesInWorker() { return inWorker; },
    start(mb: PpoMinibatch, from: number, config: PpoLossConfig) {
      if (pending) throw new Error("PPO update worker: start() twice without finish()");
      const death = broken ? undefined : workers.deathMessage();
      if (death) throw died(death);
      const rows = mb.actions.length, count = rows - from;
      if (broken || count > opts.maxRows) {
        inThread().start(mb, from, config);
        pending = "here";
        return;
      }
      if (!(count >= 1)) throw new RangeError(`PPO update worker: rows [${from}, ${rows}) of a minibatch`);
      v.obs.set(mb.obs.subarray(from * obsSize, rows * obsSize));
      v.actions.set(mb.actions.subarray(from, rows));
      v.oldLogp.set(mb.oldLogp.subarray(from, rows));
      v.adv.set(mb.adv.subarray(from, rows));
      v.ret.set(mb.ret.subarray(from, rows));
      v.oldV.set(mb.oldV.subarray(from, rows));
      if (mb.masks) v.masks.set(mb.masks.subarray(from * nActions, rows * nActions));
      c[HAS_MASK] = mb.masks ? 1 : 0;
      c[COUNT] = count;
      c[MEAN_OVER] = rows;
      c[CLIP_VLOSS] = config.clipVloss ? 1 : 0;
      f[CLIP_COEF] = config.clipCoef;
      f[ENT_COEF] = config.entCoef;
      f[VF_COEF] = config.vfCoef;
      seq = (seq + 1) & SEQ_MASK || 1; // never 0: the worker has seen 0
      Atomics.store(c, CLAIM, seq);
      Atomics.store(c, SEQ, seq);
      Atomics.notify(c, SEQ);
      pending = "worker";
      startedMb = mb;
      startedFrom = from;
      startedConfig = config;
    },
    finish() {
      const was = pending;
      pending = undefined;
      if (was === "here") return inThread().finish();
      if (was !== "worker") throw new Error("PPO update worker: finish() without start()");
      if (Atomics.compareExchange(c, CLAIM, seq, 0) === seq) {
        // not picked up yet: this thread computes it (the worker will find it taken)
        const mb = startedMb!;
        startedMb = undefined;
        inThread().start(mb, startedFrom, startedConfig!);
        return inThread().finish();
      }
      startedMb = undefined;
      for (let spins = 0; ; spins++) {
        const done = Atomics.load(c, DONE);
        if (done === seq) break;
        const death = workers.deathMessage();
        if (death) throw died(death);
        if (spins > 2000) Atomics.wait(c, DONE, done, WAIT_SLICE_MS);
      }
      if (Atomics.load(c, ERROR)) {
        Atomics.store(c, ERROR, 0);
        throw new Error(`PPO update worker failed: ${message()}`);
      }
      inWorker++;
      const stats = {} as PpoPartStats;
      STAT_NAMES.forEach((name, i) => (stats[name] = f[STATS + i]));
      return { grads: v.grads, stats };
    },
    killWorker: (afterMs) => workers.killWorker(0, afterMs),
    dispose() {
      if (broken) return;
      broken = "disposed";
      Atomics.store(c, STOP, 1);
      Atomics.store(c, SEQ, (seq = (seq + 1) & SEQ_MASK || 1));
      Atomics.notify(c, SEQ);
      void workers.terminate();
    },
  };
}
