/**
 * What every algorithm's agent is, so notebooks, the CLI, checkpoints and the contract tests treat
 * them alike. An agent is an object that outlives `train()`: interrupt training and it still holds
 * the weights and the metrics learned so far; call `train()` again and it continues.
 */
import type { Env } from "../core/env";
import type { ConfigSchema, Fields } from "../core/schema";
import type { NamedTensors } from "../nn/mlp/mlp";
import type { ActFn } from "./evaluate";

/** The columns every metrics row starts with; each algorithm adds its own diagnostics. */
export interface BaseRow {
  /** Updates so far (this row's is the last). */
  update: number;
  /** Training episodes finished so far. */
  episodes: number;
  /** Environment steps so far. */
  envSteps: number;
  /** Seconds of training so far (resumed runs keep counting). */
  wallTime: number;
  /** Environment steps per second of training so far. */
  sps: number;
}

export type StopReason = "done" | "target" | "aborted";

export interface TrainResult<R extends BaseRow = BaseRow> {
  /** "done": the budget is spent; "target": the algorithm's goal was met; "aborted": interrupted. */
  stopped: StopReason;
  updates: number;
  episodes: number;
  envSteps: number;
  /** Seconds of training, all calls of train() together. */
  wallTime: number;
  /** Mean return of the most recent training episodes (the algorithm's window). */
  trainReturn: number;
  /** Best greedy evaluation mean seen (NaN if none ran). */
  evalReturn: number;
  metrics: R[];
  /**
   * With stopped "aborted": the phase the interrupt cut short, if it landed inside an update (its
   * collection, gradient step or evaluation had begun); absent when it landed between updates. A
   * run saved between updates resumes exactly; one cut mid-update resumes validly, not identically.
   */
  interruptedIn?: TrainPhase;
}

/** What `train()` shows in a notebook while it runs (ignored outside one). */
export interface LivePlotOptions {
  /** Column on the x axis (default: the algorithm's, e.g. "episodes" or "envSteps"). */
  x?: string;
  /** Column on the y axis (default "return"). */
  y?: string;
  /** Rolling-mean window of the smoothed line. */
  window?: number;
  title?: string;
}

export interface TrainOptions<R extends BaseRow = BaseRow> {
  /** Stops training between updates when aborted; combined with the kernel's / CLI's own interrupt. */
  signal?: AbortSignal;
  /** Called with each metrics row, after it is logged. */
  onUpdate?: (row: R) => void;
  /** On interrupt: rethrow the AbortError (default; the agent keeps its state) or return with stopped "aborted". */
  onAbort?: "throw" | "return";
  /**
   * In a notebook: draw the learning curve live, from the agent's whole history (a resumed run's
   * chart starts where the last one stopped). `true` for the algorithm's default axes.
   */
  plot?: boolean | LivePlotOptions;
  /** In a notebook or terminal: a progress bar with rate and ETA (default: on when plotting). */
  progress?: boolean;
  /** Called after each update with the progress so far (the CLI draws its bar from it). */
  onProgress?: (p: TrainProgress) => void;
  /**
   * Periodic checkpoints: after an update, when `every` says so (updates, or seconds of training,
   * since the last one), `save()` runs — e.g. `() => saveAgent(dir, agent)`. A save is atomic and is
   * not cut short by an interrupt; the interrupt stops training right after it.
   */
  checkpoint?: { every: SaveEvery; save(): void | Promise<void> };
  /**
   * Called as each phase of an update begins; the signal is checked right after, so every phase
   * stops on an interrupt. For tests and instrumentation (e.g. abort at a chosen phase).
   */
  onPhase?: (phase: TrainPhase, update: number) => void;
}

/** The phases of train(): collecting experience, the gradient update, a greedy evaluation, a periodic checkpoint. */
export type TrainPhase = "collect" | "update" | "evaluate" | "checkpoint";

/** How often a periodic checkpoint is written: every so many updates, or seconds of training. */
export type SaveEvery = { updates: number } | { seconds: number };

/** How far training is: `done` of `total` units (episodes, env steps, …) and a few fields to show. */
export interface TrainProgress {
  done: number;
  total: number;
  unit: string;
  fields: Record<string, string>;
}

/** A policy that can act and say how likely each action was (for `tsrl serve`, heat maps). */
export interface ActingPolicy {
  act: ActFn;
  /** Logits for `rows` observations, row-major [rows, obsSize] → [rows, nActions] (the buffer is reused). */
  logits(obs: Float32Array, rows: number): Float32Array;
}

