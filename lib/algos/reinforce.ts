/**
 * REINFORCE (Williams 1992): Monte-Carlo policy gradient, with an optional baseline.
 *
 *   repeat:
 *     1. collect N whole episodes with the current policy π_θ (N env copies side by side)
 *     2. reward-to-go   G_t = Σ_{k≥t} γ^{k−t} r_k
 *     3. advantage      A_t = G_t − b(s_t)      b = 0 | batch-mean return | learned value V_φ(s_t)
 *                       (optionally standardised over the batch)
 *     4. policy step    L(θ) = −mean_t[ log π_θ(a_t|s_t) · A_t ] − β·mean_t H(π_θ(·|s_t))
 *        value step     L(φ) = mean_t (V_φ(s_t) − G_t)²          (baseline "value" only)
 *     5. log; stop when the last episodes reach the target and a greedy evaluation confirms it
 *
 * The shared pieces live in their own modules: rollout.ts (step 1), advantages.ts (2–3), optim.ts
 * (Adam, gradient clipping), train-loop.ts (interrupts, clock, live plot). Acting uses the policy's
 * typed-array copy (lib/nn/mlp/policy); each update is one tfjs pass over the batch inside tf.tidy.
 *
 * Training never rewinds its weights. When a greedy evaluation beats the best one so far, those
 * weights are remembered as the checkpoint's (`checkpointWeights()`); the run itself carries on.
 */
