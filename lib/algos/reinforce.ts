/**
 * REINFORCE (Williams 1992): Monte-Carlo policy gradient, with an optional baseline.
 *
 *   repeat:
 *     1. collect N whole episodes with the current policy π_θ (N envs side by side)
 *     2. reward-to-go   G_t = Σ_{k≥t} γ^{k−t} r_k
 *     3. advantage      A_t = G_t − b(s_t)      b = 0 | batch-mean return | learned value V_φ(s_t)
 *                       (optionally standardised over the batch)
 *     4. policy step    L(θ) = −mean_t[ log π_θ(a_t|s_t) · A_t ] − β·mean_t H(π_θ(·|s_t))
 *        value step     L(φ) = mean_t (V_φ(s_t) − G_t)²          (baseline "value" only)
 *     5. log; stop when the last episodes reach the target and a greedy evaluation confirms it
 *
 * Acting uses a plain typed-array copy of the policy (lib/nn/fast-forward): for the default net it
 * takes ~10 µs per forward at 1 row against ~29 µs for one tfjs-wasm call, and about the same as
 * tfjs at the 8 rows of a full collection batch (~43 vs ~38 µs; figs/bench.json), with no tensors
 * to manage. Each update is one tfjs pass over the whole batch inside tf.tidy (~7 ms at 512 steps,
 * ~33 ms at 4000), and then the typed-array copy is refreshed.
 *
 * Interrupts: the training loop calls `checkpoint(signal)` once per update, so a notebook interrupt
 * or Ctrl-C stops it between updates. The agent is an object that outlives `train()`: build it with
 * `createReinforceAgent`, and after an interrupt `agent` still holds the weights and metrics learned
 * so far. `train()` rethrows the AbortError by default (so a notebook cell shows as interrupted);
 * pass `onAbort: "return"` to get a result with `stopped: "aborted"` instead (the CLI does).
 */
import * as tf from "@tensorflow/tfjs";
import { checkpoint, isAbortError, resolveSignal } from "../core/abort";
import type { Env } from "../core/env";
import { makeEnv } from "../core/registry";
import { createRng, type Rng } from "../core/rng";
import { flatSize } from "../core/spaces";
import { initBackend } from "../nn/backend";
import { entropyOfLogProbs, greedyAction, logSoftmax, pickLogProb, sampleAction } from "../nn/categorical";
import { createFastMlp, syncFastMlp, type FastMlp } from "../nn/fast-forward";
import { createMlp, mlpWeights, setMlpWeights, type Activation, type Mlp, type MlpSpec, type NamedTensors } from "../nn/mlp";
import { evaluatePolicy, type ActFn } from "./evaluate";
import { meanStd, rewardToGo } from "./returns";

export type Baseline = "none" | "mean" | "value";

export interface ReinforceConfig {
  /** Environment id (registry name); observations must be flat Float32Arrays, actions discrete. */
  envId: string;
  /** Seed of the run: weights, action sampling and environment resets all derive from it. */
  seed: number;
  /** Episodes collected (in parallel, one per env copy) for each policy update. */
  episodesPerUpdate: number;
  /** Stop after this many training episodes. */
  maxEpisodes: number;
  /** Discount factor γ of the reward-to-go. */
  gamma: number;
  /** Adam learning rate of the policy. */
  lr: number;
  /** Adam learning rate of the value network (baseline "value"). */
  valueLr: number;
  /** Hidden layer widths of the policy and value MLPs. */
  hiddenSizes: number[];
  /** Hidden activation. */
  activation: Activation;
  /** What to subtract from G_t: nothing, the batch-mean return, or a learned V(s). */
  baseline: Baseline;
  /** Standardise advantages over each batch (with baseline "none": the returns themselves). */
  normalizeAdvantages: boolean;
  /** β, weight of the entropy bonus. */
  entropyCoef: number;
  /** Clip the global gradient norm of each network to this (0 = no clipping). */
  maxGradNorm: number;
  /** Training-return target: when the mean of the last `targetWindow` episodes reaches it, evaluate (0 = never). */
  targetReturn: number;
  /** Episodes in the moving average compared with `targetReturn`. */
  targetWindow: number;
  /** Greedy evaluation episodes run when the target is hit (and at the end). */
  evalEpisodes: number;
  /** Stop when the greedy evaluation mean reaches this (0 = train the whole budget). */
  evalThreshold: number;
}

