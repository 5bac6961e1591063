/**
 * Checkpoints: one directory per trained agent.
 *
 *   <dir>/config.json         what made it: algorithm, env id, hyperparameters, versions, created
 *                             time, a metrics summary — any JSON object the caller gives
 *   <dir>/model.safetensors   named float32 tensors with their shapes
 *   <dir>/metrics.csv         (optional) the training log
 *   <dir>/tsrl-checkpoint.json  tsrl's marker: this directory is tsrl's to replace (lib/data/out-dir)
 *
 * Saving replaces the whole directory atomically (see `replaceDirAtomic`), so a crash mid-save
 * never leaves a half-written checkpoint and never loses the previous one; and only where
 * `checkOutDir` allows (never over a file or a directory tsrl did not write). Loading validates
 * everything and, given the shapes the model expects, says exactly which tensor is wrong.
 */

import * as fs from "node:fs";
import * as path from "node:path";
import { replaceDirAtomic, stagingDirs, writeFileAtomic } from "./atomic";
import { describeNonFinite, nonFiniteIndex } from "../core/finite";
import { CHECKPOINT_FILES, CHECKPOINT_MARKER, checkOutDir, type CheckOutDirOptions } from "./out-dir";
import { readCsv } from "./csv";
import { type MetricsLog, type MetricsRow, summarizeMetrics, writeCsv } from "./metrics";
import { packageRoot } from "./paths";
import { SafetensorsError, encodeSafetensors, readSafetensors } from "./safetensors";

export const CONFIG_FILE = "config.json";
export const MODEL_FILE = "model.safetensors";
export const METRICS_FILE = "metrics.csv";

export interface CheckpointTensor {
  data: Float32Array;
  shape: number[];
}

export interface SaveCheckpointInput {
  /** Any JSON-serialisable object; `checkpointConfig` fills in the usual fields. */
  config: Record<string, unknown>;
  tensors: Record<string, CheckpointTensor>;
  /** The training log, written as metrics.csv. */
  metrics?: readonly object[] | MetricsLog;
  /** Extra strings for the safetensors `__metadata__`. */
  metadata?: Record<string, string>;
  /**
   * More files for the directory, name → contents (e.g. a resumable run's train_state.json). Only
   * names tsrl writes (lib/data/out-dir's CHECKPOINT_FILES), so the directory stays recognisably tsrl's.
   */
  extraFiles?: Record<string, string | Uint8Array>;
}

export interface LoadedCheckpoint {
  dir: string;
  config: Record<string, unknown>;
  tensors: Record<string, CheckpointTensor>;
  metadata: Record<string, string>;
  /** Rows of metrics.csv, when the checkpoint has one. */
  metrics?: MetricsRow[];
}

export interface LoadCheckpointOptions {
  /** Tensor name → expected shape. Every listed tensor must exist with that shape, and no other may. */
  expect?: Record<string, readonly number[]>;
  /** Read metrics.csv when present (default true). */
  metrics?: boolean;
  /**
   * Accept tensors holding NaN or ±∞ (default false: a CheckpointError names each one). Only to
   * inspect a run that diverged; such weights act as noise.
   */
  allowNonFinite?: boolean;
}

export interface SaveCheckpointOptions extends CheckOutDirOptions {
  /** Write tensors holding NaN or ±∞ (default false: refused, naming the tensor, before anything is written). */
  allowNonFinite?: boolean;
}

/** Every checkpoint problem: `problems` lists each one (several shape mismatches are reported together). */
export class CheckpointError extends Error {
  readonly dir: string;
  readonly problems: string[];
  constructor(dir: string, problems: string[] | string) {
    const list = Array.isArray(problems) ? problems : [problems];
    super(list.length === 1 ? `checkpoint ${dir}: ${list[0]}` : `checkpoint ${dir}:\n  - ${list.join("\n  - ")}`);
    this.name = "CheckpointError";
    this.dir = dir;
    this.problems = list;
  }
}