import * as tf from "@tensorflow/tfjs";
import type { Env } from "../core/env";
import { makeEnv } from "../envs/registry";
import { createRng, type Rng } from "../core/rng";
import { bool, choice, defineSchema, int, intList, num, str, type ConfigOf } from "../core/schema";
import { meanStd, summarize } from "../core/stats";
import { initBackend } from "../nn/backend";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../nn/categorical";
import { createMlp, mlpShapes, mlpWeights, setMlpWeights, type Mlp, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { createDiscretePolicy, policyFromWeights, type DiscretePolicy } from "../nn/mlp/policy";
import { baselineAdvantages, rewardToGo } from "./advantages";
import { defineAlgorithm, type Agent, type BaseRow, type TrainingSnapshot } from "./agent";
import { evaluatePolicy } from "./evaluate";
import { createAdam, minimize, type Adam } from "../nn/optim";
import { checkEnvCopies, collectEpisodesAsync, discreteSizes } from "./rollout";
import { hasPrefixed, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, rngsAt, takeAdam, takePrefixed } from "./resume";
import { createTrainingState, runTraining, type EnterPhase, type NewRow, type TrainingState } from "./train-loop";

export const reinforceSchema = defineSchema("reinforce", {
  envId: str("CartPole-v1", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  seed: int(1, "seed of weights, action sampling and env resets", { min: 0, max: 0xffffffff }),
  episodesPerUpdate: int(8, "episodes collected (in parallel, one per env copy) per policy update", { min: 1 }),
  maxEpisodes: int(5000, "stop after this many training episodes", { min: 1, flag: "episodes" }),
  gamma: num(0.99, "discount factor of the reward-to-go", { min: 0, max: 1 }),
  learningRate: num(2e-3, "Adam learning rate of the policy", { min: 0, minExclusive: true, aliases: ["lr"] }),
  valueLearningRate: num(5e-3, "Adam learning rate of the value baseline", { min: 0, minExclusive: true, aliases: ["valueLr"] }),
  valueIters: int(10, "gradient steps on the value baseline per update (Spinning Up's VPG takes 80)", { min: 1 }),
  valueBatch: int(256, "steps in each value minibatch after the first, full-batch step", { min: 1 }),
  hiddenSizes: intList([64, 64], "hidden layer widths of the policy and value MLPs, comma-separated"),
  activation: choice(["tanh", "relu"], "tanh", "hidden activation"),
  baseline: choice(["none", "mean", "value"], "value", "subtracted from G_t: nothing, the batch-mean return, or a learned V(s)"),
  normAdv: bool(true, "standardise advantages over each batch", { aliases: ["normalizeAdvantages"] }),
  entCoef: num(0, "entropy bonus weight beta", { min: 0, aliases: ["entropyCoef"] }),
  maxGradNorm: num(1, "clip each network's global gradient norm to this (0 = off)", { min: 0 }),
  targetReturn: num(490, "evaluate when the last target-window training episodes average this (0 = never)", { min: 0 }),
  targetWindow: int(20, "episodes in the training-return moving average", { min: 1 }),
  evalEpisodes: int(100, "greedy evaluation episodes when the target is hit", { min: 1 }),
  evalThreshold: num(475, "stop when the greedy evaluation mean reaches this (0 = never)", { min: 0 }),
});

/** Defaults tuned on CartPole-v1 (figs/README.md has the 5-seed results). */
export type ReinforceConfig = ConfigOf<typeof reinforceSchema>;

/** Validates a config (defaults filled in); throws a ConfigError naming the bad field and what was expected. */
export const reinforceConfig = (partial: Partial<ReinforceConfig> | Record<string, unknown> = {}): ReinforceConfig => {
  const config = reinforceSchema.parse(partial);
  checkEnvCopies("reinforce", "episodesPerUpdate", config.episodesPerUpdate);
  if (config.maxEpisodes < config.episodesPerUpdate) {
    throw new RangeError(`reinforce config: maxEpisodes = ${config.maxEpisodes} is less than one update's episodes (episodesPerUpdate = ${config.episodesPerUpdate}); raise it or lower episodesPerUpdate`);
  }
  return config;
};

/** One row per update; the columns of metrics.csv. */
export interface ReinforceRow extends BaseRow {
  /** Mean / min / max undiscounted return of this update's episodes. */
  return: number;
  returnMin: number;
  returnMax: number;
  /** Mean episode length of this update's episodes. */
  length: number;
  /** Mean return of the last `targetWindow` training episodes. */
  trainReturn: number;
  /** Total policy loss (with the entropy term), its policy-gradient part, the value loss (NaN without a value net). */
  loss: number;
  policyLoss: number;
  valueLoss: number;
  /** Mean policy entropy over the batch (nats). */
  entropy: number;
  /** Policy gradient global norm before clipping. */
  gradNorm: number;
  /** 1 − Var[G − V]/Var[G] of the value baseline before this update (NaN without one): how much of the returns' spread V explains. */
  explainedVariance: number;
  /** Greedy evaluation mean, when one ran after this update; else NaN. */
  evalReturn: number;
}

export interface ReinforceAgent extends Agent<ReinforceConfig, ReinforceRow> {
  readonly policy: Mlp;
  /** The learned baseline, when `baseline` is "value". */
  readonly value?: Mlp;
}

/**
 * L = −mean_t[ log π(a_t|s_t) · A_t ] − β · mean_t H(π(·|s_t)), as a pure function of tensors.
 * `logits` [T, nActions], `actions` [T] (int32), `advantages` [T] (constants: pass plain tensors, not
 * variables), `mask` [T, nActions] optional (1 = legal). Returns the scalar loss and its two parts.
 */
export function reinforceLoss(
  logits: tf.Tensor2D,
  actions: tf.Tensor1D,
  advantages: tf.Tensor1D,
  entCoef: number,
  mask?: tf.Tensor2D,
): { loss: tf.Scalar; policyLoss: tf.Scalar; entropy: tf.Scalar } {
  return tf.tidy(() => {
    const logp = logSoftmax(logits, mask); // log π(·|s_t), built once for both terms
    const policyLoss = tf.neg(tf.mean(tf.mul(pickLogProb(logp, actions), advantages))) as tf.Scalar;
    const entropy = tf.mean(entropyOfLogProbs(logp)) as tf.Scalar;
    const loss = tf.sub(policyLoss, tf.mul(entCoef, entropy)) as tf.Scalar;
    return { loss, policyLoss, entropy };
  });
}

/** What a REINFORCE run holds between updates: its parts and its counters, in one object. */
interface ReinforceRun {
  readonly config: ReinforceConfig;
  /** One env copy per episode of a batch; collectEpisodes steps only the copies still running. */
  readonly envs: Env<Float32Array, number>[];
  readonly policy: DiscretePolicy;
  readonly nets: ReinforceNets;
  readonly actRng: Rng;
  readonly valueRng: Rng;
  readonly state: TrainingState<ReinforceRow>;
  episodes: number;
  envSteps: number;
  /** The first collection seeds copy i with collectionSeed + i; later ones continue each copy's generator. */
  firstCollection: boolean;
  collectionSeed: number;
  /** Returns of the last targetWindow training episodes. */
  recentReturns: number[];
  /** The best greedy evaluation and its weights: what a checkpoint keeps (training never rewinds to it). */
  best?: { evalReturn: number; weights: NamedTensors };
}

export async function createReinforceAgent(partial: Partial<ReinforceConfig> = {}): Promise<ReinforceAgent> {
  const config = reinforceConfig(partial);
  await initBackend({ quiet: true });
  const run = startReinforceRun(config);
  const { policy, nets, state } = run;
  /** Greedy evaluation of the current weights; remembers them when they are the best so far. */
  const evaluateGreedy = async (signal: AbortSignal | undefined): Promise<number> => {
    const { mean } = await evaluatePolicy(config.envId, policy.act, { episodes: config.evalEpisodes, seed: (config.seed * 7919 + 1_000_003) >>> 0, greedy: true, signal });
    if (!run.best || mean >= run.best.evalReturn) run.best = { evalReturn: mean, weights: agent.weights() };
    return mean;
  };
  const agent: ReinforceAgent = {
    algorithm: "reinforce",
    config,
    envId: config.envId,
    policy: policy.net,
    value: nets.value,
    metrics: state.metrics,
    act: policy.act,
    probs: policy.probs,
    weights: () => ({ ...mlpWeights(policy.net), ...(nets.value ? mlpWeights(nets.value) : {}) }),
    checkpointWeights: () => run.best?.weights ?? agent.weights(),
    setWeights(t) {
      setMlpWeights(policy.net, t);
      if (nets.value) setMlpWeights(nets.value, t);
      policy.sync();
    },
    dispose() {
      policy.net.dispose();
      nets.value?.dispose();
      nets.policyOpt.dispose();
      nets.valueOpt?.dispose();
      for (const env of run.envs) env.close?.();
    },
    trainingState: () => reinforceSnapshot(run, agent.weights()),
    restoreTrainingState: (snapshot) => restoreReinforceRun(run, snapshot, (t) => agent.setWeights(t)),
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => run.episodes < config.maxEpisodes,
      update: (signal, log, enter) => reinforceIteration(run, signal, log, enter, evaluateGreedy),
      // budget spent: a last evaluation, so the checkpoint keeps the better of these and the best seen
      async finish(signal, enter) {
        if (config.evalThreshold <= 0) return;
        await enter("evaluate");
        await evaluateGreedy(signal);
      },
      progress: () => ({ done: run.episodes, total: config.maxEpisodes, unit: "ep", fields: { return: meanStd(run.recentReturns).mean.toFixed(1) } }),
      summary: () => ({ episodes: run.episodes, envSteps: run.envSteps, trainReturn: meanStd(run.recentReturns).mean, evalReturn: run.best?.evalReturn ?? NaN }),
      plot: { x: "episodes", y: "return", window: 10, title: `REINFORCE on ${config.envId} (seed ${config.seed})` },
      finite: (r) => ({ loss: r.loss, gradNorm: r.gradNorm, ...(nets.value ? { valueLoss: r.valueLoss } : {}) }),
    }),
  };
  return agent;
}