/** Defaults tuned on CartPole-v1 (see figs/README.md for the 5-seed results). */
export const REINFORCE_DEFAULTS: Readonly<ReinforceConfig> = Object.freeze({
  envId: "CartPole-v1",
  seed: 1,
  episodesPerUpdate: 8,
  maxEpisodes: 5000,
  gamma: 0.99,
  lr: 2e-3,
  valueLr: 5e-3,
  hiddenSizes: [64, 64],
  activation: "tanh" as Activation,
  baseline: "value" as Baseline,
  normalizeAdvantages: true,
  entropyCoef: 0,
  maxGradNorm: 1,
  targetReturn: 490,
  targetWindow: 20,
  evalEpisodes: 100,
  evalThreshold: 475,
});

/** One-line help per config field, for `tsrl train reinforce --help` (CleanRL's flag help strings). */
export const REINFORCE_HELP: Readonly<Record<keyof ReinforceConfig, string>> = Object.freeze({
  envId: "environment id (positional in the CLI)",
  seed: "seed for weights, action sampling and env resets",
  episodesPerUpdate: "episodes collected (in parallel) per policy update",
  maxEpisodes: "stop after this many training episodes",
  gamma: "discount factor of the reward-to-go",
  lr: "Adam learning rate of the policy",
  valueLr: "Adam learning rate of the value baseline",
  hiddenSizes: "hidden layer widths, comma-separated",
  activation: "hidden activation: tanh | relu",
  baseline: "subtracted from G_t: none | mean | value",
  normalizeAdvantages: "standardise advantages per batch",
  entropyCoef: "entropy bonus weight beta",
  maxGradNorm: "clip each network's gradient norm to this (0 = off)",
  targetReturn: "evaluate when the last target-window training episodes average this (0 = never)",
  targetWindow: "episodes in the training-return moving average",
  evalEpisodes: "greedy evaluation episodes when the target is hit",
  evalThreshold: "stop when the greedy evaluation mean reaches this (0 = never)",
});

/** What kind of value a config field holds: for parsers (the CLI's flags) and for validation. */
export type FieldKind = "integer" | "number" | "boolean" | "string" | "integer-list" | { choices: readonly string[] };

export const REINFORCE_FIELD_KINDS: Readonly<Record<keyof ReinforceConfig, FieldKind>> = Object.freeze({
  envId: "string",
  seed: "integer",
  episodesPerUpdate: "integer",
  maxEpisodes: "integer",
  gamma: "number",
  lr: "number",
  valueLr: "number",
  hiddenSizes: "integer-list",
  activation: { choices: ["tanh", "relu"] },
  baseline: { choices: ["none", "mean", "value"] },
  normalizeAdvantages: "boolean",
  entropyCoef: "number",
  maxGradNorm: "number",
  targetReturn: "number",
  targetWindow: "integer",
  evalEpisodes: "integer",
  evalThreshold: "number",
});

/** One row per update; columns of metrics.csv. */
export interface ReinforceRow {
  update: number;
  /** Training episodes so far. */
  episodes: number;
  /** Environment steps so far (steps of collected episodes). */
  envSteps: number;
  /** Mean / min / max undiscounted return of this update's episodes. */
  return: number;
  returnMin: number;
  returnMax: number;
  /** Mean episode length of this update's episodes. */
  length: number;
  /** Mean return of the last `targetWindow` training episodes. */
  trainReturn: number;
  /** Total policy loss (with entropy term), its policy-gradient part, the value loss (NaN without a value net). */
  loss: number;
  policyLoss: number;
  valueLoss: number;
  /** Mean policy entropy over the batch (nats). */
  entropy: number;
  /** Policy gradient global norm before clipping. */
  gradNorm: number;
  /** Greedy evaluation mean, when one ran after this update; else NaN. */
  evalReturn: number;
  /** Seconds since training started, and environment steps per second so far. */
  wallTime: number;
  sps: number;
}

