/**
 * Rollouts: running a policy in environments and recording what happened, in flat typed arrays
 * ready for an update. Two shapes, as the algorithms need them:
 *
 *   collectEpisodes   whole episodes, one per env copy, back to back (REINFORCE, GRPO)
 *   collectSteps      exactly T steps from every copy of a vector env, episodes crossing the
 *                     rollout's edges (PPO); the observation an episode was truncated on is kept,
 *                     so its value can be bootstrapped (GAE), and the state carries over to the next call
 *
 * The policy acts for all running copies in one batched forward (`DiscreteActor.logits`); actions
 * are sampled from the softmax among the legal actions (`info.actionMask`).
 *
 * Each has an async twin (`collectEpisodesAsync`, `collectStepsAsync`) that checks the abort signal
 * between steps, yielding to the event loop now and then, with the same numbers: the algorithms use
 * those, so a collection stops on Ctrl-C. `checkEnvCopies`, `checkStepRows` and `checkRolloutFits`
 * refuse, up front, sizes whose steps would run too long between two checks or not fit in memory.
 */
import { checkpoint } from "../core/abort";
import { actionMaskOf, type Env, type Info } from "../core/env";
import { envSpec } from "../envs/registry";
import type { Rng } from "../core/rng";
import { flatSize } from "../core/spaces";
import type { EpisodeStats, VectorEnv } from "../core/vector-env";
import { greedyAction, logProbOfAction, sampleAction } from "../nn/categorical";

/** A discrete policy as the rollout sees it: logits for a batch of flat observations. */
export interface DiscreteActor {
  readonly obsSize: number;
  readonly nActions: number;
  /** Logits for `rows` observations (row-major [rows, obsSize]) → [rows, nActions]; may reuse its buffer. */
  logits(obs: Float32Array, rows: number): Float32Array;
}

/**
 * Observation size and action count of an env with flat observations and discrete actions; throws
 * a RangeError naming what the algorithm needs and what the env has when it does not fit — at
 * agent creation, before any training. An env whose observations are not flat vectors (its registry
 * entry has `featurize`, e.g. EditAgent-v0's objects) fits only an algorithm that reads its
 * features (`opts.featurized`: GRPO).
 */
export function discreteSizes(env: Pick<Env, "id" | "observationSpace" | "actionSpace">, who: string, opts: { featurized?: boolean } = {}): { obsSize: number; nActions: number } {
  if (env.actionSpace.kind !== "discrete") throw new RangeError(`${who} needs a discrete action space; ${env.id} has ${env.actionSpace.toString()}`);
  if (!opts.featurized && registeredFeaturizer(env.id)) {
    throw new RangeError(`${who} needs observations that are flat vectors (Float32Array); ${env.id}'s are structured objects that only an algorithm reading its features handles (grpo)`);
  }
  return { obsSize: flatSize(env.observationSpace), nActions: env.actionSpace.n };
}

/** Whether the registered env `id` has structured observations (a `featurize`); false for an unregistered env. */
function registeredFeaturizer(id: string): boolean {
  try {
    return envSpec(id).observation?.featurize !== undefined;
  } catch {
    return false;
  }
}

/**
 * Env copies one agent may step together. One step of all copies (their physics, one batched
 * forward, the sampling) runs without a check of the signal: 4,096 CartPoles take ~0.1 s, 20,000
 * ~0.45 s on a loaded 2-core machine — past the ~0.1 s an interrupt should wait.
 */
export const MAX_ENV_COPIES = 4096;
/** The most rows one gradient step may take: a step is not interruptible, and 65,536 rows take ~0.1–0.5 s on a small MLP. */
export const MAX_STEP_ROWS = 2048;
/** The most memory one rollout's buffers may need (observations, per-step data, the update's copies). */
export const MAX_ROLLOUT_BYTES = 1 << 30;

/** Refuses (a RangeError naming the field) more env copies than MAX_ENV_COPIES. */
export function checkEnvCopies(who: string, field: string, n: number): void {
  if (n > MAX_ENV_COPIES) throw new RangeError(`${who} config: ${field} = ${n} env copies, expected at most ${MAX_ENV_COPIES}`);
}

/** Refuses (a RangeError) a gradient step on more than MAX_STEP_ROWS rows: Ctrl-C could not stop it for seconds. */
export function checkStepRows(who: string, rows: number, how: string): void {
  if (rows > MAX_STEP_ROWS) throw new RangeError(`${who} config: one gradient step would take ${rows} rows (${how}), expected at most ${MAX_STEP_ROWS}`);
}

