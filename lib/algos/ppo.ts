/**
 * PPO with GAE (Schulman et al. 2017), detail for detail as CleanRL's `ppo.py` — Algorithm 1 of the
 * paper with the "37 implementation details":
 *
 *   for iteration = 1, 2, …:
 *     anneal the learning rate linearly to 0 (optional)
 *     1. rollout: T steps of each of N env copies with π_old; log π_old(a_t|s_t) and V(s_t) kept
 *     2. GAE(γ, λ) advantages and λ-returns R_t = Â_t + V(s_t), bootstrapping from V(s_T) after the
 *        rollout and from V(final observation) where an episode was truncated (CleanRL treats a
 *        truncation as a termination; we keep them apart, as GAE needs)
 *     3. for `updateEpochs` epochs, over shuffled minibatches of the N·T steps:
 *          Â standardised per minibatch
 *          L_clip = mean max(−Â r, −Â clip(r, 1 − ε, 1 + ε)),     r = π_θ(a|s) / π_old(a|s)
 *          L_V    = ½ mean max((V − R)², (V_old + clip(V − V_old, −ε, ε) − R)²)   (clipped value loss)
 *          L      = L_clip − c_H·H + c_V·L_V;  global gradient norm clipped; one Adam step (ε 1e-5)
 *        stop the epochs early when the approximate KL passes `targetKl` (optional)
 *     4. log the diagnostics a practitioner reads: approx KL, clip fraction, explained variance, SPS
 *
 * Options: observation and reward normalisation (SB3's VecNormalize, normalize.ts); `updateThreads`
 * 2, each minibatch step's gradient from its two halves on two threads (./ppo-part.ts, the same
 * numbers as on one; it paid nothing on our 2-core machine with another process on it). The schema's
 * defaults are CleanRL's ppo.py settings (`preset: "cleanrl"`); by default each environment's tuned
 * preset applies over them, rl-zoo's for CartPole and for LunarLander (PPO_PRESETS). Actor and critic are separate
 * MLPs (64-64 tanh, orthogonal init with gains √2, 0.01 for the policy head and 1 for the value head).
 */
