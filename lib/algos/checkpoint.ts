/**
 * Agents on disk: the checkpoint layout of lib/data (config.json, model.safetensors, metrics.csv,
 * written atomically) filled with the agent's algorithm, config and weights (saveAgent); and the
 * loaders, which find config.json's algorithm through a lookup the registry hands them
 * (lib/algos/registry's loadPolicy and loadAgent) and check every tensor's name and shape before
 * anything acts.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { CheckpointError, METRICS_FILE, checkpointConfig, loadCheckpoint, nonFiniteProblems, saveCheckpoint, type LoadedCheckpoint, type SaveCheckpointOptions } from "../data/checkpoint";
import { readCsv } from "../data/csv";
import type { MetricsRow } from "../data/metrics";
import { encodeSafetensors, readSafetensors } from "../data/safetensors";
import type { Env } from "../core/env";
import { envSpec, makeEnv } from "../envs/registry";
import { softmaxRow } from "../nn/categorical";
import type { NamedTensors } from "../nn/mlp/mlp";
import type { Agent, AgentAlgorithm, AgentConfig, BaseRow, TrainResult } from "./agent";
import type { ActFn } from "./evaluate";
import { TRAIN_STATE_JSON, TRAIN_STATE_TENSORS, type TrainingSnapshot } from "./resume";

/**
 * Writes `dir`: config.json (algorithm, env, hyperparameters, the result's summary), the weights a
 * checkpoint keeps (`agent.checkpointWeights()`: the best evaluated snapshot if one was kept) and
 * metrics.csv. Replaces an existing tsrl checkpoint only once the new one is complete (`overwrite:
 * false` refuses to); never a file or a directory tsrl did not write (an OutDirError says why,
 * before anything is written), and never weights holding NaN or ±∞ (a CheckpointError names the
 * tensor; `allowNonFinite` writes them anyway). Returns the path.
 */
export function saveAgent(dir: string, agent: Agent<object, BaseRow>, result?: TrainResult<BaseRow>, opts: SaveAgentOptions = {}): string {
  const summary = result ? Object.fromEntries(Object.entries(result).filter(([k]) => k !== "metrics")) : undefined;
  const metrics: readonly object[] = agent.metrics;
  const taken = (opts.trainingState ?? true) ? agent.trainingState?.() : undefined;
  // saved mid-update (an interrupt cut it short): a valid place to continue from, not the uninterrupted run's
  const snapshot = taken && opts.inexact ? { ...taken, exact: false, note: [taken.note, opts.inexact].filter(Boolean).join("; ") } : taken;
  return saveCheckpoint(dir, {
    config: checkpointConfig({
      algorithm: agent.algorithm, env: agent.envId, hyperparameters: { ...agent.config }, result: summary, metrics,
      ...(snapshot ? { resume: { exact: snapshot.exact, ...(snapshot.note ? { note: snapshot.note } : {}) } } : {}),
    }),
    tensors: agent.checkpointWeights(),
    metrics,
    extraFiles: snapshot
      ? {
          [TRAIN_STATE_JSON]: JSON.stringify({ format: "tsrl-train-state", version: 1, algorithm: agent.algorithm, exact: snapshot.exact, note: snapshot.note, ...snapshot.json }) + "\n",
          [TRAIN_STATE_TENSORS]: encodeSafetensors(snapshot.tensors, { format: "tsrl-train-state" }),
        }
      : undefined,
  }, opts);
}

export interface SaveAgentOptions extends SaveCheckpointOptions {
  /**
   * Write what a resumed run needs beside the checkpoint (default true, when the agent can say:
   * train_state.json and train_state.safetensors; see lib/algos/resume). `tsrl train --resume DIR`
   * and `loadAgent(dir, { resume: true })` read it.
   */
  trainingState?: boolean;
  /** Why a resume from this checkpoint would not be exact, though the agent's state could be (e.g. it was saved mid-update). */
  inexact?: string;
}

export interface LoadedPolicy {
  dir: string;
  algorithm: string;
  envId: string;
  config: AgentConfig;
  /** Acts with the checkpoint's policy (an MLP's typed-array forward; the edit net's tfjs graph), on the env's own observations. */
  act: ActFn;
  /** π(·|obs) among the legal actions (mask: 1 legal), for `tsrl serve` and heat maps. */
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  /** The checkpoint's training log, when it has one. */
  metrics?: LoadedCheckpoint["metrics"];
}