export interface ReinforceProgress {
  episodes: number;
  maxEpisodes: number;
  envSteps: number;
  /** Mean of the last `targetWindow` training episodes. */
  meanReturn: number;
  sps: number;
  /** Seconds. */
  elapsed: number;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onProgress?: (p: ReinforceProgress) => void;
  onUpdate?: (row: ReinforceRow, agent: ReinforceAgent) => void;
  /** On interrupt: rethrow the AbortError (default; the agent keeps its state) or return with stopped "aborted". */
  onAbort?: "throw" | "return";
}

export type StopReason = "done" | "target" | "aborted";

export interface ReinforceResult {
  stopped: StopReason;
  episodes: number;
  envSteps: number;
  /** Seconds of training. */
  wallTime: number;
  /** Mean return of the last `targetWindow` training episodes. */
  trainReturn: number;
  /** Best greedy evaluation mean seen (NaN if none ran); the agent holds those weights. */
  evalReturn: number;
  /** Episodes and env steps when the agent first passed `evalThreshold` in evaluation (else NaN). */
  solvedAtEpisode: number;
  solvedAtEnvSteps: number;
  metrics: ReinforceRow[];
}

export interface ReinforceAgent {
  readonly config: ReinforceConfig;
  readonly policy: Mlp;
  /** The learned baseline, when `baseline` is "value". */
  readonly value?: Mlp;
  /** Rows logged so far (grows during training; survives interrupts). */
  readonly metrics: ReinforceRow[];
  /** Picks an action (typed-array forward of the current policy). */
  act: ActFn;
  train(opts?: TrainOptions): Promise<ReinforceResult>;
  /** All weights by name (`policy/l0/w`, …, `value/l0/w`, …) for checkpoints. */
  weights(): NamedTensors;
  /** Loads weights by name; throws naming a missing or mis-shaped one. */
  setWeights(t: NamedTensors): void;
  dispose(): void;
}

/** Validates a config (fills defaults); throws naming the bad field and what was expected. */
export function reinforceConfig(partial: Partial<ReinforceConfig> = {}): ReinforceConfig {
  const c: ReinforceConfig = { ...REINFORCE_DEFAULTS, hiddenSizes: [...REINFORCE_DEFAULTS.hiddenSizes], ...partial };
  const bad = (field: string, expected: string) => new RangeError(`reinforce config: ${field} = ${JSON.stringify((c as unknown as Record<string, unknown>)[field])}, expected ${expected}`);
  const posInt = (k: keyof ReinforceConfig) => { if (!Number.isInteger(c[k]) || (c[k] as number) < 1) throw bad(k, "a positive integer"); };
  posInt("episodesPerUpdate"); posInt("maxEpisodes"); posInt("targetWindow"); posInt("evalEpisodes");
  if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed > 0xffffffff) throw bad("seed", "an integer in [0, 2^32)");
  if (!(c.gamma >= 0 && c.gamma <= 1)) throw bad("gamma", "a number in [0, 1]");
  for (const k of ["lr", "valueLr"] as const) if (!(c[k] > 0)) throw bad(k, "a positive number");
  for (const k of ["entropyCoef", "maxGradNorm", "targetReturn", "evalThreshold"] as const) if (!(c[k] >= 0)) throw bad(k, "a number ≥ 0");
  if (!Array.isArray(c.hiddenSizes) || c.hiddenSizes.length === 0 || !c.hiddenSizes.every((h) => Number.isInteger(h) && h > 0)) throw bad("hiddenSizes", "a non-empty list of positive integers");
  for (const k of ["activation", "baseline"] as const) {
    const { choices } = REINFORCE_FIELD_KINDS[k] as { choices: readonly string[] };
    if (!choices.includes(c[k])) throw bad(k, `one of ${choices.map((x) => JSON.stringify(x)).join(", ")}`);
  }
  return c;
}

