/**
 * PPO's loss on a minibatch — one equation (CleanRL's, term by term), in two forms:
 *
 *   r      = exp(log π_θ(a|s) − log π_old(a|s))
 *   L_clip = mean −min(Â·r, Â·clip(r, 1 − ε, 1 + ε))                         (./surrogate.ts)
 *   L_V    = ½ mean max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)   (or ½ mean (V − R)² unclipped)
 *   L      = L_clip − c_H·mean H(π_θ(·|s)) + c_V·L_V
 *
 * with the diagnostics −mean log r, mean((r − 1) − log r) and the share of clipped ratios.
 *
 *   ppoLoss                      on tfjs tensors; autograd takes the gradient. The taught form
 *                                (notebook 03) and the "tfjs" engine's step (./ppo-nets.ts)
 *   ppoPolicyLoss, ppoValueLoss  on Float32Arrays, with the gradient with respect to the networks'
 *                                outputs written by hand: the "typed" engine's fast path
 *
 * tests/algos-ppo-loss.test.ts checks that the typed form's values and gradients equal ppoLoss's
 * under tfjs autograd (ratios inside and outside the clip range, masks, clipped value loss), so the
 * fast path is the taught equation, not a second one.
 */
import * as tf from "@tensorflow/tfjs";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../nn/categorical";
import { clippedSurrogate } from "./surrogate";

export interface PpoLossTerms {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  valueLoss: tf.Scalar;
  entropy: tf.Scalar;
  oldApproxKl: tf.Scalar;
  approxKl: tf.Scalar;
  clipFrac: tf.Scalar;
}

/** PPO's loss on a minibatch as a pure function of tensors (the equation above), with its diagnostics. */
export function ppoLoss(
  logits: tf.Tensor2D,
  values: tf.Tensor1D,
  b: { actions: tf.Tensor1D; oldLogp: tf.Tensor1D; adv: tf.Tensor1D; ret: tf.Tensor1D; oldV: tf.Tensor1D; mask?: tf.Tensor2D },
  config: { clipCoef: number; clipVloss: boolean; entCoef: number; vfCoef: number },
): PpoLossTerms {
  return tf.tidy(() => {
    const logpAll = logSoftmax(logits, b.mask);
    const logp = pickLogProb(logpAll, b.actions);
    const surrogate = clippedSurrogate(logp, b.oldLogp, b.adv, config.clipCoef);
    const policyLoss = tf.mean(surrogate.loss) as tf.Scalar;
    const unclipped = tf.square(tf.sub(values, b.ret));
    const valueLoss = (config.clipVloss
      ? tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(tf.add(b.oldV, tf.clipByValue(tf.sub(values, b.oldV), -config.clipCoef, config.clipCoef)), b.ret)))))
      : tf.mul(0.5, tf.mean(unclipped))) as tf.Scalar;
    const entropy = tf.mean(entropyOfLogProbs(logpAll)) as tf.Scalar;
    return {
      loss: tf.add(tf.sub(policyLoss, tf.mul(config.entCoef, entropy)), tf.mul(config.vfCoef, valueLoss)) as tf.Scalar,
      policyLoss,
      valueLoss,
      entropy,
      oldApproxKl: tf.mean(tf.neg(tf.sub(logp, b.oldLogp))) as tf.Scalar,
      approxKl: tf.mean(surrogate.approxKl) as tf.Scalar,
      clipFrac: tf.mean(surrogate.clipped) as tf.Scalar,
    };
  });
}

// ─── the same loss on Float32Arrays, with its gradient by hand ───────────────────────────────────
//
//   log π(·|s) = z − logsumexp(z) over the legal actions (masked logits take no part and get no gradient)
//   ∂ log π(a|s)/∂z_k = 1[k = a] − π_k            ∂H/∂z_k = −π_k (log π_k + H)
//   ∂(−min(r·A, clip(r)·A))/∂ log π = −A·r where the unclipped term is the smaller or they tie
//   (always so inside the clip range), else 0
//
// Ties go where tfjs sends them (tf.minimum/maximum pass the gradient to their first argument on a
// tie; clipByValue passes it at the bounds), so the numbers match tfjs autograd exactly in kind.
// Sums are taken in float64.