/** How a loader finds a checkpoint's algorithm by its name (the registry is one). */
export interface AlgorithmLookup {
  find(name: string): AgentAlgorithm | undefined;
  names(): string[];
}

/** What a checkpoint holds, checked: its algorithm, validated config, env and tensors. Every problem is a CheckpointError. */
function readAgentCheckpoint(dir: string, algorithms: AlgorithmLookup, opts: LoadAgentOptions): { spec: AgentAlgorithm; config: AgentConfig; env: Env<Float32Array, number>; loaded: LoadedCheckpoint } {
  const head = loadCheckpoint(dir, { metrics: false, allowNonFinite: true }); // config.json first: it says what shapes to expect
  const name = head.config.algorithm;
  if (name === undefined) {
    const gpt2 = head.config.model_type === "gpt2" || head.config.n_layer !== undefined;
    throw new CheckpointError(head.dir, gpt2
      ? "is a GPT-2 (language model) directory, not an agent checkpoint; tsrl eval and loadPolicy read what tsrl train <algorithm> <env> writes (serve this one with tsrl serve DIR --stdio)"
      : `config.json has no "algorithm" field: not an agent checkpoint (tsrl train <algorithm> <env> writes one); expected one of ${algorithms.names().map((n) => JSON.stringify(n)).join(", ")}`);
  }
  const spec = algorithms.find(String(name));
  if (!spec) throw new CheckpointError(head.dir, `config.json algorithm is ${JSON.stringify(name)}, expected one of ${algorithms.names().map((n) => JSON.stringify(n)).join(", ")}`);
  let config: AgentConfig;
  try {
    config = spec.config(head.config.hyperparameters as Record<string, unknown>);
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
    const loaded = loadCheckpoint(dir, { expect, allowNonFinite: opts.allowNonFinite });
    if (loaded.metrics) loaded.metrics = renameMetricsColumns(loaded.metrics);
    return { spec, config, env, loaded };
  } catch (err) {
    env.close?.();
    throw err;
  }
}

export interface LoadAgentOptions {
  /** Accept weights holding NaN or ±∞ (default false: a CheckpointError names each such tensor). */
  allowNonFinite?: boolean;
  /**
   * loadAgent: also put back the training state saved with the checkpoint (optimiser, generators,
   * counters, metrics, env state: lib/algos/resume), so train() continues the run — exactly, where
   * the checkpoint's config.json says `resume.exact`. A checkpoint without it is a CheckpointError.
   */
  resume?: boolean;
}

/** A checkpoint of any algorithm `algorithms` knows, as an acting policy; throws CheckpointError naming what is missing, unknown, mis-shaped or not finite. */
export function openPolicy(dir: string, algorithms: AlgorithmLookup, opts: LoadAgentOptions = {}): LoadedPolicy {
  const { spec, config, env, loaded } = readAgentCheckpoint(dir, algorithms, opts);
  try {
    const policy = spec.policy(config, env, loaded.tensors as NamedTensors);
    // an env with a featuriser (EditAgent-v0): the policy reads features, its callers pass the env's observations
    const observe = envSpec(config.envId).observation?.featurize ?? ((obs: unknown) => obs as Float32Array);
    const act: ActFn = (obs, ctx) => policy.act(observe(obs), ctx);
    const probs = (obs: Float32Array, mask?: Uint8Array) => softmaxRow(policy.logits(observe(obs), 1), mask);
    return { dir: loaded.dir, algorithm: spec.name, envId: config.envId, config, act, probs, metrics: loaded.metrics };
  } finally {
    env.close?.();
  }
}

/**
 * Rebuilds a trainable agent from a checkpoint: same algorithm and config, the saved weights. With
 * `resume: true`, also its training state (see LoadAgentOptions.resume): train() then continues the
 * run where it stopped. Without, the optimiser, generators and metrics start fresh. `config`
 * overrides fields of the saved config (e.g. a larger budget); the env id cannot change.
 */
