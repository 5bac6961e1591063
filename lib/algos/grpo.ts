/**
 * GRPO for episodes (Group Relative Policy Optimization; Shao et al. 2024, DeepSeekMath), the
 * critic-free policy gradient of LLM post-training, here on whole episodes of a game:
 *
 *   repeat:
 *     1. collect G groups of K episodes; the K episodes of a group start from the same state —
 *        what the env calls its group start (Tic-Tac-Toe: the agent's side), or with `sameSeed`
 *        one reset seed for all (a task drawn by the seed, e.g. the edit agent's)
 *     2. score each episode by its return R_i, and turn the scores of a group into advantages —
 *          "group": A_i = (R_i − mean R) / (std R + ε)
 *          "rank":  rank the group by return; the top m are preferred (A = +1), the others share
 *                   A = −m/(K − m), so a group sums to zero (the original Tic-Tac-Toe scheme)
 *        every step of episode i gets A_i (outcome supervision: no critic, no bootstrapping)
 *     3. for `numIterations` (μ) passes over the batch, the clipped surrogate (as PPO) on the ratio to the
 *        policy that collected it, averaged per episode then over episodes (GRPO's loss), plus
 *        β·KL(π_θ ‖ π_ref) to the initial policy (k3 estimator) and minus an entropy bonus:
 *          L = (1/N) Σ_i (1/|τ_i|) Σ_t [ −min(r_t A_i, clip(r_t, 1±ε) A_i) + β k3_t ] − c_H·H
 *        with illegal actions masked (logit −1e9), weight decay (L2) and dropout as options
 *     4. log; every `evalEvery` updates the environment's report card (Tic-Tac-Toe: win/draw/loss
 *        against each opponent and the exhaustive loss count); stop once it says "solved"
 *
 * The policy is a network from lib/nn/policy-nets (`net`): an MLP on the flat observation, or
 * the edit agent's pointer network. An env whose observation is not a flat vector gives its
 * `observation.featurize` in the env registry; rollouts store and act on the features, the agent's `act` takes
 * the env's own observation. Optionally (`warmStartSteps`) a behaviour-cloning warm start on the
 * env's `demonstrations` comes first — minibatch steps of −log π(a*|s) on expert steps, logged as
 * rows of their own with the report card after the last — and GRPO goes on from there.
 *
 * The language-model form (per-token log-probs of completions, TRL's names: scaleRewards, lossType,
 * epsilon/epsilonHigh, numIterations, importanceSamplingLevel, beta) is ./grpo-lm.ts
 * (createGrpoLmTrainer), its loss ./grpo-lm-loss.ts; it reuses the same clipped surrogate and k3 KL
 * (surrogate.ts). A separate module, so that Tic-Tac-Toe's GRPO does not load GPT-2.
 */
