/**
 * Baselines for GRPO over episodes: what an episode's reward is compared with to make its advantage.
 *
 *   group_mean    A_i = (R_i − mean of its group) / (std + 1e-4)      GRPO (Shao et al. 2024)
 *   group_median  A_i = (R_i − median of its group) / (std + 1e-4)    robust to one outlier episode
 *   global_mean   A_i = (R_i − mean of the whole batch) / (std + 1e-4) REINFORCE with a batch baseline:
 *                                                                     no group needed, but tasks of
 *                                                                     different difficulty leak in
 *   value         A_{i,k} = GAE over the agent's turns k with a learned V (./grpo-episodes-value.ts):
 *                   δ_k = r_k + γ V(s_{k+1}) − V(s_k),  A_k = Σ_j (γλ)^j δ_{k+j}
 *                 credit differs by turn, and the episode's own state, not its group, is the reference
 *
 * `scaleRewards` (TRL's scale_rewards) says which std divides: the group's, the batch's, or none.
 * The three group baselines give one advantage per episode; every agent token of the episode shares
 * it. GAE gives one per turn; every token of a turn shares its turn's.
 */
import { sampleStd, ADVANTAGE_EPS, SCALE_REWARDS, type ScaleRewards } from "./grpo-lm-loss";

export const EPISODE_BASELINES = ["group_mean", "group_median", "global_mean", "value"] as const;
export type EpisodeBaseline = (typeof EPISODE_BASELINES)[number];

export interface EpisodeAdvantages {
  /** One per episode, in the rewards' order. */
  advantages: Float32Array;
  /** Sample std of each group's rewards. */
  groupStd: Float32Array;
  /** Share of groups whose rewards all agree (they teach nothing under a group baseline). */
  fracZeroStd: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b), n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/** Per-episode advantages under a group baseline (group_mean, group_median or global_mean), G episodes per group, in order. */
export function episodeAdvantages(rewards: ArrayLike<number>, numGenerations: number, baseline: Exclude<EpisodeBaseline, "value">, scale: ScaleRewards): EpisodeAdvantages {
  const G = numGenerations, N = rewards.length;
  if (!Number.isInteger(G) || G < 1) throw new RangeError(`numGenerations must be a positive integer, got ${G}`);
  if (N % G !== 0) throw new RangeError(`${N} rewards do not split into groups of numGenerations = ${G}`);
  if (!(["group_mean", "group_median", "global_mean"] as string[]).includes(baseline)) throw new RangeError(`baseline must be group_mean, group_median or global_mean here, got ${JSON.stringify(baseline)}`);
  if (!SCALE_REWARDS.includes(scale)) throw new RangeError(`scaleRewards must be one of ${SCALE_REWARDS.join(", ")}, got ${JSON.stringify(scale)}`);
  for (let i = 0; i < N; i++) if (!Number.isFinite(rewards[i])) throw new RangeError(`reward ${i} is ${rewards[i]}, expected a finite number`);
  const all = Array.from(rewards);
  const groups = N / G, batchMean = all.reduce((a, b) => a + b, 0) / Math.max(N, 1), batchStd = sampleStd(all);
  const advantages = new Float32Array(N), groupStd = new Float32Array(groups);
  let zero = 0;
  for (let g = 0; g < groups; g++) {
    const xs = all.slice(g * G, (g + 1) * G);
    groupStd[g] = sampleStd(xs);
    if (groupStd[g] < 1e-8) zero++;
    const ref = baseline === "global_mean" ? batchMean : baseline === "group_median" ? median(xs) : xs.reduce((a, b) => a + b, 0) / G;
    const std = scale === "batch" || baseline === "global_mean" ? batchStd : groupStd[g];
    for (let i = 0; i < G; i++) advantages[g * G + i] = scale === "none" ? xs[i] - ref : (xs[i] - ref) / (std + ADVANTAGE_EPS);
  }
  return { advantages, groupStd, fracZeroStd: groups ? zero / groups : 0 };
}

/**
 * GAE over an episode's agent turns: `rewards[k]` the reward after turn k, `values[k]` = V(s_k) at
 * the start of turn k, `lastValue` = V after the last turn (0 when the episode terminated; V of the
 * state it was cut in when truncated). Returns the advantages and the value targets A_k + V(s_k).
 */
export function turnGae(rewards: readonly number[], values: readonly number[], lastValue: number, gamma: number, lambda: number): { advantages: number[]; returns: number[] } {
  const K = rewards.length;
  if (values.length !== K) throw new RangeError(`turnGae: ${K} rewards but ${values.length} values`);
  const advantages = new Array<number>(K);
  let next = 0;
  for (let k = K - 1; k >= 0; k--) {
    const vNext = k === K - 1 ? lastValue : values[k + 1];
    const delta = rewards[k] + gamma * vNext - values[k];
    next = delta + gamma * lambda * next;
    advantages[k] = next;
  }
  return { advantages, returns: advantages.map((a, k) => a + values[k]) };
}
