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
import { envSpec, makeEnv, type PolicyAct } from "../core/registry";
import { createRng } from "../core/rng";
import { bool, choice, defineSchema, int, intList, json, num, parseWithPresets, str, type ConfigOf } from "../core/schema";
import { explainedVariance, meanStd } from "../core/stats";
import { vectorEnv } from "../core/vector-env";
import { initBackend } from "../nn/backend";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../nn/categorical";
import { createMlp, mlpShapes, mlpWeights, setMlpWeights, type Mlp, type MlpSpec, type NamedTensors } from "../nn/mlp";
import { createDiscretePolicy, policyFromWeights } from "../nn/policy";
import { computeGae, nextValues } from "./advantages";
import type { Agent, AlgorithmSpec, BaseRow } from "./agent";
import { evaluatePolicy } from "./evaluate";
import { createAdam, minimize, type Adam } from "./optim";
import { checkEnvCopies, checkRolloutFits, checkStepRows, collectStepsAsync, discreteSizes, startRollout, type StepBatch } from "./rollout";
import { finiteOrNull, hasPrefixed, loopState, numberAt, numbersAt, putAdam, putPrefixed, restoreLoop, restoreVectorRollout, rngsAt, takeAdam, takePrefixed, vectorRolloutState } from "./resume";
import { createTrainingState, runTraining } from "./train-loop";

