/**
 * Advantage actor-critic (A2C; Mnih et al. 2016, synchronous form), with self-play against a pool
 * of frozen snapshots of itself for two-player games.
 *
 *   repeat:
 *     1. collect T steps from each of N env copies with π_θ (episodes run across rollouts); for a
 *        two-player game the opponent of each new game is, with probability `selfPlay`, a frozen
 *        snapshot of the learner from the pool, else one of the env's built-in opponents; the
 *        starting player is drawn per game
 *     2. critic V_φ(s) on every observation, and on the final observation of truncated episodes
 *     3. advantages by GAE(λ) (advantages.ts): λ = 1 gives n-step returns bootstrapped from V at the
 *        end of the rollout, λ = 0 one-step TD errors δ_t = r_t + γ V(s_{t+1}) − V(s_t) — the critic
 *        is what makes this actor-critic rather than REINFORCE; a terminal state has no future value
 *     4. one gradient step on  L = −mean_t[log π_θ(a_t|s_t) Â_t] + c_V·mean_t (V_φ(s_t) − R_t)² − c_H·mean_t H(π_θ(·|s_t))
 *        with Â standardised over the batch and R_t = Â_t + V(s_t) the λ-return target
 *     5. every `snapshotEvery` updates a copy of the policy joins the pool (the oldest leaves when it is
 *        full); every `evalEvery` updates the env's report card; stop once it says "solved"
 *
 * Self-play needs the env to take an opponent policy (Tic-Tac-Toe's `opponent` option); other envs
 * train as plain A2C.
 */
