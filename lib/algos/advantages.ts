/**
 * Advantages: how much better than expected each action turned out. Every policy-gradient method
 * weights log π(a_t|s_t) by one of these; they differ in how the estimate trades bias for variance.
 *
 *   rewardToGo          G_t = Σ_{k≥t} γ^{k−t} r_k                       (REINFORCE; Monte Carlo, no bias)
 *   baselineAdvantages  A_t = G_t − b(s_t), b = 0 | mean G | V(s_t)     (REINFORCE with a baseline)
 *   computeGae          A_t = Σ_l (γλ)^l δ_{t+l},  δ_t = r_t + γ V(s_{t+1}) − V(s_t)   (PPO; Schulman et al. 2016)
 *   groupAdvantages     A_i = (R_i − mean R) / (std R + ε) over a group of episodes       (GRPO)
 *   rankAdvantages      the top m of a group by return are preferred                    (GRPO's original scheme)
 *
 * Arrays in, arrays out (typed arrays, no tensors): these run once per batch and are tested against
 * numbers worked out by hand.
 */
import * as tf from "@tensorflow/tfjs";
import { meanStd } from "../core/stats";

/**
 * Discounted reward-to-go, G_t = r_t + γ·G_{t+1}, computed backwards in one pass and restarting at
 * every episode end. `episodeEnds[t]` is true on the last step of an episode (terminated or
 * truncated); several episodes may lie back to back. A truncated episode's return simply stops at
 * the cut: REINFORCE's Monte-Carlo estimate does not bootstrap.
 */
export function rewardToGo(rewards: ArrayLike<number>, episodeEnds: ArrayLike<boolean | number>, gamma: number): Float32Array {
  if (rewards.length !== episodeEnds.length) throw new RangeError(`rewardToGo: ${rewards.length} rewards but ${episodeEnds.length} episode-end flags`);
  checkDiscount("rewardToGo", "gamma", gamma);
  const out = new Float32Array(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    if (episodeEnds[t]) g = 0;
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

export type Baseline = "none" | "mean" | "value";

/**
 * A_t = G_t − b(s_t) with b = 0 ("none"), the batch mean of G ("mean") or V(s_t) ("value", from
 * `values`); then, optionally, standardised over the batch: (A − mean A) / (std A + 1e-8).
 * On tensors, because REINFORCE computes V(s_t) inside its update.
 */
export function baselineAdvantages(returns: tf.Tensor1D, baseline: Baseline, values: tf.Tensor1D | undefined, normalize: boolean): tf.Tensor1D {
  return tf.tidy(() => {
    let adv: tf.Tensor1D;
    if (baseline === "value") {
      if (!values) throw new RangeError('baselineAdvantages: baseline "value" needs the values V(s_t)');
      adv = tf.sub(returns, values);
    } else if (baseline === "mean") {
      adv = tf.sub(returns, tf.mean(returns));
    } else {
      adv = returns;
    }
    if (!normalize) return adv;
    const { mean, variance } = tf.moments(adv);
    return tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(variance), 1e-8));
  });
}

export interface GaeInput {
  /** r_t, [T × numEnvs] laid out step-major: index t·numEnvs + i. */
  rewards: ArrayLike<number>;
  /** V(s_t) of the observation each step acted on, same layout. */
  values: ArrayLike<number>;
  /**
   * V(s_{t+1}) of the same episode's next state, same layout: the next step's value while the
   * episode runs, V(final observation) where it was truncated, V(s_T) after the last step of the
   * rollout (the bootstrap). Ignored where the episode terminated. `nextValues` builds it.
   */
  nextValues: ArrayLike<number>;
  /** 1 where the episode reached a terminal state at step t: no future value. */
  terminated: ArrayLike<number | boolean>;
  /** 1 where it was cut short (time limit): the future is bootstrapped from V(final obs), and the λ-sum stops. */
  truncated: ArrayLike<number | boolean>;
  numEnvs: number;
  gamma: number;
  lambda: number;
}

/**
 * Generalised advantage estimation (Schulman et al. 2016), keeping termination and truncation apart:
 *
 *   δ_t = r_t + γ·(1 − terminated_t)·V(s_{t+1}) − V(s_t)
 *   A_t = δ_t + γλ·(1 − done_t)·A_{t+1}         done = terminated or truncated
 *   R_t = A_t + V(s_t)                            (the λ-return: the value target)
 *
 * A truncated episode still had a future, so its last δ bootstraps from V(final observation);
 * only the sum over later steps stops there, because the next step belongs to a new episode.
 */
