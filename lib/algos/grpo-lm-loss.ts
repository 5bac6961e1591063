/**
 * GRPO's pieces for language models, with TRL's names and semantics (GRPOTrainer / GRPOConfig):
 * plain functions that the trainer (./grpo-lm.ts) composes and the tests check by hand.
 *
 * Advantages, per completion i of a group of G completions of one prompt (`scale_rewards`):
 *
 *   A_i = (r_i − mean_group r) / (std r + 1e-4)     std over the group ("group") or the whole batch ("batch")
 *   A_i =  r_i − mean_group r                       ("none": Dr. GRPO's unscaled advantage)
 *
 * std is the sample standard deviation (Bessel's n − 1, as torch.std); the mean is always the group's.
 *
 * Loss, per completion token t of completion i (mask m_it = 1 on real tokens, EOS included):
 *
 *   w_it   = exp(log π_θ − log π_old)                               importance_sampling_level "token"
 *   w_i    = exp( Σ_t m_it (log π_θ − log π_old) / Σ_t m_it )       "sequence" (GSPO): one ratio per completion
 *   ℓ_it   = −min(w·A_i, clip(w, 1 − ε, 1 + ε_high)·A_i) + β·k3_it
 *   k3_it  = exp(log π_ref − log π_θ) − (log π_ref − log π_θ) − 1  ≥ 0, 0 where π_θ = π_ref
 *
 * and the loss_type says how the token losses of a (micro-)batch of B completions are averaged:
 *
 *   "grpo"     (1/B) Σ_i (Σ_t m_it ℓ_it / Σ_t m_it)       each completion's mean, then the mean over completions
 *   "bnpo"     Σ_it m_it ℓ_it / Σ_it m_it                  the mean over this micro-batch's tokens
 *   "dr_grpo"  Σ_it m_it ℓ_it / (B · max_completion_length) a constant normaliser (Dr. GRPO: no length bias)
 *   "dapo"     Σ_it m_it ℓ_it / N_tokens                   N_tokens: active tokens of the whole generation batch
 *
 * With gradient accumulation over k micro-batches, grpo, bnpo and dr_grpo divide by k as well
 * (TRL's `current_gradient_accumulation_steps`); dapo's global token count needs no such factor.
 * So bnpo and dapo agree when the batch is one micro-batch, and differ when micro-batches hold
 * different numbers of tokens.
 *
 * Clip diagnostics (TRL's clip_ratio/low_mean, high_mean): a token is low-clipped when w < 1 − ε
 * and A < 0, high-clipped when w > 1 + ε_high and A > 0 — exactly where the min picks the clipped
 * term and the gradient vanishes.
 */
import * as tf from "@tensorflow/tfjs";
import { clippedSurrogate, klK3 } from "./surrogate";

export type ScaleRewards = "group" | "batch" | "none";
export type LmLossType = "grpo" | "bnpo" | "dr_grpo" | "dapo";
export type ImportanceSamplingLevel = "token" | "sequence";

export const SCALE_REWARDS: readonly ScaleRewards[] = ["group", "batch", "none"];
export const LM_LOSS_TYPES: readonly LmLossType[] = ["grpo", "bnpo", "dr_grpo", "dapo"];
export const IMPORTANCE_SAMPLING_LEVELS: readonly ImportanceSamplingLevel[] = ["token", "sequence"];

/** Added to the std before dividing (TRL's 1e-4). */
export const ADVANTAGE_EPS = 1e-4;

/** Sample standard deviation (n − 1) of xs[from, to); 0 for fewer than two values. */
export function sampleStd(xs: ArrayLike<number>, from = 0, to = xs.length): number {
  const n = to - from;
  if (n < 2) return 0;
  let mean = 0;
  for (let i = from; i < to; i++) mean += xs[i];
  mean /= n;
  let ss = 0;
  for (let i = from; i < to; i++) ss += (xs[i] - mean) ** 2;
  return Math.sqrt(ss / (n - 1));
}

export interface LmAdvantages {
  /** One per completion, in the rewards' order. */
  advantages: Float32Array;
  /** The std each group's rewards have (sample std), one per group. */
  groupStd: Float32Array;
  /** Fraction of groups whose rewards all agree (std 0: those completions teach nothing). */
  fracZeroStd: number;
}

/**
 * Group-relative advantages of `rewards`, laid out group after group (G consecutive completions
 * of one prompt each), scaled as `scale` says (see the module comment).
 */