import { checkpoint } from "../core/abort";
import { makeEnv } from "../envs/registry";
import { createRng, type Rng } from "../core/rng";
import { bool, choice, defineSchema, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../core/schema";
import { explainedVariance, meanStd } from "../core/stats";
import { vectorEnv, type VectorEnv } from "../core/vector-env";
import { startVectorEnvWorkers } from "../envs/vector-env-workers";
import { initBackend } from "../nn/backend";
import { mlpShapes, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { policyFromWeights } from "../nn/mlp/policy";
import { computeGae, nextValues } from "./advantages";
import { defineAlgorithm, type Agent, type BaseRow, type TrainingSnapshot } from "./agent";
import { evaluatePolicy, type ActFn } from "./evaluate";
import { createRewardScaler, createRunningMeanStd, normalizeObservations, type RewardScaler, type RunningMeanStd } from "./normalize";
import { startPpoNets, type PpoEngine, type PpoMinibatch, type PpoNets, type PpoStepStats } from "./ppo-nets";
import { MAX_STEP_ROWS, checkEnvCopies, checkRolloutFits, checkStepRows, collectStepsAsync, discreteSizes, startRollout, type DiscreteActor, type RolloutState, type StepBatch } from "./rollout";
import { finiteOrNull, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, restoreVectorRollout, rngsAt, takeAdam, takePrefixed, vectorRolloutState } from "./resume";
import { createTrainingState, runTraining, type EnterPhase, type NewRow, type TrainingState } from "./train-loop";

export const ppoSchema = defineSchema("ppo", {
  envId: str("CartPole-v1", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  envOptions: json({}, "environment options as JSON"),
  preset: choice(["env", "cleanrl"], "env", "env: the environment's tuned preset (rl-zoo's for CartPole and LunarLander); cleanrl: CleanRL ppo.py's settings"),
  seed: int(1, "seed of weights, sampling, minibatch order and env resets", { min: 0, max: 0xffffffff }),
  totalTimesteps: int(500_000, "total environment steps", { min: 1, aliases: ["totalSteps"] }),
  numEnvs: int(4, "N: env copies stepped together", { min: 1 }),
  envWorkers: int(0, "step the env copies in this many worker threads (0: in this thread); same numbers, for envs whose step is costly (LunarLander)", { min: 0 }),
  numSteps: int(128, "T: steps per env copy per rollout", { min: 1 }),
  learningRate: num(2.5e-4, "Adam learning rate (annealed linearly to 0 with annealLr)", { min: 0, minExclusive: true, aliases: ["lr"] }),
  annealLr: bool(true, "anneal the learning rate linearly to 0 over the run"),
  adamEps: num(1e-5, "Adam epsilon", { min: 0, minExclusive: true }),
  gamma: num(0.99, "discount factor", { min: 0, max: 1 }),
  gaeLambda: num(0.95, "lambda of GAE", { min: 0, max: 1 }),
  numMinibatches: int(4, "minibatches per epoch (minibatch size = N·T / this)", { min: 1 }),
  updateEpochs: int(4, "K: epochs over each rollout", { min: 1 }),
  normAdv: bool(true, "standardise advantages per minibatch"),
  clipCoef: num(0.2, "epsilon of the ratio clipping (and of the value clipping)", { min: 0 }),
  clipVloss: bool(true, "clip the value loss as the policy's ratio (PPO's value clipping)"),
  entCoef: num(0.01, "entropy bonus weight", { min: 0 }),
  vfCoef: num(0.5, "value loss weight", { min: 0 }),
  maxGradNorm: num(0.5, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  targetKl: num(0, "stop the epochs of an update early when the approximate KL passes this (0 = off)", { min: 0 }),
  normalizeObs: bool(false, "running normalisation of observations (SB3's VecNormalize)"),
  normalizeReward: bool(false, "scale rewards by the running std of the discounted return (SB3's VecNormalize)"),
  hiddenSizes: intList([64, 64], "hidden layer widths of actor and critic, comma-separated"),
  activation: choice(["tanh", "relu"], "tanh", "hidden activation"),
  engine: choice(["typed", "tfjs"], "typed", "minibatch steps on typed arrays (fast for small minibatches; tested equal to tfjs autograd) or in tfjs"),
  updateThreads: int(1, "threads of the minibatch steps (typed engine): 2 computes the gradient of each minibatch's second half in a worker thread while this one does the first half; the same numbers as 1, bit for bit; pays only with a core to spare (LunarLander 1M on 2 cores beside another busy process: 135 s either way)", { min: 1, max: 2 }),
  targetReturn: num(0, "stop when the mean of the last 100 training episodes reaches this (0 = never)", { min: 0 }),
  evalEvery: int(0, "iterations between greedy evaluations (0 = only at the end)", { min: 0 }),
  evalEpisodes: int(20, "greedy evaluation episodes", { min: 1 }),
});

export type PpoConfig = ConfigOf<typeof ppoSchema>;

/**
 * Presets, applied under what you pass. The schema's defaults are CleanRL's ppo.py (`preset:
 * "cleanrl"` gives exactly those); each environment has a tuned preset that applies by default:
 *
 *   CartPole-v1     rl-zoo's (hyperparams/ppo.yml): 8 envs × 32 steps, one minibatch of 256, 20 epochs,
 *                   γ 0.98, λ 0.8, no entropy bonus, lr 1e-3 annealed over 100k steps — a 100-episode
 *                   mean of 475 in ~80k steps, where CleanRL's settings need 230k–280k
 *   LunarLander-v3  rl-zoo's: 16 envs × 1024 steps, minibatches of 64, 4 epochs, γ 0.999, λ 0.98,
 *                   entropy 0.01, lr 3e-4, 1M steps; the value loss as SB3 computes it (unclipped);
 *                   plus running observation normalisation (SB3's VecNormalize, observations only),
 *                   which lifts the greedy 100-episode mean after 1M steps from ~240 (rl-zoo reports
 *                   242 ± 32) to 264–277 over seeds 1–5
 */
export const PPO_PRESETS: Readonly<Record<string, Partial<PpoConfig>>> = {
  "CartPole-v1": {
    numEnvs: 8, numSteps: 32, numMinibatches: 1, updateEpochs: 20, gamma: 0.98, gaeLambda: 0.8,
    entCoef: 0, learningRate: 1e-3, annealLr: true, totalTimesteps: 100_000,
  },
  "LunarLander-v3": {
    numEnvs: 16, numSteps: 1024, numMinibatches: 256, updateEpochs: 4, gamma: 0.999, gaeLambda: 0.98,
    entCoef: 0.01, learningRate: 3e-4, annealLr: false, totalTimesteps: 1_000_000, maxGradNorm: 0.5,
    // SB3 leaves the value loss unclipped and weighs its MSE by vf_coef 0.5, i.e. ½·MSE: our vfCoef 1 on ½·mean
    clipVloss: false, vfCoef: 1,
    // Not in rl-zoo's LunarLander entry: observations span very different scales (x ~0.1, speeds ~1,
    // leg flags 0/1); standardising them measured +25–35 on the final greedy mean, seeds 1–5
    normalizeObs: true,
  },
};

export const ppoConfig = (partial: Partial<PpoConfig> | Record<string, unknown> = {}): PpoConfig => {
  const presets = partial.preset === "cleanrl" ? {} : PPO_PRESETS;
  const config = parseWithPresets(ppoSchema, presets, partial);
  const batch = config.numEnvs * config.numSteps;
  if (config.totalTimesteps < batch) {
    throw new RangeError(`ppo config: totalTimesteps = ${config.totalTimesteps} is less than one rollout (numEnvs × numSteps = ${config.numEnvs} × ${config.numSteps} = ${batch}); raise it or lower numEnvs / numSteps`);
  }
  checkEnvCopies("ppo", "numEnvs", config.numEnvs);
  if (batch % config.numMinibatches !== 0) {
    throw new RangeError(`ppo config: numMinibatches = ${config.numMinibatches}, expected a divisor of the batch numEnvs × numSteps = ${batch}`);
  }
  checkStepRows("ppo", batch / config.numMinibatches, `numEnvs × numSteps / numMinibatches = ${batch} / ${config.numMinibatches}: raise numMinibatches`);
  if (config.updateThreads === 2 && config.engine !== "typed") throw new RangeError(`ppo config: updateThreads = 2 needs engine "typed", got engine "${config.engine}"`);
  return config;
};

/**
 * One row per iteration (rollout + update). The update's numbers are those of its last minibatch
 * step (PpoStepStats), except clipFrac: the share over all minibatches of the update.
 */
export interface PpoRow extends BaseRow, PpoStepStats {
  /** Mean return / length of the episodes that ended in this rollout (NaN if none); the last 100's mean. */
  return: number;
  length: number;
  trainReturn: number;
  learningRate: number;
  /** 1 − Var[R − V]/Var[R] of the rollout's values against its λ-returns. */
  explainedVariance: number;
  /** Epochs run (fewer than updateEpochs when the KL target stopped them). */
  epochs: number;
  /** Seconds of this iteration spent collecting the rollout (env physics and acting) and updating. */
  rolloutTime: number;
  updateTime: number;
  /** Greedy evaluation mean, when one ran; else NaN. */
  evalReturn: number;
}

export interface PpoAgent extends Agent<PpoConfig, PpoRow> {
  /** How minibatch steps run ("typed" or "tfjs"; see ppo-nets.ts). */
  readonly engine: PpoEngine;
  /** Threads the minibatch steps' gradients are computed on now (2 with updateThreads 2, until its worker fails). */
  readonly updateThreads: number;
  /** Observation statistics (normalizeObs), frozen into the acting policy. */
  readonly obsStats?: RunningMeanStd;
}

/**
 * What a PPO run holds between iterations: its parts (envs, networks, normalisers, generators) and
 * its counters, in one object, so the iteration, the snapshot and the restore read it whole.
 */
interface PpoRun {
  readonly config: PpoConfig;
  readonly venv: VectorEnv<Float32Array, number>;
  readonly rollout: RolloutState;
  readonly nets: PpoNets;
  readonly acting: PpoActing;
  readonly obsStats?: RunningMeanStd;
  readonly rewardScaler?: RewardScaler;
  readonly actRng: Rng;
  readonly shuffleRng: Rng;
  readonly state: TrainingState<PpoRow>;
  /** Iterations of the budget: totalTimesteps / (numEnvs · numSteps). */
  readonly iterations: number;
  envSteps: number;
  episodes: number;
  lastEval: number;
  /** Returns of the last 100 training episodes. */
  recent: number[];
}

export async function createPpoAgent(partial: Partial<PpoConfig> = {}): Promise<PpoAgent> {
  const config = ppoConfig(partial);
  await initBackend({ quiet: true });
  const run = await startPpoRun(config);
  const { nets, acting, obsStats, venv, state } = run;
  const evaluateNow = async (signal: AbortSignal | undefined): Promise<number> => {
    const env = makeEnv(config.envId, { options: config.envOptions });
    run.lastEval = (await evaluatePolicy(env, acting.act, { episodes: config.evalEpisodes, seed: evalSeedOf(config.seed), greedy: true, signal })).mean;
    return run.lastEval;
  };
  const agent: PpoAgent = {
    algorithm: "ppo",
    config,
    envId: config.envId,
    engine: config.engine,
    get updateThreads() {
      return nets.updateThreads;
    },
    obsStats,
    metrics: state.metrics,
    act: acting.act,
    probs: acting.probs,
    weights: () => ({ ...nets.weights(), ...obsStatsTensors(obsStats) }),
    checkpointWeights: () => agent.weights(),
    setWeights(t) {
      nets.setWeights(t);
      if (obsStats) loadObsStats(obsStats, t);
    },
    dispose() {
      nets.dispose();
      venv.close();
    },
    trainingState: () => ppoSnapshot(run),
    restoreTrainingState: (snapshot) => restorePpoRun(run, snapshot),
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => state.metrics.length < run.iterations && !targetMet(run),
      update: (signal, log, enter) => ppoIteration(run, signal, log, enter, evaluateNow),
      finish: async (signal, enter) => {
        const last = state.metrics[state.metrics.length - 1];
        if (!last || !Number.isNaN(last.evalReturn)) return;
        await enter("evaluate");
        last.evalReturn = await evaluateNow(signal);
      },
      progress: () => ({ done: run.envSteps, total: run.iterations * config.numEnvs * config.numSteps, unit: "step", fields: { return: meanStd(run.recent).mean.toFixed(1) } }),
      summary: () => ({ episodes: run.episodes, envSteps: run.envSteps, trainReturn: meanStd(run.recent).mean, evalReturn: run.lastEval }),
      plot: { x: "envSteps", y: "return", window: 10, title: `PPO on ${config.envId} (seed ${config.seed})` },
      finite: (r) => ({ policyLoss: r.policyLoss, valueLoss: r.valueLoss, gradNorm: r.gradNorm }),
    }),
  };
  return agent;
}

/** The seed of every greedy evaluation of a run (its env seeds never overlap training's). */
const evalSeedOf = (seed: number) => (seed * 7919 + 1_000_003) >>> 0;

/**
 * A run's parts from its config: N env copies (the first one checked before the others are made),
 * one seed forked into the weights', the actions' and the minibatch order's generators (in that
 * order: a loop written by hand with the same forks draws the same numbers), the actor and critic,
 * the normalisers, and the rollout reset with the seed.
 */
async function startPpoRun(config: PpoConfig): Promise<PpoRun> {
  const N = config.numEnvs, T = config.numSteps;
  // what one copy looks like first: a misfit or a rollout too large is refused before thousands are made
  const probe = makeEnv<Float32Array, number>(config.envId, { options: config.envOptions });
  const { obsSize, nActions } = discreteSizes(probe, "PPO");
  checkRolloutFits("ppo", N, T, obsSize, nActions);
  // copies stepped in worker threads (envWorkers > 0: lib/envs/vector-env-workers, the same rollouts) or here
  const venv = config.envWorkers > 0
    ? (probe.close?.(), await startVectorEnvWorkers(config.envId, N, { workers: config.envWorkers, options: config.envOptions }))
    : vectorEnv([probe, ...Array.from({ length: N - 1 }, () => makeEnv<Float32Array, number>(config.envId, { options: config.envOptions }))]);
  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork(), shuffleRng = rng.fork();
  const nets = await startPpoNets(config.engine, {
    obsSize, nActions, hiddenSizes: config.hiddenSizes, activation: config.activation, lr: config.learningRate, adamEps: config.adamEps,
    updateThreads: config.updateThreads === 2 ? 2 : 1, minibatchRows: (N * T) / config.numMinibatches,
  }, initRng).catch((err: unknown) => {
    venv.close(); // the update worker did not start: nothing of the run is left behind
    throw err;
  });
  const obsStats = config.normalizeObs ? createRunningMeanStd(obsSize) : undefined;
  return {
    config, venv, nets, obsStats, actRng, shuffleRng,
    acting: ppoActing(nets, obsSize, nActions, obsStats),
    rewardScaler: config.normalizeReward ? createRewardScaler(N, config.gamma) : undefined,
    rollout: startRollout(venv, nActions, config.seed),
    state: createTrainingState<PpoRow>(),
    iterations: Math.max(1, Math.floor(config.totalTimesteps / (N * T))),
    envSteps: 0, episodes: 0, lastEval: NaN, recent: [],
  };
}

/** The policy as it acts and as the rollout sees it: on normalised observations when normalizeObs is on. */
interface PpoActing {
  actor: DiscreteActor;
  act: ActFn;
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
}

function ppoActing(nets: PpoNets, obsSize: number, nActions: number, obsStats: RunningMeanStd | undefined): PpoActing {
  if (!obsStats) return { actor: { obsSize, nActions, logits: nets.logits }, act: nets.act, probs: nets.probs };
  let buffer = new Float32Array(0);
  const normalized = (obs: Float32Array) => normalizeObservations(obsStats, Float32Array.from(obs), 1);
  return {
    actor: {
      obsSize,
      nActions,
      logits(obs, rows) {
        if (buffer.length < rows * obsSize) buffer = new Float32Array(rows * obsSize);
        const x = buffer.subarray(0, rows * obsSize);
        x.set(obs.subarray(0, rows * obsSize));
        return nets.logits(normalizeObservations(obsStats, x, rows), rows);
      },
    },
    act: (obs, ctx) => nets.act(normalized(obs), ctx),
    probs: (obs, mask) => nets.probs(normalized(obs), mask),
  };
}

/** The stopping rule: the mean of the last 100 training episodes reached targetReturn (when set). */
const targetMet = (run: PpoRun) => run.config.targetReturn > 0 && run.recent.length >= 100 && meanStd(run.recent).mean >= run.config.targetReturn;

/** One iteration: the four steps of the module comment, one metrics row, and the stopping rule. */
async function ppoIteration(run: PpoRun, signal: AbortSignal | undefined, log: (row: NewRow<PpoRow>) => PpoRow, enter: EnterPhase, evaluateNow: (signal: AbortSignal | undefined) => Promise<number>): Promise<"target" | void> {
  const { config, nets } = run;
  const iteration = run.state.metrics.length + 1;
  if (config.annealLr) nets.lr = config.learningRate * (1 - (iteration - 1) / run.iterations);

  // 1. rollout with π_old (observations normalised with the statistics frozen for this rollout)
  await enter("collect");
  const t0 = performance.now();
  const batch = await collectStepsAsync(run.venv, run.rollout, run.acting.actor, config.numSteps, run.actRng, signal);
  const t1 = performance.now();
  if (run.obsStats) normalizeBatch(run.obsStats, batch);
  if (run.rewardScaler) scaleRewards(run.rewardScaler, batch);

  // 2. values, GAE advantages, λ-returns
  const { values, advantages, returns } = await ppoAdvantagesAsync(nets, batch, config, signal);

  // 3. K epochs of minibatch updates (the signal checked between minibatch steps)
  await enter("update");
  const stats = await ppoUpdateAsync(nets, { batch, values, advantages, returns }, config, run.shuffleRng, signal);
  const t2 = performance.now();

  // 4. log
  run.envSteps += batch.actions.length;
  run.episodes += batch.episodes.length;
  for (const e of batch.episodes) run.recent.push(e.return);
  run.recent.splice(0, Math.max(0, run.recent.length - 100));
  const row = log({
    update: iteration,
    episodes: run.episodes,
    envSteps: run.envSteps,
    return: batch.episodes.length ? meanStd(batch.episodes.map((e) => e.return)).mean : NaN,
    length: batch.episodes.length ? meanStd(batch.episodes.map((e) => e.length)).mean : NaN,
    trainReturn: meanStd(run.recent).mean,
    learningRate: nets.lr,
    ...stats,
    explainedVariance: explainedVariance(values, returns),
    rolloutTime: (t1 - t0) / 1000,
    updateTime: (t2 - t1) / 1000,
    evalReturn: NaN,
  });
  if (config.evalEvery > 0 && iteration % config.evalEvery === 0) {
    await enter("evaluate");
    row.evalReturn = await evaluateNow(signal);
  }
  if (targetMet(run)) {
    if (Number.isNaN(row.evalReturn)) {
      await enter("evaluate");
      row.evalReturn = await evaluateNow(signal); // the greedy policy, at the stop too
    }
    return "target";
  }
}

/** Everything a resumed run needs (lib/algos/resume). Rollouts cross iterations: exact only when every env copy can save its state (CartPole can, LunarLander's Box2D world cannot). */
function ppoSnapshot(run: PpoRun): TrainingSnapshot {
  const { config, nets, obsStats, rewardScaler } = run;
  const tensors: NamedTensors = {};
  putPrefixed(tensors, "current", nets.weights());
  const envState = vectorRolloutState(run.venv, run.rollout);
  return {
    exact: envState !== null,
    note: envState ? undefined : `${config.envId}'s state cannot be captured: the resumed run starts new episodes in every env copy`,
    tensors,
    json: {
      ...loopState(run.state), optimizers: { ppo: putAdam(tensors, "adam/ppo", nets.optimizerState()) },
      rngs: { act: run.actRng.getState(), shuffle: run.shuffleRng.getState() },
      envSteps: run.envSteps, episodes: run.episodes, lastEval: finiteOrNull(run.lastEval), recent: run.recent,
      obsStats: obsStats?.getState() ?? null,
      rewardScaler: rewardScaler ? { stats: rewardScaler.stats.getState(), returns: Array.from(rewardScaler.returns) } : null,
      rollout: envState,
    },
  };
}

function restorePpoRun(run: PpoRun, { json, tensors }: TrainingSnapshot): void {
  const { config, nets, obsStats, rewardScaler } = run;
  restoreLoop(run.state, json);
  nets.setWeights(takePrefixed(tensors, "current"));
  nets.setOptimizerState(takeAdam(tensors, "adam/ppo", (json.optimizers as { ppo?: unknown })?.ppo));
  const rngs = rngsAt(json);
  run.actRng.setState(rngs.act);
  run.shuffleRng.setState(rngs.shuffle);
  run.envSteps = numberAt(json, "envSteps");
  run.episodes = numberAt(json, "episodes");
  run.lastEval = json.lastEval === null ? NaN : numberAt(json, "lastEval");
  run.recent.splice(0, run.recent.length, ...numbersAt(json, "recent"));
  if (obsStats) obsStats.setState(json.obsStats as Parameters<RunningMeanStd["setState"]>[0]);
  if (rewardScaler) {
    const rs = json.rewardScaler as { stats: Parameters<RunningMeanStd["setState"]>[0]; returns: number[] };
    rewardScaler.stats.setState(rs.stats);
    rewardScaler.returns.set(rs.returns);
  }
  // not captured: every copy starts a new episode, seeded from the run's seed and how far it got
  const exact = restoreVectorRollout(run.venv, run.rollout, run.acting.actor.nActions, json.rollout, config.seed + 7919 * (run.state.metrics.length + 1));
  if (!exact && rewardScaler) rewardScaler.returns.fill(0);
}

/** Observation statistics as tensors, so a checkpoint's policy sees what training saw. */
function obsStatsTensors(stats: RunningMeanStd | undefined): Record<string, { data: Float32Array; shape: number[] }> {
  if (!stats) return {};
  return { "obs_norm/mean": { data: Float32Array.from(stats.mean), shape: [stats.mean.length] }, "obs_norm/var": { data: Float32Array.from(stats.var), shape: [stats.var.length] } };
}

function loadObsStats(stats: RunningMeanStd, t: Record<string, { data: Float32Array; shape: number[] }>): void {
  const mean = t["obs_norm/mean"], variance = t["obs_norm/var"];
  if (!mean || !variance) throw new RangeError("missing weight 'obs_norm/mean' or 'obs_norm/var' (this checkpoint normalised observations)");
  stats.mean.set(mean.data);
  stats.var.set(variance.data);
}

/** Normalises a rollout's observations (all, the bootstrap rows, final observations) with the frozen statistics, then folds the raw ones in. */
function normalizeBatch(stats: RunningMeanStd, batch: StepBatch): void {
  const raw = Float32Array.from(batch.obs);
  const rows = batch.actions.length;
  normalizeObservations(stats, batch.obs, rows);
  normalizeObservations(stats, batch.lastObs, batch.numEnvs);
  for (const [k, o] of batch.finalObs) batch.finalObs.set(k, normalizeObservations(stats, Float32Array.from(o), 1));
  stats.update(raw, rows);
}

function scaleRewards(scaler: ReturnType<typeof createRewardScaler>, batch: StepBatch): void {
  const N = batch.numEnvs;
  for (let t = 0; t < batch.steps; t++) {
    const at = t * N;
    const dones = Array.from({ length: N }, (_, i) => batch.terminated[at + i] || batch.truncated[at + i]);
    batch.rewards.set(scaler.scale(batch.rewards.subarray(at, at + N), dones), at);
  }
}

/**
 * Step 2: V(s_t) of the rollout under the weights that collected it (and of the observations after
 * its last step, and of each truncated episode's final observation), then GAE advantages and
 * λ-returns (./advantages.ts). `values` are the ones the value loss is clipped around.
 */
export function ppoAdvantages(nets: PpoNets, batch: StepBatch, config: Pick<PpoConfig, "gamma" | "gaeLambda">): { values: Float32Array; advantages: Float32Array; returns: Float32Array } {
  return drain(ppoAdvantageSteps(nets, batch, config));
}

/** ppoAdvantages, checking `signal` between chunks of MAX_STEP_ROWS rows (a rollout of thousands of env copies takes seconds). */
export async function ppoAdvantagesAsync(nets: PpoNets, batch: StepBatch, config: Pick<PpoConfig, "gamma" | "gaeLambda">, signal?: AbortSignal): Promise<{ values: Float32Array; advantages: Float32Array; returns: Float32Array }> {
  return drainAsync(ppoAdvantageSteps(nets, batch, config), signal);
}

function* ppoAdvantageSteps(nets: PpoNets, batch: StepBatch, config: Pick<PpoConfig, "gamma" | "gaeLambda">): Generator<void, { values: Float32Array; advantages: Float32Array; returns: Float32Array }> {
  const n = batch.actions.length, N = batch.numEnvs, obsSize = batch.obs.length / n;
  const finals = [...batch.finalObs.entries()];
  const rows = n + N + finals.length;
  const all = new Float32Array(rows * obsSize);
  all.set(batch.obs, 0);
  all.set(batch.lastObs, n * obsSize);
  finals.forEach(([, o], k) => all.set(o, (n + N + k) * obsSize));
  const v = new Float32Array(rows);
  for (let start = 0; start < rows; start += MAX_STEP_ROWS) {
    const count = Math.min(MAX_STEP_ROWS, rows - start);
    v.set(nets.values(all.subarray(start * obsSize, (start + count) * obsSize), count), start);
    if (count < rows) yield;
  }
  const values = v.subarray(0, n);
  const finalValues = new Map(finals.map(([k], j) => [k, v[n + N + j]]));
  const next = nextValues(values, v.subarray(n, n + N), N, finalValues);
  const { advantages, returns } = computeGae({ rewards: batch.rewards, values, nextValues: next, terminated: batch.terminated, truncated: batch.truncated, numEnvs: N, gamma: config.gamma, lambda: config.gaeLambda });
  return { values: Float32Array.from(values), advantages, returns };
}

/** Runs a generator of steps to its end. */
function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Runs a generator of steps to its end, checking `signal` (and yielding now and then) between steps. */
async function drainAsync<T>(steps: Generator<void, T>, signal?: AbortSignal): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await checkpoint(signal);
  }
}