/**
 * A run's parts from its config: the env copies, one seed forked into the weights', the actions'
 * and the value minibatches' generators (in that order: a loop written by hand with the same forks
 * draws the same numbers), the policy (and the value net of the "value" baseline) and their Adams.
 */
function startReinforceRun(config: ReinforceConfig): ReinforceRun {
  const envs: Env<Float32Array, number>[] = Array.from({ length: config.episodesPerUpdate }, () => makeEnv(config.envId));
  const { obsSize, nActions } = discreteSizes(envs[0], "REINFORCE");
  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork(), valueRng = rng.fork();
  const policy = createDiscretePolicy("policy", netSpec(config, obsSize, nActions), initRng);
  const value = config.baseline === "value" ? createMlp("value", netSpec(config, obsSize, 1), initRng, { outputGain: 1 }) : undefined;
  return {
    config, envs, policy, actRng, valueRng,
    nets: { policy: policy.net, value, policyOpt: createAdam({ lr: config.learningRate }), valueOpt: value ? createAdam({ lr: config.valueLearningRate }) : undefined },
    state: createTrainingState<ReinforceRow>(),
    episodes: 0, envSteps: 0, firstCollection: true, collectionSeed: config.seed, recentReturns: [],
  };
}

/** One update: the five steps of the module comment. */
async function reinforceIteration(run: ReinforceRun, signal: AbortSignal | undefined, log: (row: NewRow<ReinforceRow>) => ReinforceRow, enter: EnterPhase, evaluateGreedy: (signal: AbortSignal | undefined) => Promise<number>): Promise<"target" | void> {
  const { config, policy } = run;
  // 1. collect whole episodes with the current policy (the first collection seeds copy i with seed + i)
  await enter("collect");
  const batch = await collectEpisodesAsync(run.envs, policy, run.actRng, { seed: run.firstCollection ? run.collectionSeed : undefined, signal });
  run.firstCollection = false;

  // 2. reward-to-go
  const returns = rewardToGo(batch.rewards, batch.episodeEnds, config.gamma);

  // 3. advantages and 4. the gradient steps, in one tfjs pass (V_φ(s_t) computed once)
  await enter("update");
  const stats = reinforceUpdate(run.nets, { obs: batch.obs, actions: batch.actions, returns, masks: batch.masks }, config, run.valueRng);
  policy.sync();

  // 5. log (before any evaluation, so an interrupt there keeps the row), then the stopping rule
  run.episodes += batch.returns.length;
  run.envSteps += batch.actions.length;
  run.recentReturns.push(...batch.returns);
  run.recentReturns.splice(0, Math.max(0, run.recentReturns.length - config.targetWindow));
  const { mean, min, max } = summarize(batch.returns);
  const row = log({
    update: run.state.metrics.length + 1,
    episodes: run.episodes,
    envSteps: run.envSteps,
    return: mean,
    returnMin: min,
    returnMax: max,
    length: meanStd(batch.lengths).mean,
    trainReturn: meanStd(run.recentReturns).mean,
    ...stats,
    evalReturn: NaN,
  });
  if (config.targetReturn > 0 && run.recentReturns.length >= config.targetWindow && row.trainReturn >= config.targetReturn) {
    await enter("evaluate");
    row.evalReturn = await evaluateGreedy(signal);
    if (config.evalThreshold > 0 && row.evalReturn >= config.evalThreshold) return "target";
  }
}