/**
 * L = −mean_t[ log π(a_t|s_t) · A_t ] − β · mean_t H(π(·|s_t)), as a pure function of tensors.
 * `logits` [T, nActions], `actions` [T] (int32), `advantages` [T] (constants: pass plain tensors, not variables), `mask`
 * [T, nActions] optional (1 = legal). Returns the scalar loss and its two parts.
 */
export function reinforceLoss(
  logits: tf.Tensor2D,
  actions: tf.Tensor1D,
  advantages: tf.Tensor1D,
  entropyCoef: number,
  mask?: tf.Tensor2D,
): { loss: tf.Scalar; policyLoss: tf.Scalar; entropy: tf.Scalar } {
  return tf.tidy(() => {
    const logp = logSoftmax(logits, mask); // log π(·|s_t), built once for both terms
    const policyLoss = tf.neg(tf.mean(tf.mul(pickLogProb(logp, actions), advantages))) as tf.Scalar;
    const entropy = tf.mean(entropyOfLogProbs(logp)) as tf.Scalar;
    const loss = tf.sub(policyLoss, tf.mul(entropyCoef, entropy)) as tf.Scalar;
    return { loss, policyLoss, entropy };
  });
}

/** A batch of whole episodes, laid out episode after episode. */
interface EpisodeBatch {
  obs: Float32Array; // [T, obsSize]
  actions: Int32Array; // [T]
  rewards: Float32Array; // [T]
  episodeEnds: Uint8Array; // [T], 1 on each episode's last step
  returns: number[]; // undiscounted, one per episode
  lengths: number[];
}