export function computeGae(input: GaeInput): { advantages: Float32Array; returns: Float32Array } {
  const { rewards, values, nextValues, terminated, truncated, numEnvs, gamma, lambda } = input;
  const n = rewards.length;
  for (const [name, arr] of [["values", values], ["nextValues", nextValues], ["terminated", terminated], ["truncated", truncated]] as const) {
    if (arr.length !== n) throw new RangeError(`computeGae: ${name} has ${arr.length} entries, rewards ${n}`);
  }
  if (!Number.isInteger(numEnvs) || numEnvs < 1 || n % numEnvs !== 0) throw new RangeError(`computeGae: ${n} steps do not split into numEnvs = ${numEnvs} columns`);
  checkDiscount("computeGae", "gamma", gamma);
  checkDiscount("computeGae", "lambda", lambda);
  const advantages = new Float32Array(n), returns = new Float32Array(n);
  for (let i = 0; i < numEnvs; i++) {
    let next = 0; // A_{t+1} of the same episode
    for (let k = n - numEnvs + i; k >= 0; k -= numEnvs) {
      const term = terminated[k] ? 1 : 0, done = term || truncated[k] ? 1 : 0;
      const delta = rewards[k] + gamma * (1 - term) * nextValues[k] - values[k];
      next = delta + gamma * lambda * (1 - done) * next;
      advantages[k] = next;
      returns[k] = next + values[k];
    }
  }
  return { advantages, returns };
}

/**
 * The `nextValues` GAE needs, from V(s_t) of a [T × numEnvs] rollout: the next row's values, then
 * `lastValues` (V of the observations after the last step) for the final row, and V(final
 * observation) wherever an episode was truncated (`finalValues`, by flat index t·numEnvs + i).
 */
export function nextValues(values: ArrayLike<number>, lastValues: ArrayLike<number>, numEnvs: number, finalValues: ReadonlyMap<number, number> = new Map()): Float32Array {
  const n = values.length;
  if (lastValues.length !== numEnvs) throw new RangeError(`nextValues: ${lastValues.length} bootstrap values for ${numEnvs} envs`);
  const out = new Float32Array(n);
  for (let k = 0; k < n; k++) out[k] = k + numEnvs < n ? values[k + numEnvs] : lastValues[k - (n - numEnvs)];
  for (const [k, v] of finalValues) {
    if (!(k >= 0 && k < n)) throw new RangeError(`nextValues: final value at index ${k}, outside [0, ${n})`);
    out[k] = v;
  }
  return out;
}

/** GRPO's group-normalised advantage of each episode: (R_i − mean R) / (std R + eps). */
export function groupAdvantages(returns: ArrayLike<number>, eps = 1e-8): Float32Array {
  if (returns.length === 0) throw new RangeError("groupAdvantages: an empty group");
  const { mean, std } = meanStd(returns);
  return Float32Array.from(returns, (r) => (r - mean) / (std + eps));
}

/**
 * GRPO's original rank scheme: rank the group by return and prefer the top m — advantage +1 — while
 * the other K − m share −m/(K − m), so a group sums to zero (a baseline that leaves the gradient's
 * expectation unchanged). Episodes with equal returns cannot be told apart, so a tied block gets
 * the average of the advantages its ranks span: the expected advantage under a random tie-break.
 * A group whose returns are all equal thus carries no signal (all zeros), and in a group of 61
 * losses and 3 draws with m = 16 the draws get +1 and each loss −3/61.
 */
export function rankAdvantages(returns: ArrayLike<number>, topM: number): { advantages: Float32Array; preferred: Uint8Array } {
  const k = returns.length;
  if (k === 0) throw new RangeError("rankAdvantages: an empty group");
  if (!Number.isInteger(topM) || topM < 1 || topM > k) throw new RangeError(`rankAdvantages: topM must be an integer in [1, ${k}], got ${topM}`);
  const order = Array.from({ length: k }, (_, i) => i).sort((a, b) => returns[b] - returns[a] || a - b);
  const byRank = (r: number) => (topM === k ? 0 : r < topM ? 1 : -topM / (k - topM));
  const advantages = new Float32Array(k);
  const preferred = new Uint8Array(k);
  for (let start = 0; start < k;) {
    let end = start + 1;
    while (end < k && returns[order[end]] === returns[order[start]]) end++;
    let sum = 0;
    for (let r = start; r < end; r++) sum += byRank(r);
    for (let r = start; r < end; r++) {
      advantages[order[r]] = sum / (end - start);
      preferred[order[r]] = start < topM ? 1 : 0; // the block reaches into the top m
    }
    start = end;
  }
  return { advantages, preferred };
}

function checkDiscount(fn: string, name: string, x: number): void {
  if (!(x >= 0 && x <= 1)) throw new RangeError(`${fn}: ${name} must be in [0, 1], got ${x}`);
}
