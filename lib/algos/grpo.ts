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
 *     3. for `epochs` passes over the batch, the clipped surrogate (as PPO) on the ratio to the
 *        policy that collected it, averaged per episode then over episodes (GRPO's loss), plus
 *        β·KL(π_θ ‖ π_ref) to the initial policy (k3 estimator) and minus an entropy bonus:
 *          L = (1/N) Σ_i (1/|τ_i|) Σ_t [ −min(r_t A_i, clip(r_t, 1±ε) A_i) + β k3_t ] − c_H·H
 *        with illegal actions masked (logit −1e9), weight decay (L2) and dropout as options
 *     4. log; every `evalEvery` updates the environment's report card (Tic-Tac-Toe: win/draw/loss
 *        against each opponent and the exhaustive loss count); stop once it says "solved"
 *
 * The policy is a network from lib/algos/policy-nets (`net`): an MLP on the flat observation, or
 * the edit agent's pointer network. An env whose observation is not a flat vector gives its
 * `featurize` in the env registry; rollouts store and act on the features, the agent's `act` takes
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
import { envSpec, makeEnv, type Demonstration } from "../core/registry";
import { createRng, type RngState } from "../core/rng";
import { bool, choice, defineSchema, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../core/schema";
import { meanStd, summarize } from "../core/stats";
import { initBackend } from "../nn/backend";
import { entropyOfLogProbs, logProbOfAction, logSoftmax, pickLogProb } from "../nn/categorical";
import type { NamedTensors } from "../nn/mlp";
import { mapObservation } from "../core/wrappers";
import { groupAdvantages, rankAdvantages } from "./advantages";
import type { Agent, AlgorithmSpec, BaseRow, TrainPhase } from "./agent";
import { evaluatePolicy, type ActFn } from "./evaluate";
import { createAdam, minimize } from "./optim";
import { createPolicyNet, frozenPolicyNet, policyNetShapes, POLICY_NET_NAMES, type TrainablePolicy } from "./policy-nets";
import { checkEnvCopies, collectEpisodesAsync, discreteSizes, type EpisodeBatch } from "./rollout";
import { clippedSurrogate, klK3 } from "./surrogate";
import { finiteOrNull, hasPrefixed, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, rngsAt, takeAdam, takePrefixed } from "./resume";
import { createTrainingState, runTraining } from "./train-loop";

export const grpoSchema = defineSchema("grpo", {
  envId: str("TicTacToe-v0", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  envOptions: json({}, "environment options as JSON, e.g. {\"opponent\": \"minimax\"}"),
  seed: int(1337, "seed of weights, sampling, dropout and group starts", { min: 0, max: 0xffffffff }),
  groupSize: int(64, "K: episodes per group, all from the same start", { min: 2 }),
  groupsPerUpdate: int(1, "G: groups collected per update", { min: 1 }),
  sameSeed: bool(false, "reset a group's episodes with one seed (identical starts); else each its own seed, sharing only the env's group start (e.g. the side)"),
  advantage: choice(["rank", "group"], "rank", "rank: the top m of a group are preferred; group: (R − mean)/(std + eps)"),
  topM: int(16, "m: preferred episodes per group (advantage rank)", { min: 1 }),
  maxEpisodes: int(600_000, "stop after this many training episodes", { min: 1, flag: "episodes" }),
  lr: num(1e-3, "Adam learning rate", { min: 0, minExclusive: true }),
  weightDecay: num(1e-4, "L2 weight decay (added to the gradient, as PyTorch Adam's weight_decay)", { min: 0 }),
  dropout: num(0.1, "dropout on the hidden layers while updating (acting uses none)", { min: 0, max: 0.9 }),
  net: choice(POLICY_NET_NAMES, "mlp", "policy network: mlp (on the flat observation) or edit (EditAgent-v0's pointer network over its relational features)"),
  hiddenSizes: intList([128, 128], "hidden layer widths, comma-separated (net edit: H,D — location/payload width, instruction-token width)"),
  activation: choice(["tanh", "relu"], "relu", "hidden activation"),
  epochs: int(2, "mu: passes over each batch (after the first, the ratio clipping matters)", { min: 1 }),
  clipEpsilon: num(0.2, "epsilon of the ratio clipping", { min: 0 }),
  klCoef: num(0, "beta: weight of KL(pi || pi_ref) to the initial policy (k3 estimator)", { min: 0 }),
  entropyCoef: num(0.01, "entropy bonus weight", { min: 0 }),
  maxGradNorm: num(1, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  evalEvery: int(10, "updates between evaluations (the environment's report card)", { min: 1 }),
  evalGames: int(200, "episodes per evaluation", { min: 1 }),
  stopWhenSolved: bool(true, "stop once an evaluation says the task is solved"),
  warmStartSteps: int(0, "behaviour-cloning minibatch steps on the env's demonstrations before GRPO (0 = none)", { min: 0 }),
  warmStartBatch: int(64, "expert steps per warm-start minibatch", { min: 1 }),
  warmStartLr: num(1e-3, "Adam learning rate of the warm start", { min: 0, minExclusive: true }),
});

export type GrpoConfig = ConfigOf<typeof grpoSchema>;

/** Tuned per environment; anything you pass wins. */
export const GRPO_PRESETS: Readonly<Record<string, Partial<GrpoConfig>>> = {
  "TicTacToe-v0": { envOptions: { opponent: { random: 2, greedy: 1, minimax: 1 }, agentPlays: "random" } },
  // a warm start on the oracle's edits (600 steps of 64: about four passes over its 9,488 steps), then 36 GRPO updates: groups of
  // 8 attempts at one task, 16 tasks per update, a small learning rate (larger ones drifted: figs/README.md)
  "EditAgent-v0": {
    net: "edit", hiddenSizes: [64, 32], dropout: 0, weightDecay: 0, lr: 5e-5, entropyCoef: 0.001,
    groupSize: 8, groupsPerUpdate: 16, advantage: "group", maxEpisodes: 8 * 16 * 36,
    evalEvery: 10, evalGames: 200, stopWhenSolved: false,
    warmStartSteps: 600, warmStartBatch: 64, warmStartLr: 1e-3,
  },
};

export const grpoConfig = (partial: Partial<GrpoConfig> = {}): GrpoConfig => {
  const config = parseWithPresets(grpoSchema, GRPO_PRESETS, partial as Record<string, unknown>);
  checkEnvCopies("grpo", "groupSize", config.groupSize);
  if (config.maxEpisodes < config.groupSize * config.groupsPerUpdate) {
    throw new RangeError(`grpo config: maxEpisodes = ${config.maxEpisodes} is less than one update's episodes (groupSize × groupsPerUpdate = ${config.groupSize} × ${config.groupsPerUpdate}); raise it or lower groupSize / groupsPerUpdate`);
  }
  if (config.advantage === "rank" && config.topM >= config.groupSize) {
    throw new RangeError(`grpo config: topM = ${config.topM}, expected fewer than groupSize (${config.groupSize}) so some episodes are not preferred`);
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
   * The env's report card columns (e.g. win_random, exhaustive_losses_x, solved), NaN between
   * evaluations; and its per-episode numbers averaged over the batch (EditAgent-v0: exactMatch,
   * edits, minimalEdits of the training episodes).
   */
  [column: string]: number;
}

export interface GrpoAgent extends Agent<GrpoConfig, GrpoRow> {
  /** The last evaluation's report card, if one ran. */
  readonly lastReport?: Record<string, number>;
}

export async function createGrpoAgent(partial: Partial<GrpoConfig> = {}): Promise<GrpoAgent> {
  const config = grpoConfig(partial);
  await initBackend({ quiet: true });
  const K = config.groupSize, G = config.groupsPerUpdate;
  const spec = envSpec(config.envId);
  // a warm start needs demonstrations: say so now, not after the first update
  if (config.warmStartSteps > 0 && !spec.demonstrations) throw new RangeError(`grpo: warmStartSteps = ${config.warmStartSteps}, but ${config.envId} has no demonstrations to clone; set it to 0`);
  // the env's observations, or their features when the env has a featuriser (rollouts store these)
  const observe = spec.featurize ?? ((obs: unknown) => obs as Float32Array);
  const envs: Env<Float32Array, number>[] = Array.from({ length: K }, () => {
    const env = makeEnv<unknown, number>(config.envId, { options: config.envOptions });
    return spec.featurize ? mapObservation(env, spec.featurize) : (env as Env<Float32Array, number>);
  });
  const { obsSize, nActions } = discreteSizes(envs[0], "GRPO", { featurized: true });

  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork(), startRng = rng.fork(), dropoutRng = rng.fork(), demoRng = rng.fork();
  const evalSeed = (config.seed * 7919 + 1_000_003) >>> 0;

  const policy = createPolicyNet("policy", config, obsSize, nActions, initRng);
  let referenceWeights = policy.weights();
  let reference = frozenPolicyNet("policy", config, obsSize, nActions, referenceWeights); // π_ref: the initial policy, frozen
  const optimizer = createAdam({ lr: config.lr, weightDecay: config.weightDecay });
  // acting on the env's own observations
  const act: ActFn = (obs, ctx) => policy.act(observe(obs), ctx);
  const probs = (obs: Float32Array, mask?: Uint8Array) => policy.probs(observe(obs), mask);

  const state = createTrainingState<GrpoRow>();
  let episodes = 0, envSteps = 0, lastEval = NaN, warmSteps = 0;
  // the demonstrations in the env's order, and the order a pass takes them in (reshuffled with demoRng each pass)
  let demos: { steps: Demonstration[]; order: number[]; next: number; rngAtCreation: RngState } | undefined;
  const warmOptimizer = config.warmStartSteps > 0 ? createAdam({ lr: config.warmStartLr }) : undefined;
  let solved: NamedTensors | undefined;
  let lastReport: Record<string, number> | undefined;
  const recentReturns: number[] = [];

  const agent: GrpoAgent = {
    algorithm: "grpo",
    config,
    envId: config.envId,
    metrics: state.metrics,
    act,
    probs,
    get lastReport() {
      return lastReport;
    },
    weights: () => policy.weights(),
    checkpointWeights: () => solved ?? policy.weights(),
    setWeights(t) {
      policy.setWeights(t);
      policy.sync();
    },
    dispose() {
      policy.dispose();
      reference.dispose?.();
      optimizer.dispose();
      warmOptimizer?.dispose();
      for (const env of envs) env.close?.();
    },
    // every group's episodes reset with seeds from startRng, and end within the update: the generators,
    // weights, optimisers and counters are the whole state, so resume is exact (warm start included)
    trainingState() {
      const tensors: NamedTensors = {};
      const params = Object.values(policy.params);
      putPrefixed(tensors, "current", policy.weights());
      putPrefixed(tensors, "reference", referenceWeights);
      if (solved) putPrefixed(tensors, "solved", solved);
      const optimizers = {
        grpo: putAdam(tensors, "adam/grpo", optimizer.getState(params)),
        warmStart: warmOptimizer ? putAdam(tensors, "adam/warm", warmOptimizer.getState(params)) : null,
      };
      return {
        exact: true,
        tensors,
        json: {
          ...loopState(state), optimizers,
          rngs: { act: actRng.getState(), start: startRng.getState(), dropout: dropoutRng.getState(), demo: demoRng.getState() },
          episodes, envSteps, warmSteps, lastEval: finiteOrNull(lastEval), recentReturns, lastReport: lastReport ?? null,
          demos: demos ? { order: demos.order, next: demos.next, rngAtCreation: demos.rngAtCreation } : null,
        },
      };
    },
    restoreTrainingState({ json, tensors }) {
      const params = Object.values(policy.params);
      agent.setWeights(takePrefixed(tensors, "current"));
      reference.dispose?.();
      referenceWeights = takePrefixed(tensors, "reference");
      reference = frozenPolicyNet("policy", config, obsSize, nActions, referenceWeights);
      solved = hasPrefixed(tensors, "solved") ? takePrefixed(tensors, "solved") : undefined;
      const opt = json.optimizers as { grpo: unknown; warmStart: unknown };
      optimizer.setState(params, takeAdam(tensors, "adam/grpo", opt?.grpo));
      if (warmOptimizer && opt?.warmStart) warmOptimizer.setState(params, takeAdam(tensors, "adam/warm", opt.warmStart));
      const rngs = rngsAt(json);
      actRng.setState(rngs.act);
      startRng.setState(rngs.start);
      dropoutRng.setState(rngs.dropout);
      demoRng.setState(rngs.demo);
      episodes = numberAt(json, "episodes");
      envSteps = numberAt(json, "envSteps");
      warmSteps = numberAt(json, "warmSteps");
      lastEval = json.lastEval === null ? NaN : numberAt(json, "lastEval");
      recentReturns.splice(0, recentReturns.length, ...numbersAt(json, "recentReturns"));
      lastReport = (json.lastReport as Record<string, number> | null) ?? undefined;
      const d = json.demos as { order: number[]; next: number; rngAtCreation: RngState } | null;
      demos = undefined;
      if (d) {
        // the same demonstrations, made again from the generator's state when they were first made
        const made = createRng(0);
        made.setState(d.rngAtCreation);
        const steps = spec.demonstrations!(config.envOptions, made);
        if (d.order.length !== steps.length) throw new RangeError(`the warm start's order has ${d.order.length} demonstrations, ${config.envId} made ${steps.length}`);
        demos = { steps, order: [...d.order], next: d.next, rngAtCreation: d.rngAtCreation };
      }
      restoreLoop(state, json);
    },
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => warmSteps < config.warmStartSteps || episodes < config.maxEpisodes,
      async update(signal, log, enter) {
        if (warmSteps < config.warmStartSteps) return warmStartUpdate(signal, log, enter);

        // 1. collect G groups of K episodes, each group from one start
        await enter("collect");
        const groups: EpisodeBatch[] = [];
        for (let g = 0; g < G; g++) {
          const options = spec.groupStart?.(startRng, config.envOptions);
          groups.push(await collectEpisodesAsync(envs, policy, actRng, { seed: startRng.nextUint32(), sameSeed: config.sameSeed, options, signal }));
        }

        // 2. advantages within each group, spread over every step of each episode
        const batch = joinGroups(groups, obsSize, nActions, (returns) =>
          config.advantage === "rank" ? rankAdvantages(returns, config.topM).advantages : groupAdvantages(returns));
        const refLogp = logProbsUnder(reference.logits, batch, obsSize, nActions);

        // 3. the clipped surrogate, `epochs` passes
        await enter("update");
        let stats!: UpdateStats;
        for (let e = 0; e < config.epochs; e++) {
          stats = grpoUpdate(policy, optimizer, batch, refLogp, config, dropoutRng.nextUint32());
        }
        policy.sync();

        // 4. log, and every evalEvery updates the report card
        const returns = groups.flatMap((b) => b.returns);
        episodes += returns.length;
        envSteps += batch.actions.length;
        recentReturns.push(...returns);
        recentReturns.splice(0, Math.max(0, recentReturns.length - 100));
        const { mean, std } = meanStd(returns);
        const update = state.metrics.length + 1;
        const row = log({
          update,
          episodes,
          envSteps,
          return: mean,
          returnStd: std,
          length: batch.actions.length / returns.length,
          groupStd: summarize(groups.map((b) => meanStd(b.returns).std)).mean,
          ...stats,
          ...episodeMetrics(groups),
          evalReturn: NaN,
          warmStartLoss: NaN,
          warmStartAccuracy: NaN,
        } as Omit<GrpoRow, "wallTime" | "sps">);
        if (update % config.evalEvery === 0) {
          await enter("evaluate");
          const report = await evaluateNow(signal);
          Object.assign(row, report);
          if (config.stopWhenSolved && report.solved === 1) {
            solved = policy.weights();
            return "target";
          }
        }
      },
      progress: () => ({
        done: episodes, total: config.maxEpisodes, unit: "ep",
        fields: {
          ...(config.warmStartSteps > 0 ? { "warm start": `${warmSteps}/${config.warmStartSteps}`, accuracy: (state.metrics.findLast((r) => Number.isFinite(r.warmStartAccuracy))?.warmStartAccuracy ?? NaN).toFixed(3) } : {}),
          return: recentReturns.length ? meanStd(recentReturns).mean.toFixed(2) : "—",
          eval: Number.isNaN(lastEval) ? "—" : lastEval.toFixed(2),
        },
      }),
      summary: () => ({ episodes, envSteps, trainReturn: meanStd(recentReturns).mean, evalReturn: lastEval }),
      plot: { x: "episodes", y: "return", window: 20, title: `GRPO on ${config.envId} (seed ${config.seed})` },
      // a warm-start row has its own loss; a GRPO row the surrogate's and its gradient norm
      finite: (r): Record<string, number> => (Number.isFinite(r.return) ? { loss: r.loss, gradNorm: r.gradNorm } : { warmStartLoss: r.warmStartLoss }),
    }),
  };

  /** The env's per-episode numbers (spec.episodeMetrics of each last info), averaged over the batch. */
  function episodeMetrics(groups: readonly EpisodeBatch[]): Record<string, number> {
    if (!spec.episodeMetrics) return {};
    const sums: Record<string, number> = {};
    let n = 0;
    for (const b of groups) for (const info of b.finalInfos ?? []) {
      for (const [k, v] of Object.entries(spec.episodeMetrics(info))) sums[k] = (sums[k] ?? 0) + v;
      n++;
    }
    return Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / n]));
  }

  /** Greedy mean return, plus the env's own report card when it has one. */
  async function evaluateNow(signal: AbortSignal | undefined): Promise<Record<string, number>> {
    const { mean } = await evaluatePolicy(config.envId, act, { episodes: config.evalGames, seed: evalSeed, greedy: true, signal });
    lastEval = mean;
    lastReport = { evalReturn: mean, ...(spec.evaluate?.(act, { seed: evalSeed, games: config.evalGames }) ?? {}) };
    return lastReport;
  }

  /**
   * One row of the warm start: up to WARM_STEPS_PER_ROW minibatch steps of behaviour cloning on the
   * env's demonstrations (passes over them in a seeded order). After the last, π_ref becomes the
   * warm-started policy (KL is measured from where GRPO starts) and the report card is drawn.
   */
  async function warmStartUpdate(signal: AbortSignal | undefined, log: (row: Omit<GrpoRow, "wallTime" | "sps">) => GrpoRow, enter: (phase: TrainPhase) => Promise<void>): Promise<void> {
    await enter("update");
    if (!demos) {
      const rngAtCreation = demoRng.getState();
      const steps = spec.demonstrations!(config.envOptions, demoRng);
      demos = { steps, order: steps.map((_, i) => i), next: 0, rngAtCreation };
    }
    if (demos.steps.length === 0) throw new RangeError(`grpo: ${config.envId} gave no demonstrations`);
    const B = config.warmStartBatch, n = Math.min(WARM_STEPS_PER_ROW, config.warmStartSteps - warmSteps);
    let loss = 0, accuracy = 0;
    const obs = new Float32Array(B * obsSize), actions = new Int32Array(B), masks = new Uint8Array(B * nActions);
    for (let s = 0; s < n; s++) {
      await checkpoint(signal);
      for (let b = 0; b < B; b++) {
        if (demos.next === demos.steps.length) {
          demos.next = 0;
          demoRng.shuffle(demos.order);
        }
        const d = demos.steps[demos.order[demos.next++]];
        obs.set(observe(d.obs), b * obsSize);
        actions[b] = d.action;
        if (d.mask) masks.set(d.mask, b * nActions);
        else masks.fill(1, b * nActions, (b + 1) * nActions);
      }
      const r = cloneStep(policy, warmOptimizer!, obs, actions, masks, config.maxGradNorm);
      loss += r.loss / n;
      accuracy += r.accuracy / n;
      warmSteps++;
    }
    policy.sync();
    const row = log({
      update: state.metrics.length + 1, episodes, envSteps,
      return: NaN, returnStd: NaN, length: NaN, groupStd: NaN, loss: NaN, clipFrac: NaN, approxKl: NaN, refKl: NaN, entropy: NaN, gradNorm: NaN,
      evalReturn: NaN, warmStartLoss: loss, warmStartAccuracy: accuracy,
    } as Omit<GrpoRow, "wallTime" | "sps">);
    if (warmSteps === config.warmStartSteps) {
      reference.dispose?.();
      referenceWeights = policy.weights();
      reference = frozenPolicyNet("policy", config, obsSize, nActions, referenceWeights);
      demos = undefined;
      await enter("evaluate");
      Object.assign(row, await evaluateNow(signal));
    }
  }

  return agent;
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