export async function createReinforceAgent(partial: Partial<ReinforceConfig> = {}): Promise<ReinforceAgent> {
  const config = reinforceConfig(partial);
  await initBackend();
  // one copy of the env per episode of a batch; collectEpisodes steps only the copies still running
  const envs = Array.from({ length: config.episodesPerUpdate }, () => makeEnv<Float32Array, number>(config.envId));
  const obsSpace = envs[0].observationSpace, actSpace = envs[0].actionSpace;
  if (actSpace.kind !== "discrete") throw new RangeError(`REINFORCE here needs a discrete action space; ${config.envId} has ${actSpace.kind}`);
  const obsSize = flatSize(obsSpace), nActions = actSpace.n;

  // one seed → independent streams for weights, actions and evaluation
  const rng = createRng(config.seed);
  const initRng = rng.fork(), actRng = rng.fork();
  const evalSeed = (config.seed * 7919 + 1_000_003) >>> 0;

  const netSpec = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
  const policy = createMlp("policy", netSpec(nActions), initRng, { outputGain: 0.01 });
  const value = config.baseline === "value" ? createMlp("value", netSpec(1), initRng, { outputGain: 1 }) : undefined;
  const fastPolicy = createFastMlp(policy.spec); // acting copy of the policy; tfjs holds the truth
  syncFastMlp(fastPolicy, policy);
  const policyOpt = tf.train.adam(config.lr);
  const valueOpt = value ? tf.train.adam(config.valueLr) : undefined;

  const metrics: ReinforceRow[] = [];
  const recentReturns: number[] = [];
  let episodes = 0, envSteps = 0, updates = 0, trainSeconds = 0;
  let best: { evalReturn: number; weights: NamedTensors } | undefined;
  let solvedAt: { episodes: number; envSteps: number } | undefined;
  let envSeeded = false; // the first collection seeds copy i with seed + i; later ones continue their generators

  const act: ActFn = (obs, { greedy, rng: r }) => {
    const logits = fastPolicy.forward(obs, 1);
    return greedy ? greedyAction(logits, 0, nActions) : sampleAction(logits, 0, nActions, r);
  };

  const agent: ReinforceAgent = {
    config,
    policy,
    value,
    metrics,
    act,
    weights: () => ({ ...mlpWeights(policy), ...(value ? mlpWeights(value) : {}) }),
    setWeights(t) {
      setMlpWeights(policy, t);
      if (value) setMlpWeights(value, t);
      syncFastMlp(fastPolicy, policy);
    },
    dispose() {
      policy.dispose();
      value?.dispose();
      policyOpt.dispose();
      valueOpt?.dispose();
      for (const env of envs) env.close?.();
    },
    async train(opts = {}) {
      const signal = resolveSignal(opts.signal);
      const started = performance.now() - trainSeconds * 1000; // resuming keeps the clock running
      const elapsed = () => (performance.now() - started) / 1000;
      let stopped: StopReason = "done";
      try {
        while (episodes < config.maxEpisodes) {
          await checkpoint(signal);

          // 1. collect whole episodes with the current policy (the first collection seeds the env copies)
          const batch = collectEpisodes(envs, fastPolicy, obsSize, nActions, actRng, envSeeded ? undefined : config.seed);
          envSeeded = true;

          // 2. reward-to-go
          const returns = rewardToGo(batch.rewards, batch.episodeEnds, config.gamma);

          // 3. advantages and 4. the gradient steps: one tfjs pass, V_φ(s_t) computed once (reinforceUpdate)
          const stats = reinforceUpdate({ policy, value, policyOpt, valueOpt }, { obs: batch.obs, actions: batch.actions, returns }, config);
          syncFastMlp(fastPolicy, policy);

          // 5. log (the row goes in before any evaluation, so an interrupt there keeps it), then the stopping rule
          updates++;
          episodes += batch.returns.length;
          envSteps += batch.actions.length;
          recentReturns.push(...batch.returns);
          recentReturns.splice(0, Math.max(0, recentReturns.length - config.targetWindow));
          const trainReturn = meanStd(recentReturns).mean;
          const row: ReinforceRow = {
            update: updates,
            episodes,
            envSteps,
            return: meanStd(batch.returns).mean,
            returnMin: Math.min(...batch.returns),
            returnMax: Math.max(...batch.returns),
            length: meanStd(batch.lengths).mean,
            trainReturn,
            ...stats,
            evalReturn: NaN,
            wallTime: 0,
            sps: 0,
          };
          const clockRow = () => {
            row.wallTime = trainSeconds = elapsed();
            row.sps = envSteps / Math.max(row.wallTime, 1e-9);
          };
          clockRow();
          metrics.push(row);
          if (config.targetReturn > 0 && recentReturns.length >= config.targetWindow && trainReturn >= config.targetReturn) {
            row.evalReturn = await evaluateAndKeepBest(signal);
            clockRow(); // the evaluation's time counts as training time
          }
          opts.onUpdate?.(row, agent);
          opts.onProgress?.({ episodes, maxEpisodes: config.maxEpisodes, envSteps, meanReturn: trainReturn, sps: row.sps, elapsed: row.wallTime });
          if (config.evalThreshold > 0 && row.evalReturn >= config.evalThreshold) {
            stopped = "target";
            break;
          }
        }
        // budget spent: keep whichever is better, the final weights or the best evaluated ones
        if (stopped === "done" && config.evalThreshold > 0) await evaluateAndKeepBest(signal);
      } catch (err) {
        if (!isAbortError(err)) throw err;
        stopped = "aborted";
        trainSeconds = elapsed();
        if ((opts.onAbort ?? "throw") === "throw") throw err;
      }
      trainSeconds = elapsed();
      return {
        stopped,
        episodes,
        envSteps,
        wallTime: trainSeconds,
        trainReturn: meanStd(recentReturns).mean,
        evalReturn: best?.evalReturn ?? NaN,
        solvedAtEpisode: solvedAt?.episodes ?? NaN,
        solvedAtEnvSteps: solvedAt?.envSteps ?? NaN,
        metrics,
      };
    },
  };

  /** Greedy evaluation of the current weights; remembers (and, if worse, restores) the best. */
  async function evaluateAndKeepBest(signal: AbortSignal | undefined): Promise<number> {
    const { mean } = await evaluatePolicy(config.envId, act, { episodes: config.evalEpisodes, seed: evalSeed, greedy: true, signal });
    if (!solvedAt && config.evalThreshold > 0 && mean >= config.evalThreshold) solvedAt = { episodes, envSteps };
    if (!best || mean >= best.evalReturn) best = { evalReturn: mean, weights: agent.weights() };
    else if (best) agent.setWeights(best.weights);
    return mean;
  }

  return agent;
}

