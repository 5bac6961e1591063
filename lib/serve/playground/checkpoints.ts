/**
 * The playground's checkpoints: those in its runs folder that a tab can load (agent checkpoints of
 * the tab's environment; GPT-2 directories), and whether a name may be saved to.
 *
 * Saving never replaces what tsrl did not write: the project's out-directory guard
 * (lib/data/out-dir) decides, and a name that holds a checkpoint is replaced only when the page
 * asks to overwrite.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isGpt2Directory } from "../../nn/gpt2/load";
import { checkOutDir, OutDirError } from "../../data/out-dir";

export interface CheckpointEntry {
  name: string;
  dir: string;
  algorithm?: string;
  /** When it was written (config.json's mtime), ms since the epoch. */
  modified: number;
}

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

/** Why a checkpoint cannot be saved at `dir` (the guard's reason, in the page's words), or undefined when it can. */
export function checkpointProblem(dir: string, overwrite: boolean): string | undefined {
  const name = path.basename(dir);
  let state: string;
  try {
    state = checkOutDir(dir, { overwrite: true }).state;
  } catch (err) {
    if (err instanceof OutDirError) return `${name} in the runs folder ${err.reason}; choose another name (nothing was touched)`;
    throw err;
  }
  if (state === "checkpoint" && !overwrite) return `${name} already holds a checkpoint; tick "overwrite" to replace it, or choose another name`;
  return undefined;
}
