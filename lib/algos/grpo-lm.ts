/**
 * GRPO for language models (Shao et al. 2024), with Hugging Face TRL's names and semantics
 * (GRPOTrainer / GRPOConfig; camelCase here: num_generations → numGenerations, …):
 *
 *   repeat maxSteps times:
 *     1. take `promptsPerStep` prompts; sample `numGenerations` (G) completions of each with the
 *        current policy (KV-cache generation, temperature / top-k / top-p, up to
 *        `maxCompletionLength` tokens or EOS), keeping each token's log-prob (π_old)
 *     2. score every completion with the reward function; advantages within each group of G:
 *        (r − mean_group) / (std + 1e-4), std per `scaleRewards` (./grpo-lm-loss.ts)
 *     3. with β > 0, the frozen reference's log-probs of the same tokens
 *     4. `numIterations` (μ) optimiser steps on this batch: the clipped, importance-weighted loss
 *        (token or sequence level), plus β·k3 KL, averaged as `lossType` says; gradients summed over
 *        micro-batches of `microBatchSize` completions, clipped to `maxGradNorm`, one Adam step.
 *        With μ = 1, π_old is the current policy itself (the ratio is 1, only its gradient counts),
 *        as TRL does; with μ > 1, the sampler's log-probs.
 *     5. log reward mean/std, KL, clip fractions (low/high), completion length, entropy, learning
 *        rate and times
 *
 * The loss itself, the advantages and their normalisers are in ./grpo-lm-loss.ts; GRPO on episodes
 * (Tic-Tac-Toe) is ./grpo.ts; the two share the surrogate and k3 KL (./surrogate.ts). They stay in
 * separate modules (the episode trainer is an Agent of the registry, this one trains a Gpt2 on
 * prompts); lib/algos/index.ts exports both.
 *
 *   const trainer = createGrpoLmTrainer({ model, tokenizer, prompts, reward, config: { beta: 0.04 } });
 *   await trainer.train({ plot: true });     // interrupt it and the model keeps what it learned
 */
import * as tf from "@tensorflow/tfjs";
import { createRng, type Rng } from "../core/rng";
import { choice, defineSchema, int, num, type ConfigOf } from "../core/schema";
import { meanStd } from "../core/stats";
import { generate } from "../nn/gpt2/generate";
import { customOp } from "../nn/gpt2/kernels";
import { gpt2FromWeights, type Gpt2 } from "../nn/gpt2/model";
import type { NamedTensors } from "../nn/mlp/mlp";
import type { BaseRow, TrainOptions, TrainResult } from "./agent";
import { IMPORTANCE_SAMPLING_LEVELS, LM_LOSS_TYPES, SCALE_REWARDS, grpoLmLoss, lmGroupAdvantages, maskedSumCount, type GrpoLmLossOptions } from "./grpo-lm-loss";
import { clipByGlobalNorm, createAdam, type Adam } from "../nn/optim";
import { loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, rngsAt, takeAdam, takePrefixed, type TrainingSnapshot } from "./resume";
import { createTrainingState, runTraining, type EnterPhase, type NewRow, type TrainingState } from "./train-loop";