export interface PpoPolicyBatch {
  /** The action taken at each of the `rows` steps. */
  actions: ArrayLike<number>;
  /** log π_old(a_t|s_t), recorded when acting. */
  oldLogProbs: ArrayLike<number>;
  /** A_t (normalise them first if you do). */
  advantages: ArrayLike<number>;
  /** [rows, nActions], 1 legal / 0 illegal; omit when every action is always legal. */
  mask?: ArrayLike<number>;
}

export interface PpoPolicyOptions {
  /** ε of the ratio clip. */
  clipCoef: number;
  /** c_H, the entropy bonus weight (default 0). */
  entCoef?: number;
  /**
   * The rows the means are over (default `rows`): give a minibatch's size when these rows are one
   * part of it, and the part's loss, statistics and gradient are its share of the minibatch's, so
   * the parts' results add up to the whole's (lib/algos/ppo-part.ts).
   */
  meanOver?: number;
}

export interface PpoPolicyLoss {
  /** policyLoss − c_H·entropy: what the gradient is of. */
  loss: number;
  /** Mean clipped surrogate. */
  policyLoss: number;
  /** Mean entropy (nats). */
  entropy: number;
  /** Mean (r − 1) − log r (CleanRL's approx_kl). */
  approxKl: number;
  /** Fraction of steps whose ratio left the clip range. */
  clipFrac: number;
}

/**
 * The PPO policy loss on `logits` ([rows, nActions], e.g. `policy.forward(obs, rows)`); writes
 * dLoss/dlogits into `dLogits` (same layout; pass it to `policy.backward`) and returns the loss parts.
 */
export function ppoPolicyLoss(
  logits: Float32Array, rows: number, nActions: number,
  batch: PpoPolicyBatch, opts: PpoPolicyOptions, dLogits: Float32Array,
): PpoPolicyLoss {
  const { actions, oldLogProbs, advantages, mask } = batch;
  const clip = opts.clipCoef, entCoef = opts.entCoef ?? 0, meanOver = opts.meanOver ?? rows;
  if (!(clip >= 0)) throw new RangeError(`ppoPolicyLoss: clipCoef must be ≥ 0, got ${clip}`);
  if (!(Number.isInteger(meanOver) && meanOver >= rows && meanOver >= 1)) throw new RangeError(`ppoPolicyLoss: meanOver = ${meanOver}, expected an integer ≥ rows (${rows}) and ≥ 1`);
  if (logits.length < rows * nActions || dLogits.length < rows * nActions) throw new RangeError(`ppoPolicyLoss: logits (${logits.length}) and dLogits (${dLogits.length}) need ${rows}×${nActions} values`);
  if (actions.length < rows || oldLogProbs.length < rows || advantages.length < rows) throw new RangeError(`ppoPolicyLoss: actions, oldLogProbs and advantages need ${rows} values each`);
  if (mask && mask.length < rows * nActions) throw new RangeError(`ppoPolicyLoss: mask has ${mask.length} values, expected ${rows}×${nActions}`);
  const lo = 1 - clip, hi = 1 + clip;
  const inv = 1 / meanOver;
  let surrogate = 0, entropySum = 0, kl = 0, clipped = 0;
  for (let t = 0; t < rows; t++) {
    const o = t * nActions;
    const a = actions[t];
    if (!(a >= 0 && a < nActions && Number.isInteger(a))) throw new RangeError(`ppoPolicyLoss: action ${a} at row ${t} is not in [0, ${nActions})`);
    if (mask && !(mask[o + a] > 0)) throw new RangeError(`ppoPolicyLoss: action ${a} at row ${t} is masked`);
    // log-softmax over the legal actions, in float64
    let max = -Infinity;
    for (let k = 0; k < nActions; k++) if ((!mask || mask[o + k] > 0) && logits[o + k] > max) max = logits[o + k];
    let total = 0;
    for (let k = 0; k < nActions; k++) if (!mask || mask[o + k] > 0) total += Math.exp(logits[o + k] - max);
    const lse = max + Math.log(total);
    let h = 0;
    for (let k = 0; k < nActions; k++) {
      if (mask && !(mask[o + k] > 0)) continue;
      const lp = logits[o + k] - lse;
      h -= Math.exp(lp) * lp;
    }
    const logp = logits[o + a] - lse;
    const logRatio = logp - oldLogProbs[t];
    const ratio = Math.exp(logRatio);
    const adv = advantages[t];
    const unclippedTerm = ratio * adv;
    const clippedRatio = ratio < lo ? lo : ratio > hi ? hi : ratio;
    const clippedTerm = clippedRatio * adv;
    const useUnclipped = unclippedTerm <= clippedTerm; // tf.minimum's tie goes to its first argument
    surrogate -= useUnclipped ? unclippedTerm : clippedTerm;
    entropySum += h;
    kl += ratio - 1 - logRatio;
    if (ratio < lo || ratio > hi) clipped++;
    // d(surrogate_t)/d logp_t: −A·r through the unclipped term; the clipped term is the smaller only
    // when the ratio is outside the range (inside, the two are equal), where clip() passes nothing
    const gLogp = useUnclipped ? -adv * ratio : 0;
    for (let k = 0; k < nActions; k++) {
      if (mask && !(mask[o + k] > 0)) {
        dLogits[o + k] = 0;
        continue;
      }
      const lp = logits[o + k] - lse, p = Math.exp(lp);
      const dLogp = (k === a ? 1 : 0) - p;
      const dH = -p * (lp + h);
      dLogits[o + k] = inv * (gLogp * dLogp - entCoef * dH);
    }
  }
  const policyLoss = surrogate / meanOver, entropy = entropySum / meanOver;
  return { loss: policyLoss - entCoef * entropy, policyLoss, entropy, approxKl: kl / meanOver, clipFrac: clipped / meanOver };
}

