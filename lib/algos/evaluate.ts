/**
 * Policy evaluation: run whole episodes with a fixed policy and report the returns.
 * Algorithm-agnostic — any `ActFn` will do (a trained agent's, a checkpoint's, a random one).
 */
import { checkpoint, resolveSignal } from "../core/abort";
import type { Env } from "../core/env";
import { makeEnv } from "../envs/registry";
import { createRng, type Rng } from "../core/rng";
import { meanStd } from "../core/stats";

/** What an action is chosen with: greedily or by sampling with `rng`, among the legal actions of `mask` (info.actionMask). */
export interface ActContext {
  greedy: boolean;
  rng: Rng;
  /** 1 legal / 0 illegal per action; absent when every action is legal. */
  mask?: Uint8Array;
}

/** Picks an action for one observation. `greedy`: the most probable (legal) action; else sample with `rng`. */
export type ActFn = (obs: Float32Array, ctx: ActContext) => number;

export interface EvaluateOptions {
  /** Number of episodes (default 100, Gymnasium's convention for "solved"). */
  episodes?: number;
  /** Episode i resets the env with seed `seed + i` (wrapped to 32 bits), so evaluations are reproducible. Default 0. */
  seed?: number;
  /** Act greedily (default) or sample from the policy. */
  greedy?: boolean;
  /** Cap on steps per episode, for envs without a time limit (default 100 000). */
  maxSteps?: number;
  signal?: AbortSignal;
}

export interface EvaluateResult {
  returns: number[];
  lengths: number[];
  mean: number;
  std: number;
}

/** Runs `episodes` whole episodes with `act`. An env given by id is created here and closed at the end (also on error). */
export async function evaluatePolicy(env: Env<Float32Array, number> | string, act: ActFn, opts: EvaluateOptions = {}): Promise<EvaluateResult> {
  const { episodes = 100, seed = 0, greedy = true, maxSteps = 100_000 } = opts;
  if (!Number.isInteger(episodes) || episodes < 1) throw new RangeError(`episodes must be a positive integer, got ${episodes}`);
  const signal = resolveSignal(opts.signal);
  const rng = createRng(seed);
  const owned = typeof env === "string"; // an env built here from an id is closed here
  const e = owned ? makeEnv<Float32Array, number>(env) : env;
  const returns: number[] = [], lengths: number[] = [];
  try {
    for (let i = 0; i < episodes; i++) {
      await checkpoint(signal);
      let { obs, info } = e.reset({ seed: (seed + i) >>> 0 });
      let total = 0, steps = 0;
      for (;;) {
        const r = e.step(act(obs, { greedy, rng, mask: info.actionMask }));
        total += r.reward;
        steps++;
        obs = r.obs;
        info = r.info;
        if (r.terminated || r.truncated || steps >= maxSteps) break;
      }
      returns.push(total);
      lengths.push(steps);
    }
  } finally {
    if (owned) e.close?.();
  }
  return { returns, lengths, ...meanStd(returns) };
}