/**
 * Refuses, before the env copies are made, a rollout whose buffers would not fit: `numEnvs` ×
 * `steps` rows of `obsSize` floats and their per-step data, against MAX_ROLLOUT_BYTES. A
 * RangeError names the numbers and what to lower.
 */
export function checkRolloutFits(who: string, numEnvs: number, steps: number, obsSize: number, nActions: number): void {
  const bytes = numEnvs * steps * (12 * obsSize + 64 + nActions);
  if (bytes > MAX_ROLLOUT_BYTES) {
    throw new RangeError(`${who} config: a rollout of ${numEnvs} env copies × ${steps} steps of ${obsSize} numbers needs about ${(bytes / 2 ** 30).toFixed(1)} GiB, expected at most ${MAX_ROLLOUT_BYTES / 2 ** 30} GiB; lower numEnvs or the steps per copy`);
  }
}

/** Whole episodes laid out one after another; t runs over every step of every episode. */
export interface EpisodeBatch {
  /** [T, obsSize] */
  obs: Float32Array;
  /** [T] */
  actions: Int32Array;
  /** log π(a_t|s_t) under the policy that acted, [T] */
  logProbs: Float32Array;
  /** [T] */
  rewards: Float32Array;
  /** [T], 1 on each episode's last step */
  episodeEnds: Uint8Array;
  /** [T, nActions] legal actions (1/0), when the env gave masks; else undefined */
  masks?: Uint8Array;
  /** Per episode, in order: undiscounted return, length, and how it ended. */
  returns: number[];
  lengths: number[];
  terminated: boolean[];
  /** Per episode, the `info` of its last step (what the env said about how it ended). */
  finalInfos?: Info[];
}

export interface CollectEpisodesOptions {
  /** Reset copy i with seed + i (wrapped to 32 bits); without, each copy's generator continues. */
  seed?: number;
  /** Reset every copy with the same `seed`: K episodes from the same start (a GRPO group). */
  sameSeed?: boolean;
  /** Reset options for every copy (e.g. the same start for a GRPO group). */
  options?: Record<string, unknown>;
  /** Act greedily instead of sampling. */
  greedy?: boolean;
}

/**
 * Runs one episode in each env copy with the actor, stepping only the copies still running and
 * batching their forward pass, and returns the episodes back to back (copy 0's first).
 */
export function collectEpisodes(envs: readonly Env<Float32Array, number>[], actor: DiscreteActor, rng: Rng, opts: CollectEpisodesOptions = {}): EpisodeBatch {
  return runToEnd(episodesRollout(envs, actor, rng, opts));
}

/**
 * collectEpisodes, yielding to the event loop between steps (every ~20 ms: lib/core/abort's
 * checkpoint) and throwing an AbortError once `signal` is aborted — so a collection with thousands
 * of env copies still stops on Ctrl-C. The same numbers as collectEpisodes.
 */
export function collectEpisodesAsync(envs: readonly Env<Float32Array, number>[], actor: DiscreteActor, rng: Rng, opts: CollectEpisodesOptions & { signal?: AbortSignal } = {}): Promise<EpisodeBatch> {
  return runWithChecks(episodesRollout(envs, actor, rng, opts), opts.signal);
}

/** Runs a rollout generator to its end in one go. */
function runToEnd<T>(g: Generator<void, T>): T {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
  }
}

/** Runs a rollout generator, checking the signal (and yielding now and then) between its steps. */
async function runWithChecks<T>(g: Generator<void, T>, signal: AbortSignal | undefined): Promise<T> {
  for (;;) {
    const r = g.next();
    if (r.done) return r.value;
    await checkpoint(signal);
  }
}