import * as tf from "@tensorflow/tfjs";
import { checkpoint } from "../core/abort";
import type { Env } from "../core/env";
import type { Demonstration, EnvSpec, EpisodeHooks } from "../core/registry";
import { envSpec, makeEnv } from "../envs/registry";
import { createRng, type Rng, type RngState } from "../core/rng";
import { bool, choice, defineSchema, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../core/schema";
import { meanStd, summarize } from "../core/stats";
import { initBackend } from "../nn/backend";
import { entropyOfLogProbs, logProbOfAction, logSoftmax, pickLogProb } from "../nn/categorical";
import type { NamedTensors } from "../nn/mlp/mlp";
import { mapObservation } from "../core/wrappers";
import { groupAdvantages, rankAdvantages } from "./advantages";
import { defineAlgorithm, type Agent, type BaseRow, type TrainingSnapshot } from "./agent";
import { evaluatePolicy, type ActFn } from "./evaluate";
import { createAdam, minimize, type Adam } from "../nn/optim";
import { createPolicyNet, frozenPolicyNet, policyNetNames, policyNetShapes, type FrozenPolicy, type TrainablePolicy } from "../nn/policy-nets";
import { checkEnvCopies, collectEpisodesAsync, discreteSizes, type DiscreteActor, type EpisodeBatch } from "./rollout";
import { clippedSurrogate, klK3 } from "./surrogate";
import { finiteOrNull, hasPrefixed, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, rngsAt, takeAdam, takePrefixed } from "./resume";
import { createTrainingState, runTraining, type EnterPhase, type NewRow, type TrainingState } from "./train-loop";

export const grpoSchema = defineSchema("grpo", {
  envId: str("TicTacToe-v0", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  envOptions: json({}, "environment options as JSON, e.g. {\"opponent\": \"minimax\"}"),
  seed: int(1337, "seed of weights, sampling, dropout and group starts", { min: 0, max: 0xffffffff }),
  numGenerations: int(64, "K: episodes per group, all from the same start (TRL's num_generations)", { min: 2, aliases: ["groupSize"] }),
  groupsPerUpdate: int(1, "G: groups collected per update", { min: 1 }),
  sameSeed: bool(false, "reset a group's episodes with one seed (identical starts); else each its own seed, sharing only the env's group start (e.g. the side)"),
  advantage: choice(["rank", "group"], "rank", "rank: the top m of a group are preferred; group: (R − mean)/(std + eps)"),
  topM: int(16, "m: preferred episodes per group (advantage rank)", { min: 1 }),
  maxEpisodes: int(600_000, "stop after this many training episodes", { min: 1, flag: "episodes" }),
  learningRate: num(1e-3, "Adam learning rate", { min: 0, minExclusive: true, aliases: ["lr"] }),
  weightDecay: num(1e-4, "L2 weight decay (added to the gradient, as PyTorch Adam's weight_decay)", { min: 0 }),
  dropout: num(0.1, "dropout on the hidden layers while updating (acting uses none)", { min: 0, max: 0.9 }),
  net: choice(policyNetNames(), "mlp", "policy network: mlp (on the flat observation) or edit (EditAgent-v0's pointer network over its relational features)"),
  hiddenSizes: intList([128, 128], "hidden layer widths, comma-separated (net edit: H,D — location/payload width, instruction-token width)"),
  activation: choice(["tanh", "relu"], "relu", "hidden activation"),
  numIterations: int(2, "mu: passes over each batch (after the first, the ratio clipping matters)", { min: 1, aliases: ["epochs"] }),
  epsilon: num(0.2, "epsilon of the ratio clipping", { min: 0, aliases: ["clipEpsilon"] }),
  beta: num(0, "beta: weight of KL(pi || pi_ref) to the initial policy (k3 estimator)", { min: 0, aliases: ["klCoef"] }),
  entCoef: num(0.01, "entropy bonus weight", { min: 0, aliases: ["entropyCoef"] }),
  maxGradNorm: num(1, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  evalEvery: int(10, "updates between evaluations (the environment's report card)", { min: 1 }),
  evalGames: int(200, "episodes per evaluation", { min: 1 }),
  stopWhenSolved: bool(true, "stop once an evaluation says the task is solved"),
  warmStartSteps: int(0, "behaviour-cloning minibatch steps on the env's demonstrations before GRPO (0 = none)", { min: 0 }),
  warmStartBatch: int(64, "expert steps per warm-start minibatch", { min: 1 }),
  warmStartLearningRate: num(1e-3, "Adam learning rate of the warm start", { min: 0, minExclusive: true, aliases: ["warmStartLr"] }),
});

export type GrpoConfig = ConfigOf<typeof grpoSchema>;

/** Tuned per environment; anything you pass wins. */
export const GRPO_PRESETS: Readonly<Record<string, Partial<GrpoConfig>>> = {
  "TicTacToe-v0": { envOptions: { opponent: { random: 2, greedy: 1, minimax: 1 }, agentPlays: "random" } },
  // a warm start on the oracle's edits (1,200 steps of 64: about four passes over its ~19,900 steps and the nonsense STOPs), then
  // 72 GRPO updates: groups of 8 attempts at one task, 16 tasks per update, a small learning rate (larger ones drifted: figs/README.md)
  "EditAgent-v0": {
    net: "edit", hiddenSizes: [64, 32], dropout: 0, weightDecay: 0, learningRate: 5e-5, entCoef: 0.001,
    numGenerations: 8, groupsPerUpdate: 16, advantage: "group", maxEpisodes: 8 * 16 * 72,
    evalEvery: 10, evalGames: 200, stopWhenSolved: false,
    warmStartSteps: 1200, warmStartBatch: 64, warmStartLearningRate: 1e-3,
  },
};

export const grpoConfig = (partial: Partial<GrpoConfig> | Record<string, unknown> = {}): GrpoConfig => {
  const config = parseWithPresets(grpoSchema, GRPO_PRESETS, partial);
  checkEnvCopies("grpo", "numGenerations", config.numGenerations);
  if (config.maxEpisodes < config.numGenerations * config.groupsPerUpdate) {
    throw new RangeError(`grpo config: maxEpisodes = ${config.maxEpisodes} is less than one update's episodes (numGenerations × groupsPerUpdate = ${config.numGenerations} × ${config.groupsPerUpdate}); raise it or lower numGenerations / groupsPerUpdate`);
  }
  if (config.advantage === "rank" && config.topM >= config.numGenerations) {
    throw new RangeError(`grpo config: topM = ${config.topM}, expected fewer than numGenerations (${config.numGenerations}) so some episodes are not preferred`);
  }
  return config;
};

/** One row per update. Evaluation columns (the env's report card, `evalReturn`) hold NaN between evaluations. */
export interface GrpoRow extends BaseRow {
  /** Mean / std of the batch's episode returns. */
  return: number;
  returnStd: number;
  length: number;
  /** Mean over the batch's groups of the within-group return std (0: the group agreed, no signal). */
  groupStd: number;
  loss: number;
  /** Fraction of steps whose ratio left [1 − ε, 1 + ε]; approx KL(π_old ‖ π_θ); KL to the reference. */
  clipFrac: number;
  approxKl: number;
  refKl: number;
  entropy: number;
  gradNorm: number;
  /** Greedy mean return at an evaluation, else NaN. */
  evalReturn: number;
  /** Warm-start rows: mean −log π(a*|s) and how often the greedy action was the expert's (NaN in GRPO rows). */
  warmStartLoss: number;
  warmStartAccuracy: number;
  /**
   * The env's report card columns (e.g. winRandom, exhaustiveLossesX, solved), NaN between
   * evaluations; and its per-episode numbers averaged over the batch (EditAgent-v0: exactMatch,
   * edits, minimalEdits of the training episodes).
   */
  [column: string]: number;
}

export interface GrpoAgent extends Agent<GrpoConfig, GrpoRow> {
  /** The last evaluation's report card, if one ran. */
  readonly lastReport?: Record<string, number>;
}

/** What a GRPO run holds between updates: its parts and its counters, in one object. */
interface GrpoRun {
  readonly config: GrpoConfig;
  readonly spec: EnvSpec;
  /** K env copies, seen through the env's featuriser when it has one (rollouts store the features). */
  readonly envs: Env<Float32Array, number>[];
  /** The env's own observation → what the network reads. */
  readonly observe: (obs: unknown) => Float32Array;
  readonly obsSize: number;
  readonly nActions: number;
  readonly policy: TrainablePolicy;
  readonly optimizer: Adam;
  readonly warmOptimizer?: Adam;
  readonly rngs: { act: Rng; start: Rng; dropout: Rng; demo: Rng };
  readonly state: TrainingState<GrpoRow>;
  /** π_ref: the initial (or warm-started) policy, frozen, and its weights. */
  reference: FrozenPolicy;
  referenceWeights: NamedTensors;
  episodes: number;
  envSteps: number;
  lastEval: number;
  warmSteps: number;
  /** The demonstrations in the env's order, and the order a pass takes them in (reshuffled with the demo generator each pass). */
  demos?: { steps: Demonstration[]; order: number[]; next: number; rngAtCreation: RngState };
  solved?: NamedTensors;
  lastReport?: Record<string, number>;
  recentReturns: number[];
}

export async function createGrpoAgent(partial: Partial<GrpoConfig> = {}): Promise<GrpoAgent> {
  const config = grpoConfig(partial);
  await initBackend({ quiet: true });
  const run = startGrpoRun(config);
  const { policy, state } = run;
  // acting on the env's own observations
  const act: ActFn = (obs, ctx) => policy.act(run.observe(obs), ctx);
  /** Greedy mean return, plus the env's own report card when it has one. */
  const evaluateNow = async (signal: AbortSignal | undefined): Promise<Record<string, number>> => {
    const evalSeed = (config.seed * 7919 + 1_000_003) >>> 0;
    const { mean } = await evaluatePolicy(config.envId, act, { episodes: config.evalGames, seed: evalSeed, greedy: true, signal });
    run.lastEval = mean;
    run.lastReport = { evalReturn: mean, ...(run.spec.evaluate?.(act, { seed: evalSeed, games: config.evalGames }) ?? {}) };
    return run.lastReport;
  };
  const agent: GrpoAgent = {
    algorithm: "grpo",
    config,
    envId: config.envId,
    metrics: state.metrics,
    act,
    probs: (obs, mask) => policy.probs(run.observe(obs), mask),
    get lastReport() {
      return run.lastReport;
    },
    weights: () => policy.weights(),
    checkpointWeights: () => run.solved ?? policy.weights(),
    setWeights(t) {
      policy.setWeights(t);
      policy.sync();
    },
    dispose() {
      policy.dispose();
      run.reference.dispose?.();
      run.optimizer.dispose();
      run.warmOptimizer?.dispose();
      for (const env of run.envs) env.close?.();
    },
    trainingState: () => grpoSnapshot(run),
    restoreTrainingState: (snapshot) => restoreGrpoRun(run, snapshot, (t) => agent.setWeights(t)),
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => run.warmSteps < config.warmStartSteps || run.episodes < config.maxEpisodes,
      update: (signal, log, enter) => (run.warmSteps < config.warmStartSteps ? warmStartIteration(run, signal, log, enter, evaluateNow) : grpoIteration(run, signal, log, enter, evaluateNow)),
      progress: () => ({
        done: run.episodes, total: config.maxEpisodes, unit: "ep",
        fields: {
          ...(config.warmStartSteps > 0 ? { "warm start": `${run.warmSteps}/${config.warmStartSteps}`, accuracy: (state.metrics.findLast((r) => Number.isFinite(r.warmStartAccuracy))?.warmStartAccuracy ?? NaN).toFixed(3) } : {}),
          return: run.recentReturns.length ? meanStd(run.recentReturns).mean.toFixed(2) : "—",
          eval: Number.isNaN(run.lastEval) ? "—" : run.lastEval.toFixed(2),
        },
      }),
      summary: () => ({ episodes: run.episodes, envSteps: run.envSteps, trainReturn: meanStd(run.recentReturns).mean, evalReturn: run.lastEval }),
      plot: { x: "episodes", y: "return", window: 20, title: `GRPO on ${config.envId} (seed ${config.seed})` },
      // a warm-start row has its own loss; a GRPO row the surrogate's and its gradient norm
      finite: (r): Record<string, number> => (Number.isFinite(r.return) ? { loss: r.loss, gradNorm: r.gradNorm } : { warmStartLoss: r.warmStartLoss }),
    }),
  };
  return agent;
}

/**
 * A run's parts from its config: K env copies (seen through the env's featuriser when it has one),
 * one seed forked into the weights', actions', group starts', dropout's and demonstrations'
 * generators (in that order), the policy network, π_ref (a frozen copy of it), and the Adams of
 * GRPO and of the warm start.
 */
function startGrpoRun(config: GrpoConfig): GrpoRun {
  const spec = envSpec(config.envId);
  // a warm start needs demonstrations: say so now, not after the first update
  if (config.warmStartSteps > 0 && !spec.demonstrations) throw new RangeError(`grpo: warmStartSteps = ${config.warmStartSteps}, but ${config.envId} has no demonstrations to clone; set it to 0`);
  const featurize = spec.observation?.featurize;
  const envs: Env<Float32Array, number>[] = Array.from({ length: config.numGenerations }, () => {
    const env = makeEnv<unknown, number>(config.envId, { options: config.envOptions });
    return featurize ? mapObservation(env, featurize) : (env as Env<Float32Array, number>);
  });
  const { obsSize, nActions } = discreteSizes(envs[0], "GRPO", { featurized: true });
  const rng = createRng(config.seed);
  const initRng = rng.fork(), act = rng.fork(), start = rng.fork(), dropout = rng.fork(), demo = rng.fork();
  const policy = createPolicyNet("policy", config, obsSize, nActions, initRng);
  const referenceWeights = policy.weights();
  return {
    config, spec, envs, obsSize, nActions, policy, referenceWeights,
    observe: featurize ?? ((obs: unknown) => obs as Float32Array),
    reference: frozenPolicyNet("policy", config, obsSize, nActions, referenceWeights),
    optimizer: createAdam({ lr: config.learningRate, weightDecay: config.weightDecay }),
    warmOptimizer: config.warmStartSteps > 0 ? createAdam({ lr: config.warmStartLearningRate }) : undefined,
    rngs: { act, start, dropout, demo },
    state: createTrainingState<GrpoRow>(),
    episodes: 0, envSteps: 0, lastEval: NaN, warmSteps: 0, recentReturns: [],
  };
}

/**
 * Step 1: G groups of K episodes, the K episodes of a group from the same start — the env's group
 * start (drawn with `startRng`) and, with sameSeed, one reset seed. `envs` are the K copies.
 */
export async function grpoRollout(envs: readonly Env<Float32Array, number>[], policy: DiscreteActor, rngs: { start: Rng; act: Rng }, config: Pick<GrpoConfig, "groupsPerUpdate" | "sameSeed" | "envOptions">, groupStart?: EpisodeHooks["groupStart"], signal?: AbortSignal): Promise<EpisodeBatch[]> {
  const groups: EpisodeBatch[] = [];
  for (let g = 0; g < config.groupsPerUpdate; g++) {
    const options = groupStart?.(rngs.start, config.envOptions);
    groups.push(await collectEpisodesAsync(envs, policy, rngs.act, { seed: rngs.start.nextUint32(), sameSeed: config.sameSeed, options, signal }));
  }
  return groups;
}

/** Step 2: each group's returns as advantages (rank or normalised, as `advantage` says), spread over every step of its episodes. */
export function grpoAdvantages(groups: readonly EpisodeBatch[], obsSize: number, nActions: number, config: Pick<GrpoConfig, "advantage" | "topM">): GrpoBatch {
  return joinGroups(groups, obsSize, nActions, (returns) =>
    config.advantage === "rank" ? rankAdvantages(returns, config.topM).advantages : groupAdvantages(returns));
}

/** One GRPO update: the four steps of the module comment. */
async function grpoIteration(run: GrpoRun, signal: AbortSignal | undefined, log: (row: NewRow<GrpoRow>) => GrpoRow, enter: EnterPhase, evaluateNow: (signal: AbortSignal | undefined) => Promise<Record<string, number>>): Promise<"target" | void> {
  const { config, policy, obsSize, nActions } = run;
  // 1. collect G groups of K episodes, each group from one start
  await enter("collect");
  const groups = await grpoRollout(run.envs, policy, run.rngs, config, run.spec.episodes?.groupStart, signal);

  // 2. advantages within each group, spread over every step of each episode
  const batch = grpoAdvantages(groups, obsSize, nActions, config);
  const refLogp = logProbsUnder(run.reference.logits, batch, obsSize, nActions);

  // 3. the clipped surrogate, `numIterations` passes
  await enter("update");
  let stats!: UpdateStats;
  for (let e = 0; e < config.numIterations; e++) {
    stats = grpoUpdate(policy, run.optimizer, batch, refLogp, config, run.rngs.dropout.nextUint32());
  }
  policy.sync();

  // 4. log, and every evalEvery updates the report card
  const returns = groups.flatMap((b) => b.returns);
  run.episodes += returns.length;
  run.envSteps += batch.actions.length;
  run.recentReturns.push(...returns);
  run.recentReturns.splice(0, Math.max(0, run.recentReturns.length - 100));
  const { mean, std } = meanStd(returns);
  const update = run.state.metrics.length + 1;
  const row = log({
    update,
    episodes: run.episodes,
    envSteps: run.envSteps,
    return: mean,
    returnStd: std,
    length: batch.actions.length / returns.length,
    groupStd: summarize(groups.map((b) => meanStd(b.returns).std)).mean,
    ...stats,
    ...episodeMetrics(run.spec, groups),
    evalReturn: NaN,
    warmStartLoss: NaN,
    warmStartAccuracy: NaN,
  } as NewRow<GrpoRow>);
  if (update % config.evalEvery === 0) {
    await enter("evaluate");
    const report = await evaluateNow(signal);
    Object.assign(row, report);
    if (config.stopWhenSolved && report.solved === 1) {
      run.solved = policy.weights();
      return "target";
    }
  }
}

/** The env's per-episode numbers (spec.episodes.metrics of each last info), averaged over the batch. */
function episodeMetrics(spec: EnvSpec, groups: readonly EpisodeBatch[]): Record<string, number> {
  const metricsOf = spec.episodes?.metrics;
  if (!metricsOf) return {};
  const sums: Record<string, number> = {};
  let n = 0;
  for (const b of groups) for (const info of b.finalInfos ?? []) {
    for (const [k, v] of Object.entries(metricsOf(info))) sums[k] = (sums[k] ?? 0) + v;
    n++;
  }
  return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
}

/**
 * One row of the warm start: up to WARM_STEPS_PER_ROW minibatch steps of behaviour cloning on the
 * env's demonstrations (passes over them in a seeded order). After the last, π_ref becomes the
 * warm-started policy (KL is measured from where GRPO starts) and the report card is drawn.
 */
async function warmStartIteration(run: GrpoRun, signal: AbortSignal | undefined, log: (row: NewRow<GrpoRow>) => GrpoRow, enter: EnterPhase, evaluateNow: (signal: AbortSignal | undefined) => Promise<Record<string, number>>): Promise<void> {
  const { config, policy, obsSize, nActions } = run;
  await enter("update");
  if (!run.demos) {
    const rngAtCreation = run.rngs.demo.getState();
    const steps = run.spec.demonstrations!(config.envOptions, run.rngs.demo);
    run.demos = { steps, order: steps.map((_, i) => i), next: 0, rngAtCreation };
  }
  const demos = run.demos;
  if (demos.steps.length === 0) throw new RangeError(`grpo: ${config.envId} gave no demonstrations`);
  const B = config.warmStartBatch, n = Math.min(WARM_STEPS_PER_ROW, config.warmStartSteps - run.warmSteps);
  let loss = 0, accuracy = 0;
  const obs = new Float32Array(B * obsSize), actions = new Int32Array(B), masks = new Uint8Array(B * nActions);
  for (let s = 0; s < n; s++) {
    await checkpoint(signal);
    for (let b = 0; b < B; b++) {
      if (demos.next === demos.steps.length) {
        demos.next = 0;
        run.rngs.demo.shuffle(demos.order);
      }
      const d = demos.steps[demos.order[demos.next++]];
      obs.set(run.observe(d.obs), b * obsSize);
      actions[b] = d.action;
      if (d.mask) masks.set(d.mask, b * nActions);
      else masks.fill(1, b * nActions, (b + 1) * nActions);
    }
    const r = cloneStep(policy, run.warmOptimizer!, obs, actions, masks, config.maxGradNorm);
    loss += r.loss / n;
    accuracy += r.accuracy / n;
    run.warmSteps++;
  }
  policy.sync();
  const row = log({
    update: run.state.metrics.length + 1, episodes: run.episodes, envSteps: run.envSteps,
    return: NaN, returnStd: NaN, length: NaN, groupStd: NaN, loss: NaN, clipFrac: NaN, approxKl: NaN, refKl: NaN, entropy: NaN, gradNorm: NaN,
    evalReturn: NaN, warmStartLoss: loss, warmStartAccuracy: accuracy,
  } as NewRow<GrpoRow>);
  if (run.warmSteps === config.warmStartSteps) {
    run.reference.dispose?.();
    run.referenceWeights = policy.weights();
    run.reference = frozenPolicyNet("policy", config, obsSize, nActions, run.referenceWeights);
    run.demos = undefined;
    await enter("evaluate");
    Object.assign(row, await evaluateNow(signal));
  }
}

/**
 * Everything a resumed run needs. Every group's episodes reset with seeds from the start generator
 * and end within the update: the generators, weights, optimisers and counters are the whole state,
 * so resume is exact (warm start included).
 */
function grpoSnapshot(run: GrpoRun): TrainingSnapshot {
  const { policy, optimizer, warmOptimizer, rngs, demos } = run;
  const tensors: NamedTensors = {};
  const params = Object.values(policy.params);
  putPrefixed(tensors, "current", policy.weights());
  putPrefixed(tensors, "reference", run.referenceWeights);
  if (run.solved) putPrefixed(tensors, "solved", run.solved);
  const optimizers = {
    grpo: putAdam(tensors, "adam/grpo", optimizer.getState(params)),
    warmStart: warmOptimizer ? putAdam(tensors, "adam/warm", warmOptimizer.getState(params)) : null,
  };
  return {
    exact: true,
    tensors,
    json: {
      ...loopState(run.state), optimizers,
      rngs: { act: rngs.act.getState(), start: rngs.start.getState(), dropout: rngs.dropout.getState(), demo: rngs.demo.getState() },
      episodes: run.episodes, envSteps: run.envSteps, warmSteps: run.warmSteps, lastEval: finiteOrNull(run.lastEval), recentReturns: run.recentReturns, lastReport: run.lastReport ?? null,
      demos: demos ? { order: demos.order, next: demos.next, rngAtCreation: demos.rngAtCreation } : null,
    },
  };
}

function restoreGrpoRun(run: GrpoRun, { json, tensors }: TrainingSnapshot, setWeights: (t: NamedTensors) => void): void {
  const { config, spec, policy, optimizer, warmOptimizer, rngs } = run;
  const params = Object.values(policy.params);
  setWeights(takePrefixed(tensors, "current"));
  run.reference.dispose?.();
  run.referenceWeights = takePrefixed(tensors, "reference");
  run.reference = frozenPolicyNet("policy", config, run.obsSize, run.nActions, run.referenceWeights);
  run.solved = hasPrefixed(tensors, "solved") ? takePrefixed(tensors, "solved") : undefined;
  const opt = json.optimizers as { grpo: unknown; warmStart: unknown };
  optimizer.setState(params, takeAdam(tensors, "adam/grpo", opt?.grpo));
  if (warmOptimizer && opt?.warmStart) warmOptimizer.setState(params, takeAdam(tensors, "adam/warm", opt.warmStart));
  const saved = rngsAt(json);
  rngs.act.setState(saved.act);
  rngs.start.setState(saved.start);
  rngs.dropout.setState(saved.dropout);
  rngs.demo.setState(saved.demo);
  run.episodes = numberAt(json, "episodes");
  run.envSteps = numberAt(json, "envSteps");
  run.warmSteps = numberAt(json, "warmSteps");
  run.lastEval = json.lastEval === null ? NaN : numberAt(json, "lastEval");
  run.recentReturns.splice(0, run.recentReturns.length, ...numbersAt(json, "recentReturns"));
  run.lastReport = (json.lastReport as Record<string, number> | null) ?? undefined;
  const d = json.demos as { order: number[]; next: number; rngAtCreation: RngState } | null;
  run.demos = undefined;
  if (d) {
    // the same demonstrations, made again from the generator's state when they were first made
    const made = createRng(0);
    made.setState(d.rngAtCreation);
    const steps = spec.demonstrations!(config.envOptions, made);
    if (d.order.length !== steps.length) throw new RangeError(`the warm start's order has ${d.order.length} demonstrations, ${config.envId} made ${steps.length}`);
    run.demos = { steps, order: [...d.order], next: d.next, rngAtCreation: d.rngAtCreation };
  }
  restoreLoop(run.state, json);
}

/** Warm-start minibatch steps per logged row. */
const WARM_STEPS_PER_ROW = 25;

/** One behaviour-cloning step: minimise −mean log π(a*|s) among the legal actions; the loss and how often argmax π = a*. */
export function cloneStep(policy: Pick<TrainablePolicy, "forward" | "params" | "nActions">, optimizer: ReturnType<typeof createAdam>, obs: Float32Array, actions: Int32Array, masks: Uint8Array, maxGradNorm: number): { loss: number; accuracy: number } {
  const B = actions.length;
  const kept: tf.Tensor[] = [];
  try {
    return tf.tidy(() => {
      const a = tf.tensor1d(actions, "int32");
      const mask = tf.tensor2d(masks.subarray(0, B * policy.nActions), [B, policy.nActions], "float32");
      const step = minimize(() => {
        const logp = logSoftmax(policy.forward(obs, B), mask);
        kept.push(tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logp, 1), a), "float32"))));
        return tf.neg(tf.mean(pickLogProb(logp, a))) as tf.Scalar;
      }, Object.values(policy.params), optimizer, maxGradNorm);
      const [loss, accuracy] = tf.stack([step.loss, kept[0] as tf.Scalar]).dataSync();
      return { loss, accuracy };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** The steps of all groups, with each step's advantage (its episode's) and weight 1/(|τ_i|·N). */
