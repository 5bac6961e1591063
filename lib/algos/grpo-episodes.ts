/**
 * GRPO over episodes: a GPT-2 agent trained on whole multi-turn conversations (TRL's multi-turn
 * rollouts, ms-swift's MultiTurnScheduler), with grpo-lm's options and TRL's names.
 *
 *   repeat maxSteps times:
 *     1. draw `promptsPerStep` starts (the environment's groupStart: OrderDesk-v0 draws a task) and play
 *        `numGenerations` (G) episodes from each with the current policy (./conversation-rollout.ts):
 *        the agent's turns are sampled, the environment's messages appended as tokens it did not choose
 *     2. score each finished episode with the reward parts (../envs/conversation/rewards.ts
 *        composeEpisodeRewards: task success, invalid calls, turns, … each weighted, each logged)
 *     3. advantages from a baseline (./grpo-episodes-baselines.ts): the group's mean (GRPO), its median,
 *        the batch mean, or a learned value over turns with GAE (./grpo-episodes-value.ts)
 *     4. grpo-lm's update (./grpo-lm.ts grpoLmUpdate) on the episodes' tokens, with the agent mask as the
 *        loss mask: the clipped surrogate and β·k3 act on the agent's own tokens only, so the tool's and
 *        the customer's tokens get a gradient of exactly zero (tested)
 *     5. log reward and its parts, success, valid-call rate, turns, KL, clip fractions, entropy, grad norm
 *
 * `GRPO_EPISODE_PRESETS` say what conservative, balanced (the default) and aggressive change.
 *
 *   const trainer = createGrpoEpisodesTrainer({ model, tokenizer, envId: "OrderDesk-v0" });
 *   await trainer.train({ plot: true });
 */
import { createRng } from "../core/rng";
import { choice, defineSchema, int, num, type ConfigOf } from "../core/schema";
import { meanStd } from "../core/stats";
import { conversationEnvSpec } from "../envs/conversation/env";
import { composeEpisodeRewards, episodeReturn, type EpisodeRewardPart } from "../envs/conversation/rewards";
import { gpt2FromWeights, type Gpt2 } from "../nn/gpt2/model";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { BaseRow, TrainOptions, TrainResult } from "./agent";
import { evaluateChatModel } from "./conversation-eval";
import { episodeTokenBatch, rolloutConversations, type ConversationEpisode } from "./conversation-rollout";
import { EPISODE_BASELINES, episodeAdvantages } from "./grpo-episodes-baselines";
import { createValueHead, valueAdvantages, type ValueHead } from "./grpo-episodes-value";
import { LM_LOSS_TYPES, SCALE_REWARDS } from "./grpo-lm-loss";
import { grpoLmConfig, grpoLmUpdate } from "./grpo-lm";
import { createAdam, type Adam } from "../nn/optim";
import { createTrainingState, runTraining, type TrainingState } from "./train-loop";

export const GRPO_EPISODE_PRESET_NAMES = ["conservative", "balanced", "aggressive"] as const;
export type GrpoEpisodePreset = (typeof GRPO_EPISODE_PRESET_NAMES)[number];