export function lmGroupAdvantages(rewards: ArrayLike<number>, numGenerations: number, scale: ScaleRewards): LmAdvantages {
  const G = numGenerations, N = rewards.length;
  if (!Number.isInteger(G) || G < 1) throw new RangeError(`numGenerations must be a positive integer, got ${G}`);
  if (N % G !== 0) throw new RangeError(`${N} rewards do not split into groups of numGenerations = ${G}`);
  if (!SCALE_REWARDS.includes(scale)) throw new RangeError(`scaleRewards must be one of ${SCALE_REWARDS.join(", ")}, got ${JSON.stringify(scale)}`);
  for (let i = 0; i < N; i++) if (!Number.isFinite(rewards[i])) throw new RangeError(`reward ${i} is ${rewards[i]}, expected a finite number`);
  const groups = N / G;
  const advantages = new Float32Array(N), groupStd = new Float32Array(groups);
  const batchStd = sampleStd(rewards);
  let zero = 0;
  for (let g = 0; g < groups; g++) {
    let mean = 0;
    for (let i = g * G; i < (g + 1) * G; i++) mean += rewards[i];
    mean /= G;
    groupStd[g] = sampleStd(rewards, g * G, (g + 1) * G);
    if (Math.abs(groupStd[g]) < 1e-8) zero++;
    const std = scale === "batch" ? batchStd : groupStd[g];
    for (let i = g * G; i < (g + 1) * G; i++) {
      const a = rewards[i] - mean;
      advantages[i] = scale === "none" ? a : a / (std + ADVANTAGE_EPS);
    }
  }
  return { advantages, groupStd, fracZeroStd: groups ? zero / groups : 0 };
}

export interface GrpoLmLossInputs {
  /** [B, C] log π_θ of each completion token (differentiable), 0 on padding. */
  logp: tf.Tensor2D;
  /** [B, C] log-probs under the policy that sampled (π_old). */
  oldLogp: tf.Tensor2D;
  /** [B, C] log-probs under the frozen reference (needed when beta > 0). */
  refLogp?: tf.Tensor2D;
  /** [B] one advantage per completion, or [B, C] one per token (an episode's turns may differ). */
  advantages: tf.Tensor1D | tf.Tensor2D;
  /** [B, C] 1 on completion tokens, 0 on padding. */
  mask: tf.Tensor2D;
}

export interface GrpoLmLossOptions {
  lossType: LmLossType;
  /** ε: the ratio's lower clip is 1 − ε. */
  epsilon: number;
  /** ε_high: the upper clip is 1 + ε_high (default ε). */
  epsilonHigh?: number;
  /** β: weight of the k3 KL to the reference (0: no reference needed). */
  beta: number;
  importanceSamplingLevel: ImportanceSamplingLevel;
  /** dr_grpo's constant: the longest completion allowed (not the longest in the batch). */
  maxCompletionLength: number;
  /** dapo's normaliser: active completion tokens in the whole generation batch (default: this batch's). */
  activeTokens?: number;
  /** Micro-batches summed into one optimiser step; grpo, bnpo and dr_grpo divide by it (default 1). */
  accumulationSteps?: number;
}

export interface GrpoLmLossTerms {
  /** The scalar to differentiate. */
  loss: tf.Scalar;
  /** [B, C] ℓ_it before the loss_type's averaging (0 on padding). */
  perTokenLoss: tf.Tensor2D;
  /** [B, C] (token level) or [B, 1] (sequence level) importance ratio w. */
  ratio: tf.Tensor2D;
  /** [B, C] k3 KL per token (0 on padding); zeros when beta = 0 and no reference is given. */
  kl: tf.Tensor2D;
  /** Same shape as `ratio`: 1 where the clipped term is the one taken (see the module comment). */
  lowClipped: tf.Tensor2D;
  highClipped: tf.Tensor2D;
}

