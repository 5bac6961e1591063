/**
 * The playground's request bodies, checked field by field: each parser returns the job or request
 * the body asks for, or throws a RequestError (HTTP 400) naming the field and what was expected. A
 * missing optional field takes the default the page shows.
 */
import { EDIT_SPLITS } from "../../envs/edit/tasks";
import { DEFAULT_TICTACTOE_REWARDS } from "../../envs/tictactoe/tictactoe";
import { parseRewardSpec } from "../../lm/reward-spec";
import { checkFields, excerpt, optionalInteger, optionalNumber, RequestError, type RequestObject } from "../request";
import type { EditTrainJob, LmSampleJob, LmTrainJob, TttRewards, TttTrainJob } from "./protocol";

export const DEFAULT_REWARDS: Readonly<TttRewards> = DEFAULT_TICTACTOE_REWARDS;
const REWARD_NAMES = Object.keys(DEFAULT_REWARDS) as (keyof TttRewards)[];

/** GRPO's defaults: notebook 04's run was proven never to lose after 4,380 updates (figs/grpo-tictactoe-evals.csv); training stops there. */
export const TTT_DEFAULTS = Object.freeze({ algorithm: "grpo" as const, seed: 1, updates: 5000, evalEvery: 20, groupSize: 64, topM: 16, lr: 1e-3, weightDecay: 1e-4 });
export const EDIT_DEFAULTS = Object.freeze({ seed: 1, warmStartSteps: 600, updates: 36, lr: 5e-5, evalEvery: 6, evalGames: 100 });
export const LM_DEFAULTS = Object.freeze({ model: "tiny", reward: "rules:sentiment=1,length=0.2:16", prompt: "The soup was", temperature: 1, topP: 1, maxTokens: 24, n: 4, seed: 1, steps: 10, lr: 1e-4, beta: 0 });

const int = (r: RequestObject, f: string, lo: number, hi: number, d: number) => optionalInteger(r, f, lo, hi) ?? d;
const num = (r: RequestObject, f: string, lo: number, hi: number, d: number, openLow = false) => optionalNumber(r, f, lo, hi, openLow) ?? d;

function str(r: RequestObject, field: string, opts: { max: number; fallback?: string; allowEmpty?: boolean }): string {
  const v = r[field];
  if (v === undefined && opts.fallback !== undefined) return opts.fallback;
  if (typeof v !== "string" || (!opts.allowEmpty && v.trim() === "")) throw new RequestError(`${field} must be a non-empty string, got ${excerpt(v)}`, field);
  if (v.length > opts.max) throw new RequestError(`${field} has ${v.length} characters; at most ${opts.max}`, field);
  return v;
}

export function tttTrainBody(body: unknown): TttTrainJob {
  const r = checkFields(body, ["algorithm", "rewards", "seed", "updates", "evalEvery", "groupSize", "topM", "lr", "weightDecay"], '{"algorithm": "grpo", "rewards": {"win": 1, …}, "updates": 200}');
  const algorithm = r.algorithm ?? TTT_DEFAULTS.algorithm;
  if (algorithm !== "grpo" && algorithm !== "actor-critic") throw new RequestError(`algorithm must be "grpo" or "actor-critic", got ${excerpt(algorithm)}`, "algorithm");
  const rewards = { ...DEFAULT_REWARDS };
  if (r.rewards !== undefined) {
    const given = checkFields(r.rewards, REWARD_NAMES, '{"win": 1, "draw": 0, "loss": -1, "centerBonus": 0, "forkBonus": 0, "illegalPenalty": -1}');
    for (const k of REWARD_NAMES) {
      const v = given[k];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isFinite(v) || Math.abs(v) > 10) throw new RequestError(`rewards.${k} must be a number in [-10, 10], got ${excerpt(v)}`, `rewards.${k}`);
      rewards[k] = v;
    }
  }
  const groupSize = int(r, "groupSize", 2, 512, TTT_DEFAULTS.groupSize);
  const topM = int(r, "topM", 1, 511, TTT_DEFAULTS.topM);
  if (algorithm === "grpo" && topM >= groupSize) throw new RequestError(`topM (${topM}) must be smaller than groupSize (${groupSize}): some episodes of a group are not preferred`, "topM");
  return {
    kind: "ttt-train", algorithm, rewards,
    seed: int(r, "seed", 0, 0xffffffff, TTT_DEFAULTS.seed),
    updates: int(r, "updates", 1, 100_000, TTT_DEFAULTS.updates),
    evalEvery: int(r, "evalEvery", 1, 1000, TTT_DEFAULTS.evalEvery),
    groupSize, topM,
    lr: num(r, "lr", 0, 1, TTT_DEFAULTS.lr, true),
    weightDecay: num(r, "weightDecay", 0, 1, TTT_DEFAULTS.weightDecay),
  };
}

export function gamesBody(body: unknown): number {
  const r = checkFields(body ?? {}, ["games"], '{"games": 200}');
  return int(r, "games", 1, 5000, 200);
}

