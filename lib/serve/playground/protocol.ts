/**
 * What the playground's server (main thread) and its training worker (a worker_thread) say to each
 * other. Long work — training, evaluation over thousands of games, a GPT-2's sampling — runs in the
 * worker, one job at a time, so the server's event loop stays free to answer pages, polls and Stop.
 *
 *   main → worker   start {id, job}        run this job
 *                   stop {id}              abort it (the job's loops check the signal between steps)
 *   worker → main   progress {id, …}       how far, and the metrics rows logged since the last message
 *                   snapshot {id, policy}  the weights an agent has now (play and custom edits use them
 *                                          on the main thread while training goes on)
 *                   end {id, status, …}    done | stopped | failed, with the job's result or error
 */
import type { TicTacToeRewards } from "../../envs/tictactoe/tictactoe";
import type { NamedTensors } from "../../nn/mlp/mlp";

export const TTT_ID = "TicTacToe-v0";

/** Tic-Tac-Toe's reward knobs: TicTacToe-v0's `rewards` option, every one given. */
export type TttRewards = TicTacToeRewards;

export interface TttTrainJob {
  kind: "ttt-train";
  algorithm: "grpo" | "actor-critic";
  rewards: TttRewards;
  seed: number;
  /** Updates to run (GRPO: groups of K episodes each; actor-critic: numEnvs × nSteps env steps each). */
  updates: number;
  /** Updates between report cards (the win/draw/loss curves' points). */
  evalEvery: number;
  /** GRPO's group size K, preferred m, learning rate and L2 weight decay. */
  groupSize: number;
  topM: number;
  lr: number;
  weightDecay: number;
}

export interface TttEvaluateJob {
  kind: "ttt-evaluate";
  /** Games per opponent and side. */
  games: number;
  policy: PolicySnapshot;
}

export interface LoadJob {
  kind: "load";
  /** A checkpoint directory (already checked to be inside the runs folder). */
  dir: string;
  /** The environment the tab expects: TicTacToe-v0 or EditAgent-v0. */
  envId: string;
}

export interface EditTrainJob {
  kind: "edit-train";
  seed: number;
  warmStartSteps: number;
  /** GRPO updates after the warm start (each: groupsPerUpdate tasks × groupSize attempts). */
  updates: number;
  lr: number;
  evalEvery: number;
  /** Validation tasks per report card. */
  evalGames: number;
}

export interface EditVerifyJob {
  kind: "edit-verify";
  policy: PolicySnapshot;
  /** "heldout" (unseen words) or "validation". */
  split: "heldout" | "validation";
}

export interface LmSampling {
  prompt: string;
  temperature: number;
  topP: number;
  maxTokens: number;
  n: number;
  seed: number;
}

export interface LmSampleJob extends LmSampling {
  kind: "lm-sample";
  /** "tiny" (a random tiny GPT-2), a GPT-2 directory, or "trained:<run id>" (this session's GRPO run). */
  model: string;
  reward: string;
}

export interface LmTrainJob extends LmSampling {
  kind: "lm-train";
  model: string;
  reward: string;
  steps: number;
  lr: number;
  beta: number;
}

export type Job = TttTrainJob | TttEvaluateJob | LoadJob | EditTrainJob | EditVerifyJob | LmSampleJob | LmTrainJob;
export type JobKind = Job["kind"];

/** An acting policy's checkpoint data: enough to rebuild it anywhere (lib/algos' spec.policy). */
export interface PolicySnapshot {
  algorithm: string;
  envId: string;
  config: Record<string, unknown> & { envId: string; seed: number };
  /** The weights now (play with these). */
  weights: NamedTensors;
  /** The weights a checkpoint keeps (the best evaluated snapshot, when the algorithm keeps one). */
  checkpointWeights: NamedTensors;
  /** Where it came from, for the page: "training run 3, update 40" or "runs/ac-ttt". */
  source: string;
}

export interface JobProgress {
  done: number;
  total: number;
  unit: string;
  fields: Record<string, string>;
}

export type WorkerMessage =
  | { type: "progress"; id: number; progress: JobProgress; rows: Record<string, number | null>[] }
  | { type: "snapshot"; id: number; policy: PolicySnapshot }
  | { type: "end"; id: number; status: "done" | "stopped" | "failed"; result?: unknown; error?: string };

export type MainMessage = { type: "start"; id: number; job: Job } | { type: "stop"; id: number };