/** collectEpisodes' loop, one `yield` per step of the running copies. */
function* episodesRollout(envs: readonly Env<Float32Array, number>[], actor: DiscreteActor, rng: Rng, opts: CollectEpisodesOptions): Generator<void, EpisodeBatch> {
  const n = envs.length, { obsSize, nActions } = actor;
  const current: Float32Array[] = [];
  const masks: (Uint8Array | undefined)[] = [];
  envs.forEach((env, i) => {
    const r = env.reset({ seed: opts.seed === undefined ? undefined : (opts.seed + (opts.sameSeed ? 0 : i)) >>> 0, options: opts.options });
    current.push(checkObs(r.obs, obsSize, env.id));
    masks.push(actionMaskOf(r.info, nActions, env.id));
  });
  const perEnv = Array.from({ length: n }, () => ({ obs: [] as Float32Array[], actions: [] as number[], logProbs: [] as number[], rewards: [] as number[], masks: [] as (Uint8Array | undefined)[] }));
  const returns = new Array<number>(n).fill(0);
  const terminated = new Array<boolean>(n).fill(false);
  const finalInfos = new Array<Info>(n);
  let anyMask = false;
  const obsBatch = new Float32Array(n * obsSize);
  const maskBatch = new Uint8Array(n * nActions);
  let running = Array.from({ length: n }, (_, i) => i);
  while (running.length > 0) {
    running.forEach((i, row) => {
      obsBatch.set(current[i], row * obsSize);
      if (masks[i]) maskBatch.set(masks[i]!, row * nActions);
      else maskBatch.fill(1, row * nActions, (row + 1) * nActions);
    });
    const logits = actor.logits(obsBatch, running.length);
    const stillRunning: number[] = [];
    running.forEach((i, row) => {
      const mask = masks[i] ? maskBatch : undefined;
      const action = opts.greedy ? greedyAction(logits, row, nActions, mask) : sampleAction(logits, row, nActions, rng, mask);
      const r = envs[i].step(action);
      const ep = perEnv[i];
      ep.obs.push(current[i]);
      ep.actions.push(action);
      ep.logProbs.push(logProbOfAction(logits, row, nActions, action, mask));
      ep.rewards.push(checkReward(r.reward, envs[i].id));
      ep.masks.push(masks[i]);
      if (masks[i]) anyMask = true;
      returns[i] += r.reward;
      if (r.terminated || r.truncated) {
        terminated[i] = r.terminated;
        finalInfos[i] = r.info;
      } else {
        current[i] = checkObs(r.obs, obsSize, envs[i].id);
        masks[i] = actionMaskOf(r.info, nActions, envs[i].id);
        stillRunning.push(i);
      }
    });
    running = stillRunning;
    yield;
  }
  const T = perEnv.reduce((s, e) => s + e.actions.length, 0);
  const batch: EpisodeBatch = {
    obs: new Float32Array(T * obsSize),
    actions: new Int32Array(T),
    logProbs: new Float32Array(T),
    rewards: new Float32Array(T),
    episodeEnds: new Uint8Array(T),
    masks: anyMask ? new Uint8Array(T * nActions).fill(1) : undefined,
    returns,
    lengths: perEnv.map((e) => e.actions.length),
    terminated,
    finalInfos,
  };
  let t = 0;
  for (const ep of perEnv) {
    for (let k = 0; k < ep.actions.length; k++, t++) {
      batch.obs.set(ep.obs[k], t * obsSize);
      batch.actions[t] = ep.actions[k];
      batch.logProbs[t] = ep.logProbs[k];
      batch.rewards[t] = ep.rewards[k];
      if (batch.masks && ep.masks[k]) batch.masks.set(ep.masks[k]!, t * nActions);
    }
    batch.episodeEnds[t - 1] = 1;
  }
  return batch;
}

/** Where a vector env stands between two rollouts: the observations (and masks) to act on next. */
export interface RolloutState {
  obs: Float32Array[];
  masks: (Uint8Array | undefined)[];
}

/** Resets a vector env (seeded: copy i gets seed + i) and returns the state to start rolling out from. */
export function startRollout(venv: VectorEnv<Float32Array, number>, nActions: number, seed?: number): RolloutState {
  const { obs, infos } = venv.reset({ seed });
  return { obs, masks: infos.map((info, i) => actionMaskOf(info, nActions, venv.envs[i].id)) };
}

/** T steps of N env copies, step-major: index t·N + i. */
export interface StepBatch {
  numEnvs: number;
  steps: number;
  /** [T·N, obsSize] observations acted on */
  obs: Float32Array;
  actions: Int32Array;
  logProbs: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** [T·N, nActions] legal actions when the env gave masks */
  masks?: Uint8Array;
  /** The observation each truncated episode ended on, by flat index: V of it bootstraps GAE. */
  finalObs: Map<number, Float32Array>;
  /** [N, obsSize] the observations after the last step (V of them bootstraps the rollout's end). */
  lastObs: Float32Array;
  /** Episodes that ended during this rollout. */
  episodes: EpisodeStats[];
}