export const grpoEpisodesSchema = defineSchema("grpo-episodes", {
  seed: int(1, "seed of the starts, the sampling and the environments", { min: 0, max: 0xffffffff }),
  maxSteps: int(60, "generation batches to train on (each gives numIterations optimiser steps)", { min: 1, flag: "steps" }),
  promptsPerStep: int(4, "starts (tasks) per generation batch; the batch is promptsPerStep x numGenerations episodes", { min: 1 }),
  numGenerations: int(8, "G: episodes played from each start (a group)", { min: 2 }),
  maxCompletionLength: int(32, "most tokens in one agent turn", { min: 1 }),
  temperature: num(1, "sampling temperature of the rollouts", { min: 0, minExclusive: true }),
  learningRate: num(1e-4, "Adam learning rate", { min: 0, minExclusive: true, flag: "learning-rate" }),
  lrSchedule: choice(["constant", "linear"], "constant", "learning rate over the run: constant, or linear decay to 0"),
  weightDecay: num(0, "AdamW's decoupled weight decay", { min: 0 }),
  maxGradNorm: num(1, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  beta: num(0.02, "beta: weight of the k3 KL to the starting model on agent tokens (0: no reference model is kept)", { min: 0 }),
  epsilon: num(0.2, "epsilon: the ratio's lower clip 1 - epsilon", { min: 0 }),
  epsilonHigh: num(0, "epsilon_high: the upper clip 1 + epsilon_high (0 = epsilon)", { min: 0 }),
  numIterations: int(1, "mu: optimiser steps per generation batch", { min: 1 }),
  scaleRewards: choice(SCALE_REWARDS, "group", "divide advantages by the std of the group, the batch, or not at all"),
  lossType: choice(LM_LOSS_TYPES, "dapo", "how agent-token losses are averaged: grpo (per episode), bnpo (per micro-batch token), dr_grpo (constant), dapo (per batch token)"),
  microBatchSize: int(8, "episodes per forward/backward pass, gradients summed over the batch (0 = all at once)", { min: 0 }),
  baseline: choice(EPISODE_BASELINES, "group_mean", "what an episode's reward is compared with: group_mean (GRPO), group_median, global_mean, or value (a value head, GAE over turns)"),
  gamma: num(1, "gamma: discount over agent turns (value baseline)", { min: 0, max: 1 }),
  lam: num(0.95, "lambda: GAE's trace decay over agent turns (value baseline)", { min: 0, max: 1 }),
  valueLearningRate: num(1e-3, "Adam learning rate of the value head (value baseline)", { min: 0, minExclusive: true }),
  evalEvery: int(0, "evaluate held-out success every this many steps (0 = never during training)", { min: 0 }),
  evalTasks: int(100, "held-out tasks per evaluation (tsrl train: also for successBefore / successAfter)", { min: 1 }),
});

export type GrpoEpisodesConfig = ConfigOf<typeof grpoEpisodesSchema>;

/**
 * The presets, each a change to the schema's defaults:
 *   conservative  lr 3e-5, β 0.05, ε 0.1, 16 episodes a group: small steps held near the starting model
 *   balanced      the defaults: lr 1e-4, β 0.02, ε 0.2, G = 8
 *   aggressive    lr 3e-4, β 0, ε 0.2 / ε_high 0.28 (DAPO's clip-higher), μ = 2: fast, and the first to go unhealthy
 */
export const GRPO_EPISODE_PRESETS: Readonly<Record<GrpoEpisodePreset, Partial<GrpoEpisodesConfig>>> = Object.freeze({
  conservative: { learningRate: 3e-5, beta: 0.05, epsilon: 0.1, numGenerations: 16, promptsPerStep: 2 },
  balanced: {},
  aggressive: { learningRate: 3e-4, beta: 0, epsilon: 0.2, epsilonHigh: 0.28, numIterations: 2 },
});

/** The config of a preset (default balanced) with `partial` over it; each field checked. */
export function grpoEpisodesConfig(partial: Partial<GrpoEpisodesConfig> = {}, preset: GrpoEpisodePreset = "balanced"): GrpoEpisodesConfig {
  const p = GRPO_EPISODE_PRESETS[preset];
  if (!p) throw new RangeError(`preset must be one of ${GRPO_EPISODE_PRESET_NAMES.join(", ")}, got ${JSON.stringify(preset)}`);
  return grpoEpisodesSchema.parse({ ...p, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) });
}

/** One row per generation batch. */
export interface GrpoEpisodesRow extends BaseRow {
  step: number;
  /** Mean composed reward of the batch's episodes, its std, the groups' mean std, share of groups with std 0. */
  reward: number;
  rewardStd: number;
  groupStd: number;
  fracZeroStd: number;
  /** Share of the batch's episodes that succeeded (the environment's `success`). */
  success: number;
  /** Well-formed tool calls / tool-call attempts (NaN when there were none). */
  validCallRate: number;
  meanTurns: number;
  agentTokens: number;
  envTokens: number;
  kl: number;
  clipLow: number;
  clipHigh: number;
  clipRegion: number;
  entropy: number;
  loss: number;
  gradNorm: number;
  learningRate: number;
  /** Value baseline only: the value head's MSE and explained variance (NaN otherwise). */
  valueLoss: number;
  /** Held-out success at this step (NaN when not evaluated). */
  heldoutSuccess: number;
  generateSeconds: number;
  updateSeconds: number;
  [column: string]: number;
}