export const actorCriticSchema = defineSchema("actor-critic", {
  envId: str("TicTacToe-v0", "environment id (flat observations, discrete actions)", { positional: true, nonEmpty: true }),
  envOptions: json({}, "environment options as JSON, e.g. {\"opponent\": \"minimax\"}"),
  seed: int(1, "seed of weights, sampling, opponents and env resets", { min: 0, max: 0xffffffff }),
  numEnvs: int(16, "N: env copies stepped together", { min: 1 }),
  nSteps: int(8, "T: steps per env copy per update (the n of n-step returns)", { min: 1 }),
  totalSteps: int(2_000_000, "stop after this many env steps", { min: 1, flag: "total-steps" }),
  gamma: num(0.99, "discount factor", { min: 0, max: 1 }),
  gaeLambda: num(0.95, "lambda of GAE: 1 = n-step returns, 0 = one-step TD", { min: 0, max: 1 }),
  lr: num(1e-3, "Adam learning rate (policy and critic)", { min: 0, minExclusive: true }),
  valueCoef: num(0.5, "c_V: weight of the critic's loss", { min: 0 }),
  entropyCoef: num(0.01, "c_H: entropy bonus weight", { min: 0 }),
  maxGradNorm: num(0.5, "clip the global gradient norm to this (0 = off)", { min: 0 }),
  normalizeAdvantages: bool(true, "standardise advantages over each batch"),
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
  "CartPole-v1": { selfPlay: 0, hiddenSizes: [64, 64], activation: "tanh", totalSteps: 300_000, entropyCoef: 0, lr: 7e-4 },
};

export const actorCriticConfig = (partial: Partial<ActorCriticConfig> = {}): ActorCriticConfig => {
  const config = parseWithPresets(actorCriticSchema, ACTOR_CRITIC_PRESETS, partial as Record<string, unknown>);
  const batch = config.numEnvs * config.nSteps;
  if (config.totalSteps < batch) {
    throw new RangeError(`actor-critic config: totalSteps = ${config.totalSteps} is less than one update's steps (numEnvs × nSteps = ${config.numEnvs} × ${config.nSteps} = ${batch}); raise it or lower numEnvs / nSteps`);
  }
  checkEnvCopies("actor-critic", "numEnvs", config.numEnvs);
  checkStepRows("actor-critic", batch, `numEnvs × nSteps = ${config.numEnvs} × ${config.nSteps}: lower one of them`);
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
}

export async function createActorCriticAgent(partial: Partial<ActorCriticConfig> = {}): Promise<ActorCriticAgent> {
  const config = actorCriticConfig(partial);
  await initBackend({ quiet: true });
  const spec = envSpec(config.envId);
  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork(), poolRng = rng.fork();
  const evalSeed = (config.seed * 7919 + 1_000_003) >>> 0;

  // the self-play pool, and each env copy's opponent drawing from it game by game
  const probe = makeEnv(config.envId, { options: config.envOptions });
  const { obsSize, nActions } = discreteSizes(probe, "actor-critic");
  probe.close?.();
  checkRolloutFits("actor-critic", config.numEnvs, config.nSteps, obsSize, nActions);
  const net = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
  const pool: SelfPlayPool = {
    snapshots: [],
    weights: [],
    add(weights) {
      pool.snapshots.push(policyFromWeights("policy", net(nActions), weights).act);
      pool.weights.push(weights);
      if (pool.snapshots.length > config.poolSize) {
        pool.snapshots.shift();
        pool.weights.shift();
      }
    },
  };
  const selfPlay = config.selfPlay > 0 && spec.selfPlayOptions !== undefined;
  const envs = Array.from({ length: config.numEnvs }, () => {
    const options = selfPlay ? { ...config.envOptions, ...spec.selfPlayOptions!(config.envOptions, () => drawSnapshot()) } : config.envOptions;
    return makeEnv<Float32Array, number>(config.envId, { options });
  });
  /** Per game: a snapshot with probability selfPlay (once the pool has one), else undefined: the env's own opponent. */
  function drawSnapshot(): PolicyAct | undefined {
    if (pool.snapshots.length === 0 || poolRng.next() >= config.selfPlay) return undefined;
    return pool.snapshots[poolRng.int(pool.snapshots.length)];
  }
  const venv = vectorEnv(envs);

  const policy = createDiscretePolicy("policy", net(nActions), initRng);
  const critic = createMlp("value", net(1), initRng, { outputGain: 1 });
  const optimizer = createAdam({ lr: config.lr });
  if (selfPlay) pool.add(mlpWeights(policy.net));

  const state = createTrainingState<ActorCriticRow>();
  const rollout = startRollout(venv, nActions, config.seed);
  let envSteps = 0, episodes = 0, lastEval = NaN;
  let solved: NamedTensors | undefined;
  let lastReport: Record<string, number> | undefined;
  const recentReturns: number[] = [];

  const agent: ActorCriticAgent = {
    algorithm: "actor-critic",
    config,
    envId: config.envId,
    policy: policy.net,
    critic,
    metrics: state.metrics,
    act: policy.act,
    probs: policy.probs,
    get lastReport() {
      return lastReport;
    },
    weights: () => ({ ...mlpWeights(policy.net), ...mlpWeights(critic) }),
    checkpointWeights: () => solved ?? agent.weights(),
    setWeights(t) {
      setMlpWeights(policy.net, t);
      setMlpWeights(critic, t);
      policy.sync();
    },
    dispose() {
      policy.net.dispose();
      critic.dispose();
      optimizer.dispose();
      venv.close();
    },
    // exact when every env copy can save its state (CartPole); a two-player game's copies hold
    // opponents that are functions (self-play snapshots), so there the games in progress restart
    trainingState() {
      const tensors: NamedTensors = {};
      putPrefixed(tensors, "current", agent.weights());
      pool.weights.forEach((w, i) => putPrefixed(tensors, `pool/${i}`, w));
      if (solved) putPrefixed(tensors, "solved", solved);
      const params = [...Object.values(policy.net.params), ...Object.values(critic.params)];
      const envState = vectorRolloutState(venv, rollout);
      return {
        exact: envState !== null,
        note: envState ? undefined : `${config.envId}'s state cannot be captured: the resumed run starts new games in every env copy`,
        tensors,
        json: {
          ...loopState(state), optimizers: { ac: putAdam(tensors, "adam/ac", optimizer.getState(params)) },
          rngs: { act: actRng.getState(), pool: poolRng.getState() },
          envSteps, episodes, lastEval: finiteOrNull(lastEval), recentReturns, lastReport: lastReport ?? null, poolSize: pool.weights.length,
          rollout: envState,
        },
      };
    },
    restoreTrainingState({ json, tensors }) {
      restoreLoop(state, json);
      agent.setWeights(takePrefixed(tensors, "current"));
      const params = [...Object.values(policy.net.params), ...Object.values(critic.params)];
      optimizer.setState(params, takeAdam(tensors, "adam/ac", (json.optimizers as { ac?: unknown })?.ac));
      pool.snapshots.length = 0;
      pool.weights.length = 0;
      for (let i = 0; i < numberAt(json, "poolSize"); i++) pool.add(takePrefixed(tensors, `pool/${i}`));
      solved = hasPrefixed(tensors, "solved") ? takePrefixed(tensors, "solved") : undefined;
      const rngs = rngsAt(json);
      actRng.setState(rngs.act);
      poolRng.setState(rngs.pool);
      envSteps = numberAt(json, "envSteps");
      episodes = numberAt(json, "episodes");
      lastEval = json.lastEval === null ? NaN : numberAt(json, "lastEval");
      recentReturns.splice(0, recentReturns.length, ...numbersAt(json, "recentReturns"));
      lastReport = (json.lastReport as Record<string, number> | null) ?? undefined;
      // not captured: every copy starts a new game, seeded from the run's seed and how far it got
      restoreVectorRollout(venv, rollout, nActions, json.rollout, config.seed + 7919 * (state.metrics.length + 1));
    },
    train: (opts = {}) => runTraining(state, opts, {
      budgetLeft: () => envSteps < config.totalSteps,
      async update(signal, log, enter) {
        // 1. T steps from every env copy (opponents drawn per game from the pool inside the envs)
        await enter("collect");
        const batch = await collectStepsAsync(venv, rollout, policy, config.nSteps, actRng, signal);

        // 2–4. critic values, GAE advantages and the gradient step, in one tfjs pass
        await enter("update");
        const stats = actorCriticUpdate({ policy: policy.net, critic, optimizer }, batch, config);
        policy.sync();

        // 5. log, snapshot, evaluate
        envSteps += batch.actions.length;
        episodes += batch.episodes.length;
        const returns = batch.episodes.map((e) => e.return);
        recentReturns.push(...returns);
        recentReturns.splice(0, Math.max(0, recentReturns.length - 100));
        const update = state.metrics.length + 1;
        if (selfPlay && update % config.snapshotEvery === 0) pool.add(mlpWeights(policy.net));
        const row = log({
          update,
          episodes,
          envSteps,
          return: returns.length ? meanStd(returns).mean : NaN,
          length: batch.episodes.length ? meanStd(batch.episodes.map((e) => e.length)).mean : NaN,
          ...stats,
          poolSize: pool.snapshots.length,
          evalReturn: NaN,
        } as Omit<ActorCriticRow, "wallTime" | "sps">);
        if (update % config.evalEvery === 0) {
          await enter("evaluate");
          const report = await evaluateNow(signal);
          Object.assign(row, report);
          if (config.stopWhenSolved && report.solved === 1) {
            solved = agent.weights();
            return "target";
          }
        }
      },
      progress: () => ({ done: envSteps, total: config.totalSteps, unit: "step", fields: { return: meanStd(recentReturns).mean.toFixed(2), eval: Number.isNaN(lastEval) ? "—" : lastEval.toFixed(2) } }),
      summary: () => ({ episodes, envSteps, trainReturn: meanStd(recentReturns).mean, evalReturn: lastEval }),
      plot: { x: "envSteps", y: "return", window: 20, title: `Actor-critic on ${config.envId} (seed ${config.seed})` },
      finite: (r) => ({ policyLoss: r.policyLoss, valueLoss: r.valueLoss, gradNorm: r.gradNorm }),
    }),
  };

  async function evaluateNow(signal: AbortSignal | undefined): Promise<Record<string, number>> {
    const { mean } = await evaluatePolicy(makeEnv(config.envId, { options: config.envOptions }), policy.act, { episodes: config.evalGames, seed: evalSeed, greedy: true, signal });
    lastEval = mean;
    lastReport = { evalReturn: mean, ...(spec.evaluate?.(policy.act, { seed: evalSeed, games: config.evalGames }) ?? {}) };
    return lastReport;
  }

  return agent;
}

export interface ActorCriticNets {
  policy: Mlp;
  critic: Mlp;
  optimizer: Adam;
}

type UpdateStats = Pick<ActorCriticRow, "policyLoss" | "valueLoss" | "entropy" | "explainedVariance" | "gradNorm">;

/**
 * One actor-critic update on a T×N rollout: V_φ of every observation (and of the final observation
 * of each truncated episode, and of the observations after the last step) under the weights that
 * collected it; GAE advantages and λ-returns; then one step on the joint loss. Logged numbers in one read.
 */
export function actorCriticUpdate(nets: ActorCriticNets, batch: StepBatch, config: Pick<ActorCriticConfig, "gamma" | "gaeLambda" | "valueCoef" | "entropyCoef" | "maxGradNorm" | "normalizeAdvantages">): UpdateStats {
  const { policy, critic, optimizer } = nets;
  const n = batch.actions.length, N = batch.numEnvs, obsSize = policy.spec.inputSize, nActions = policy.spec.outputSize;

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
  const { mean: am, std: as } = meanStd(advantages);
  const adv = config.normalizeAdvantages ? Float32Array.from(advantages, (a) => (a - am) / (as + 1e-8)) : advantages;
  const explained = explainedVariance(values, returns);

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
        const logp = logSoftmax(policy.apply(obs), mask);
        const policyLoss = tf.neg(tf.mean(tf.mul(pickLogProb(logp, actions), advT))) as tf.Scalar;
        const entropy = tf.mean(entropyOfLogProbs(logp)) as tf.Scalar;
        const valueLoss = tf.mean(tf.squaredDifference(tf.squeeze(critic.apply(obs), [1]), retT)) as tf.Scalar;
        parts = { policyLoss: keep(policyLoss), valueLoss: keep(valueLoss), entropy: keep(entropy) };
        return tf.sub(tf.add(policyLoss, tf.mul(config.valueCoef, valueLoss)), tf.mul(config.entropyCoef, entropy)) as tf.Scalar;
      }, [...Object.values(policy.params), ...Object.values(critic.params)], optimizer, config.maxGradNorm);
      const [policyLoss, valueLoss, entropy, gradNorm] = tf.stack([parts.policyLoss, parts.valueLoss, parts.entropy, step.gradNorm]).dataSync();
      return { policyLoss, valueLoss, entropy, gradNorm, explainedVariance: explained };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** Actor-critic in the algorithm registry. */
export const actorCritic: AlgorithmSpec<ActorCriticConfig, ActorCriticAgent> = {
  name: "actor-critic",
  summary: "advantage actor-critic (A2C) with GAE, self-play against a pool of frozen snapshots in two-player games",
  schema: actorCriticSchema,
  presets: ACTOR_CRITIC_PRESETS,
  config: (partial) => actorCriticConfig(partial as Partial<ActorCriticConfig>),
  smokeConfig: { numEnvs: 4, nSteps: 4, totalSteps: 4 * 4 * 6, evalEvery: 3, evalGames: 4, snapshotEvery: 2, hiddenSizes: [16] },
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
};