/** Everything a resumed run needs. Between updates every episode has ended: an env's state is its generator (the next collection resets it). */
function reinforceSnapshot(run: ReinforceRun, current: NamedTensors): TrainingSnapshot {
  const { config, nets, envs, best } = run;
  const tensors: NamedTensors = {};
  putPrefixed(tensors, "current", current);
  if (best) putPrefixed(tensors, "best", best.weights);
  const optimizers = {
    policy: putAdam(tensors, "adam/policy", nets.policyOpt.getState(Object.values(nets.policy.params))),
    value: nets.value ? putAdam(tensors, "adam/value", nets.valueOpt!.getState(Object.values(nets.value.params))) : null,
  };
  const envStates = envs.every((e) => e.saveState) ? envs.map((e) => e.saveState!()) : null;
  return {
    exact: envStates !== null,
    note: envStates ? undefined : `${config.envId}'s state cannot be captured: the resumed run's episodes start from new seeds`,
    tensors,
    json: {
      ...loopState(run.state), rngs: { act: run.actRng.getState(), value: run.valueRng.getState() }, optimizers,
      episodes: run.episodes, envSteps: run.envSteps, firstCollection: run.firstCollection, collectionSeed: run.collectionSeed,
      recentReturns: run.recentReturns, bestEvalReturn: best ? best.evalReturn : null, envs: envStates,
    },
  };
}