/**
 * Writes a checkpoint directory, replacing a previous tsrl checkpoint at `dir` only once the new
 * one is complete (`overwrite: false` refuses to replace one). Throws an OutDirError, before
 * writing anything, when `dir` is not a place for a checkpoint (lib/data/out-dir). Returns the
 * absolute directory path.
 *
 * @example
 *   saveCheckpoint("runs/cartpole-reinforce", {
 *     config: checkpointConfig({ algorithm: "reinforce", env: "CartPole-v1", hyperparameters: cfg, metrics: log.rows }),
 *     tensors: { "policy/dense0/kernel": { data, shape: [4, 64] }, … },
 *     metrics: log,
 *   });
 */
export function saveCheckpoint(dir: string, input: SaveCheckpointInput, opts: SaveCheckpointOptions = {}): string {
  const { dir: target } = checkOutDir(dir, opts); // the guard, on the path as given ("" is not ".")
  if (typeof input.config !== "object" || input.config === null || Array.isArray(input.config)) {
    throw new CheckpointError(target, "config must be a JSON object");
  }
  for (const [name, t] of Object.entries(input.tensors)) {
    if (!(t.data instanceof Float32Array)) throw new CheckpointError(target, `tensor '${name}' must be a Float32Array, got ${(t.data as unknown as object)?.constructor?.name ?? typeof t.data}`);
  }
  for (const name of Object.keys(input.extraFiles ?? {})) {
    if (!CHECKPOINT_FILES.has(name) || [CONFIG_FILE, MODEL_FILE, METRICS_FILE, CHECKPOINT_MARKER].includes(name)) {
      throw new CheckpointError(target, `extra file '${name}' is not one tsrl writes next to a checkpoint's own files`);
    }
  }
  if (!opts.allowNonFinite) {
    const bad = nonFiniteProblems(input.tensors);
    if (bad.length) throw new CheckpointError(target, bad.map((p) => `${p}: refusing to write non-finite weights (training diverged?)`));
  }
  replaceDirAtomic(target, (staging) => {
    // encode first: a bad tensor fails before any file exists
    const bytes = encodeSafetensors(input.tensors, { format: "tsrl", ...input.metadata });
    writeFileAtomic(path.join(staging, MODEL_FILE), bytes);
    writeFileAtomic(path.join(staging, CONFIG_FILE), JSON.stringify(input.config, null, 2) + "\n");
    if (input.metrics) {
      const rows = Array.isArray(input.metrics) ? (input.metrics as readonly object[]) : (input.metrics as MetricsLog).rows;
      writeCsv(rows, path.join(staging, METRICS_FILE));
    }
    for (const [name, contents] of Object.entries(input.extraFiles ?? {})) writeFileAtomic(path.join(staging, name), contents);
  }, { overwrite: opts.overwrite, kind: "agent" });
  return target;
}