export async function openAgent(dir: string, algorithms: AlgorithmLookup, opts: LoadAgentOptions & { config?: Record<string, unknown> } = {}): Promise<Agent<AgentConfig, BaseRow>> {
  const { spec, config, env, loaded } = readAgentCheckpoint(dir, algorithms, opts);
  env.close?.();
  if (opts.config?.envId !== undefined && opts.config.envId !== config.envId) throw new RangeError(`loadAgent: the checkpoint trained on ${config.envId}; config.envId ${JSON.stringify(opts.config.envId)} cannot change that`);
  const snapshot = opts.resume ? readTrainingState(loaded.dir, spec.name) : undefined;
  const agent = await spec.create({ ...config, ...opts.config });
  try {
    agent.setWeights(loaded.tensors as NamedTensors);
    if (snapshot) {
      if (!agent.restoreTrainingState) throw new CheckpointError(loaded.dir, `${spec.name} agents cannot be resumed`);
      try {
        agent.restoreTrainingState(snapshot);
      } catch (err) {
        if (err instanceof CheckpointError) throw err;
        throw new CheckpointError(loaded.dir, `the training state does not fit this ${spec.name} agent: ${(err as Error).message}`);
      }
    }
  } catch (err) {
    agent.dispose();
    throw err;
  }
  return agent;
}

/**
 * A checkpoint's training log (its metrics.csv), under this release's column names: a checkpoint
 * written before the report cards' columns became camelCase (win_random → winRandom, the edit
 * agent's exact_match → evalExactMatch, exact_typo → evalExactTypo, …) or PPO's lr became
 * learningRate reads as if written now. The old names are read for one release.
 */
export function loadMetrics(dir: string): MetricsRow[] {
  return renameMetricsColumns(readCsv(path.join(dir, METRICS_FILE)));
}

/** Rows with renamed columns under their new names (see loadMetrics). */
export function renameMetricsColumns(rows: MetricsRow[]): MetricsRow[] {
  if (rows.length === 0 || !Object.keys(rows[0]).some((k) => newColumnName(k) !== k)) return rows;
  return rows.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [newColumnName(k), v])));
}

const EDIT_REPORT_COLUMN = /^(exact_[a-z]+|norm_edit_distance|mean_steps|mean_minimal_steps)$/;

function newColumnName(column: string): string {
  if (column === "lr") return "learningRate";
  if (!column.includes("_")) return column;
  const camel = column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return EDIT_REPORT_COLUMN.test(column) ? `eval${camel[0].toUpperCase()}${camel.slice(1)}` : camel;
}

/** The training state saved with a checkpoint (train_state.json + .safetensors), checked; CheckpointError naming what is wrong. */
export function readTrainingState(dir: string, algorithm: string): TrainingSnapshot {
  const jsonFile = path.join(dir, TRAIN_STATE_JSON), tensorFile = path.join(dir, TRAIN_STATE_TENSORS);
  if (!fs.existsSync(jsonFile) || !fs.existsSync(tensorFile)) {
    throw new CheckpointError(dir, `holds no training state (${TRAIN_STATE_JSON}, ${TRAIN_STATE_TENSORS}) to resume from: it was written without one (before tsrl saved it, or with trainingState: false); load its weights alone with loadAgent(dir)`);
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(jsonFile, "utf8"));
  } catch (err) {
    throw new CheckpointError(dir, `${TRAIN_STATE_JSON} is not valid JSON: ${(err as Error).message}`);
  }
  if (json?.format !== "tsrl-train-state" || json.algorithm !== algorithm) {
    throw new CheckpointError(dir, `${TRAIN_STATE_JSON} is not the training state of this ${algorithm} checkpoint (format ${JSON.stringify(json?.format)}, algorithm ${JSON.stringify(json?.algorithm)})`);
  }
  let tensors: NamedTensors;
  try {
    tensors = Object.fromEntries(Object.entries(readSafetensors(tensorFile).tensors).map(([k, t]) => [k, { data: t.data as Float32Array, shape: t.shape }]));
  } catch (err) {
    throw new CheckpointError(dir, `${TRAIN_STATE_TENSORS} is unreadable: ${(err as Error).message}`);
  }
  const bad = nonFiniteProblems(tensors);
  if (bad.length) throw new CheckpointError(dir, bad.map((p) => `${TRAIN_STATE_TENSORS}: ${p}`));
  return { json, tensors, exact: json.exact === true, note: typeof json.note === "string" ? json.note : undefined };
}