import * as tf from "@tensorflow/tfjs";
import type { EnvSpec, PolicyAct } from "../core/registry";
import { envSpec, makeEnv } from "../envs/registry";
import { createRng, type Rng } from "../core/rng";
import { bool, choice, defineSchema, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../core/schema";
import { explainedVariance, meanStd } from "../core/stats";
import { vectorEnv, type VectorEnv } from "../core/vector-env";
import { initBackend } from "../nn/backend";
import { createMlp, mlpShapes, mlpWeights, setMlpWeights, type Mlp, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { createDiscretePolicy, policyFromWeights, type DiscretePolicy } from "../nn/mlp/policy";
import { computeGae, nextValues } from "./advantages";
import { defineAlgorithm, type Agent, type BaseRow, type TrainingSnapshot } from "./agent";
import { evaluatePolicy } from "./evaluate";
import { createAdam, minimize, type Adam } from "../nn/optim";
import { reinforceLoss } from "./reinforce";
import { checkEnvCopies, checkRolloutFits, checkStepRows, collectStepsAsync, discreteSizes, startRollout, type RolloutState, type StepBatch } from "./rollout";
import { finiteOrNull, hasPrefixed, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, restoreVectorRollout, rngsAt, takeAdam, takePrefixed, vectorRolloutState } from "./resume";
import { createTrainingState, runTraining, type EnterPhase, type NewRow, type TrainingState } from "./train-loop";

export const actorCriticSchema = defineSchema("actor-critic", {
  envId: str("TicTacToe-v0", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  envOptions: json({}, "environment options as JSON, e.g. {\"opponent\": \"minimax\"}"),
  seed: int(1, "seed of weights, sampling, opponents and env resets", { min: 0, max: 0xffffffff }),
  numEnvs: int(16, "N: env copies stepped together", { min: 1 }),
  numSteps: int(8, "T: steps per env copy per update (the n of n-step returns)", { min: 1, aliases: ["nSteps"] }),
  totalTimesteps: int(2_000_000, "stop after this many env steps", { min: 1, aliases: ["totalSteps"] }),
  gamma: num(0.99, "discount factor", { min: 0, max: 1 }),
  gaeLambda: num(0.95, "lambda of GAE: 1 = n-step returns, 0 = one-step TD", { min: 0, max: 1 }),
  learningRate: num(1e-3, "Adam learning rate (policy and critic)", { min: 0, minExclusive: true, aliases: ["lr"] }),
  vfCoef: num(0.5, "c_V: weight of the critic's loss", { min: 0, aliases: ["valueCoef"] }),
  entCoef: num(0.01, "c_H: entropy bonus weight", { min: 0, aliases: ["entropyCoef"] }),
  maxGradNorm: num(0.5, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  normAdv: bool(true, "standardise advantages over each batch", { aliases: ["normalizeAdvantages"] }),
  hiddenSizes: intList([128, 128], "hidden layer widths of the policy and critic, comma-separated"),
  activation: choice(["tanh", "relu"], "relu", "hidden activation"),
  selfPlay: num(0.5, "probability that a game's opponent is a frozen snapshot of the learner (two-player envs)", { min: 0, max: 1 }),
  poolSize: int(10, "snapshots kept in the self-play pool", { min: 1 }),
  snapshotEvery: int(50, "updates between snapshots", { min: 1 }),
  evalEvery: int(50, "updates between evaluations (the environment's report card)", { min: 1 }),
  evalGames: int(200, "episodes per evaluation", { min: 1 }),
  stopWhenSolved: bool(true, "stop once an evaluation says the task is solved"),
});

export type ActorCriticConfig = ConfigOf<typeof actorCriticSchema>;

export const ACTOR_CRITIC_PRESETS: Readonly<Record<string, Partial<ActorCriticConfig>>> = {
  "TicTacToe-v0": { envOptions: { opponent: { random: 1, greedy: 1, minimax: 1 }, agentPlays: "random", exploringStarts: 0.5 }, gamma: 1 },
  "CartPole-v1": { selfPlay: 0, hiddenSizes: [64, 64], activation: "tanh", totalTimesteps: 300_000, entCoef: 0, learningRate: 7e-4 },
};

export const actorCriticConfig = (partial: Partial<ActorCriticConfig> | Record<string, unknown> = {}): ActorCriticConfig => {
  const config = parseWithPresets(actorCriticSchema, ACTOR_CRITIC_PRESETS, partial);
  const batch = config.numEnvs * config.numSteps;
  if (config.totalTimesteps < batch) {
    throw new RangeError(`actor-critic config: totalTimesteps = ${config.totalTimesteps} is less than one update's steps (numEnvs × numSteps = ${config.numEnvs} × ${config.numSteps} = ${batch}); raise it or lower numEnvs / numSteps`);
  }
  checkEnvCopies("actor-critic", "numEnvs", config.numEnvs);
  checkStepRows("actor-critic", batch, `numEnvs × numSteps = ${config.numEnvs} × ${config.numSteps}: lower one of them`);
  return config;
};

/** One row per update; the env's report-card columns hold NaN between evaluations. */
export interface ActorCriticRow extends BaseRow {
  /** Mean return / length of the episodes that ended during this update's rollout (NaN if none). */
  return: number;
  length: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** 1 − Var[R − V]/Var[R] of the critic on this batch, before the update. */
  explainedVariance: number;
  gradNorm: number;
  /** Snapshots in the self-play pool. */
  poolSize: number;
  evalReturn: number;
  [column: string]: number;
}

export interface ActorCriticAgent extends Agent<ActorCriticConfig, ActorCriticRow> {
  readonly policy: Mlp;
  readonly critic: Mlp;
  readonly lastReport?: Record<string, number>;
}

/** A two-player env's opponent in self-play: per game, a snapshot from the pool or the env's own. */
interface SelfPlayPool {
  snapshots: PolicyAct[];
  /** The snapshots' weights, in the same order (a resumed run rebuilds the pool from them). */
  weights: NamedTensors[];
  add(weights: NamedTensors): void;
  /** Per game: a snapshot with probability selfPlay (once the pool has one), else undefined: the env's own opponent. */
  draw(): PolicyAct | undefined;
}

function createSelfPlayPool(config: ActorCriticConfig, policySpec: MlpSpec, rng: Rng): SelfPlayPool {
  const pool: SelfPlayPool = {
    snapshots: [],
    weights: [],
    add(weights) {
      pool.snapshots.push(policyFromWeights("policy", policySpec, weights).act);
      pool.weights.push(weights);
      if (pool.snapshots.length > config.poolSize) {
        pool.snapshots.shift();
        pool.weights.shift();
      }
    },
    draw() {
      if (pool.snapshots.length === 0 || rng.next() >= config.selfPlay) return undefined;
      return pool.snapshots[rng.int(pool.snapshots.length)];
    },
  };
  return pool;
}

/** What an actor-critic run holds between updates: its parts and its counters, in one object. */
interface ActorCriticRun {
  readonly config: ActorCriticConfig;
  readonly spec: EnvSpec;
  readonly venv: VectorEnv<Float32Array, number>;
  readonly rollout: RolloutState;
  readonly policy: DiscretePolicy;
  readonly nets: ActorCriticNets;
  readonly pool: SelfPlayPool;
  /** Whether games draw opponents from the pool (a two-player env with selfPlay > 0). */
  readonly selfPlay: boolean;
  readonly actRng: Rng;
  readonly poolRng: Rng;
  readonly state: TrainingState<ActorCriticRow>;
  envSteps: number;
  episodes: number;
  lastEval: number;
  recentReturns: number[];
  lastReport?: Record<string, number>;
  /** The weights of the evaluation that said "solved", when one did: what the checkpoint keeps. */
  solved?: NamedTensors;
}

export async function createActorCriticAgent(partial: Partial<ActorCriticConfig> = {}): Promise<ActorCriticAgent> {
  const config = actorCriticConfig(partial);
  await initBackend({ quiet: true });
  const run = startActorCriticRun(config);
  const { policy, nets, venv, state } = run;
  const evaluateNow = async (signal: AbortSignal | undefined): Promise<Record<string, number>> => {
    const evalSeed = (config.seed * 7919 + 1_000_003) >>> 0;
    const { mean } = await evaluatePolicy(makeEnv(config.envId, { options: config.envOptions }), policy.act, { episodes: config.evalGames, seed: evalSeed, greedy: true, signal });
    run.lastEval = mean;
    run.lastReport = { evalReturn: mean, ...(run.spec.evaluate?.(policy.act, { seed: evalSeed, games: config.evalGames }) ?? {}) };
    return run.lastReport;
  };
  const agent: ActorCriticAgent = {
    algorithm: "actor-critic",
    config,
    envId: config.envId,
    policy: policy.net,
    critic: nets.critic,
    metrics: state.metrics,
    act: policy.act,
    probs: policy.probs,
    get lastReport() {
      return run.lastReport;
    },
    weights: () => ({ ...mlpWeights(policy.net), ...mlpWeights(nets.critic) }),
    checkpointWeights: () => run.solved ?? agent.weights(),
    setWeights(t) {
      setMlpWeights(policy.net, t);
      setMlpWeights(nets.critic, t);
      policy.sync();
    },
    dispose() {
      policy.net.dispose();
      nets.critic.dispose();
      nets.optimizer.dispose();
      venv.close();
    },
    trainingState: () => actorCriticSnapshot(run, agent.weights()),
    restoreTrainingState: (snapshot) => restoreActorCriticRun(run, snapshot, (t) => agent.setWeights(t)),
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => run.envSteps < config.totalTimesteps,
      update: async (signal, log, enter) => {
        const goal = await actorCriticIteration(run, signal, log, enter, evaluateNow);
        if (goal === "target") run.solved = agent.weights();
        return goal;
      },
      progress: () => ({ done: run.envSteps, total: config.totalTimesteps, unit: "step", fields: { return: meanStd(run.recentReturns).mean.toFixed(2), eval: Number.isNaN(run.lastEval) ? "—" : run.lastEval.toFixed(2) } }),
      summary: () => ({ episodes: run.episodes, envSteps: run.envSteps, trainReturn: meanStd(run.recentReturns).mean, evalReturn: run.lastEval }),
      plot: { x: "envSteps", y: "return", window: 20, title: `Actor-critic on ${config.envId} (seed ${config.seed})` },
      finite: (r) => ({ policyLoss: r.policyLoss, valueLoss: r.valueLoss, gradNorm: r.gradNorm }),
    }),
  };
  return agent;
}

/**
 * A run's parts from its config: one seed forked into the weights', the actions' and the opponents'
 * generators (in that order), the self-play pool and each env copy's opponent drawing from it game
 * by game, the policy and critic (orthogonal init; the policy's head at gain 0.01), one Adam over
 * both, and the rollout reset with the seed.
 */
function startActorCriticRun(config: ActorCriticConfig): ActorCriticRun {
  const spec = envSpec(config.envId);
  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork(), poolRng = rng.fork();
  const probe = makeEnv(config.envId, { options: config.envOptions });
  const { obsSize, nActions } = discreteSizes(probe, "actor-critic");
  probe.close?.();
  checkRolloutFits("actor-critic", config.numEnvs, config.numSteps, obsSize, nActions);
  const net = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
  const pool = createSelfPlayPool(config, net(nActions), poolRng);
  const twoPlayer = spec.twoPlayer;
  const selfPlay = config.selfPlay > 0 && twoPlayer !== undefined;
  const venv = vectorEnv(Array.from({ length: config.numEnvs }, () => {
    const options = selfPlay ? { ...config.envOptions, ...twoPlayer!.selfPlayOptions(config.envOptions, () => pool.draw()) } : config.envOptions;
    return makeEnv<Float32Array, number>(config.envId, { options });
  }));
  const policy = createDiscretePolicy("policy", net(nActions), initRng);
  const critic = createMlp("value", net(1), initRng, { outputGain: 1 });
  if (selfPlay) pool.add(mlpWeights(policy.net));
  return {
    config, spec, venv, policy, pool, selfPlay, actRng, poolRng,
    nets: { policy: policy.net, critic, optimizer: createAdam({ lr: config.learningRate }) },
    rollout: startRollout(venv, nActions, config.seed),
    state: createTrainingState<ActorCriticRow>(),
    envSteps: 0, episodes: 0, lastEval: NaN, recentReturns: [],
  };
}

/** One update: collect, advantages, the gradient step, then log, snapshot and evaluate. */
async function actorCriticIteration(run: ActorCriticRun, signal: AbortSignal | undefined, log: (row: NewRow<ActorCriticRow>) => ActorCriticRow, enter: EnterPhase, evaluateNow: (signal: AbortSignal | undefined) => Promise<Record<string, number>>): Promise<"target" | void> {
  const { config, policy, nets } = run;
  // 1. T steps from every env copy (opponents drawn per game from the pool inside the envs)
  await enter("collect");
  const batch = await collectStepsAsync(run.venv, run.rollout, policy, config.numSteps, run.actRng, signal);

  // 2–3. critic values, GAE advantages and λ-returns; 4. one step on the joint loss
  await enter("update");
  const targets = actorCriticAdvantages(nets.critic, batch, config);
  const stats = actorCriticUpdate(nets, batch, targets, config);
  policy.sync();

  // 5. log, snapshot, evaluate
  run.envSteps += batch.actions.length;
  run.episodes += batch.episodes.length;
  const returns = batch.episodes.map((e) => e.return);
  run.recentReturns.push(...returns);
  run.recentReturns.splice(0, Math.max(0, run.recentReturns.length - 100));
  const update = run.state.metrics.length + 1;
  if (run.selfPlay && update % config.snapshotEvery === 0) run.pool.add(mlpWeights(policy.net));
  const row = log({
    update,
    episodes: run.episodes,
    envSteps: run.envSteps,
    return: returns.length ? meanStd(returns).mean : NaN,
    length: batch.episodes.length ? meanStd(batch.episodes.map((e) => e.length)).mean : NaN,
    ...stats,
    poolSize: run.pool.snapshots.length,
    evalReturn: NaN,
  } as NewRow<ActorCriticRow>);
  if (update % config.evalEvery === 0) {
    await enter("evaluate");
    const report = await evaluateNow(signal);
    Object.assign(row, report);
    if (config.stopWhenSolved && report.solved === 1) return "target";
  }
}

/**
 * Everything a resumed run needs: exact when every env copy can save its state (CartPole); a
 * two-player game's copies hold opponents that are functions (self-play snapshots), so there the
 * games in progress restart.
 */
function actorCriticSnapshot(run: ActorCriticRun, current: NamedTensors): TrainingSnapshot {
  const { config, nets, pool } = run;
  const tensors: NamedTensors = {};
  putPrefixed(tensors, "current", current);
  pool.weights.forEach((w, i) => putPrefixed(tensors, `pool/${i}`, w));
  if (run.solved) putPrefixed(tensors, "solved", run.solved);
  const envState = vectorRolloutState(run.venv, run.rollout);
  return {
    exact: envState !== null,
    note: envState ? undefined : `${config.envId}'s state cannot be captured: the resumed run starts new games in every env copy`,
    tensors,
    json: {
      ...loopState(run.state), optimizers: { ac: putAdam(tensors, "adam/ac", nets.optimizer.getState(netParams(nets))) },
      rngs: { act: run.actRng.getState(), pool: run.poolRng.getState() },
      envSteps: run.envSteps, episodes: run.episodes, lastEval: finiteOrNull(run.lastEval), recentReturns: run.recentReturns,
      lastReport: run.lastReport ?? null, poolSize: pool.weights.length,
      rollout: envState,
    },
  };
}

function restoreActorCriticRun(run: ActorCriticRun, { json, tensors }: TrainingSnapshot, setWeights: (t: NamedTensors) => void): void {
  const { config, nets, pool } = run;
  restoreLoop(run.state, json);
  setWeights(takePrefixed(tensors, "current"));
  nets.optimizer.setState(netParams(nets), takeAdam(tensors, "adam/ac", (json.optimizers as { ac?: unknown })?.ac));
  pool.snapshots.length = 0;
  pool.weights.length = 0;
  for (let i = 0; i < numberAt(json, "poolSize"); i++) pool.add(takePrefixed(tensors, `pool/${i}`));
  run.solved = hasPrefixed(tensors, "solved") ? takePrefixed(tensors, "solved") : undefined;
  const rngs = rngsAt(json);
  run.actRng.setState(rngs.act);
  run.poolRng.setState(rngs.pool);
  run.envSteps = numberAt(json, "envSteps");
  run.episodes = numberAt(json, "episodes");
  run.lastEval = json.lastEval === null ? NaN : numberAt(json, "lastEval");
  run.recentReturns.splice(0, run.recentReturns.length, ...numbersAt(json, "recentReturns"));
  run.lastReport = (json.lastReport as Record<string, number> | null) ?? undefined;
  // not captured: every copy starts a new game, seeded from the run's seed and how far it got
  restoreVectorRollout(run.venv, run.rollout, run.policy.nActions, json.rollout, config.seed + 7919 * (run.state.metrics.length + 1));
}

export interface ActorCriticNets {
  policy: Mlp;
  critic: Mlp;
  optimizer: Adam;
}

/** The parameters one Adam step covers: the policy's, then the critic's. */
const netParams = (nets: ActorCriticNets) => [...Object.values(nets.policy.params), ...Object.values(nets.critic.params)];

/** What the critic says of a rollout: V(s_t) under the weights that collected it, GAE advantages, λ-returns. */
export interface ActorCriticTargets {
  values: Float32Array;
  advantages: Float32Array;
  returns: Float32Array;
}

/**
 * Steps 2–3 on a T×N rollout: V_φ of every observation (and of the final observation of each
 * truncated episode, and of the observations after the last step) under the weights that collected
 * it, then GAE(λ) advantages and λ-returns R_t = Â_t + V(s_t) — a terminal state has no future value.
 */
export function actorCriticAdvantages(critic: Mlp, batch: StepBatch, config: Pick<ActorCriticConfig, "gamma" | "gaeLambda">): ActorCriticTargets {
  const n = batch.actions.length, N = batch.numEnvs, obsSize = critic.spec.inputSize;
  // values for the targets: the batch, the bootstrap rows and the truncated episodes' final observations
  const finals = [...batch.finalObs.entries()];
  const extra = new Float32Array((N + finals.length) * obsSize);
  extra.set(batch.lastObs, 0);
  finals.forEach(([, o], k) => extra.set(o, (N + k) * obsSize));
  const [values, tail] = tf.tidy(() => {
    const v = critic.apply(tf.tensor2d(batch.obs, [n, obsSize])).dataSync() as Float32Array;
    const t = critic.apply(tf.tensor2d(extra, [N + finals.length, obsSize])).dataSync() as Float32Array;
    return [Float32Array.from(v), Float32Array.from(t)];
  });
  const finalValues = new Map(finals.map(([k], j) => [k, tail[N + j]]));
  const next = nextValues(values, tail.subarray(0, N), N, finalValues);
  const { advantages, returns } = computeGae({ rewards: batch.rewards, values, nextValues: next, terminated: batch.terminated, truncated: batch.truncated, numEnvs: N, gamma: config.gamma, lambda: config.gaeLambda });
  return { values, advantages, returns };
}

type UpdateStats = Pick<ActorCriticRow, "policyLoss" | "valueLoss" | "entropy" | "explainedVariance" | "gradNorm">;

/**
 * Step 4: one gradient step on L = −mean_t[log π(a_t|s_t) Â_t] + c_V·mean_t (V(s_t) − R_t)² −
 * c_H·mean_t H(π(·|s_t)), with Â standardised over the batch (normAdv), the global gradient norm
 * clipped; the logged numbers come back in one read.
 */
export function actorCriticUpdate(nets: ActorCriticNets, batch: StepBatch, targets: ActorCriticTargets, config: Pick<ActorCriticConfig, "vfCoef" | "entCoef" | "maxGradNorm" | "normAdv">): UpdateStats {
  const { policy, critic, optimizer } = nets;
  const { advantages, returns } = targets;
  const n = batch.actions.length, obsSize = policy.spec.inputSize, nActions = policy.spec.outputSize;
  const { mean: am, std: as } = meanStd(advantages);
  const adv = config.normAdv ? Float32Array.from(advantages, (a) => (a - am) / (as + 1e-8)) : advantages;
  const explained = explainedVariance(targets.values, returns);

  const kept: tf.Tensor[] = [];
  const keep = <X extends tf.Tensor>(x: X): X => (kept.push(tf.keep(x)), x);
  try {
    return tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [n, obsSize]);
      const actions = tf.tensor1d(batch.actions, "int32");
      const advT = tf.tensor1d(adv), retT = tf.tensor1d(returns);
      const mask = batch.masks ? tf.tensor2d(batch.masks, [n, nActions], "float32") : undefined;
      let parts!: { policyLoss: tf.Scalar; valueLoss: tf.Scalar; entropy: tf.Scalar };
      const step = minimize(() => {
        // REINFORCE's loss with the critic's advantages, plus the critic's regression
        const pg = reinforceLoss(policy.apply(obs), actions, advT, config.entCoef, mask);
        const valueLoss = tf.mean(tf.squaredDifference(tf.squeeze(critic.apply(obs), [1]), retT)) as tf.Scalar;
        parts = { policyLoss: keep(pg.policyLoss), valueLoss: keep(valueLoss), entropy: keep(pg.entropy) };
        return tf.add(pg.loss, tf.mul(config.vfCoef, valueLoss)) as tf.Scalar;
      }, netParams(nets), optimizer, config.maxGradNorm);
      const [policyLoss, valueLoss, entropy, gradNorm] = tf.stack([parts.policyLoss, parts.valueLoss, parts.entropy, step.gradNorm]).dataSync();
      return { policyLoss, valueLoss, entropy, gradNorm, explainedVariance: explained };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** Actor-critic in the algorithm registry. */
export const actorCritic = defineAlgorithm<ActorCriticConfig, ActorCriticAgent>({
  name: "actor-critic",
  summary: "advantage actor-critic (A2C) with GAE, self-play against a pool of frozen snapshots in two-player games",
  schema: actorCriticSchema,
  presets: ACTOR_CRITIC_PRESETS,
  config: (partial) => actorCriticConfig(partial),
  smokeConfig: { numEnvs: 4, numSteps: 4, totalTimesteps: 4 * 4 * 6, evalEvery: 3, evalGames: 4, snapshotEvery: 2, hiddenSizes: [16] },
  create: createActorCriticAgent,
  tensorShapes(config, env) {
    const { obsSize, nActions } = discreteSizes(env, "actor-critic");
    const net = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
    return { ...mlpShapes("policy", net(nActions)), ...mlpShapes("value", net(1)) };
  },
  policy(config, env, tensors) {
    const { obsSize, nActions } = discreteSizes(env, "actor-critic");
    return policyFromWeights("policy", { inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: nActions, activation: config.activation }, tensors);
  },
});