/** Reads and validates a checkpoint directory; every failure is a `CheckpointError` naming the problem. */
export function loadCheckpoint(dir: string, opts: LoadCheckpointOptions = {}): LoadedCheckpoint {
  const target = path.resolve(dir);
  if (!fs.existsSync(target)) {
    const { previous } = stagingDirs(target);
    if (fs.existsSync(previous)) {
      throw new CheckpointError(target, `directory does not exist, but an interrupted save left the previous checkpoint at ${previous}; rename it to ${target} to recover it`);
    }
    throw new CheckpointError(target, "directory does not exist");
  }
  if (!fs.statSync(target).isDirectory()) throw new CheckpointError(target, "is not a directory");

  const configPath = path.join(target, CONFIG_FILE);
  if (!fs.existsSync(configPath)) throw new CheckpointError(target, `missing ${CONFIG_FILE}`);
  for (const f of [CONFIG_FILE, MODEL_FILE, METRICS_FILE]) {
    if (fs.existsSync(path.join(target, f)) && fs.statSync(path.join(target, f)).isDirectory()) throw new CheckpointError(target, `${f} is a directory, expected a file`);
  }
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(configPath, "utf8"));
  } catch (err) {
    throw new CheckpointError(target, `${CONFIG_FILE} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof config !== "object" || config === null || Array.isArray(config)) {
    throw new CheckpointError(target, `${CONFIG_FILE} must hold a JSON object, got ${Array.isArray(config) ? "an array" : String(config)}`);
  }

  const modelPath = path.join(target, MODEL_FILE);
  if (!fs.existsSync(modelPath)) throw new CheckpointError(target, `missing ${MODEL_FILE}`);
  let contents;
  try {
    contents = readSafetensors(modelPath);
  } catch (err) {
    if (err instanceof SafetensorsError) throw new CheckpointError(target, `${MODEL_FILE} is corrupt: ${err.message.replace(`${modelPath}: `, "")}`);
    throw err;
  }

  const tensors: Record<string, CheckpointTensor> = {};
  const problems: string[] = [];
  for (const [name, t] of Object.entries(contents.tensors)) {
    if (t.dtype === "F32" || t.dtype === "F16" || t.dtype === "BF16") tensors[name] = { data: t.data as Float32Array, shape: t.shape };
    else if (t.dtype === "F64") tensors[name] = { data: Float32Array.from(t.data as Float64Array), shape: t.shape };
    else problems.push(`tensor '${name}' has dtype ${t.dtype}; checkpoint tensors must be floating point`);
  }
  if (opts.expect) problems.push(...shapeProblems(tensors, opts.expect));
  if (!opts.allowNonFinite) problems.push(...nonFiniteProblems(tensors).map((p) => `${p} (the run that wrote it diverged; load with allowNonFinite to inspect it)`));
  if (problems.length > 0) throw new CheckpointError(target, problems);

  const loaded: LoadedCheckpoint = { dir: target, config: config as Record<string, unknown>, tensors, metadata: contents.metadata };
  const metricsPath = path.join(target, METRICS_FILE);
  if ((opts.metrics ?? true) && fs.existsSync(metricsPath)) {
    try {
      loaded.metrics = readCsv(metricsPath);
    } catch (err) {
      throw new CheckpointError(target, `${METRICS_FILE} is unreadable: ${(err as Error).message}`);
    }
  }
  return loaded;
}

/** One line per tensor holding NaN or ±∞: its name, the first bad value and where. */
export function nonFiniteProblems(tensors: Record<string, { data: ArrayLike<number> }>): string[] {
  const problems: string[] = [];
  for (const [name, t] of Object.entries(tensors)) {
    const i = nonFiniteIndex(t.data);
    if (i >= 0) problems.push(`tensor '${name}' holds ${describeNonFinite(t.data, i)}`);
  }
  return problems;
}

/** Missing, unexpected and mis-shaped tensors, one message each (in the order of `expect`, then extras). */
export function shapeProblems(tensors: Record<string, { shape: readonly number[] }>, expect: Record<string, readonly number[]>): string[] {
  const problems: string[] = [];
  const fmt = (s: readonly number[]) => `[${s.join(",")}]`;
  for (const [name, shape] of Object.entries(expect)) {
    const t = tensors[name];
    if (!t) problems.push(`missing tensor '${name}' (expected shape ${fmt(shape)})`);
    else if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      problems.push(`tensor '${name}' has shape ${fmt(t.shape)}, expected ${fmt(shape)}`);
    }
  }
  for (const [name, t] of Object.entries(tensors)) {
    if (!(name in expect)) problems.push(`unexpected tensor '${name}' (shape ${fmt(t.shape)})`);
  }
  return problems;
}

/** Versions worth recording with a checkpoint (tfjs only if installed). */
export function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  const read = (file: string) => (JSON.parse(fs.readFileSync(file, "utf8")) as { version?: string }).version;
  try { out.tsrl = read(path.join(packageRoot(), "package.json")) ?? "unknown"; } catch { /* not inside the package */ }
  try { out.tfjs = read(require.resolve("@tensorflow/tfjs/package.json")) ?? "unknown"; } catch { /* tfjs not installed */ }
  return out;
}

/**
 * The usual config.json contents: the given fields plus `versions`, `createdAt` and, when
 * `metrics` rows are given, a `metricsSummary` (see `summarizeMetrics`).
 */
export function checkpointConfig(fields: {
  algorithm: string;
  env: string;
  hyperparameters?: Record<string, unknown>;
  metrics?: readonly object[];
  [key: string]: unknown;
}): Record<string, unknown> {
  const { metrics, ...rest } = fields;
  return {
    ...rest,
    versions: versions(),
    createdAt: new Date().toISOString(),
    ...(metrics ? { metricsSummary: summarizeMetrics(metrics) } : {}),
  };
}
