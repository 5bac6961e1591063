/**
 * The categorical (softmax) distribution over discrete actions, with an optional action mask
 * (1 = legal, 0 = illegal; Tic-Tac-Toe's occupied squares).
 *
 * Tensor functions (for losses, differentiable) and typed-array functions (for acting) side by side,
 * so both sides agree on what a mask means. Masked logits become −1e9 rather than −∞: exp gives an
 * exact 0, and neither the forward value nor the gradient can turn into NaN (0·∞).
 */
import * as tf from "@tensorflow/tfjs";
import { NonFiniteError } from "../core/finite";
import type { Rng } from "../core/rng";

const MASKED_LOGIT = -1e9;

/** Logits with illegal actions pushed to −1e9. `mask`: [batch, n], 1 legal / 0 illegal. */
export function maskLogits(logits: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  if (!mask) return logits;
  return tf.tidy(() => tf.where(tf.greater(mask, 0), logits, tf.fill(logits.shape, MASKED_LOGIT)) as tf.Tensor2D);
}

/** log π(·|s) = logits − logsumexp(logits), row by row. */
export function logSoftmax(logits: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.logSoftmax(maskLogits(logits, mask)));
}

/** log π(a_t|s_t) for each row t: [batch]. */
export function logProbOf(logits: tf.Tensor2D, actions: tf.Tensor1D, mask?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => pickLogProb(logSoftmax(logits, mask), actions));
}

/** H(π(·|s)) = −Σ_a π(a|s) log π(a|s) for each row: [batch]. Masked actions contribute 0. */
export function entropy(logits: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => entropyOfLogProbs(logSoftmax(logits, mask)));
}

/** Row t's entry at column a_t of log-probabilities `logp` [batch, n]: log π(a_t|s_t), [batch]. */
export function pickLogProb(logp: tf.Tensor2D, actions: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => tf.sum(tf.mul(logp, tf.oneHot(tf.cast(actions, "int32"), logp.shape[1])), 1) as tf.Tensor1D);
}

/** −Σ_a exp(logp_a)·logp_a per row of log-probabilities `logp` [batch, n]: the entropy, [batch]. */
export function entropyOfLogProbs(logp: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1)) as tf.Tensor1D);
}

/**
 * Samples an action from row `row` of a [batch, n] logits array (typed arrays, no tfjs).
 * `mask` (same layout) excludes illegal actions.
 */
export function sampleAction(logits: Float32Array, row: number, n: number, rng: Rng, mask?: ArrayLike<number>): number {
  const off = row * n;
  let max = -Infinity;
  for (let a = 0; a < n; a++) if (!mask || mask[off + a] > 0) max = Math.max(max, logits[off + a]);
  if (!Number.isFinite(max)) throw logitsProblem("sampleAction", logits, off, n, row, mask);
  let total = 0;
  const p = new Float64Array(n);
  for (let a = 0; a < n; a++) {
    p[a] = !mask || mask[off + a] > 0 ? Math.exp(logits[off + a] - max) : 0;
    total += p[a];
  }
  let u = rng.next() * total;
  for (let a = 0; a < n; a++) {
    u -= p[a];
    if (u < 0) return a;
  }
  for (let a = n - 1; a >= 0; a--) if (p[a] > 0) return a; // rounding left u a hair above 0
  return n - 1;
}

/** log π(a|s) for row `row` of a [batch, n] logits array: the log-softmax among the legal actions, at `action`. */
export function logProbOfAction(logits: Float32Array, row: number, n: number, action: number, mask?: ArrayLike<number>): number {
  const off = row * n;
  const legal = (a: number) => !mask || mask[off + a] > 0;
  if (!legal(action)) throw new RangeError(`logProbOfAction: action ${action} of row ${row} is masked`);
  let max = -Infinity;
  for (let a = 0; a < n; a++) if (legal(a) && logits[off + a] > max) max = logits[off + a];
  let total = 0;
  for (let a = 0; a < n; a++) if (legal(a)) total += Math.exp(logits[off + a] - max);
  return logits[off + action] - max - Math.log(total);
}

/** The most probable legal action of row `row` (ties → lowest index). */
export function greedyAction(logits: Float32Array, row: number, n: number, mask?: ArrayLike<number>): number {
  const off = row * n;
  let best = -1, bestLogit = -Infinity;
  for (let a = 0; a < n; a++) {
    if (mask && !(mask[off + a] > 0)) continue;
    if (logits[off + a] > bestLogit) { best = a; bestLogit = logits[off + a]; }
  }
  if (best < 0 || bestLogit === Infinity) throw logitsProblem("greedyAction", logits, off, n, row, mask);
  return best;
}

/**
 * Why no action can be picked from a row: every action masked (a RangeError), or logits that are
 * NaN or ±∞ — the policy's weights are no longer finite (a NonFiniteError: the run diverged).
 */
function logitsProblem(who: string, logits: Float32Array, off: number, n: number, row: number, mask?: ArrayLike<number>): Error {
  let legal = false;
  for (let a = 0; a < n; a++) {
    if (mask && !(mask[off + a] > 0)) continue;
    legal = true;
    if (!Number.isFinite(logits[off + a])) return new NonFiniteError(`${who}: the policy's logits are not finite (row ${row}, action ${a}: ${logits[off + a]}); its weights diverged`);
  }
  return legal ? new NonFiniteError(`${who}: the policy's logits of row ${row} are not finite; its weights diverged`) : new RangeError(`${who}: every action of row ${row} is masked`);
}

/** π(·|s) for one row of logits among the legal actions (mask 1); illegal actions get probability 0. */
export function softmaxRow(logits: ArrayLike<number>, mask?: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let a = 0; a < logits.length; a++) if ((!mask || mask[a] > 0) && logits[a] > max) max = logits[a];
  if (max === -Infinity) throw new RangeError("softmaxRow: the mask allows no action");
  const out = Float32Array.from(logits, (z, a) => (!mask || mask[a] > 0 ? Math.exp(z - max) : 0));
  const total = out.reduce((s, x) => s + x, 0);
  for (let a = 0; a < out.length; a++) out[a] /= total;
  return out;
}