/** A Tic-Tac-Toe position and the side the person plays: {"board": [9 cells: 1 X, -1 O, 0], "you": "X"}. */
export function moveBody(body: unknown): { board: number[]; you: "X" | "O" } {
  const r = checkFields(body, ["board", "you"], '{"board": [0, 0, 0, 0, 1, 0, 0, 0, 0], "you": "X"}');
  const b = r.board;
  if (!Array.isArray(b) || b.length !== 9 || !b.every((c) => c === 1 || c === -1 || c === 0)) throw new RequestError(`board must be 9 cells, each 1 (X), -1 (O) or 0 (empty), got ${excerpt(b)}`, "board");
  if (r.you !== "X" && r.you !== "O") throw new RequestError(`you must be "X" or "O", got ${excerpt(r.you)}`, "you");
  return { board: b as number[], you: r.you };
}

/** A checkpoint's name inside the runs folder: letters, digits, '.', '_', '-' (no path). */
export function checkpointName(r: RequestObject, field = "name"): string {
  const v = r[field];
  if (typeof v !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$/.test(v) || v.includes("..")) {
    throw new RequestError(`${field} must be a checkpoint name in the runs folder: 1-80 letters, digits, '.', '_' or '-', starting with a letter or digit (no '/' or '..'), got ${excerpt(v)}`, field);
  }
  return v;
}

export function tabField(r: RequestObject): "ttt" | "edit" {
  if (r.tab !== "ttt" && r.tab !== "edit") throw new RequestError(`tab must be "ttt" or "edit", got ${excerpt(r.tab)}`, "tab");
  return r.tab;
}

/**
 * Fewest warm-start steps the playground allows. Without a warm start an untrained edit agent's
 * episodes all run to the 20-step limit, and one GRPO update over 128 such episodes (3,168 actions
 * a step) took the worker past 4 GB of WebAssembly memory ("memory access out of bounds").
 */
export const MIN_WARM_START = 100;

export function editTrainBody(body: unknown): EditTrainJob {
  const r = checkFields(body ?? {}, ["seed", "warmStartSteps", "updates", "lr", "evalEvery", "evalGames"], '{"warmStartSteps": 600, "updates": 36}');
  return {
    kind: "edit-train",
    seed: int(r, "seed", 0, 0xffffffff, EDIT_DEFAULTS.seed),
    warmStartSteps: warmStart(r),
    updates: int(r, "updates", 1, 10_000, EDIT_DEFAULTS.updates),
    lr: num(r, "lr", 0, 1, EDIT_DEFAULTS.lr, true),
    evalEvery: int(r, "evalEvery", 1, 1000, EDIT_DEFAULTS.evalEvery),
    evalGames: int(r, "evalGames", 1, 2000, EDIT_DEFAULTS.evalGames),
  };
}

function warmStart(r: RequestObject): number {
  const v = int(r, "warmStartSteps", 0, 20_000, EDIT_DEFAULTS.warmStartSteps);
  if (v < MIN_WARM_START) throw new RequestError(`warmStartSteps must be at least ${MIN_WARM_START}: without a warm start the agent's episodes all run to the 20-step limit, and one GRPO update over them needs more memory than the worker has`, "warmStartSteps");
  return v;
}

export function editSplitBody(body: unknown): "heldout" | "validation" {
  const r = checkFields(body ?? {}, ["split"], '{"split": "heldout"}');
  const split = r.split ?? "heldout";
  if (split !== "heldout" && split !== "validation") throw new RequestError(`split must be "heldout" or "validation", got ${excerpt(split)}`, "split");
  return split;
}

export function isEditSplit(v: unknown): v is (typeof EDIT_SPLITS)[number] {
  return typeof v === "string" && (EDIT_SPLITS as readonly string[]).includes(v);
}

const LM_SAMPLE_FIELDS = ["model", "reward", "prompt", "temperature", "topP", "maxTokens", "n", "seed"];

/** A GPT-2 sampling request; `model` is checked by the caller (it knows which models exist). */
export function lmSampleBody(body: unknown): LmSampleJob {
  const r = checkFields(body, LM_SAMPLE_FIELDS, '{"model": "tiny", "prompt": "The soup was", "n": 4}');
  return { kind: "lm-sample", ...lmCommon(r) };
}

export function lmTrainBody(body: unknown): LmTrainJob {
  const r = checkFields(body, [...LM_SAMPLE_FIELDS, "steps", "lr", "beta"], '{"model": "tiny", "prompt": "The soup was", "steps": 10}');
  return {
    kind: "lm-train", ...lmCommon(r),
    steps: int(r, "steps", 1, 2000, LM_DEFAULTS.steps),
    lr: num(r, "lr", 0, 1, LM_DEFAULTS.lr, true),
    beta: num(r, "beta", 0, 10, LM_DEFAULTS.beta),
  };
}

function lmCommon(r: RequestObject) {
  const reward = str(r, "reward", { max: 500, fallback: LM_DEFAULTS.reward });
  try {
    parseRewardSpec(reward);
  } catch (err) {
    throw new RequestError(`reward: ${(err as Error).message.replace(/^--reward /, "")}`, "reward");
  }
  return {
    model: str(r, "model", { max: 300, fallback: LM_DEFAULTS.model }),
    reward,
    prompt: str(r, "prompt", { max: 1000 }),
    temperature: num(r, "temperature", 0, 2, LM_DEFAULTS.temperature),
    topP: num(r, "topP", 0, 1, LM_DEFAULTS.topP, true),
    maxTokens: int(r, "maxTokens", 1, 64, LM_DEFAULTS.maxTokens),
    n: int(r, "n", 1, 8, LM_DEFAULTS.n),
    seed: int(r, "seed", 0, 0xffffffff, LM_DEFAULTS.seed),
  };
}