/** log π(a_t|s_t) of a batch under a typed-array policy (the frozen reference). */
function logProbsUnder(logits: (obs: Float32Array, rows: number) => Float32Array, batch: GrpoBatch, obsSize: number, nActions: number): Float32Array {
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
  config: Pick<GrpoConfig, "clipEpsilon" | "klCoef" | "entropyCoef" | "maxGradNorm" | "dropout">,
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
        const sur = clippedSurrogate(logp, oldLogp, adv, config.clipEpsilon);
        const kl = klK3(logp, ref);
        const entropy = tf.sum(tf.mul(w, entropyOfLogProbs(logpAll))) as tf.Scalar;
        const perStep = config.klCoef > 0 ? tf.add(sur.loss, tf.mul(config.klCoef, kl)) : sur.loss;
        parts = {
          clipFrac: keep(tf.mean(sur.clipped) as tf.Scalar),
          approxKl: keep(tf.mean(sur.approxKl) as tf.Scalar),
          refKl: keep(tf.sum(tf.mul(w, kl)) as tf.Scalar),
          entropy: keep(entropy),
        };
        return tf.sub(tf.sum(tf.mul(w, perStep)), tf.mul(config.entropyCoef, entropy)) as tf.Scalar;
      }, Object.values(policy.params), optimizer, config.maxGradNorm);
      const [loss, clipFrac, approxKl, refKl, entropy, gradNorm] = tf.stack([step.loss, parts.clipFrac, parts.approxKl, parts.refKl, parts.entropy, step.gradNorm]).dataSync();
      return { loss, clipFrac, approxKl, refKl, entropy, gradNorm };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** GRPO in the algorithm registry. */
export const grpo: AlgorithmSpec<GrpoConfig, GrpoAgent> = {
  name: "grpo",
  summary: "GRPO on episodes: groups of K episodes from one start, group-relative (rank or normalised) advantages, clipped surrogate, KL to the initial policy",
  schema: grpoSchema,
  presets: GRPO_PRESETS,
  config: (partial) => grpoConfig(partial as Partial<GrpoConfig>),
  smokeConfig: { groupSize: 8, topM: 2, maxEpisodes: 8 * 4, evalEvery: 2, evalGames: 4, hiddenSizes: [16], epochs: 2 },
  create: createGrpoAgent,
  tensorShapes(config, env) {
    const { obsSize, nActions } = discreteSizes(env, "GRPO", { featurized: true });
    return policyNetShapes("policy", config, obsSize, nActions);
  },
  policy(config, env, tensors) {
    const { obsSize, nActions } = discreteSizes(env, "GRPO", { featurized: true });
    return frozenPolicyNet("policy", config, obsSize, nActions, tensors);
  },
};
