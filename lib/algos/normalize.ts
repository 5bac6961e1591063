/**
 * Running normalisation of observations and rewards (Stable-Baselines3's VecNormalize), for PPO's
 * options. Statistics are updated from each rollout's data in one batch (Chan et al.'s parallel
 * variance update, as SB3's RunningMeanStd), and frozen for evaluation.
 *
 *   observations: o' = clip((o − μ) / √(σ² + ε), −10, 10), μ and σ² per dimension over all seen
 *   rewards:      r' = clip(r / √(Var[G] + ε), −10, 10), G the running discounted return of each env
 *                 (reset at episode ends): rewards are scaled, not shifted, so their sign survives
 */

export interface RunningMeanStd {
  readonly mean: Float64Array;
  readonly var: Float64Array;
  readonly count: number;
  /** Folds in `rows` samples of `size` numbers (row-major). */
  update(x: ArrayLike<number>, rows: number): void;
  /** The statistics in float64, as plain JSON (a resumed run continues from exactly these). */
  getState(): { mean: number[]; var: number[]; count: number };
  setState(state: { mean: number[]; var: number[]; count: number }): void;
}

export function createRunningMeanStd(size: number, epsilon = 1e-4): RunningMeanStd {
  const mean = new Float64Array(size), variance = new Float64Array(size).fill(1);
  let count = epsilon;
  return {
    mean,
    var: variance,
    get count() {
      return count;
    },
    update(x, rows) {
      if (rows === 0) return;
      if (x.length < rows * size) throw new RangeError(`RunningMeanStd.update: ${x.length} values for ${rows} rows of ${size}`);
      for (let j = 0; j < size; j++) {
        let m = 0;
        for (let r = 0; r < rows; r++) m += x[r * size + j];
        m /= rows;
        let v = 0;
        for (let r = 0; r < rows; r++) v += (x[r * size + j] - m) ** 2;
        v /= rows;
        const delta = m - mean[j], total = count + rows;
        const m2 = variance[j] * count + v * rows + delta * delta * count * rows / total;
        mean[j] += delta * rows / total;
        variance[j] = m2 / total;
      }
      count += rows;
    },
    getState: () => ({ mean: Array.from(mean), var: Array.from(variance), count }),
    setState(s) {
      const ok = (a: unknown) => Array.isArray(a) && a.length === size && a.every((v) => typeof v === "number" && Number.isFinite(v));
      if (!ok(s?.mean) || !ok(s?.var) || !(s.count > 0)) throw new RangeError(`RunningMeanStd.setState: expected mean and var of ${size} finite numbers and a positive count`);
      mean.set(s.mean);
      variance.set(s.var);
      count = s.count;
    },
  };
}

const CLIP = 10;

/** Normalises `rows` observations in place with the current statistics. */
export function normalizeObservations(stats: RunningMeanStd, x: Float32Array, rows: number, epsilon = 1e-8): Float32Array {
  const size = stats.mean.length;
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < size; j++) {
      const k = r * size + j;
      x[k] = Math.max(-CLIP, Math.min(CLIP, (x[k] - stats.mean[j]) / Math.sqrt(stats.var[j] + epsilon)));
    }
  }
  return x;
}

/** SB3's reward scaling: a running discounted return per env, whose variance scales the rewards. */
export interface RewardScaler {
  /** Scales one step's rewards of all envs (and updates the statistics); `dones` resets the returns. */
  scale(rewards: Float32Array, dones: ArrayLike<number | boolean>): Float32Array;
  readonly stats: RunningMeanStd;
  /** The running discounted return of each env (with `stats`, all a resumed run needs). */
  readonly returns: Float64Array;
}

export function createRewardScaler(numEnvs: number, gamma: number, epsilon = 1e-8): RewardScaler {
  const stats = createRunningMeanStd(1);
  const returns = new Float64Array(numEnvs);
  return {
    stats,
    returns,
    scale(rewards, dones) {
      for (let i = 0; i < numEnvs; i++) returns[i] = returns[i] * gamma + rewards[i];
      stats.update(returns, numEnvs);
      const sd = Math.sqrt(stats.var[0] + epsilon);
      const out = Float32Array.from(rewards, (r) => Math.max(-CLIP, Math.min(CLIP, r / sd)));
      for (let i = 0; i < numEnvs; i++) if (dones[i]) returns[i] = 0;
      return out;
    },
  };
}
