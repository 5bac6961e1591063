/**
 * The few statistics everything shares (advantage standardisation, metric rows, evaluation
 * summaries, chart builders), written once. Population standard deviation throughout, as numpy's
 * default and CleanRL's logging use.
 */

/** Mean, population standard deviation, min and max; NaN for no values. */
export function summarize(values: ArrayLike<number>): { mean: number; std: number; min: number; max: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, std: NaN, min: NaN, max: NaN, n };
  let sum = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    sum += v;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n), min, max, n };
}

/** Mean and population standard deviation (NaN, NaN for no values). */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const { mean, std } = summarize(values);
  return { mean, std };
}

/** (x − mean) / (std + eps): the per-batch standardisation of advantages (or returns). */
export function standardize(x: ArrayLike<number>, eps = 1e-8): Float32Array {
  const { mean, std } = meanStd(x);
  return Float32Array.from(x, (xi) => (xi - mean) / (std + eps));
}

/**
 * Explained variance 1 − Var[y − ŷ] / Var[y] of predictions ŷ of targets y (CleanRL's diagnostic
 * for a value function): 1 is perfect, 0 no better than predicting the mean, negative worse.
 * NaN when the targets do not vary.
 */
export function explainedVariance(predicted: ArrayLike<number>, target: ArrayLike<number>): number {
  if (predicted.length !== target.length) throw new RangeError(`explainedVariance: ${predicted.length} predictions for ${target.length} targets`);
  const varY = summarize(target).std ** 2;
  if (!(varY > 0)) return NaN;
  const diff = Float64Array.from(target, (y, i) => y - predicted[i]);
  return 1 - summarize(diff).std ** 2 / varY;
}

/** The p-th percentile (0–100) of `values`, nearest rank (p50 the median, p99 the tail); NaN for no values. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`p must be in [0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