export interface PpoBatch {
  batch: StepBatch;
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

type UpdateStats = PpoStepStats & Pick<PpoRow, "epochs">;

/** Step 3: K epochs of clipped-surrogate minibatch steps on one rollout, in an order drawn with `rng` (section 3 of the module comment). */
export function ppoUpdate(nets: PpoNets, data: PpoBatch, config: PpoConfig, rng: Rng): UpdateStats {
  return drain(ppoUpdateSteps(nets, data, config, rng));
}

/** ppoUpdate, checking `signal` (and yielding now and then) between minibatch steps: a huge rollout's update still stops on Ctrl-C. */
export async function ppoUpdateAsync(nets: PpoNets, data: PpoBatch, config: PpoConfig, rng: Rng, signal?: AbortSignal): Promise<UpdateStats> {
  return drainAsync(ppoUpdateSteps(nets, data, config, rng), signal);
}

/** ppoUpdate's loop, one `yield` per minibatch step. */
function* ppoUpdateSteps(nets: PpoNets, data: PpoBatch, config: PpoConfig, rng: Rng): Generator<void, UpdateStats> {
  const { batch } = data;
  const n = batch.actions.length, obsSize = batch.obs.length / n, nActions = batch.masks ? batch.masks.length / n : 0;
  const rows = n / config.numMinibatches;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  // minibatch buffers, reused
  const mb: PpoMinibatch = {
    obs: new Float32Array(rows * obsSize), actions: new Int32Array(rows), oldLogp: new Float32Array(rows),
    adv: new Float32Array(rows), ret: new Float32Array(rows), oldV: new Float32Array(rows),
    masks: batch.masks ? new Uint8Array(rows * nActions) : undefined,
  };
  let clipped = 0, counted = 0, epochs = 0;
  let last: PpoStepStats = { policyLoss: NaN, valueLoss: NaN, entropy: NaN, oldApproxKl: NaN, approxKl: NaN, clipFrac: NaN, gradNorm: NaN };
  for (let epoch = 0; epoch < config.updateEpochs; epoch++) {
    epochs++;
    rng.shuffle(idx as unknown as number[]);
    for (let start = 0; start < n; start += rows) {
      for (let k = 0; k < rows; k++) {
        const i = idx[start + k];
        mb.obs.set(batch.obs.subarray(i * obsSize, (i + 1) * obsSize), k * obsSize);
        mb.actions[k] = batch.actions[i];
        mb.oldLogp[k] = batch.logProbs[i];
        mb.adv[k] = data.advantages[i];
        mb.ret[k] = data.returns[i];
        mb.oldV[k] = data.values[i];
        if (mb.masks) mb.masks.set(batch.masks!.subarray(i * nActions, (i + 1) * nActions), k * nActions);
      }
      if (config.normAdv) standardizeUnbiased(mb.adv);
      last = nets.step(mb, config);
      clipped += last.clipFrac * rows;
      counted += rows;
      yield;
    }
    if (config.targetKl > 0 && last.approxKl > config.targetKl) break;
  }
  const { clipFrac: _, ...rest } = last;
  void _;
  return { ...rest, clipFrac: clipped / counted, epochs };
}

/** (x − mean) / (std + 1e-8) with torch's default, unbiased std (CleanRL normalises per minibatch this way). */
function standardizeUnbiased(x: Float32Array): void {
  const n = x.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i];
  m /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - m) ** 2;
  const sd = Math.sqrt(v / Math.max(1, n - 1));
  for (let i = 0; i < n; i++) x[i] = (x[i] - m) / (sd + 1e-8);
}