function restoreReinforceRun(run: ReinforceRun, { json, tensors }: TrainingSnapshot, setWeights: (t: NamedTensors) => void): void {
  const { config, nets, envs } = run;
  setWeights(takePrefixed(tensors, "current"));
  run.best = hasPrefixed(tensors, "best") ? { evalReturn: numberAt(json, "bestEvalReturn"), weights: takePrefixed(tensors, "best") } : undefined;
  const opt = json.optimizers as { policy: unknown; value: unknown };
  nets.policyOpt.setState(Object.values(nets.policy.params), takeAdam(tensors, "adam/policy", opt?.policy));
  if (nets.value) nets.valueOpt!.setState(Object.values(nets.value.params), takeAdam(tensors, "adam/value", opt?.value));
  const rngs = rngsAt(json);
  run.actRng.setState(rngs.act);
  run.valueRng.setState(rngs.value);
  run.episodes = numberAt(json, "episodes");
  run.envSteps = numberAt(json, "envSteps");
  run.recentReturns.splice(0, run.recentReturns.length, ...numbersAt(json, "recentReturns"));
  restoreLoop(run.state, json);
  const envStates = json.envs as unknown[] | null;
  if (Array.isArray(envStates) && envs.every((e) => e.loadState)) {
    envs.forEach((e, i) => e.loadState!(envStates[i]));
    run.firstCollection = json.firstCollection === true;
    run.collectionSeed = numberAt(json, "collectionSeed");
  } else {
    // not captured: the next collection seeds the envs anew, from the run's seed and how far it got
    run.firstCollection = true;
    run.collectionSeed = (config.seed + 7919 * (run.state.metrics.length + 1)) >>> 0;
  }
}

function netSpec(config: Pick<ReinforceConfig, "hiddenSizes" | "activation">, obsSize: number, outputSize: number): MlpSpec {
  return { inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize, activation: config.activation };
}

/** The networks and optimisers one update touches. */
export interface ReinforceNets {
  policy: Mlp;
  value?: Mlp;
  policyOpt: Adam;
  valueOpt?: Adam;
}

/** What one update needs from a batch: observations [T, obsSize], the actions taken [T], their reward-to-go G_t [T], legal-action masks [T, nActions] if any. */
export interface UpdateBatch {
  obs: Float32Array;
  actions: Int32Array;
  returns: Float32Array;
  masks?: Uint8Array;
}

export type UpdateStats = Pick<ReinforceRow, "loss" | "policyLoss" | "valueLoss" | "entropy" | "gradNorm" | "explainedVariance">;

/**
 * One REINFORCE update on a batch, in tfjs inside tf.tidy (no tensor outlives the call):
 *
 *   V_φ(s_t)      value net forward under the weights that collected the batch — computed once,
 *                 for the baseline, the value loss L(φ) = mean_t (V_φ(s_t) − G_t)² and the explained variance
 *   A_t           baselineAdvantages (baseline, optional standardisation)
 *   policy step   gradient of reinforceLoss, clipped to maxGradNorm, one Adam step
 *   value step    gradient of L(φ), clipped, one Adam step (baseline "value" only)
 *
 * The value step goes first: it reads V_φ(s_t) before changing φ, and the policy step does not
 * depend on φ. The logged numbers come back in one read.
 */