/**
 * Steps every copy of `venv` T times with actions sampled from the actor (same-step auto-reset:
 * see lib/core/vector-env). `state` is advanced in place, so the next call continues the episodes.
 */
export function collectSteps(venv: VectorEnv<Float32Array, number>, state: RolloutState, actor: DiscreteActor, steps: number, rng: Rng): StepBatch {
  return runToEnd(stepsRollout(venv, state, actor, steps, rng));
}

/** collectSteps, checking `signal` (and yielding now and then) between steps, as collectEpisodesAsync. The same numbers. */
export function collectStepsAsync(venv: VectorEnv<Float32Array, number>, state: RolloutState, actor: DiscreteActor, steps: number, rng: Rng, signal?: AbortSignal): Promise<StepBatch> {
  return runWithChecks(stepsRollout(venv, state, actor, steps, rng), signal);
}

/** collectSteps' loop, one `yield` per step of the vector env. */
function* stepsRollout(venv: VectorEnv<Float32Array, number>, state: RolloutState, actor: DiscreteActor, steps: number, rng: Rng): Generator<void, StepBatch> {
  const N = venv.numEnvs, { obsSize, nActions } = actor;
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`collectSteps: steps must be a positive integer, got ${steps}`);
  const size = steps * N;
  const batch: StepBatch = {
    numEnvs: N,
    steps,
    obs: new Float32Array(size * obsSize),
    actions: new Int32Array(size),
    logProbs: new Float32Array(size),
    rewards: new Float32Array(size),
    terminated: new Uint8Array(size),
    truncated: new Uint8Array(size),
    masks: undefined,
    finalObs: new Map(),
    lastObs: new Float32Array(N * obsSize),
    episodes: [],
  };
  const obsRows = new Float32Array(N * obsSize);
  const maskRows = new Uint8Array(N * nActions);
  const actions = new Int32Array(N);
  for (let t = 0; t < steps; t++) {
    const hasMask = state.masks.some((m) => m !== undefined);
    for (let i = 0; i < N; i++) {
      obsRows.set(checkObs(state.obs[i], obsSize, venv.envs[i].id), i * obsSize);
      if (state.masks[i]) maskRows.set(state.masks[i]!, i * nActions);
      else maskRows.fill(1, i * nActions, (i + 1) * nActions);
    }
    const logits = actor.logits(obsRows, N);
    const base = t * N;
    batch.obs.set(obsRows, base * obsSize);
    if (hasMask) {
      batch.masks ??= new Uint8Array(size * nActions).fill(1);
      batch.masks.set(maskRows, base * nActions);
    }
    const mask = hasMask ? maskRows : undefined;
    for (let i = 0; i < N; i++) {
      actions[i] = sampleAction(logits, i, nActions, rng, mask);
      batch.actions[base + i] = actions[i];
      batch.logProbs[base + i] = logProbOfAction(logits, i, nActions, actions[i], mask);
    }
    const r = venv.step(actions);
    for (let i = 0; i < N; i++) {
      batch.rewards[base + i] = checkReward(r.rewards[i], venv.envs[i].id);
      batch.terminated[base + i] = r.terminated[i] ? 1 : 0;
      batch.truncated[base + i] = r.truncated[i] && !r.terminated[i] ? 1 : 0;
      if (batch.truncated[base + i]) batch.finalObs.set(base + i, checkObs(r.finalObs[i]!, obsSize, venv.envs[i].id));
      state.obs[i] = r.obs[i];
      state.masks[i] = actionMaskOf(r.infos[i] as Info, nActions, venv.envs[i].id);
    }
    for (const e of r.episodes) batch.episodes.push(e); // not push(...): thousands of copies may end on one step
    yield;
  }
  state.obs.forEach((o, i) => batch.lastObs.set(checkObs(o, obsSize, venv.envs[i].id), i * obsSize));
  return batch;
}

function checkObs(obs: Float32Array, size: number, envId: string): Float32Array {
  if (!(obs instanceof Float32Array) || obs.length !== size) {
    throw new TypeError(`${envId}: observation must be a Float32Array of ${size} numbers, got ${obs instanceof Float32Array ? `${obs.length} numbers` : typeof obs}`);
  }
  return obs;
}

function checkReward(reward: number, envId: string): number {
  if (!Number.isFinite(reward)) throw new RangeError(`${envId}: reward ${reward} is not a finite number`);
  return reward;
}
