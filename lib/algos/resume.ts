/**
 * What a training run needs, beyond its checkpoint's weights, to continue where it stopped: the
 * current weights (a checkpoint may keep the best evaluated ones instead), optimiser moments, every
 * random generator, counters, the metrics so far and, where it can be captured, the environments'
 * state. An agent hands it out as a `TrainingSnapshot` (`agent.trainingState()`); saveAgent writes
 * it next to the checkpoint as train_state.json (plain JSON) and train_state.safetensors (tensors),
 * and `loadAgent(dir, { resume: true })` / `tsrl train --resume DIR` put it back.
 *
 * Resume is exact — the same numbers as an uninterrupted run of the same seed — when every piece
 * of state is captured; a snapshot says whether it is (`exact`) and, when not, why (`note`): e.g.
 * an environment whose state cannot be saved (LunarLander's Box2D world) starts new episodes.
 */
import type { RngState } from "../core/rng";
import type { VectorEnv } from "../core/vector-env";
import { startRollout, type RolloutState } from "./rollout";
import type { NamedTensors } from "../nn/mlp/mlp";
import type { BaseRow, TrainingSnapshot } from "./agent";
import type { AdamState } from "../nn/optim";
import type { TrainingState } from "./train-loop";

export type { TrainingSnapshot } from "./agent";

/** The files a snapshot is written to, inside a checkpoint directory. */
export const TRAIN_STATE_JSON = "train_state.json";
export const TRAIN_STATE_TENSORS = "train_state.safetensors";

/** `tensors` with every name prefixed by `prefix/`, added to `into`. */
export function putPrefixed(into: NamedTensors, prefix: string, tensors: NamedTensors): void {
  for (const [name, t] of Object.entries(tensors)) into[`${prefix}/${name}`] = { data: Float32Array.from(t.data), shape: [...t.shape] };
}

/** The tensors of `from` whose names start with `prefix/`, without it; throws when there are none. */
export function takePrefixed(from: NamedTensors, prefix: string): NamedTensors {
  const out: NamedTensors = {};
  for (const [name, t] of Object.entries(from)) if (name.startsWith(`${prefix}/`)) out[name.slice(prefix.length + 1)] = t;
  if (Object.keys(out).length === 0) throw new RangeError(`${TRAIN_STATE_TENSORS} holds no '${prefix}/…' tensors`);
  return out;
}

export function hasPrefixed(from: NamedTensors, prefix: string): boolean {
  return Object.keys(from).some((n) => n.startsWith(`${prefix}/`));
}

/** An optimiser's moments as tensors `name/i/m`, `name/i/v`; returns the JSON part (steps, lr). */
export function putAdam(into: NamedTensors, name: string, state: AdamState): { steps: number; lr: number; params: number } {
  state.m.forEach((m, i) => {
    into[`${name}/${i}/m`] = { data: m, shape: [m.length] };
    into[`${name}/${i}/v`] = { data: state.v[i], shape: [m.length] };
  });
  return { steps: state.steps, lr: state.lr, params: state.m.length };
}

/** The optimiser state `putAdam` stored under `name`. */
export function takeAdam(from: NamedTensors, name: string, json: unknown): AdamState {
  const j = json as { steps?: unknown; lr?: unknown; params?: unknown } | undefined;
  if (!Number.isInteger(j?.params) || typeof j?.steps !== "number" || typeof j?.lr !== "number") throw new RangeError(`${TRAIN_STATE_JSON}: optimiser '${name}' needs steps, lr and params`);
  const m: Float32Array[] = [], v: Float32Array[] = [];
  for (let i = 0; i < (j.params as number); i++) {
    const mi = from[`${name}/${i}/m`], vi = from[`${name}/${i}/v`];
    if (!mi || !vi) throw new RangeError(`${TRAIN_STATE_TENSORS}: missing '${name}/${i}/m' or '${name}/${i}/v'`);
    m.push(mi.data);
    v.push(vi.data);
  }
  return { steps: j.steps, lr: j.lr, m, v };
}

/** The train loop's part: seconds of training and the metrics rows (NaN and ±∞ as null: JSON has neither). */
export function loopState<R extends BaseRow>(state: TrainingState<R>): { seconds: number; metrics: unknown[] } {
  return { seconds: state.seconds, metrics: state.metrics.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === "number" && !Number.isFinite(v) ? null : v]))) };
}

/** Puts the train loop's part back: the clock and the rows (null back to NaN). */
export function restoreLoop<R extends BaseRow>(state: TrainingState<R>, json: Record<string, unknown>): void {
  const { seconds, metrics } = json as { seconds?: unknown; metrics?: unknown };
  if (typeof seconds !== "number" || !Array.isArray(metrics)) throw new RangeError(`${TRAIN_STATE_JSON}: needs seconds and metrics`);
  state.seconds = seconds;
  state.metrics.length = 0;
  for (const r of metrics as Record<string, unknown>[]) state.metrics.push(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null ? NaN : v])) as unknown as R);
}

/** A number field of the snapshot's JSON, checked. */
export function numberAt(json: Record<string, unknown>, key: string): number {
  const v = json[key];
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${TRAIN_STATE_JSON}: '${key}' must be a finite number, got ${JSON.stringify(v)}`);
  return v;
}

/** A list of numbers of the snapshot's JSON (null read as NaN), checked. */
export function numbersAt(json: Record<string, unknown>, key: string): number[] {
  const v = json[key];
  if (!Array.isArray(v) || !v.every((x) => x === null || typeof x === "number")) throw new RangeError(`${TRAIN_STATE_JSON}: '${key}' must be a list of numbers`);
  return v.map((x) => (x === null ? NaN : x));
}

/** The generator states of the snapshot's JSON by name. */
export function rngsAt(json: Record<string, unknown>): Record<string, RngState> {
  const v = json.rngs;
  if (typeof v !== "object" || v === null) throw new RangeError(`${TRAIN_STATE_JSON}: needs 'rngs'`);
  return v as Record<string, RngState>;
}

/**
 * Where a vector env's rollout stands between updates, as JSON: every env copy's state and the
 * observations (and masks) the next step acts on; null when the copies cannot save their state.
 */
export function vectorRolloutState(venv: VectorEnv<Float32Array, number>, rollout: RolloutState): { env: unknown; obs: number[][]; masks: (number[] | null)[] } | null {
  const env = venv.saveState?.();
  if (env === undefined) return null;
  return { env, obs: rollout.obs.map((o) => Array.from(o)), masks: rollout.masks.map((m) => (m ? Array.from(m) : null)) };
}

/**
 * Puts back `vectorRolloutState`'s JSON; without one (or when the copies cannot load it), every copy
 * starts a new episode seeded with `seed`. Returns whether the rollout was restored exactly.
 */
export function restoreVectorRollout(venv: VectorEnv<Float32Array, number>, rollout: RolloutState, nActions: number, saved: unknown, seed: number): boolean {
  const s = saved as { env?: unknown; obs?: number[][]; masks?: (number[] | null)[] } | null;
  if (s?.env !== undefined && Array.isArray(s.obs) && Array.isArray(s.masks) && venv.loadState) {
    venv.loadState(s.env);
    s.obs.forEach((o, i) => (rollout.obs[i] = Float32Array.from(o)));
    s.masks.forEach((m, i) => (rollout.masks[i] = m ? Uint8Array.from(m) : undefined));
    return true;
  }
  const fresh = startRollout(venv, nActions, seed >>> 0);
  rollout.obs = fresh.obs;
  rollout.masks = fresh.masks;
  return false;
}

/** JSON's null for NaN / ±∞ (a number field that may be "none yet"). */
export function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
