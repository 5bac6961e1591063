/**
 * A vector environment whose copies step in worker threads — for environments whose step is the
 * costly part (LunarLander's Box2D physics), so the copies of a rollout step on all cores:
 *
 *   const venv = await startVectorEnvWorkers("LunarLander-v3", 16, { workers: 2 });
 *
 * It is ./vector-env.ts's vector env, the same semantics (same-step auto-reset, finalObs and
 * finalInfos, episode statistics, seeds seed + i) and the same numbers: copy i is built by
 * makeEnv in a worker, gets the same seed and the same actions, and its observations and rewards
 * come back exactly (float32 and float64 in shared memory). Workers own contiguous ranges of
 * copies. A step: the caller writes the actions into shared memory and wakes the workers
 * (Atomics), they step their copies and write observations, rewards and flags back; `info`
 * objects that are not empty travel as v8-serialised bytes (tests/core-vector-env-workers.test.ts
 * compares whole rollouts with the in-thread vector env, bit for bit).
 *
 * Limits: observations must be flat Float32Arrays and actions numbers or Float32Arrays (what the
 * algorithms here use); the environment must be one makeEnv can build in a fresh thread (the
 * built-in ones — one registered at run time in this thread does not exist in the workers). The
 * `envs` are stand-ins that carry id and spaces; stepping one directly is an error.
 *
 * An exception in a worker's env is an error from `step`/`reset` naming the copy; a worker that
 * stops is an error too, never a hang (the supervisor of ./workers.ts).
 */
import * as path from "node:path";
import * as v8 from "node:v8";
import type { Env, Info, ResetArgs } from "../core/env";
import type { MakeOptions } from "../core/registry";
import { makeEnv } from "./registry";
import { flatSize } from "../core/spaces";
import type { EpisodeStats, VectorEnv, VectorStepResult } from "../core/vector-env";
import { startSupervisedWorkers } from "../core/workers";

export interface VectorEnvWorkersOptions extends MakeOptions {
  /** Worker threads (each steps a contiguous range of the copies). */
  workers: number;
}

/** Control slots (i32). */
const SEQ = 0, CMD = 1, DONE = 2, ERROR = 3, HAS_SEED = 4, OPTIONS_BYTES = 5, SLOTS = 8;
const RESET = 1, STEP = 2, CLOSE = 3;
/** Bytes for one copy's serialised info (and as much for its final info), and for reset options. */
const INFO_BYTES = 4096;
const OPTIONS_MAX = 16384;
const MESSAGE_BYTES = 1024;
const WAIT_SLICE_MS = 20;

const ROOT = path.resolve(__dirname, "..", "..");

/** Field byte offsets in the shared buffer, for `n` copies with observations of `obsSize` and actions of `actSize` numbers. */
function layout(n: number, obsSize: number, actSize: number) {
  const align8 = (x: number) => Math.ceil(x / 8) * 8;
  const control = 0;
  const message = control + SLOTS * 4;
  const seed = align8(message + MESSAGE_BYTES);
  const actions = seed + 8;
  const rewards = align8(actions + n * actSize * 8);
  const obs = rewards + n * 8;
  const finalObs = align8(obs + n * obsSize * 4);
  const flags = align8(finalObs + n * obsSize * 4);
  const infoLengths = align8(flags + n * 4);
  const infos = infoLengths + n * 2 * 4;
  const options = align8(infos + n * 2 * INFO_BYTES);
  return { control, message, seed, actions, rewards, obs, finalObs, flags, infoLengths, infos, options, bytes: options + OPTIONS_MAX };
}

/**
 * The per-copy arrays over the shared buffer, the same on both sides: the worker's code below
 * inlines this function's source, so it must stay self-contained (no names from this module).
 */
function sharedViews(buffer: SharedArrayBuffer, at: ReturnType<typeof layout>, n: number, obsSize: number, actSize: number) {
  return {
    actions: new Float64Array(buffer, at.actions, n * actSize),
    rewards: new Float64Array(buffer, at.rewards, n),
    obs: new Float32Array(buffer, at.obs, n * obsSize),
    finalObs: new Float32Array(buffer, at.finalObs, n * obsSize),
    flags: new Uint8Array(buffer, at.flags, n * 4),
    infoLengths: new Int32Array(buffer, at.infoLengths, n * 2),
    infoBytes: new Uint8Array(buffer, at.infos, at.options - at.infos),
  };
}