/** The networks and optimisers one update touches. */
export interface ReinforceNets {
  policy: Mlp;
  value?: Mlp;
  policyOpt: tf.Optimizer;
  valueOpt?: tf.Optimizer;
}

/** What one update needs from a batch: observations [T, obsSize], the actions taken [T] and their reward-to-go G_t [T]. */
export interface UpdateBatch {
  obs: Float32Array;
  actions: Int32Array;
  returns: Float32Array;
}

export interface UpdateStats {
  loss: number;
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  gradNorm: number;
}

/**
 * A_t = G_t − b(s_t) with b = 0 ("none"), the batch mean of G ("mean") or V_φ(s_t) ("value", from
 * `values`); then, optionally, standardised over the batch: (A − mean A) / (std A + 1e-8).
 */
export function computeAdvantages(returns: tf.Tensor1D, baseline: Baseline, values: tf.Tensor1D | undefined, normalize: boolean): tf.Tensor1D {
  return tf.tidy(() => {
    let adv: tf.Tensor1D;
    if (baseline === "value") {
      if (!values) throw new RangeError('computeAdvantages: baseline "value" needs the values V(s_t)');
      adv = tf.sub(returns, values);
    } else if (baseline === "mean") {
      adv = tf.sub(returns, tf.mean(returns));
    } else {
      adv = returns;
    }
    if (!normalize) return adv;
    const { mean, variance } = tf.moments(adv);
    return tf.div(tf.sub(adv, mean), tf.add(tf.sqrt(variance), 1e-8));
  });
}

/**
 * One REINFORCE update on a batch, in tfjs inside tf.tidy (no tensor outlives the call):
 *
 *   V_φ(s_t)      value net forward under the weights that collected the batch — computed once,
 *                 for both the baseline and the value loss L(φ) = mean_t (V_φ(s_t) − G_t)²
 *   A_t           computeAdvantages (baseline, optional standardisation)
 *   policy step   gradient of reinforceLoss, clipped to maxGradNorm, one Adam step
 *   value step    gradient of L(φ), clipped, one Adam step (baseline "value" only)
 *
 * The logged numbers come back in one read.
 */