export function reinforceUpdate(
  nets: ReinforceNets,
  batch: UpdateBatch,
  config: Pick<ReinforceConfig, "baseline" | "normAdv" | "entCoef" | "maxGradNorm" | "valueIters" | "valueBatch">,
  rng: Rng = createRng(0),
): UpdateStats {
  const { policy, value, policyOpt, valueOpt } = nets;
  const T = batch.actions.length;
  const kept: tf.Tensor[] = []; // outputs kept past the gradient computation's own tidy, disposed at the end
  const keep = <X extends tf.Tensor>(x: X): X => (kept.push(tf.keep(x)), x);
  try {
    return tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [T, policy.spec.inputSize]);
      const actions = tf.tensor1d(batch.actions, "int32");
      const returns = tf.tensor1d(batch.returns);
      const mask = batch.masks ? tf.tensor2d(batch.masks, [T, policy.spec.outputSize], "float32") : undefined;

      // value steps: the first reads V_φ(s_t) under the weights that collected the batch (kept for the
      // advantages, the logged loss and the explained variance); then `valueIters` − 1 more regression steps
      let values: tf.Tensor1D | undefined;
      let valueStep: { loss: tf.Scalar } | undefined;
      if (value && valueOpt) {
        const params = Object.values(value.params);
        valueStep = minimize(() => {
          values = keep(tf.squeeze(value.apply(obs), [1]) as tf.Tensor1D);
          return tf.mean(tf.squaredDifference(values, returns)) as tf.Scalar;
        }, params, valueOpt, config.maxGradNorm);
        for (let k = 1; k < config.valueIters; k++) {
          tf.tidy(() => {
            // a random minibatch of the batch's steps: the regression keeps its speed on 4,000-step batches
            const rows = minibatchRows(T, config.valueBatch, rng);
            const x = rows ? tf.gather(obs, rows) : obs, g = rows ? tf.gather(returns, rows) : returns;
            minimize(() => tf.mean(tf.squaredDifference(tf.squeeze(value.apply(x as tf.Tensor2D), [1]), g)) as tf.Scalar, params, valueOpt, config.maxGradNorm);
          });
        }
      }

      const adv = baselineAdvantages(returns, config.baseline, values, config.normAdv);

      // policy step
      let parts!: { policyLoss: tf.Scalar; entropy: tf.Scalar };
      const policyStep = minimize(() => {
        const out = reinforceLoss(policy.apply(obs), actions, adv, config.entCoef, mask);
        parts = { policyLoss: keep(out.policyLoss), entropy: keep(out.entropy) };
        return out.loss;
      }, Object.values(policy.params), policyOpt, config.maxGradNorm);

      const explained = values ? explainedVarianceOf(values, returns) : tf.scalar(NaN);

      const nan = tf.scalar(NaN);
      const [l, pl, vl, h, g, ev] = tf.stack([policyStep.loss, parts.policyLoss, valueStep?.loss ?? nan, parts.entropy, policyStep.gradNorm, explained]).dataSync();
      return { loss: l, policyLoss: pl, valueLoss: vl, entropy: h, gradNorm: g, explainedVariance: ev };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** `size` distinct row indices of `n`, drawn with `rng`; undefined when the whole batch fits. */
function minibatchRows(n: number, size: number, rng: Rng): tf.Tensor1D | undefined {
  if (size >= n) return undefined;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < size; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]; idx[i] = idx[j]; idx[j] = t;
  }
  return tf.tensor1d(idx.subarray(0, size), "int32");
}

/** 1 − Var[G − V] / Var[G], in tfjs (NaN when G does not vary). */
function explainedVarianceOf(values: tf.Tensor1D, returns: tf.Tensor1D): tf.Scalar {
  const varG = tf.moments(returns).variance;
  const varResidual = tf.moments(tf.sub(returns, values)).variance;
  return tf.where(tf.greater(varG, 0), tf.sub(1, tf.div(varResidual, varG)), tf.scalar(NaN)) as tf.Scalar;
}

/** REINFORCE in the algorithm registry: `tsrl train reinforce`, checkpoints, contract tests. */
export const reinforce = defineAlgorithm<ReinforceConfig, ReinforceAgent>({
  name: "reinforce",
  summary: "REINFORCE with reward-to-go and an optional baseline (none | batch mean | learned value)",
  schema: reinforceSchema,
  config: (partial) => reinforceConfig(partial),
  smokeConfig: { episodesPerUpdate: 4, maxEpisodes: 24, targetReturn: 0, evalThreshold: 0, hiddenSizes: [16] },
  create: createReinforceAgent,
  tensorShapes(config, env) {
    const { obsSize, nActions } = discreteSizes(env, "REINFORCE");
    return {
      ...mlpShapes("policy", netSpec(config, obsSize, nActions)),
      ...(config.baseline === "value" ? mlpShapes("value", netSpec(config, obsSize, 1)) : {}),
    };
  },
  policy(config, env, tensors) {
    const { obsSize, nActions } = discreteSizes(env, "REINFORCE");
    return policyFromWeights("policy", netSpec(config, obsSize, nActions), tensors);
  },
});