/** The worker: builds its copies, then serves RESET / STEP / CLOSE commands from shared memory. */
const WORKER = `
"use strict";
const { workerData, parentPort } = require("node:worker_threads");
const v8 = require("node:v8");
const { root, id, makeOptions, lo, hi, n, obsSize, actSize, buffer, at, index } = workerData;
require(root + "/lib/node/register-ts.cjs");
const { makeEnv } = require(root + "/lib/envs/registry.ts"); // the built-in envs registered
const c = new Int32Array(buffer, at.control, ${SLOTS});
const seedView = new Float64Array(buffer, at.seed, 1);
const { actions, rewards, obs, finalObs, flags, infoLengths, infoBytes } = (${sharedViews.toString()})(buffer, at, n, obsSize, actSize);
const optionBytes = new Uint8Array(buffer, at.options, ${OPTIONS_MAX});
const envs = [];
for (let i = lo; i < hi; i++) envs.push(makeEnv(id, makeOptions));
function putObs(target, i, o) {
  if (!(o instanceof Float32Array) || o.length !== obsSize) throw new TypeError(id + " copy " + i + ": workers need Float32Array observations of " + obsSize + " numbers, got " + (o && o.constructor && o.constructor.name) + " of length " + (o && o.length));
  target.set(o, i * obsSize);
}
function putInfo(slot, i, info) {
  if (!info || Object.keys(info).length === 0) { infoLengths[i * 2 + slot] = 0; return; }
  const bytes = v8.serialize(info);
  if (bytes.length > ${INFO_BYTES}) throw new RangeError(id + " copy " + i + ": an info of " + bytes.length + " bytes is too large for env workers (at most ${INFO_BYTES})");
  infoBytes.set(bytes, (i * 2 + slot) * ${INFO_BYTES});
  infoLengths[i * 2 + slot] = bytes.length;
}
function action(i) {
  if (actSize === 1) return actions[i];
  return Float32Array.from(actions.subarray(i * actSize, (i + 1) * actSize));
}
function fail(err) {
  if (Atomics.compareExchange(c, ${ERROR}, 0, index + 1) === 0) {
    const m = new Uint8Array(buffer, at.message, ${MESSAGE_BYTES});
    m.fill(0);
    m.set(new TextEncoder().encode(String((err && err.stack) || err)).subarray(0, ${MESSAGE_BYTES - 1}));
  }
}
parentPort.postMessage("ready");
let seen = 0;
for (let running = true; running;) {
  let s = Atomics.load(c, ${SEQ});
  for (let k = 0; s === seen && k < 20000; k++) s = Atomics.load(c, ${SEQ});
  while (s === seen) { Atomics.wait(c, ${SEQ}, seen); s = Atomics.load(c, ${SEQ}); }
  seen = s;
  const cmd = Atomics.load(c, ${CMD});
  try {
    if (cmd === ${RESET}) {
      const optionLength = c[${OPTIONS_BYTES}];
      const options = optionLength > 0 ? v8.deserialize(optionBytes.slice(0, optionLength)) : undefined;
      for (let i = lo; i < hi; i++) {
        const r = envs[i - lo].reset({ seed: c[${HAS_SEED}] ? (seedView[0] + i) >>> 0 : undefined, options });
        putObs(obs, i, r.obs);
        putInfo(0, i, r.info);
      }
    } else if (cmd === ${STEP}) {
      for (let i = lo; i < hi; i++) {
        const env = envs[i - lo];
        const r = env.step(action(i));
        rewards[i] = r.reward;
        flags[i * 4] = r.terminated ? 1 : 0;
        flags[i * 4 + 1] = r.truncated ? 1 : 0;
        if (r.terminated || r.truncated) {
          putObs(finalObs, i, r.obs);
          putInfo(1, i, r.info);
          const first = env.reset();
          putObs(obs, i, first.obs);
          putInfo(0, i, first.info);
        } else {
          putObs(obs, i, r.obs);
          putInfo(0, i, r.info);
        }
      }
    } else if (cmd === ${CLOSE}) {
      for (const env of envs) if (env.close) env.close();
      running = false;
    }
  } catch (err) {
    fail(err);
  }
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
`;

