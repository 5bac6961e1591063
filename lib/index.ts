/**
 * tsrl's public API: what notebooks, scripts and the README use, named one by one (a test pins its
 * size, tests/api.test.ts). Everything else is reachable through subpaths — an environment family's
 * own tools at `tsrl/envs/cartpole`, `tsrl/envs/tictactoe`, `tsrl/envs/lunar-lander`,
 * `tsrl/envs/edit`; GPT-2 at `tsrl/nn/gpt2`; language-model data and rewards at `tsrl/lm`; any
 * module at `tsrl/<folder>/<module>`.
 *
 *   import { makeEnv, createAgent, show, learningCurve } from "tsrl";
 *
 * Importing it has no side effect a user would notice: the built-in environments register with
 * `makeEnv` (lib/envs/registry), and the TensorFlow.js backend is only chosen by `initBackend()`
 * (which agents call), never switched by an import.
 */
import * as tf from "@tensorflow/tfjs";

/** TensorFlow.js itself, once, under its own name. */
export { tf };

// ─── setup, environments, randomness ──────────────────────────────────────────────────────────────
export { backendInfo, initBackend } from "./nn/backend";
export { budget, isQuick } from "./quick";
export { createRng, type Rng } from "./core/rng";
export { envSpec, makeEnv, makeVectorEnv, registerEnv, registeredEnvs } from "./envs/registry";
export type { EnvSpec } from "./core/registry";
export { InvalidActionError, type Env, type Info } from "./core/env";
export { box, discrete, type Space } from "./core/spaces";

// ─── agents: any algorithm by name, on disk, evaluated ────────────────────────────────────────────
export { algorithmNames, createAgent, loadAgent, loadPolicy } from "./algos/registry";
export { loadMetrics, saveAgent, type LoadedPolicy } from "./algos/checkpoint";
export { evaluatePolicy, type ActFn } from "./algos/evaluate";
export type { Agent, AgentAlgorithm, AgentConfig, BaseRow, TrainOptions, TrainResult } from "./algos/agent";

// ─── the pieces every training loop is made of: rollout, advantages, losses, optimisers ───────────
export { collectEpisodes, collectSteps, startRollout, type DiscreteActor, type EpisodeBatch, type RolloutState, type StepBatch } from "./algos/rollout";
export { baselineAdvantages, computeGae, groupAdvantages, nextValues, rankAdvantages, rewardToGo } from "./algos/advantages";
export { explainedVariance, meanStd, standardize } from "./core/stats";
export { clippedSurrogate, klK3 } from "./algos/surrogate";
export { entropyOfLogProbs, logSoftmax, pickLogProb } from "./nn/categorical";
export { createMlp, type Mlp, type MlpSpec, type NamedTensors } from "./nn/mlp/mlp";
export { createDiscretePolicy } from "./nn/mlp/policy";
export { createPolicyNet, frozenPolicyNet, type FrozenPolicy, type TrainablePolicy } from "./nn/policy-nets";
export { clipByGlobalNorm, createAdam, minimize, type Adam } from "./nn/optim";

// ─── the algorithms: each one's agent, config and update step ─────────────────────────────────────
export { createReinforceAgent, reinforceConfig, reinforceLoss, reinforceUpdate, type ReinforceAgent, type ReinforceConfig, type ReinforceNets, type ReinforceRow } from "./algos/reinforce";
export {
  actorCriticAdvantages, actorCriticConfig, actorCriticUpdate, createActorCriticAgent,
  type ActorCriticAgent, type ActorCriticConfig, type ActorCriticNets, type ActorCriticRow, type ActorCriticTargets,
} from "./algos/actor-critic";
export { createPpoAgent, ppoAdvantages, ppoConfig, ppoUpdate, type PpoAgent, type PpoBatch, type PpoConfig, type PpoRow } from "./algos/ppo";
export { createPpoNets, syntheticPpoMinibatch, type PpoMinibatch, type PpoNets } from "./algos/ppo-nets";
export { ppoLoss, ppoPolicyLoss, ppoValueLoss } from "./algos/ppo-loss";
export { createGrpoAgent, grpoAdvantages, grpoConfig, grpoRollout, grpoUpdate, logProbsUnder, type GrpoAgent, type GrpoBatch, type GrpoConfig, type GrpoRow } from "./algos/grpo";
export { createGrpoLmTrainer, grpoLmConfig, type GrpoLmConfig, type GrpoLmRow, type GrpoLmTrainer } from "./algos/grpo-lm";
export { ADVANTAGE_EPS, grpoLmLoss, lmGroupAdvantages } from "./algos/grpo-lm-loss";

// ─── pictures, tables and charts in a notebook ────────────────────────────────────────────────────
export { show } from "./viz/show";
export { showAnimation, showSvg } from "./viz/picture";
export { display, trackWork, type MimeBundle } from "./viz/display";
export { table } from "./viz/table";
export { barChart, concat, histogram, layer, learningCurve, lineChart, ruleY, scatterChart, seedBand } from "./viz/charts";
export type { VegaLiteSpec } from "./viz/spec";
export { liveChart } from "./viz/live";
export { progress } from "./viz/progress";
export { save } from "./viz/save";
export { diffView } from "./viz/diff";

// ─── results on disk ──────────────────────────────────────────────────────────────────────────────
export { readCsv } from "./data/csv";
export { createMetricsLog, writeCsv, type MetricsRow } from "./data/metrics";
export { datasetsDir, figsDir, runsDir } from "./data/paths";

// ─── exercises that check themselves ──────────────────────────────────────────────────────────────
export { checkAll, checkFunction, checkThat, checkValue } from "./teach/check";
export { cartPoleStates, rewardToGoCases, standardizeCases } from "./teach/cases";
