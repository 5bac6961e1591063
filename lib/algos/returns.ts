/**
 * Discounted reward-to-go, the Monte-Carlo return REINFORCE weights each log-probability with:
 *
 *   G_t = r_t + γ·r_{t+1} + γ²·r_{t+2} + … = Σ_{k ≥ t} γ^{k−t} r_k   (within t's episode)
 *
 * computed backwards in one pass: G_t = r_t + γ·G_{t+1}, restarting at every episode end.
 *
 * `rewards` of consecutive steps, possibly several episodes back to back; `episodeEnds[t]` is true
 * on the last step of an episode (terminated or truncated). Without bootstrapping, a truncated
 * episode's return simply stops at the cut — REINFORCE's Monte-Carlo estimate.
 */
export function rewardToGo(rewards: ArrayLike<number>, episodeEnds: ArrayLike<boolean | number>, gamma: number): Float32Array {
  if (rewards.length !== episodeEnds.length) throw new RangeError(`rewardToGo: ${rewards.length} rewards but ${episodeEnds.length} episode-end flags`);
  if (!(gamma >= 0 && gamma <= 1)) throw new RangeError(`rewardToGo: gamma must be in [0, 1], got ${gamma}`);
  const out = new Float32Array(rewards.length);
  let g = 0;
  for (let t = rewards.length - 1; t >= 0; t--) {
    if (episodeEnds[t]) g = 0;
    g = rewards[t] + gamma * g;
    out[t] = g;
  }
  return out;
}

/** (x − mean) / (std + eps), the per-batch standardisation of advantages (or returns). */
export function standardize(x: Float32Array, eps = 1e-8): Float32Array {
  if (x.length === 0) return new Float32Array(0);
  const { mean, std } = meanStd(x);
  return Float32Array.from(x, (xi) => (xi - mean) / (std + eps));
}

/** Mean and population standard deviation (NaN, NaN for no values). */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN };
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / n) };
}
