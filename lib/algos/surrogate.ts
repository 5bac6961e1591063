/**
 * The policy losses PPO and GRPO share, on tensors, per step (or per token):
 *
 *   ratio_t   = π_θ(a_t|s_t) / π_old(a_t|s_t) = exp(log π_θ − log π_old)
 *   surrogate = −min(ratio_t·A_t, clip(ratio_t, 1 − ε_low, 1 + ε_high)·A_t)        (Schulman et al. 2017)
 *   k3 KL     = exp(log π_ref − log π_θ) − (log π_ref − log π_θ) − 1 ≥ 0            (Schulman's estimator; DeepSeekMath)
 *
 * and the diagnostics read off the same tensors: the fraction of clipped steps and the approximate
 * KL between the old and the new policy, ((ratio − 1) − log ratio) averaged (CleanRL's approx_kl).
 * Each returns per-step tensors; the caller weights and sums them (mean per step, per episode, …).
 */
import * as tf from "@tensorflow/tfjs";

export interface SurrogateTerms {
  /** −min(r·A, clip(r)·A), per step. */
  loss: tf.Tensor1D;
  /** The ratio π_θ/π_old, per step. */
  ratio: tf.Tensor1D;
  /** 1 where the ratio left [1 − ε_low, 1 + ε_high] (CleanRL's clipfrac counts these), else 0. */
  clipped: tf.Tensor1D;
  /** (r − 1) − log r, per step: its mean estimates KL(π_old ‖ π_θ). */
  approxKl: tf.Tensor1D;
}

export function clippedSurrogate(logp: tf.Tensor1D, oldLogp: tf.Tensor1D, advantages: tf.Tensor1D, clipLow: number, clipHigh = clipLow): SurrogateTerms {
  if (!(clipLow >= 0 && clipHigh >= 0)) throw new RangeError(`clippedSurrogate: clip ranges must be ≥ 0, got ${clipLow}, ${clipHigh}`);
  return tf.tidy(() => {
    const logRatio = tf.sub(logp, oldLogp);
    const ratio = tf.exp(logRatio) as tf.Tensor1D;
    const unclipped = tf.mul(ratio, advantages);
    const clippedRatio = tf.clipByValue(ratio, 1 - clipLow, 1 + clipHigh);
    const clippedTerm = tf.mul(clippedRatio, advantages);
    const loss = tf.neg(tf.minimum(unclipped, clippedTerm)) as tf.Tensor1D;
    const clipped = tf.cast(tf.logicalOr(tf.less(ratio, 1 - clipLow), tf.greater(ratio, 1 + clipHigh)), "float32") as tf.Tensor1D;
    const approxKl = tf.sub(tf.sub(ratio, 1), logRatio) as tf.Tensor1D;
    return { loss, ratio, clipped, approxKl };
  });
}

/** k3 estimate of KL(π_θ ‖ π_ref) per step, from log-probabilities of the sampled actions; ≥ 0, unbiased. */
export function klK3(logp: tf.Tensor1D, refLogp: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => {
    const d = tf.sub(refLogp, logp);
    return tf.sub(tf.sub(tf.exp(d), d), 1) as tf.Tensor1D;
  });
}