export interface GrpoEpisodesOptions {
  /** The policy; trained in place. */
  model: Gpt2;
  tokenizer: Gpt2Tokenizer;
  envId: string;
  /** Options of the training environment (default { split: "train" }). */
  envOptions?: Record<string, unknown>;
  /** Options of the held-out environment (default { split: "heldout" }). */
  heldoutOptions?: Record<string, unknown>;
  /** The reward's parts (default: the environment's return Σ_t r_t as one part, "return"). */
  rewardParts?: readonly EpisodeRewardPart[];
  config?: Partial<GrpoEpisodesConfig>;
  preset?: GrpoEpisodePreset;
}

export interface GrpoEpisodesTrainer {
  readonly config: Readonly<GrpoEpisodesConfig>;
  readonly model: Gpt2;
  readonly metrics: GrpoEpisodesRow[];
  /** The episodes of the last generation batch (for looking at). */
  readonly lastEpisodes: readonly ConversationEpisode[];
  train(opts?: TrainOptions<GrpoEpisodesRow>): Promise<TrainResult<GrpoEpisodesRow>>;
  dispose(): void;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function createGrpoEpisodesTrainer(opts: GrpoEpisodesOptions): GrpoEpisodesTrainer {
  const config = grpoEpisodesConfig(opts.config, opts.preset);
  const { model, tokenizer, envId } = opts;
  const spec = conversationEnvSpec(envId);
  const envOptions = opts.envOptions ?? { split: "train" };
  const heldoutOptions = opts.heldoutOptions ?? { split: "heldout" };
  const parts = opts.rewardParts ?? [{ name: "return", reward: episodeReturn }];
  const compose = composeEpisodeRewards(parts);
  if (!spec.groupStart) throw new RangeError(`${envId} does not say what a group's shared start is (ConversationEnvSpec.groupStart)`);
  const maxTurns = spec.create(envOptions).maxTurns;
  // the update is grpo-lm's: its config carries the loss settings, one "completion" being one episode
  const lmConfig = grpoLmConfig({
    seed: config.seed, maxSteps: config.maxSteps, numGenerations: config.numGenerations, maxCompletionLength: maxTurns * config.maxCompletionLength,
    temperature: config.temperature, learningRate: config.learningRate, lrSchedule: config.lrSchedule, weightDecay: config.weightDecay,
    maxGradNorm: config.maxGradNorm, beta: config.beta, epsilon: config.epsilon, epsilonHigh: config.epsilonHigh, numIterations: config.numIterations,
    scaleRewards: config.scaleRewards, lossType: config.lossType, importanceSamplingLevel: "token", microBatchSize: config.microBatchSize,
  });
  const rng = createRng(config.seed);
  const startRng = rng.fork(), sampleRng = rng.fork();
  const params = Object.values(model.params);
  const reference = config.beta > 0 ? gpt2FromWeights(model.config, model.weights()) : undefined;
  const optimizer: Adam = createAdam({ lr: config.learningRate, weightDecay: config.weightDecay, decoupled: true });
  const valueHead: ValueHead | undefined = config.baseline === "value" ? createValueHead(model, { learningRate: config.valueLearningRate, seed: config.seed }) : undefined;
  const state: TrainingState<GrpoEpisodesRow> = createTrainingState();
  let episodesSeen = 0, tokensSeen = 0, steps = 0, lastEpisodes: ConversationEpisode[] = [];
  const recent: number[] = [];

  const heldoutSuccess = async (): Promise<number> => {
    const e = await evaluateChatModel(model, tokenizer, envId, { ...heldoutOptionsAsEval(heldoutOptions), limit: config.evalTasks, seed: config.seed + 1, maxTurnTokens: config.maxCompletionLength });
    return Number(e.summary.successRate);
  };

  const trainer: GrpoEpisodesTrainer = {
    config,
    model,
    metrics: state.metrics,
    get lastEpisodes() {
      return lastEpisodes;
    },
    train: (trainOpts = {}) => runTraining(state, trainOpts, {
      budgetLeft: () => state.metrics.length < config.maxSteps,
      async update(_signal, log) {
        const t0 = performance.now();
        // 1. G episodes from each of promptsPerStep starts
        const starts = Array.from({ length: config.promptsPerStep }, () => spec.groupStart!(startRng, envOptions));
        const episodes = rolloutConversations(model, tokenizer, () => spec.create(envOptions), starts, {
          groupSize: config.numGenerations, maxTurnTokens: config.maxCompletionLength, temperature: config.temperature, rng: sampleRng,
        });
        lastEpisodes = episodes;
        // 2. the episodes' rewards, part by part
        const scored = await compose(episodes);
        const rewards = scored.total;
        // 3. advantages
        const group = episodeAdvantages(rewards, config.numGenerations, config.baseline === "value" ? "group_mean" : config.baseline, config.scaleRewards);
        const batch = episodeTokenBatch(episodes);
        const rows = (flat: Float32Array) => episodes.map((_, b) => flat.subarray(b * batch.length, (b + 1) * batch.length));
        let tokenAdvantages: Float32Array[] | undefined, valueLoss = NaN;
        if (valueHead) {
          const v = valueAdvantages(valueHead, episodes, rewards, { gamma: config.gamma, lambda: config.lam, length: batch.length });
          tokenAdvantages = v.tokenAdvantages;
          valueLoss = v.valueLoss;
        }
        const t1 = performance.now();
        // 4. the update on agent tokens only
        const stats = grpoLmUpdate(model, reference, optimizer, params, {
          prompts: batch.promptIds, completions: batch.completionIds, oldLogp: rows(batch.oldLogProbs).map((r) => Array.from(r)),
          advantages: group.advantages, masks: rows(batch.mask), tokenAdvantages,
        }, lmConfig, steps);
        steps += config.numIterations;
        const t2 = performance.now();
        // 5. log
        let agentTokens = 0;
        for (let i = 0; i < batch.mask.length; i++) agentTokens += batch.mask[i];
        const allTokens = episodes.reduce((a, e) => a + e.tokens.length - 1, 0);
        episodesSeen += episodes.length;
        tokensSeen += allTokens;
        recent.push(...rewards);
        recent.splice(0, Math.max(0, recent.length - 4 * episodes.length));
        const infos = episodes.map((e) => e.info);
        const calls = infos.reduce((a, i) => a + Number(i.calls ?? 0), 0), valid = infos.reduce((a, i) => a + Number(i.validCalls ?? 0), 0);
        const partMeans = Object.fromEntries(Object.entries(scored.parts).map(([name, xs]) => [`reward${cap(name)}`, meanStd(xs).mean]));
        const { mean, std } = meanStd(rewards);
        const row = log({
          update: state.metrics.length + 1, episodes: episodesSeen, envSteps: tokensSeen, step: steps,
          reward: mean, rewardStd: std, groupStd: meanStd(Array.from(group.groupStd)).mean, fracZeroStd: group.fracZeroStd,
          ...partMeans,
          success: infos.filter((i) => i.success === true).length / infos.length,
          validCallRate: calls ? valid / calls : NaN,
          meanTurns: meanStd(episodes.map((e) => e.turnEnds.length)).mean,
          agentTokens, envTokens: allTokens - agentTokens,
          ...stats, valueLoss, heldoutSuccess: NaN,
          generateSeconds: (t1 - t0) / 1000, updateSeconds: (t2 - t1) / 1000,
        });
        if (config.evalEvery > 0 && state.metrics.length % config.evalEvery === 0) row.heldoutSuccess = await heldoutSuccess();
      },
      progress: () => {
        const last = state.metrics.at(-1);
        return {
          done: state.metrics.length, total: config.maxSteps, unit: "step",
          fields: { reward: meanStd(recent).mean.toFixed(3), success: (last?.success ?? 0).toFixed(2), kl: (last?.kl ?? 0).toFixed(4) },
        };
      },
      summary: () => ({ episodes: episodesSeen, envSteps: tokensSeen, trainReturn: meanStd(recent).mean, evalReturn: NaN }),
      plot: { x: "update", y: "reward", window: 5, title: `GRPO over ${envId} episodes (seed ${config.seed})` },
    }),
    dispose() {
      reference?.dispose();
      optimizer.dispose();
      valueHead?.dispose();
    },
  };
  return trainer;
}

/** Held-out environment options as evaluateChatModel takes them (a split or tasks). */
function heldoutOptionsAsEval(o: Record<string, unknown>): { split?: string; tasks?: readonly unknown[] | string } {
  return o.tasks !== undefined ? { tasks: o.tasks as readonly unknown[] | string } : { split: String(o.split ?? "heldout") };
}