export interface GrpoBatch {
  obs: Float32Array;
  actions: Int32Array;
  oldLogp: Float32Array;
  advantages: Float32Array;
  weights: Float32Array;
  masks?: Uint8Array;
}

/** Joins groups into one batch; `advantagesOf(returns)` turns a group's returns into per-episode advantages. */
export function joinGroups(groups: readonly EpisodeBatch[], obsSize: number, nActions: number, advantagesOf: (returns: number[]) => Float32Array): GrpoBatch {
  const T = groups.reduce((s, b) => s + b.actions.length, 0);
  const N = groups.reduce((s, b) => s + b.returns.length, 0);
  const out: GrpoBatch = {
    obs: new Float32Array(T * obsSize),
    actions: new Int32Array(T),
    oldLogp: new Float32Array(T),
    advantages: new Float32Array(T),
    weights: new Float32Array(T),
    masks: groups.some((b) => b.masks) ? new Uint8Array(T * nActions).fill(1) : undefined,
  };
  let t = 0;
  for (const b of groups) {
    const adv = advantagesOf(b.returns);
    out.obs.set(b.obs, t * obsSize);
    out.actions.set(b.actions, t);
    out.oldLogp.set(b.logProbs, t);
    if (out.masks && b.masks) out.masks.set(b.masks, t * nActions);
    let k = t;
    b.lengths.forEach((len, i) => {
      for (let j = 0; j < len; j++, k++) {
        out.advantages[k] = adv[i];
        out.weights[k] = 1 / (len * N);
      }
    });
    t += b.actions.length;
  }
  return out;
}