export function reinforceUpdate(
  nets: ReinforceNets,
  batch: UpdateBatch,
  config: Pick<ReinforceConfig, "baseline" | "normalizeAdvantages" | "entropyCoef" | "maxGradNorm">,
): UpdateStats {
  const { policy, value, policyOpt, valueOpt } = nets;
  const T = batch.actions.length;
  const obsSize = policy.spec.inputSize;
  const kept: tf.Tensor[] = []; // outputs kept past variableGrads' own tidy, disposed at the end
  const keep = <X extends tf.Tensor>(x: X): X => (kept.push(tf.keep(x)), x);
  try {
    return tf.tidy(() => {
      const obs = tf.tensor2d(batch.obs, [T, obsSize]);
      const actions = tf.tensor1d(batch.actions, "int32");
      const returns = tf.tensor1d(batch.returns);

      // V_φ(s_t) and the value loss's gradient (applied after the policy step)
      let values: tf.Tensor1D | undefined;
      let valueStep: { loss: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      if (value && valueOpt) {
        const { value: loss, grads } = tf.variableGrads(() => {
          values = keep(tf.squeeze(value.apply(obs), [1]) as tf.Tensor1D);
          return tf.mean(tf.squaredDifference(values, returns)) as tf.Scalar;
        }, Object.values(value.params));
        valueStep = { loss, grads };
      }

      // advantages (constants for the policy gradient)
      const adv = computeAdvantages(returns, config.baseline, values, config.normalizeAdvantages);

      // policy step
      let parts!: { policyLoss: tf.Scalar; entropy: tf.Scalar };
      const { value: loss, grads } = tf.variableGrads(() => {
        const out = reinforceLoss(policy.apply(obs), actions, adv, config.entropyCoef);
        parts = { policyLoss: keep(out.policyLoss), entropy: keep(out.entropy) };
        return out.loss;
      }, Object.values(policy.params));
      const gradNorm = clipGradients(grads, config.maxGradNorm);
      policyOpt.applyGradients(grads as unknown as Record<string, tf.Variable>);

      // value step
      if (valueStep && valueOpt) {
        clipGradients(valueStep.grads, config.maxGradNorm);
        valueOpt.applyGradients(valueStep.grads as unknown as Record<string, tf.Variable>);
      }

      const [l, pl, vl, h, g] = tf.stack([loss, parts.policyLoss, valueStep?.loss ?? tf.scalar(NaN), parts.entropy, gradNorm]).dataSync();
      return { loss: l, policyLoss: pl, valueLoss: vl, entropy: h, gradNorm: g };
    });
  } finally {
    tf.dispose(kept);
  }
}

/** Creates an agent and trains it: the one-call form (for the CLI and tests). */
export async function trainReinforce(partial: Partial<ReinforceConfig> = {}, opts: TrainOptions = {}): Promise<{ agent: ReinforceAgent; result: ReinforceResult }> {
  const agent = await createReinforceAgent(partial);
  const result = await agent.train(opts);
  return { agent, result };
}

/**
 * Runs one episode in each env copy with actions sampled from `policy`, and returns them back to
 * back. Only the copies still running are stepped, and the policy's forward pass is batched over
 * those rows. With `seed`, copy i is reset with seed + i (wrapped to 32 bits); without, each copy's
 * generator continues where it was.
 */
function collectEpisodes(envs: readonly Env<Float32Array, number>[], policy: FastMlp, obsSize: number, nActions: number, rng: Rng, seed?: number): EpisodeBatch {
  const n = envs.length;
  const current = envs.map((env, i) => env.reset(seed === undefined ? {} : { seed: (seed + i) >>> 0 }).obs);
  const perEnv = Array.from({ length: n }, () => ({ obs: [] as Float32Array[], actions: [] as number[], rewards: [] as number[] }));
  const returns = new Array<number>(n).fill(0);
  const obsBatch = new Float32Array(n * obsSize);
  let running = Array.from({ length: n }, (_, i) => i); // copies whose episode has not ended
  while (running.length > 0) {
    running.forEach((i, row) => obsBatch.set(current[i], row * obsSize));
    const logits = policy.forward(obsBatch, running.length);
    const stillRunning: number[] = [];
    running.forEach((i, row) => {
      const action = sampleAction(logits, row, nActions, rng);
      const r = envs[i].step(action);
      const ep = perEnv[i];
      ep.obs.push(current[i]);
      ep.actions.push(action);
      ep.rewards.push(r.reward);
      returns[i] += r.reward;
      current[i] = r.obs;
      if (!(r.terminated || r.truncated)) stillRunning.push(i);
    });
    running = stillRunning;
  }
  const T = perEnv.reduce((s, e) => s + e.actions.length, 0);
  const batch: EpisodeBatch = {
    obs: new Float32Array(T * obsSize),
    actions: new Int32Array(T),
    rewards: new Float32Array(T),
    episodeEnds: new Uint8Array(T),
    returns,
    lengths: perEnv.map((e) => e.actions.length),
  };
  let t = 0;
  for (const ep of perEnv) {
    for (let k = 0; k < ep.actions.length; k++, t++) {
      batch.obs.set(ep.obs[k], t * obsSize);
      batch.actions[t] = ep.actions[k];
      batch.rewards[t] = ep.rewards[k];
    }
    batch.episodeEnds[t - 1] = 1;
  }
  return batch;
}

/**
 * Scales `grads` in place so their global L2 norm is at most `maxNorm` (0 = leave them); returns the
 * norm before clipping. Call inside tf.tidy: the replaced and intermediate tensors belong to it.
 */
export function clipGradients(grads: tf.NamedTensorMap, maxNorm: number): tf.Scalar {
  const norm = tf.sqrt(tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g))))) as tf.Scalar;
  if (maxNorm > 0) {
    const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
    for (const k of Object.keys(grads)) grads[k] = tf.mul(grads[k], scale);
  }
  return norm;
}