export interface ValueBatch {
  /** R_t, the value targets (returns). */
  returns: ArrayLike<number>;
  /** V_old(s_t), recorded when acting; needed only with `clipCoef`. */
  oldValues?: ArrayLike<number>;
}

export interface ValueLossOptions {
  /** ε_v of the clipped value loss (0 or omitted = plain squared error). */
  clipCoef?: number;
  /** Multiplies the gradient (PPO's vf_coef); default 1. */
  coef?: number;
  /** The rows the mean is over (default `rows`): a minibatch's size when these rows are one part of it (as ppoPolicyLoss's). */
  meanOver?: number;
}

/**
 * The (optionally clipped) value loss ½·mean(max(…)) of `values` ([rows] or [rows, 1], e.g.
 * `value.forward(obs, rows)`). Writes coef·dLoss/dvalues into `dValues` and returns the loss (unscaled).
 */
export function ppoValueLoss(values: Float32Array, rows: number, batch: ValueBatch, opts: ValueLossOptions, dValues: Float32Array): number {
  const clip = opts.clipCoef ?? 0, coef = opts.coef ?? 1, meanOver = opts.meanOver ?? rows;
  const { returns, oldValues } = batch;
  if (!(clip >= 0)) throw new RangeError(`ppoValueLoss: clipCoef must be ≥ 0, got ${clip}`);
  if (!(Number.isInteger(meanOver) && meanOver >= rows && meanOver >= 1)) throw new RangeError(`ppoValueLoss: meanOver = ${meanOver}, expected an integer ≥ rows (${rows}) and ≥ 1`);
  if (clip > 0 && !oldValues) throw new RangeError("ppoValueLoss: clipCoef > 0 needs oldValues");
  if (values.length < rows || dValues.length < rows || returns.length < rows || (clip > 0 && oldValues!.length < rows)) throw new RangeError(`ppoValueLoss: values, dValues, returns${clip > 0 ? ", oldValues" : ""} need ${rows} values each`);
  const inv = coef / meanOver;
  let sum = 0;
  for (let t = 0; t < rows; t++) {
    const v = values[t], diff = v - returns[t];
    const sqUnclipped = diff * diff;
    if (clip > 0) {
      const old = oldValues![t], delta = v - old;
      const inRange = delta >= -clip && delta <= clip;
      const diffClipped = old + (delta < -clip ? -clip : delta > clip ? clip : delta) - returns[t];
      const sqClipped = diffClipped * diffClipped;
      if (sqUnclipped >= sqClipped) {
        sum += sqUnclipped;
        dValues[t] = inv * diff;
      } else {
        sum += sqClipped;
        dValues[t] = inRange ? inv * diffClipped : 0;
      }
    } else {
      sum += sqUnclipped;
      dValues[t] = inv * diff;
    }
  }
  return (0.5 * sum) / meanOver;
}
