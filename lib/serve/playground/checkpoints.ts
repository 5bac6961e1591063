/**
 * The playground's checkpoints: those in its runs folder that a tab can load (agent checkpoints of
 * the tab's environment; GPT-2 directories), and whether a name may be written.
 *
 * Saving never replaces what tsrl did not write: a name already in use is refused unless the page
 * asks to overwrite, and even then only a tsrl agent checkpoint (config.json with the algorithm
 * and versions saveAgent writes, and nothing but tsrl's files) is replaced.
 * (The project's out-directory guard, lib/data/out-dir on the train-safety branch, takes this job
 * when it reaches main: saveAgent then refuses the same directories itself.)
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isGpt2Directory } from "../../cli/serve-gpt2";

export interface CheckpointEntry {
  name: string;
  dir: string;
  algorithm?: string;
  /** When it was written (config.json's mtime), ms since the epoch. */
  modified: number;
}

const TSRL_FILES = new Set(["config.json", "model.safetensors", "metrics.csv"]);

function readConfig(dir: string): Record<string, unknown> | undefined {
  try {
    const c = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    return typeof c === "object" && c !== null && !Array.isArray(c) ? c : undefined;
  } catch {
    return undefined;
  }
}

/** Checkpoints in `runsDir` for an environment id, or GPT-2 directories ("gpt2"), newest first. */
export function listCheckpoints(runsDir: string, envId: string): CheckpointEntry[] {
  let names: string[];
  try {
    names = fs.readdirSync(runsDir);
  } catch {
    return [];
  }
  const out: CheckpointEntry[] = [];
  for (const name of names) {
    const dir = path.join(runsDir, name);
    if (name.endsWith(".saving") || name.endsWith(".previous")) continue;
    const config = readConfig(dir);
    if (!config) continue;
    const hyper = config.hyperparameters as { envId?: unknown } | undefined;
    const matches = envId === "gpt2" ? isGpt2Directory(dir) : (hyper?.envId ?? config.env) === envId && typeof config.algorithm === "string";
    if (!matches) continue;
    out.push({ name, dir, algorithm: typeof config.algorithm === "string" ? config.algorithm : undefined, modified: fs.statSync(path.join(dir, "config.json")).mtimeMs });
  }
  return out.sort((a, b) => b.modified - a.modified);
}

/** Why a checkpoint cannot be saved at `dir`, or undefined when it can. */
export function checkpointProblem(dir: string, overwrite: boolean): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(dir);
  } catch {
    return undefined;
  }
  const name = path.basename(dir);
  if (!stat.isDirectory()) return `${name} exists in the runs folder and is not a directory; choose another name (nothing was touched)`;
  const config = readConfig(dir);
  const ours = config !== undefined && typeof config.algorithm === "string" && typeof config.versions === "object"
    && fs.readdirSync(dir).every((f) => TSRL_FILES.has(f));
  if (!ours) return `${name} exists in the runs folder and is not a tsrl agent checkpoint; choose another name (nothing was touched)`;
  if (!overwrite) return `${name} already holds a checkpoint; tick "overwrite" to replace it, or choose another name`;
  return undefined;
}
