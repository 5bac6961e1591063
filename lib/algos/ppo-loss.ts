/**
 * PPO's loss as a pure function of tensors, for the tfjs engine (ppo-nets.ts) and for tests that
 * check it term by term; the typed engine computes the same numbers in lib/algos/ppo-loss-typed.ts.
 */
import * as tf from "@tensorflow/tfjs";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../nn/categorical";

export interface PpoLossTerms {
  loss: tf.Scalar;
  policyLoss: tf.Scalar;
  valueLoss: tf.Scalar;
  entropy: tf.Scalar;
  oldApproxKl: tf.Scalar;
  approxKl: tf.Scalar;
  clipFrac: tf.Scalar;
}

/**
 * PPO's loss on a minibatch, as a pure function of tensors (CleanRL's, term by term):
 *
 *   r = exp(log π_θ(a|s) − log π_old(a|s))
 *   L_clip = mean max(−Â·r, −Â·clip(r, 1 − ε, 1 + ε))
 *   L_V    = ½ mean max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)   (or ½ mean (V − R)² unclipped)
 *   L      = L_clip − c_H·mean H(π_θ(·|s)) + c_V·L_V
 *
 * with the diagnostics: −mean log r, mean((r − 1) − log r) and the share of |r − 1| > ε.
 */
export function ppoLoss(
  logits: tf.Tensor2D,
  values: tf.Tensor1D,
  b: { actions: tf.Tensor1D; oldLogp: tf.Tensor1D; adv: tf.Tensor1D; ret: tf.Tensor1D; oldV: tf.Tensor1D; mask?: tf.Tensor2D },
  config: { clipCoef: number; clipVloss: boolean; entCoef: number; vfCoef: number },
): PpoLossTerms {
  return tf.tidy(() => {
    const logpAll = logSoftmax(logits, b.mask);
    const logRatio = tf.sub(pickLogProb(logpAll, b.actions), b.oldLogp);
    const ratio = tf.exp(logRatio);
    const negAdv = tf.neg(b.adv);
    const policyLoss = tf.mean(tf.maximum(tf.mul(negAdv, ratio), tf.mul(negAdv, tf.clipByValue(ratio, 1 - config.clipCoef, 1 + config.clipCoef)))) as tf.Scalar;
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
      oldApproxKl: tf.mean(tf.neg(logRatio)) as tf.Scalar,
      approxKl: tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar,
      clipFrac: tf.mean(tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), config.clipCoef), "float32")) as tf.Scalar,
    };
  });
}

