/**
 * What `tsrl train <algorithm> <env>` runs, whatever the pair: one interface, so the command has one
 * path. The registry (./registry.ts) resolves a pair to a Trainer: an agent algorithm on an
 * environment of the env registry (`agentTrainer`: created, saved and resumed as agent checkpoints,
 * ./checkpoint.ts), or GRPO on a GPT-2 (`GPT2`: ./grpo-gpt2.ts, a Hugging Face model directory with
 * the run).
 */
import * as path from "node:path";
import { NonFiniteError } from "../core/finite";
import type { ConfigSchema, Fields } from "../core/schema";
import { CheckpointError, loadCheckpoint, nonFiniteProblems } from "../data/checkpoint";
import type { Agent, AgentAlgorithm, AgentConfig, BaseRow, TrainOptions, TrainResult } from "./agent";
import { openAgent, saveAgent, type AlgorithmLookup } from "./checkpoint";

export interface Trainer {
  /** The algorithm's name on the command line ("grpo"). */
  readonly algorithm: string;
  /** One line for `tsrl train --help`. */
  readonly summary: string;
  /** What it trains on, in words, for --help and errors ("any environment of the env registry", "GPT2: …"). */
  readonly trainsOn: string;
  /** The <env> argument as usage lines write it: "<env>", or the one env it takes ("GPT2"). */
  readonly envArgument: string;
  /** What one logged row is: "update", or "step" (a GPT-2's generation batch); messages say it. */
  readonly unit: string;
  /** Every option, one field each: the command's flags and their --help. */
  readonly schema: ConfigSchema<Fields>;
  /** Whether `envId` is what it trains on (the registry asks the more specific trainers first). */
  accepts(envId: string): boolean;
  /** The validated config of a run (`partial` holds the env id); throws a RangeError naming a bad field. */
  config(partial: Record<string, unknown>): AgentConfig;
  /** The options a run of this pair saved in `dir` (for --resume); throws naming why `dir` holds none. */
  savedConfig(dir: string, envId: string): Record<string, unknown>;
  /** A new run. Input it cannot use (a model directory, a reward) is a RangeError naming it. */
  start(config: AgentConfig): Promise<TrainingRun>;
  /** The run saved in `dir`, its training state put back: train() continues it. */
  resume(dir: string, config: AgentConfig): Promise<TrainingRun>;
}

/** A run in progress: what the command trains, saves and reports. */
export interface TrainingRun {
  readonly metrics: readonly BaseRow[];
  train(opts: TrainOptions<BaseRow>): Promise<TrainResult<BaseRow>>;
  /**
   * Writes the run to `dir` (all of it, atomically; replacing this run's own directory), `result`
   * undefined while training or after a failure. A NonFiniteError when the weights are not finite
   * (nothing is written).
   */
  save(dir: string, result: TrainResult<BaseRow> | undefined, opts?: { inexact?: string; failed?: boolean }): string;
  /** Why continuing it is not exactly the uninterrupted run, when it is not (a resumed run). */
  readonly inexactNote?: string;
  /** The JSON summary's own fields and one line for a human, after training. */
  summary(result: TrainResult<BaseRow>): { fields: Record<string, unknown>; line: string };
  dispose(): void;
}

/** An agent algorithm as a Trainer: agents of any registered environment, saved as agent checkpoints. */
export function agentTrainer(algorithm: AgentAlgorithm, algorithms: AlgorithmLookup): Trainer {
  return {
    algorithm: algorithm.name,
    summary: algorithm.summary,
    trainsOn: "any environment of the env registry",
    envArgument: "<env>",
    unit: "update",
    schema: algorithm.schema,
    accepts: () => true,
    config: (partial) => algorithm.config(partial),
    savedConfig(dir, envId) {
      let config: Record<string, unknown>;
      try {
        config = loadCheckpoint(dir, { metrics: false, allowNonFinite: true }).config;
      } catch (err) {
        if (err instanceof CheckpointError) throw new RangeError(`--resume ${err.message}`);
        throw err;
      }
      if (config.algorithm !== algorithm.name || config.env !== envId) {
        throw new RangeError(`--resume ${path.resolve(dir)}: holds a ${String(config.algorithm)} run on ${String(config.env)}, not ${algorithm.name} on ${envId}`);
      }
      const h = config.hyperparameters;
      return typeof h === "object" && h !== null ? (h as Record<string, unknown>) : {};
    },
    start: async (config) => agentRun(await algorithm.create(config)),
    resume: async (dir, config) => agentRun(await openAgent(dir, algorithms, { resume: true, config })),
  };
}

function agentRun(agent: Agent<AgentConfig, BaseRow>): TrainingRun {
  const snapshot = agent.trainingState?.();
  return {
    metrics: agent.metrics,
    train: (opts) => agent.train(opts),
    inexactNote: snapshot && !snapshot.exact ? snapshot.note ?? "" : undefined,
    save(dir, result, opts = {}) {
      if (!result) {
        // a periodic save: weights that are not finite mean the run diverged, and must not replace the last good checkpoint
        const bad = nonFiniteProblems(agent.checkpointWeights());
        if (bad.length) throw new NonFiniteError(`update ${agent.metrics.length}: the weights are not finite (${bad[0]})`);
      }
      return saveAgent(dir, agent, result, { overwrite: true, inexact: opts.inexact });
    },
    summary: (result) => ({
      fields: {
        updates: result.updates,
        episodes: result.episodes,
        envSteps: result.envSteps,
        trainReturn: round(result.trainReturn, 2),
        evalReturn: round(result.evalReturn, 2),
      },
      line: `${result.episodes} episodes, ${result.envSteps} env steps, ${result.wallTime.toFixed(1)} s; train return ${result.trainReturn.toFixed(1)}, eval ${Number.isNaN(result.evalReturn) ? "—" : result.evalReturn.toFixed(1)}`,
    }),
    dispose: () => agent.dispose(),
  };
}

/** NaN → null in JSON anyway; round the rest so the summary line stays readable. */
export function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
