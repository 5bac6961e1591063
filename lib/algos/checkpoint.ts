/**
 * Agents on disk, for every registered algorithm: the checkpoint layout of lib/data (config.json,
 * model.safetensors, metrics.csv, written atomically) filled with the agent's algorithm, config and
 * weights; and loaders that dispatch on config.json's algorithm and check every tensor's name and
 * shape before anything acts.
 */
import { CheckpointError, checkpointConfig, loadCheckpoint, saveCheckpoint, type LoadedCheckpoint } from "../data/checkpoint";
import type { Env } from "../core/env";
import { envSpec, makeEnv } from "../core/registry";
import { softmaxRow } from "../nn/categorical";
import type { NamedTensors } from "../nn/mlp";
import type { Agent, AlgorithmSpec, BaseRow, TrainResult } from "./agent";
import type { ActFn } from "./evaluate";
import { algorithmNames, algorithmSpec } from "./registry";

/**
 * Writes `dir`: config.json (algorithm, env, hyperparameters, the result's summary), the weights a
 * checkpoint keeps (`agent.checkpointWeights()`: the best evaluated snapshot if one was kept) and
 * metrics.csv. Replaces an existing tsrl checkpoint only once the new one is complete (`overwrite:
 * false` refuses to); never a file or a directory tsrl did not write (an OutDirError says why,
 * before anything is written). Returns the path.
 */
export function saveAgent(dir: string, agent: Agent<object, BaseRow>, result?: TrainResult<BaseRow>, opts: { overwrite?: boolean } = {}): string {
  const summary = result ? Object.fromEntries(Object.entries(result).filter(([k]) => k !== "metrics")) : undefined;
  const metrics = agent.metrics as unknown as Record<string, number>[];
  return saveCheckpoint(dir, {
    config: checkpointConfig({ algorithm: agent.algorithm, env: agent.envId, hyperparameters: { ...agent.config }, result: summary, metrics }),
    tensors: agent.checkpointWeights(),
    metrics,
  }, opts);
}

export interface LoadedPolicy {
  dir: string;
  algorithm: string;
  envId: string;
  config: Record<string, unknown> & { envId: string; seed: number };
  /** Acts with the checkpoint's policy (an MLP's typed-array forward; the edit net's tfjs graph), on the env's own observations. */
  act: ActFn;
  /** π(·|obs) among the legal actions (mask: 1 legal), for `tsrl serve` and heat maps. */
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  /** The checkpoint's training log, when it has one. */
  metrics?: LoadedCheckpoint["metrics"];
}

/** What a checkpoint holds, checked: its algorithm, validated config, env and tensors. Every problem is a CheckpointError. */
function readAgentCheckpoint(dir: string): { spec: AlgorithmSpec; config: LoadedPolicy["config"]; env: Env<Float32Array, number>; loaded: LoadedCheckpoint } {
  const head = loadCheckpoint(dir, { metrics: false }); // config.json first: it says what shapes to expect
  const name = head.config.algorithm;
  if (name === undefined) {
    const gpt2 = head.config.model_type === "gpt2" || head.config.n_layer !== undefined;
    throw new CheckpointError(head.dir, gpt2
      ? "is a GPT-2 (language model) directory, not an agent checkpoint; tsrl eval and loadPolicy read what tsrl train <algorithm> <env> writes (serve this one with tsrl serve DIR --stdio)"
      : `config.json has no "algorithm" field: not an agent checkpoint (tsrl train <algorithm> <env> writes one); expected one of ${algorithmNames().map((n) => JSON.stringify(n)).join(", ")}`);
  }
  let spec: AlgorithmSpec;
  try {
    spec = algorithmSpec(String(name));
  } catch {
    throw new CheckpointError(head.dir, `config.json algorithm is ${JSON.stringify(name)}, expected one of ${algorithmNames().map((n) => JSON.stringify(n)).join(", ")}`);
  }
  let config: LoadedPolicy["config"];
  try {
    config = spec.config(head.config.hyperparameters as Record<string, unknown>) as LoadedPolicy["config"];
  } catch (err) {
    throw new CheckpointError(head.dir, `config.json hyperparameters: ${(err as Error).message}`);
  }
  let env: Env<Float32Array, number>;
  try {
    env = makeEnv(config.envId);
  } catch (err) {
    throw new CheckpointError(head.dir, `config.json env: ${(err as Error).message}`);
  }
  let expect: Record<string, number[]>;
  try {
    expect = spec.tensorShapes(config, env);
  } catch (err) {
    env.close?.();
    throw new CheckpointError(head.dir, (err as Error).message);
  }
  try {
    return { spec, config, env, loaded: loadCheckpoint(dir, { expect }) };
  } catch (err) {
    env.close?.();
    throw err;
  }
}

/** Loads a checkpoint of any registered algorithm as an acting policy; throws CheckpointError naming what is missing, unknown or mis-shaped. */
export function loadPolicy(dir: string): LoadedPolicy {
  const { spec, config, env, loaded } = readAgentCheckpoint(dir);
  try {
    const policy = spec.policy(config, env, loaded.tensors as NamedTensors);
    // an env with a featuriser (EditAgent-v0): the policy reads features, its callers pass the env's observations
    const observe = envSpec(config.envId).featurize ?? ((obs: unknown) => obs as Float32Array);
    const act: ActFn = (obs, ctx) => policy.act(observe(obs), ctx);
    const probs = (obs: Float32Array, mask?: Uint8Array) => softmaxRow(policy.logits(observe(obs), 1), mask);
    return { dir: loaded.dir, algorithm: spec.name, envId: config.envId, config, act, probs, metrics: loaded.metrics };
  } finally {
    env.close?.();
  }
}

/**
 * Rebuilds a trainable agent from a checkpoint: same algorithm and config, the saved weights. The
 * optimiser starts fresh (its moments are not saved), so continued training is close to, not
 * identical with, an uninterrupted run; the metrics history is not restored.
 */
export async function loadAgent(dir: string): Promise<Agent<Record<string, unknown>, BaseRow>> {
  const { spec, config, env, loaded } = readAgentCheckpoint(dir);
  env.close?.();
  const agent = (await spec.create(config)) as unknown as Agent<Record<string, unknown>, BaseRow>;
  agent.setWeights(loaded.tensors as NamedTensors);
  return agent;
}