export const grpoLmSchema = defineSchema("grpo-lm", {
  seed: int(1, "seed of prompt order and sampling", { min: 0, max: 0xffffffff }),
  maxSteps: int(100, "generation batches to train on (each gives numIterations optimiser steps)", { min: 1, flag: "steps" }),
  promptsPerStep: int(4, "prompts per generation batch (the batch is promptsPerStep x numGenerations completions)", { min: 1 }),
  numGenerations: int(8, "G: completions sampled per prompt (a group)", { min: 2 }),
  maxCompletionLength: int(24, "most new tokens per completion (also dr_grpo's constant)", { min: 1 }),
  temperature: num(1, "sampling temperature of the rollouts (log-probs are of softmax(logits / temperature))", { min: 0, minExclusive: true }),
  topK: int(0, "sample from the k most probable tokens only (0 = all)", { min: 0 }),
  topP: num(1, "nucleus sampling: the smallest set reaching this probability (1 = all)", { min: 0, max: 1, minExclusive: true }),
  eosId: int(50256, "token that ends a completion (GPT-2's <|endoftext|>); -1 = none", { min: -1 }),
  learningRate: num(1e-5, "Adam learning rate", { min: 0, minExclusive: true, aliases: ["lr"] }),
  lrSchedule: choice(["constant", "linear"], "linear", "learning rate over the run: constant, or linear decay to 0 (transformers' default)"),
  weightDecay: num(0, "AdamW's decoupled weight decay (of weight matrices and embeddings; biases and LayerNorm are not decayed)", { min: 0 }),
  maxGradNorm: num(1, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  beta: num(0, "beta: weight of the k3 KL to the frozen initial model (0: no reference model is kept)", { min: 0 }),
  epsilon: num(0.2, "epsilon: the ratio's lower clip 1 - epsilon", { min: 0 }),
  epsilonHigh: num(0, "epsilon_high: the upper clip 1 + epsilon_high (0 = epsilon; DAPO uses 0.28)", { min: 0 }),
  numIterations: int(1, "mu: optimiser steps per generation batch (ratios to the sampling policy)", { min: 1 }),
  scaleRewards: choice(SCALE_REWARDS, "group", "divide advantages by the std of the group, the batch, or not at all"),
  lossType: choice(LM_LOSS_TYPES, "dapo", "how token losses are averaged: grpo (per completion), bnpo (per micro-batch token), dr_grpo (constant), dapo (per batch token)"),
  importanceSamplingLevel: choice(IMPORTANCE_SAMPLING_LEVELS, "token", "ratio per token, or one per completion (GSPO: exp of the mean token log-ratio)"),
  microBatchSize: int(0, "completions per forward/backward pass, gradients summed over the batch (0 = the whole batch at once)", { min: 0 }),
});

export type GrpoLmConfig = ConfigOf<typeof grpoLmSchema>;

export const grpoLmConfig = (partial: Partial<GrpoLmConfig> | Record<string, unknown> = {}): GrpoLmConfig => grpoLmSchema.parse(partial);

/**
 * A reward: one number per completion. TRL's signature (prompts, completions) — lib/lm's rule
 * rewards and reward models fit it — plus the token ids for rewards on tokens.
 */
export type LmRewardFn = (prompts: string[], completions: string[], ids: { prompts: number[][]; completions: number[][] }) => Promise<number[]> | number[];

/** What the trainer needs of a tokenizer (loadGpt2Tokenizer's fits). */
export interface TextCodec {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
}

/** One row per generation batch. */
export interface GrpoLmRow extends BaseRow {
  /** Optimiser steps so far. */
  step: number;
  reward: number;
  /** Std of the batch's rewards; mean of the groups' stds; share of groups whose rewards all agree. */
  rewardStd: number;
  groupStd: number;
  fracZeroStd: number;
  /** Mean token k3 KL to the reference (0 without one). */
  kl: number;
  /** Share of tokens (completions at sequence level) whose clipped term was taken, below / above. */
  clipLow: number;
  clipHigh: number;
  clipRegion: number;
  completionLength: number;
  /** Share of completions that ended with EOS. */
  finished: number;
  /** Mean token entropy (nats) of the policy's next-token distributions at the sampling temperature. */
  entropy: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
  generateSeconds: number;
  updateSeconds: number;
  /** Every column is a number (so rows go straight into charts and CSV). */
  [column: string]: number;
}

export interface GrpoLmOptions {
  /** The policy; trained in place. */
  model: Gpt2;
  tokenizer: TextCodec;
  /** Training prompts (cycled in a seeded shuffled order). */
  prompts: readonly string[];
  reward: LmRewardFn;
  config?: Partial<GrpoLmConfig>;
}

export interface GrpoLmSamples {
  prompts: string[];
  completions: string[];
  rewards: number[];
  completionIds: number[][];
}

export interface GrpoLmTrainer {
  readonly config: Readonly<GrpoLmConfig>;
  readonly model: Gpt2;
  /** The frozen initial model (only when beta > 0). */
  readonly reference: Gpt2 | undefined;
  readonly metrics: GrpoLmRow[];
  /** Trains until maxSteps generation batches are done (a second call goes on where the first stopped). */
  train(opts?: TrainOptions<GrpoLmRow>): Promise<TrainResult<GrpoLmRow>>;
  /** Completions of `prompts` by the current model and their rewards (greedy when temperature is 0). */
  sample(prompts: readonly string[], opts?: { temperature?: number; maxNewTokens?: number; seed?: number }): Promise<GrpoLmSamples>;
  /** Frees the reference model and the optimiser (not the policy). */
  dispose(): void;
  /**
   * What a resumed run needs beyond the model's own weights (lib/algos/resume): Adam's moments, the
   * frozen reference (β > 0), the generators, the prompt order, counters and metrics. Exact: with
   * the same model weights put back, train() goes on as the uninterrupted run would.
   */
  trainingState(): TrainingSnapshot;
  /** Puts back a snapshot from `trainingState()` (the model's weights must already be the saved ones). */
  restoreTrainingState(snapshot: TrainingSnapshot): void;
}

/** Identity forward, zero gradient: π_old = π_θ with μ = 1 (the ratio is 1, its gradient is ∇log π). */
export const stopGradient: (x: tf.Tensor) => tf.Tensor = customOp((x: tf.Tensor) => ({ value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }));

/** What a GRPO-for-LMs run holds between steps: its parts and its counters, in one object. */
interface GrpoLmRun {
  readonly config: GrpoLmConfig;
  readonly opts: GrpoLmOptions;
  /** Each prompt's token ids, the end of a long one kept (left truncation) so a completion fits. */
  readonly promptIds: number[][];
  /** Prompt tokens a completion leaves room for. */
  readonly keep: number;
  readonly orderRng: Rng;
  readonly sampleRng: Rng;
  readonly params: tf.Variable[];
  readonly optimizer: Adam;
  readonly state: TrainingState<GrpoLmRow>;
  /** The frozen initial model (only when beta > 0). */
  reference: Gpt2 | undefined;
  /** The prompts' order this pass, and where in it the next batch starts. */
  order: number[];
  cursor: number;
  completions: number;
  tokensSeen: number;
  /** Optimiser steps so far. */
  steps: number;
  /** Rewards of the last four batches. */
  recent: number[];
}

export function createGrpoLmTrainer(opts: GrpoLmOptions): GrpoLmTrainer {
  const run = startGrpoLmRun(opts);
  const { config, state } = run;
  const { model, tokenizer, reward } = opts;
  return {
    config,
    model,
    get reference() {
      return run.reference;
    },
    metrics: state.metrics,
    train: (trainOpts = {}) => runTraining(state, trainOpts, {
      budgetLeft: () => state.metrics.length < config.maxSteps,
      update: (_signal, log, enter) => grpoLmIteration(run, log, enter),
      progress: () => ({
        done: state.metrics.length, total: config.maxSteps, unit: "step",
        fields: { reward: meanStd(run.recent).mean.toFixed(3), kl: (state.metrics.at(-1)?.kl ?? 0).toFixed(4) },
      }),
      summary: () => ({ episodes: run.completions, envSteps: run.tokensSeen, trainReturn: meanStd(run.recent).mean, evalReturn: NaN }),
      plot: { x: "update", y: "reward", window: 10, title: `GRPO: mean reward per batch (seed ${config.seed})` },
      finite: (r) => ({ loss: r.loss, gradNorm: r.gradNorm, kl: r.kl }),
    }),
    async sample(prompts, o = {}) {
      const ids = prompts.map((p) => tokenizer.encode(p).slice(-run.keep));
      const temperature = o.temperature ?? config.temperature;
      const gen = generate(model, ids, {
        maxNewTokens: o.maxNewTokens ?? config.maxCompletionLength, temperature, topK: config.topK, topP: config.topP,
        eosId: config.eosId < 0 ? null : config.eosId, rng: temperature > 0 ? createRng(o.seed ?? 0) : undefined,
      });
      const completionTexts = gen.tokens.map((t) => decodeCompletion(tokenizer, t, config.eosId));
      const rewards = await scoreCompletions(reward, [...prompts], ids, gen.tokens, tokenizer, config.eosId);
      return { prompts: [...prompts], completions: completionTexts, rewards, completionIds: gen.tokens };
    },
    dispose() {
      run.reference?.dispose();
      run.optimizer.dispose();
    },
    trainingState: () => grpoLmSnapshot(run),
    restoreTrainingState: (snapshot) => restoreGrpoLmRun(run, snapshot),
  };
}

/**
 * A run's parts: the prompts tokenised (each checked to encode to something), one seed forked into
 * the prompt order's and the sampler's generators, the frozen reference (β > 0), and AdamW with
 * nanoGPT's (and Hugging Face Trainer's) groups: matrices and embeddings decay, biases and LayerNorm do not.
 */
function startGrpoLmRun(opts: GrpoLmOptions): GrpoLmRun {
  const config = grpoLmConfig(opts.config);
  const { model, tokenizer } = opts;
  if (opts.prompts.length === 0) throw new RangeError("createGrpoLmTrainer: no prompts");
  const keep = model.config.nPositions - config.maxCompletionLength;
  if (keep < 1) throw new RangeError(`maxCompletionLength ${config.maxCompletionLength} leaves no room for a prompt in the model's ${model.config.nPositions} positions`);
  const promptIds = opts.prompts.map((p, i) => {
    const ids = tokenizer.encode(p);
    if (ids.length === 0) throw new RangeError(`prompt ${i} (${JSON.stringify(p)}) encodes to no tokens; a completion needs a token before it`);
    return ids.slice(-keep); // the end of a long prompt, as left truncation
  });
  const rng = createRng(config.seed);
  const orderRng = rng.fork(), sampleRng = rng.fork();
  return {
    config, opts, promptIds, keep, orderRng, sampleRng,
    params: Object.values(model.params),
    reference: config.beta > 0 ? gpt2FromWeights(model.config, model.weights()) : undefined,
    optimizer: createAdam({ lr: config.learningRate, weightDecay: config.weightDecay, decoupled: true, decay: "matrices" }),
    state: createTrainingState<GrpoLmRow>(),
    order: [], cursor: 0, completions: 0, tokensSeen: 0, steps: 0, recent: [],
  };
}

/** The next promptsPerStep prompts (indices), in a seeded order reshuffled every pass. */
function nextPrompts(run: GrpoLmRun): number[] {
  const out: number[] = [];
  while (out.length < run.config.promptsPerStep) {
    if (run.cursor >= run.order.length) {
      run.order = shuffled(run.promptIds.length, run.orderRng);
      run.cursor = 0;
    }
    out.push(run.order[run.cursor++]);
  }
  return out;
}

/** One generation batch: the five steps of the module comment. */
async function grpoLmIteration(run: GrpoLmRun, log: (row: NewRow<GrpoLmRow>) => GrpoLmRow, enter: EnterPhase): Promise<void> {
  const { config, opts, promptIds } = run;
  await enter("collect");
  const t0 = performance.now();
  // 1. G completions of each prompt
  const chosen = nextPrompts(run);
  const rows = chosen.flatMap((p) => Array.from({ length: config.numGenerations }, () => promptIds[p]));
  const gen = generate(opts.model, rows, {
    maxNewTokens: config.maxCompletionLength, temperature: config.temperature, topK: config.topK, topP: config.topP,
    eosId: config.eosId < 0 ? null : config.eosId, rng: run.sampleRng,
  });
  const texts = chosen.flatMap((p) => Array.from({ length: config.numGenerations }, () => opts.prompts[p]));
  // 2. rewards and group-relative advantages
  const rewards = await scoreCompletions(opts.reward, texts, rows, gen.tokens, opts.tokenizer, config.eosId);
  const adv = lmGroupAdvantages(rewards, config.numGenerations, config.scaleRewards);
  const t1 = performance.now();
  // 3–4. reference log-probs, then μ optimiser steps
  await enter("update");
  const stats = grpoLmUpdate(opts.model, run.reference, run.optimizer, run.params, {
    prompts: rows, completions: gen.tokens, oldLogp: gen.logProbs, advantages: adv.advantages,
  }, config, run.steps);
  run.steps += config.numIterations;
  const t2 = performance.now();
  // 5. log
  run.completions += rows.length;
  const lengths = gen.tokens.map((t) => t.length);
  run.tokensSeen += lengths.reduce((a, b) => a + b, 0);
  run.recent.push(...rewards);
  run.recent.splice(0, Math.max(0, run.recent.length - 4 * rows.length));
  const { mean, std } = meanStd(rewards);
  log({
    update: run.state.metrics.length + 1, episodes: run.completions, envSteps: run.tokensSeen, step: run.steps,
    reward: mean, rewardStd: std, groupStd: meanStd(Array.from(adv.groupStd)).mean, fracZeroStd: adv.fracZeroStd,
    ...stats,
    completionLength: meanStd(lengths).mean,
    finished: gen.finished.filter(Boolean).length / rows.length,
    generateSeconds: (t1 - t0) / 1000, updateSeconds: (t2 - t1) / 1000,
  });
}

function grpoLmSnapshot(run: GrpoLmRun): TrainingSnapshot {
  const tensors: NamedTensors = {};
  if (run.reference) putPrefixed(tensors, "reference", run.reference.weights());
  return {
    exact: true,
    tensors,
    json: {
      ...loopState(run.state), optimizers: { lm: putAdam(tensors, "adam/lm", run.optimizer.getState(run.params)) },
      rngs: { order: run.orderRng.getState(), sample: run.sampleRng.getState() },
      order: run.order, cursor: run.cursor, completions: run.completions, tokensSeen: run.tokensSeen, steps: run.steps, recent: run.recent,
    },
  };
}

function restoreGrpoLmRun(run: GrpoLmRun, { json, tensors }: TrainingSnapshot): void {
  restoreLoop(run.state, json);
  run.optimizer.setState(run.params, takeAdam(tensors, "adam/lm", (json.optimizers as { lm?: unknown })?.lm));
  if (run.reference) {
    run.reference.dispose();
    run.reference = gpt2FromWeights(run.opts.model.config, takePrefixed(tensors, "reference"));
  }
  const rngs = rngsAt(json);
  run.orderRng.setState(rngs.order);
  run.sampleRng.setState(rngs.sample);
  run.order = numbersAt(json, "order");
  run.cursor = numberAt(json, "cursor");
  run.completions = numberAt(json, "completions");
  run.tokensSeen = numberAt(json, "tokensSeen");
  run.steps = numberAt(json, "steps");
  run.recent.splice(0, run.recent.length, ...numbersAt(json, "recent"));
}

/** A completion's text: its tokens without the EOS that ended it. */
export function decodeCompletion(tokenizer: TextCodec, tokens: readonly number[], eosId: number): string {
  const body = eosId >= 0 && tokens.at(-1) === eosId ? tokens.slice(0, -1) : tokens;
  return tokenizer.decode(body);
}

async function scoreCompletions(reward: LmRewardFn, prompts: string[], promptIds: readonly (readonly number[])[], tokens: number[][], tokenizer: TextCodec, eosId: number): Promise<number[]> {
  const completions = tokens.map((t) => decodeCompletion(tokenizer, t, eosId));
  const out = await reward(prompts, completions, { prompts: promptIds.map((p) => [...p]), completions: tokens.map((t) => [...t]) });
  if (!Array.isArray(out) || out.length !== completions.length) {
    throw new RangeError(`the reward function returned ${Array.isArray(out) ? `${out.length} values` : JSON.stringify(out)} for ${completions.length} completions`);
  }
  out.forEach((r, i) => { if (typeof r !== "number" || !Number.isFinite(r)) throw new RangeError(`the reward function gave completion ${i} (${JSON.stringify(completions[i])}) the reward ${r}, expected a finite number`); });
  return out;
}

function shuffled(n: number, rng: Rng): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** One generation batch, as the update needs it. */
export interface GrpoLmBatch {
  prompts: readonly (readonly number[])[];
  completions: readonly (readonly number[])[];
  /** Per token log-probs under the sampling policy (generate's logProbs). */
  oldLogp: readonly (readonly number[])[];
  advantages: Float32Array;
  /**
   * Per completion, which tokens carry loss (1) and which only condition (0): a multi-turn episode's
   * agent tokens and environment tokens (./conversation-rollout.ts). Default: every token.
   */
  masks?: readonly ArrayLike<number>[];
  /** Per completion, one advantage per token (credit that differs by turn); replaces `advantages`. */
  tokenAdvantages?: readonly ArrayLike<number>[];
}

type UpdateStats = Pick<GrpoLmRow, "kl" | "clipLow" | "clipHigh" | "clipRegion" | "entropy" | "loss" | "gradNorm" | "learningRate">;

/** [rows, C] right-padded with 0, as a tensor. */
function padded(rows: readonly ArrayLike<number>[], C: number): tf.Tensor2D {
  const out = new Float32Array(rows.length * C);
  rows.forEach((r, b) => out.set(Array.prototype.slice.call(r, 0, C) as number[], b * C));
  return tf.tensor2d(out, [rows.length, C]);
}

/**
 * Step 3–4 of the module comment: the reference's log-probs (β > 0), then μ optimiser steps, each
 * summing the gradients of every micro-batch. Returns the logged numbers (means over the μ steps).
 */
export function grpoLmUpdate(model: Gpt2, reference: Gpt2 | undefined, optimizer: Adam, params: tf.Variable[], batch: GrpoLmBatch, config: GrpoLmConfig, stepsBefore: number): UpdateStats {
  const B = batch.completions.length;
  const mb = config.microBatchSize > 0 ? Math.min(config.microBatchSize, B) : B;
  const chunks: [number, number][] = [];
  for (let s = 0; s < B; s += mb) chunks.push([s, Math.min(B, s + mb)]);
  const masks = batch.masks ?? batch.completions.map((x) => x.map(() => 1));
  let activeTokens = 0;
  for (const m of masks) for (let t = 0; t < m.length; t++) activeTokens += m[t];
  const lossOpts: GrpoLmLossOptions = {
    lossType: config.lossType, epsilon: config.epsilon, epsilonHigh: config.epsilonHigh > 0 ? config.epsilonHigh : config.epsilon,
    beta: config.beta, importanceSamplingLevel: config.importanceSamplingLevel, maxCompletionLength: config.maxCompletionLength,
    activeTokens, accumulationSteps: chunks.length,
  };
  const opt = { temperature: config.temperature };
  // reference log-probs, once per batch (the reference never changes)
  const refLogp = reference ? chunks.map(([a, b]) => tf.tidy(() => tf.keep(reference.logProbs(batch.prompts.slice(a, b), batch.completions.slice(a, b), opt)))) : undefined;
  const sums = { kl: 0, klN: 0, low: 0, high: 0, clipN: 0, ent: 0, entN: 0, loss: 0, gradNorm: 0, lr: 0 };
  try {
    for (let it = 0; it < config.numIterations; it++) {
      const step = stepsBefore + it;
      optimizer.lr = config.lrSchedule === "linear" ? config.learningRate * (1 - step / (config.maxSteps * config.numIterations)) : config.learningRate;
      sums.lr += optimizer.lr;
      let acc: tf.Tensor[] | undefined;
      try {
        chunks.forEach(([a, b], c) => {
          const prompts = batch.prompts.slice(a, b), completions = batch.completions.slice(a, b);
          const C = Math.max(...completions.map((x) => x.length));
          const kept: tf.Tensor[] = [];
          tf.tidy(() => {
            const mask = padded(masks.slice(a, b), C);
            const adv = batch.tokenAdvantages ? padded(batch.tokenAdvantages.slice(a, b), C) : tf.tensor1d(batch.advantages.subarray(a, b));
            const old = config.numIterations > 1 ? padded(batch.oldLogp.slice(a, b), C) : undefined;
            let logged!: tf.Tensor[];
            const { value, grads } = tf.variableGrads(() => {
              const { logProbs: logp, entropy } = model.logProbsAndEntropy(prompts, completions, opt);
              const terms = grpoLmLoss({ logp, oldLogp: old ?? (stopGradient(logp) as tf.Tensor2D), refLogp: refLogp?.[c], advantages: adv, mask }, lossOpts);
              const [klS, klN] = maskedSumCount(terms.kl, mask);
              const [lowS, n] = maskedSumCount(terms.lowClipped, mask);
              const [highS] = maskedSumCount(terms.highClipped, mask);
              logged = [klS, klN, lowS, highS, n, tf.sum(tf.mul(entropy, mask))].map((t) => tf.keep(t));
              return terms.loss;
            }, params);
            const [klS, klN, lowS, highS, n, entS] = tf.stack(logged).dataSync();
            tf.dispose(logged);
            sums.kl += klS; sums.klN += klN; sums.low += lowS; sums.high += highS; sums.clipN += n; sums.ent += entS; sums.entN += klN;
            sums.loss += value.dataSync()[0];
            const g = params.map((p) => grads[p.name]);
            if (!acc) acc = g.map((x) => tf.keep(x));
            else {
              const next = acc.map((x, i) => tf.keep(tf.add(x, g[i])));
              kept.push(...acc);
              acc = next;
            }
          });
          tf.dispose(kept);
        });
        tf.tidy(() => {
          const clipped = clipByGlobalNorm(acc!, config.maxGradNorm);
          sums.gradNorm += clipped.norm.dataSync()[0];
          optimizer.apply(params, clipped.grads);
        });
      } finally {
        if (acc) tf.dispose(acc);
      }
    }
  } finally {
    if (refLogp) tf.dispose(refLogp);
  }
  const mu = config.numIterations;
  return {
    kl: sums.klN ? sums.kl / sums.klN : 0,
    clipLow: sums.clipN ? sums.low / sums.clipN : 0,
    clipHigh: sums.clipN ? sums.high / sums.clipN : 0,
    clipRegion: sums.clipN ? (sums.low + sums.high) / sums.clipN : 0,
    entropy: sums.entN ? sums.ent / sums.entN : 0,
    loss: sums.loss / mu,
    gradNorm: sums.gradNorm / mu,
    learningRate: sums.lr / mu,
  };
}