export interface Agent<C extends object = Record<string, unknown>, R extends BaseRow = BaseRow> {
  /** Registry name, e.g. "reinforce". */
  readonly algorithm: string;
  readonly config: Readonly<C>;
  readonly envId: string;
  /** One row per update (grows during training; survives interrupts). */
  readonly metrics: R[];
  /** Acts with the current weights (typed-array forward: no tensors to manage). */
  act: ActFn;
  /** π(·|obs) of the current policy among the legal actions (heat maps, `tsrl serve`). */
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  train(opts?: TrainOptions<R>): Promise<TrainResult<R>>;
  /** The current weights by name (`policy/l0/w`, …). */
  weights(): NamedTensors;
  /**
   * The weights a checkpoint keeps: the best greedy-evaluated snapshot when the algorithm kept one
   * (training itself never rewinds to it), else the current weights.
   */
  checkpointWeights(): NamedTensors;
  /** Loads weights by name; throws naming a missing or mis-shaped one. */
  setWeights(t: NamedTensors): void;
  dispose(): void;
  /**
   * Everything beyond the weights a resumed run needs (lib/algos/resume): current weights,
   * optimiser moments, generators, counters, metrics, env state where it can be captured. Call
   * between calls of train(). Absent for an agent that cannot be resumed.
   */
  trainingState?(): TrainingSnapshot;
  /** Puts back a snapshot from `trainingState()` of an agent with the same config; train() then continues from there. */
  restoreTrainingState?(snapshot: TrainingSnapshot): void;
}

/** The fields every agent's config has (each algorithm's schema adds its own). */
export interface AgentConfig {
  envId: string;
  seed: number;
  [field: string]: unknown;
}

/**
 * An algorithm as its module writes it, typed by its own config and agent: `defineAlgorithm`
 * makes the registry's entry of it. `tsrl train <name>`, `tsrl eval`, checkpoints and the contract
 * tests need nothing else.
 */
export interface AlgorithmSpec<C extends AgentConfig, A extends Agent<C, BaseRow>> {
  readonly name: string;
  /** One line for `tsrl train --help`. */
  readonly summary: string;
  readonly schema: ConfigSchema<Fields>;
  /** Per-environment defaults (rl-zoo style), applied before the caller's values. */
  readonly presets?: Readonly<Record<string, Partial<C>>>;
  /** The full, validated config: schema defaults, the env's preset, then `partial` (throws naming a bad field). */
  config(partial: Partial<C> | Record<string, unknown>): C;
  /** A config that trains for a few quick updates, for the contract tests and smoke runs. */
  readonly smokeConfig: Partial<C>;
  create(config: Partial<C>): Promise<A>;
  /** Name → shape of every tensor a checkpoint of this config holds (loading checks each one). */
  tensorShapes(config: C, env: Env<Float32Array, number>): Record<string, number[]>;
  /** An acting policy from a checkpoint's tensors (already checked against `tensorShapes`). */
  policy(config: C, env: Env<Float32Array, number>, tensors: NamedTensors): ActingPolicy;
}

/**
 * An algorithm as the registry (lib/algos/registry.ts) holds it: the same as its spec, but taking
 * any record as a config — every entry point validates it with the algorithm's own schema first,
 * so what reaches the typed functions is the typed config.
 */
export interface AgentAlgorithm {
  readonly name: string;
  readonly summary: string;
  readonly schema: ConfigSchema<Fields>;
  readonly presets?: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
  readonly smokeConfig: Readonly<Record<string, unknown>>;
  /** The full, validated config (throws a ConfigError naming a bad field). */
  config(partial: Record<string, unknown>): AgentConfig;
  /** A new agent of the validated `partial`. */
  create(partial: Record<string, unknown>): Promise<Agent<AgentConfig, BaseRow>>;
  tensorShapes(config: Record<string, unknown>, env: Env<Float32Array, number>): Record<string, number[]>;
  policy(config: Record<string, unknown>, env: Env<Float32Array, number>, tensors: NamedTensors): ActingPolicy;
}

/** The registry's entry of an algorithm: its typed spec behind a validating, untyped face. */
export function defineAlgorithm<C extends AgentConfig, A extends Agent<C, BaseRow>>(spec: AlgorithmSpec<C, A>): AgentAlgorithm {
  const config = (partial: Record<string, unknown>): C => spec.config(partial);
  return {
    name: spec.name,
    summary: spec.summary,
    schema: spec.schema,
    presets: spec.presets,
    smokeConfig: spec.smokeConfig,
    config,
    create: (partial) => spec.create(config(partial)),
    tensorShapes: (c, env) => spec.tensorShapes(config(c), env),
    policy: (c, env, tensors) => spec.policy(config(c), env, tensors),
  };
}

/** A training run's whole state, for an exact resume (lib/algos/resume.ts builds and reads it; saveAgent writes it). */
export interface TrainingSnapshot {
  /** Plain JSON: counters, generator states, environment states, the metrics so far. */
  json: Record<string, unknown>;
  /** Current weights, optimiser moments, frozen reference networks, by name. */
  tensors: NamedTensors;
  /** Whether a run resumed from this continues exactly as the uninterrupted run would. */
  exact: boolean;
  /** Why not, when not exact. */
  note?: string;
}