/** The GRPO loss of a (micro-)batch, as the module comment writes it. Call inside tf.tidy (or dispose the terms). */
export function grpoLmLoss(x: GrpoLmLossInputs, o: GrpoLmLossOptions): GrpoLmLossTerms {
  const epsHigh = o.epsilonHigh ?? o.epsilon;
  if (!LM_LOSS_TYPES.includes(o.lossType)) throw new RangeError(`lossType must be one of ${LM_LOSS_TYPES.join(", ")}, got ${JSON.stringify(o.lossType)}`);
  if (!IMPORTANCE_SAMPLING_LEVELS.includes(o.importanceSamplingLevel)) throw new RangeError(`importanceSamplingLevel must be token or sequence, got ${JSON.stringify(o.importanceSamplingLevel)}`);
  if (o.beta > 0 && !x.refLogp) throw new RangeError("grpoLmLoss: beta > 0 needs the reference log-probs (refLogp)");
  const [B, C] = x.logp.shape;
  const k = o.accumulationSteps ?? 1;
  return tf.tidy(() => {
    const m = x.mask;
    const logRatio = tf.mul(tf.sub(x.logp, x.oldLogp), m);
    const tokens = tf.sum(m, -1, true); // [B, 1]
    const logW = o.importanceSamplingLevel === "token" ? logRatio : tf.div(tf.sum(logRatio, -1, true), tf.maximum(tokens, 1));
    const cols = logW.shape[1] as number;
    const advPerToken = x.advantages.rank === 2;
    if (advPerToken && o.importanceSamplingLevel === "sequence") throw new RangeError("grpoLmLoss: per-token advantages need importanceSamplingLevel \"token\"");
    const adv = advPerToken ? x.advantages : tf.reshape(x.advantages, [B, 1]);
    const advW = cols === 1 || advPerToken ? adv : tf.mul(adv, tf.onesLike(logW));
    // −min(w·A, clip(w)·A), with w = exp(logW − 0)
    const sur = clippedSurrogate(tf.reshape(logW, [-1]) as tf.Tensor1D, tf.zeros([B * cols]) as tf.Tensor1D, tf.reshape(advW, [-1]) as tf.Tensor1D, o.epsilon, epsHigh);
    const ratio = tf.reshape(sur.ratio, [B, cols]) as tf.Tensor2D;
    let perToken = tf.mul(tf.reshape(sur.loss, [B, cols]), m) as tf.Tensor2D; // broadcasts [B, 1] over the tokens
    let kl = tf.zeros([B, C]) as tf.Tensor2D;
    if (x.refLogp) {
      kl = tf.mul(tf.reshape(klK3(tf.reshape(x.logp, [-1]) as tf.Tensor1D, tf.reshape(x.refLogp, [-1]) as tf.Tensor1D), [B, C]), m) as tf.Tensor2D;
      if (o.beta > 0) perToken = tf.add(perToken, tf.mul(o.beta, kl)) as tf.Tensor2D;
    }
    const total = tf.sum(perToken);
    let loss: tf.Scalar;
    switch (o.lossType) {
      case "grpo":
        loss = tf.div(tf.mean(tf.div(tf.sum(perToken, -1), tf.maximum(tf.reshape(tokens, [B]), 1))), k);
        break;
      case "bnpo":
        loss = tf.div(tf.div(total, tf.maximum(tf.sum(m), 1)), k);
        break;
      case "dr_grpo":
        loss = tf.div(total, B * o.maxCompletionLength * k);
        break;
      case "dapo":
        loss = tf.div(total, o.activeTokens !== undefined ? Math.max(o.activeTokens, 1) : tf.maximum(tf.sum(m), 1));
        break;
    }
    const lowClipped = tf.cast(tf.logicalAnd(tf.less(ratio, 1 - o.epsilon), tf.less(advW, 0)), "float32") as tf.Tensor2D;
    const highClipped = tf.cast(tf.logicalAnd(tf.greater(ratio, 1 + epsHigh), tf.greater(advW, 0)), "float32") as tf.Tensor2D;
    return { loss: loss as tf.Scalar, perTokenLoss: perToken, ratio, kl, lowClipped, highClipped };
  });
}

/**
 * Σ and count of `x` over real tokens, for averaging across micro-batches: token-level [B, C]
 * tensors count the mask's tokens; sequence-level [B, 1] ones count completions (TRL's
 * global_masked_mean).
 */
export function maskedSumCount(x: tf.Tensor2D, mask: tf.Tensor2D): [tf.Scalar, tf.Scalar] {
  return tf.tidy(() => {
    if (x.shape[1] === 1 && mask.shape[1] !== 1) return [tf.sum(x) as tf.Scalar, tf.scalar(x.shape[0])];
    return [tf.sum(tf.mul(x, mask)) as tf.Scalar, tf.sum(mask) as tf.Scalar];
  });
}