/** PPO in the algorithm registry. */
export const ppo = defineAlgorithm<PpoConfig, PpoAgent>({
  name: "ppo",
  summary: "PPO with GAE: clipped surrogate, clipped value loss, entropy bonus, minibatch epochs over vector-env rollouts (CleanRL's ppo.py; rl-zoo's CartPole and LunarLander presets)",
  schema: ppoSchema,
  presets: PPO_PRESETS,
  config: (partial) => ppoConfig(partial),
  smokeConfig: { numEnvs: 2, numSteps: 16, numMinibatches: 2, updateEpochs: 2, totalTimesteps: 2 * 16 * 4, hiddenSizes: [16], evalEpisodes: 2 },
  create: createPpoAgent,
  tensorShapes(config, env) {
    const { obsSize, nActions } = discreteSizes(env, "PPO");
    const net = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
    return {
      ...mlpShapes("policy", net(nActions)),
      ...mlpShapes("value", net(1)),
      ...(config.normalizeObs ? { "obs_norm/mean": [obsSize], "obs_norm/var": [obsSize] } : {}),
    };
  },
  policy(config, env, tensors) {
    const { obsSize, nActions } = discreteSizes(env, "PPO");
    const p = policyFromWeights("policy", { inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: nActions, activation: config.activation }, tensors);
    if (!config.normalizeObs) return p;
    const stats = createRunningMeanStd(obsSize);
    loadObsStats(stats, tensors);
    const norm = (obs: Float32Array, rows: number) => normalizeObservations(stats, Float32Array.from(obs.subarray(0, rows * obsSize)), rows);
    return { act: (obs, ctx) => p.act(norm(obs, 1), ctx), logits: (obs, rows) => p.logits(norm(obs, rows), rows) };
  },
});
