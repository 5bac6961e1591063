/**
 * The small statistics the chart builders compute in JavaScript before handing data to vega-lite.
 * Computing them here (rather than with vega-lite transforms) keeps the numbers testable, keeps
 * specs small (a histogram of 100 000 weights ships 30 bins, not 100 000 values), and makes the
 * SVG rendered in Node identical to the interactive chart.
 */

/**
 * Trailing rolling mean: out[i] = mean(values[max(0, i-window+1) .. i]).
 * The first `window-1` points average over the points seen so far (no NaN warm-up gap), which is
 * what you want for a learning curve: the smoothed line starts at the first episode.
 * Non-finite inputs are skipped (they do not poison the window); a window with no finite value is NaN.
 */
export function rollingMean(values: ArrayLike<number>, window: number): Float64Array {
  if (!Number.isInteger(window) || window < 1) throw new Error(`window must be a positive integer, got ${window}`);
  const n = values.length;
  const out = new Float64Array(n);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (Number.isFinite(v)) { sum += v; count++; }
    if (i >= window) {
      const old = values[i - window];
      if (Number.isFinite(old)) { sum -= old; count--; }
    }
    out[i] = count > 0 ? sum / count : NaN;
  }
  return out;
}

/** Mean, population standard deviation, min and max: one definition for the whole library (lib/core/stats). */
export { summarize } from "../core/stats";

export interface HistogramBin { start: number; end: number; count: number }

/**
 * Equal-width bins over [min, max] of the finite values. The last bin is closed on the right so
 * the maximum is counted. A constant input gets one bin of width 1 centred on the value.
 */
export function histogramBins(values: ArrayLike<number>, bins: number): HistogramBin[] {
  if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
  let min = Infinity, max = -Infinity, n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    n++;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n === 0) return [];
  if (min === max) return [{ start: min - 0.5, end: max + 0.5, count: n }];
  const width = (max - min) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    counts[Math.min(bins - 1, Math.floor((v - min) / width))]++;
  }
  return counts.map((count, b) => ({ start: min + b * width, end: b === bins - 1 ? max : min + (b + 1) * width, count }));
}

/**
 * Indices that keep at most `maxPoints` of `n` evenly spaced points, always including the last
 * one (the most recent episode is the one a reader looks for on a live chart).
 */
export function thinIndices(n: number, maxPoints: number): number[] {
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const stride = n / maxPoints;
  const out: number[] = [];
  for (let k = 0; k < maxPoints - 1; k++) out.push(Math.floor(k * stride));
  out.push(n - 1);
  return out;
}