/** A stand-in for copy i: id and spaces of the real one, which lives in a worker. */
function standIn<O, A>(model: Env<O, A>, i: number): Env<O, A> {
  const elsewhere = (): never => { throw new Error(`${model.id} copy ${i} runs in a worker thread: step it through the vector env`); };
  return { id: model.id, observationSpace: model.observationSpace, actionSpace: model.actionSpace, reset: elsewhere, step: elsewhere };
}

/** Starts `numEnvs` copies of `id` in `opts.workers` worker threads; resolves when they are built. */
export interface VectorEnvInWorkers<A> extends VectorEnv<Float32Array, A> {
  /** For tests: worker `index` is terminated after `afterMs` (a crash, as the supervisor sees one). */
  killWorker(index: number, afterMs: number): void;
}

export async function startVectorEnvWorkers<A extends number | Float32Array = number>(id: string, numEnvs: number, opts: VectorEnvWorkersOptions): Promise<VectorEnvInWorkers<A>> {
  if (!Number.isInteger(numEnvs) || numEnvs < 1) throw new RangeError(`numEnvs must be a positive integer, got ${numEnvs}`);
  if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`workers must be a positive integer, got ${opts.workers}`);
  const model = makeEnv<Float32Array, A>(id, opts);
  const obsSize = flatSize(model.observationSpace);
  const actSize = model.actionSpace.kind === "discrete" ? 1 : flatSize(model.actionSpace);
  model.close?.();
  const workerCount = Math.min(opts.workers, numEnvs);
  const at = layout(numEnvs, obsSize, actSize);
  const buffer = new SharedArrayBuffer(at.bytes);
  const c = new Int32Array(buffer, at.control, SLOTS);
  const makeOptions: MakeOptions = { maxEpisodeSteps: opts.maxEpisodeSteps, options: opts.options };
  const ranges = Array.from({ length: workerCount }, (_, w) => [Math.floor((w * numEnvs) / workerCount), Math.floor(((w + 1) * numEnvs) / workerCount)]);
  const workers = await startSupervisedWorkers({
    code: WORKER,
    data: ranges.map(([lo, hi], index) => ({ root: ROOT, id, makeOptions, lo, hi, n: numEnvs, obsSize, actSize, buffer, at, index })),
    wake: new Int32Array(buffer, at.control + DONE * 4, 1),
  });

  const { actions, rewards: rewardsView, obs: obsView, finalObs: finalObsView, flags, infoLengths, infoBytes } = sharedViews(buffer, at, numEnvs, obsSize, actSize);
  const returns = new Float64Array(numEnvs);
  const lengths = new Int32Array(numEnvs);
  let started = false, closed = false, seq = 0;

  const message = (): string => {
    const bytes = new Uint8Array(buffer, at.message, MESSAGE_BYTES);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.slice(0, end < 0 ? MESSAGE_BYTES : end));
  };
  /** Runs one command on every worker and waits for all of them; throws what went wrong. */
  const command = (cmd: number): void => {
    if (closed) throw new Error(`${id}: the vector env in workers was closed`);
    const dead = workers.deathMessage();
    if (dead) throw new Error(`${id} env workers: ${dead}`);
    Atomics.store(c, DONE, 0);
    Atomics.store(c, CMD, cmd);
    Atomics.store(c, SEQ, (seq = (seq + 1) | 0));
    Atomics.notify(c, SEQ);
    for (let spins = 0; ; spins++) {
      const done = Atomics.load(c, DONE);
      if (done >= workerCount) break;
      const death = workers.deathMessage();
      if (death) {
        closed = true;
        void workers.terminate();
        throw new Error(`${id} env workers: ${death} — the vector env is closed`);
      }
      if (spins > 2000) Atomics.wait(c, DONE, done, WAIT_SLICE_MS);
    }
    if (Atomics.load(c, ERROR)) {
      const text = message();
      Atomics.store(c, ERROR, 0);
      throw new Error(`${id} env workers: ${text}`);
    }
  };
  const infoOf = (i: number, slot: 0 | 1): Info => {
    const length = infoLengths[i * 2 + slot];
    return length === 0 ? {} : (v8.deserialize(infoBytes.slice((i * 2 + slot) * INFO_BYTES, (i * 2 + slot) * INFO_BYTES + length)) as Info);
  };
  const obsOf = (view: Float32Array, i: number) => view.slice(i * obsSize, (i + 1) * obsSize);

  return {
    numEnvs,
    envs: Array.from({ length: numEnvs }, (_, i) => standIn(model, i)),
    singleObservationSpace: model.observationSpace,
    singleActionSpace: model.actionSpace,
    reset(args: ResetArgs = {}) {
      started = true;
      returns.fill(0);
      lengths.fill(0);
      c[HAS_SEED] = args.seed === undefined ? 0 : 1;
      new Float64Array(buffer, at.seed, 1)[0] = args.seed ?? 0;
      if (args.options !== undefined) {
        const bytes = v8.serialize(args.options);
        if (bytes.length > OPTIONS_MAX) throw new RangeError(`${id}: reset options of ${bytes.length} bytes are too large for env workers (at most ${OPTIONS_MAX})`);
        new Uint8Array(buffer, at.options, OPTIONS_MAX).set(bytes);
        c[OPTIONS_BYTES] = bytes.length;
      } else c[OPTIONS_BYTES] = 0;
      command(RESET);
      return { obs: Array.from({ length: numEnvs }, (_, i) => obsOf(obsView, i)), infos: Array.from({ length: numEnvs }, (_, i) => infoOf(i, 0)) };
    },
    killWorker: (index, afterMs) => workers.killWorker(index, afterMs),
    step(acts): VectorStepResult<Float32Array> {
      if (!started) throw new Error("vectorEnv.step called before reset()");
      if (acts.length !== numEnvs) throw new RangeError(`vectorEnv.step: got ${acts.length} actions for ${numEnvs} environments`);
      for (let i = 0; i < numEnvs; i++) {
        const a = acts[i] as number | Float32Array;
        if (actSize === 1) {
          if (typeof a !== "number") throw new TypeError(`${id} copy ${i}: expected a number action, got ${typeof a}`);
          actions[i] = a;
        } else {
          if (!(a instanceof Float32Array) || a.length !== actSize) throw new TypeError(`${id} copy ${i}: expected a Float32Array action of ${actSize} numbers`);
          actions.set(a, i * actSize);
        }
      }
      command(STEP);
      const obs = new Array<Float32Array>(numEnvs);
      const rewards = new Float64Array(numEnvs);
      const terminated = new Array<boolean>(numEnvs);
      const truncated = new Array<boolean>(numEnvs);
      const finalObs = new Array<Float32Array | undefined>(numEnvs);
      const infos = new Array<Info>(numEnvs);
      const finalInfos = new Array<Info | undefined>(numEnvs);
      const episodes: EpisodeStats[] = [];
      for (let i = 0; i < numEnvs; i++) {
        rewards[i] = rewardsView[i];
        terminated[i] = flags[i * 4] === 1;
        truncated[i] = flags[i * 4 + 1] === 1;
        returns[i] += rewards[i];
        lengths[i] += 1;
        obs[i] = obsOf(obsView, i);
        infos[i] = infoOf(i, 0);
        if (terminated[i] || truncated[i]) {
          episodes.push({ env: i, return: returns[i], length: lengths[i], terminated: terminated[i], truncated: truncated[i] });
          returns[i] = 0;
          lengths[i] = 0;
          finalObs[i] = obsOf(finalObsView, i);
          finalInfos[i] = infoOf(i, 1);
        }
      }
      return { obs, rewards, terminated, truncated, finalObs, infos, finalInfos, episodes };
    },
    close() {
      if (closed) return;
      try {
        command(CLOSE);
      } finally {
        closed = true;
        void workers.terminate();
      }
    },
  };
}