/** log π(a_t|s_t) of a batch under a typed-array policy: the frozen reference's, for the KL term. */
export function logProbsUnder(logits: (obs: Float32Array, rows: number) => Float32Array, batch: GrpoBatch, obsSize: number, nActions: number): Float32Array {
  const T = batch.actions.length;
  const z = logits(batch.obs.subarray(0, T * obsSize), T);
  return Float32Array.from({ length: T }, (_, t) => logProbOfAction(z, t, nActions, batch.actions[t], batch.masks));
}

type UpdateStats = Pick<GrpoRow, "loss" | "clipFrac" | "approxKl" | "refKl" | "entropy" | "gradNorm">;

/** One gradient step of the GRPO loss on the batch, inside tf.tidy; the logged numbers in one read. */
export function grpoUpdate(
  policy: Pick<TrainablePolicy, "forward" | "params" | "nActions">,
  optimizer: ReturnType<typeof createAdam>,
  batch: GrpoBatch,
  refLogp: Float32Array,
  config: Pick<GrpoConfig, "epsilon" | "beta" | "entCoef" | "maxGradNorm" | "dropout">,
  dropoutSeed: number,
): UpdateStats {
  const T = batch.actions.length;
  const kept: tf.Tensor[] = [];
  const keep = <X extends tf.Tensor>(x: X): X => (kept.push(tf.keep(x)), x);
  try {
    return tf.tidy(() => {
      const actions = tf.tensor1d(batch.actions, "int32");
      const oldLogp = tf.tensor1d(batch.oldLogp);
      const ref = tf.tensor1d(refLogp);
      const adv = tf.tensor1d(batch.advantages);
      const w = tf.tensor1d(batch.weights);
      const mask = batch.masks ? tf.tensor2d(batch.masks, [T, policy.nActions], "float32") : undefined;
      let parts!: { clipFrac: tf.Scalar; approxKl: tf.Scalar; refKl: tf.Scalar; entropy: tf.Scalar };
      const step = minimize(() => {
        const train = config.dropout > 0 ? { dropout: config.dropout, seed: dropoutSeed } : undefined;
        const logpAll = logSoftmax(policy.forward(batch.obs, T, train), mask);
        const logp = pickLogProb(logpAll, actions);
        const sur = clippedSurrogate(logp, oldLogp, adv, config.epsilon);
        const kl = klK3(logp, ref);
        const entropy = tf.sum(tf.mul(w, entropyOfLogProbs(logpAll))) as tf.Scalar;
        const perStep = config.beta > 0 ? tf.add(sur.loss, tf.mul(config.beta, kl)) : sur.loss;
        parts = {
          clipFrac: keep(tf.mean(sur.clipped) as tf.Scalar),
          approxKl: keep(tf.mean(sur.approxKl) as tf.Scalar),
          refKl: keep(tf.sum(tf.mul(w, kl)) as tf.Scalar),
          entropy: keep(entropy),
        };
        return tf.sub(tf.sum(tf.mul(w, perStep)), tf.mul(config.entCoef, entropy)) as tf.Scalar;
      }, Object.values(policy.params), optimizer, config.maxGradNorm);
      const [loss, clipFrac, approxKl, refKl, entropy, gradNorm] = tf.stack([step.loss, parts.clipFrac, parts.approxKl, parts.refKl, parts.entropy, step.gradNorm]).dataSync();
      return { loss, clipFrac, approxKl, refKl, entropy, gradNorm };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** GRPO in the algorithm registry. */
export const grpo = defineAlgorithm<GrpoConfig, GrpoAgent>({
  name: "grpo",
  summary: "GRPO on episodes: groups of K episodes from one start, group-relative (rank or normalised) advantages, clipped surrogate, KL to the initial policy",
  schema: grpoSchema,
  presets: GRPO_PRESETS,
  config: (partial) => grpoConfig(partial),
  smokeConfig: { numGenerations: 8, topM: 2, maxEpisodes: 8 * 4, evalEvery: 2, evalGames: 4, hiddenSizes: [16], numIterations: 2 },
  create: createGrpoAgent,
  tensorShapes(config, env) {
    const { obsSize, nActions } = discreteSizes(env, "GRPO", { featurized: true });
    return policyNetShapes("policy", config, obsSize, nActions);
  },
  policy(config, env, tensors) {
    const { obsSize, nActions } = discreteSizes(env, "GRPO", { featurized: true });
    return frozenPolicyNet("policy", config, obsSize, nActions, tensors);
  },
});
