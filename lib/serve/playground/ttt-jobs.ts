/**
 * The playground's Tic-Tac-Toe jobs, run in its worker: train an agent (GRPO or actor-critic) with
 * the page's rewards, and evaluate a policy (win/draw/loss tables against each opponent, as X and
 * as O, and the exhaustive check of every game any opponent can force).
 */
import { checkpoint } from "../../core/abort";
import type { Agent, BaseRow } from "../../algos/agent";
import { algorithmSpec, createAgent } from "../../algos/registry";
import { exhaustiveCheck, playMatches } from "../../envs/tictactoe/analysis";
import { OPPONENT_NAMES } from "../../envs/tictactoe/opponents";
import type { JobContext } from "./job-context";
import { TTT_ID, type TttEvaluateJob, type TttTrainJob } from "./protocol";
import { policyOf, trainWithSnapshots } from "./snapshot";

/** The algorithm's config for a training job: the env's preset (opponent mixture, sides) with the page's rewards. */
export function tttTrainConfig(job: TttTrainJob): Record<string, unknown> {
  const preset = (algorithmSpec(job.algorithm).presets?.[TTT_ID] ?? {}) as { envOptions?: Record<string, unknown> };
  const envOptions = { ...preset.envOptions, rewards: { ...job.rewards } };
  const common = { envId: TTT_ID, seed: job.seed, envOptions, learningRate: job.lr, evalEvery: job.evalEvery, evalGames: 100 };
  if (job.algorithm === "grpo") {
    return { ...common, numGenerations: job.groupSize, topM: job.topM, weightDecay: job.weightDecay, maxEpisodes: job.updates * job.groupSize };
  }
  const defaults = algorithmSpec("actor-critic").config({ envId: TTT_ID });
  return { ...common, totalTimesteps: job.updates * Number(defaults.numEnvs) * Number(defaults.numSteps) };
}

export async function tttTrain(job: TttTrainJob, ctx: JobContext): Promise<unknown> {
  const agent = (await createAgent(job.algorithm, tttTrainConfig(job))) as Agent<object, BaseRow>;
  try {
    const result = await trainWithSnapshots(agent, ctx, "winRandom");
    const last = agent.metrics.findLast((r) => Number.isFinite((r as unknown as Record<string, number>).winRandom)) as unknown as Record<string, number> | undefined;
    return { stopped: result.stopped === "target" ? "solved" : result.stopped, updates: result.updates, episodes: result.episodes, wallTime: result.wallTime, solved: last?.solved === 1 };
  } finally {
    agent.dispose();
  }
}

export interface TttEvaluation {
  games: number;
  matches: { opponent: string; side: "X" | "O"; games: number; wins: number; draws: number; losses: number }[];
  exhaustive: { side: "X" | "O"; games: number; wins: number; draws: number; losses: number; losingGames: number[][] }[];
  neverLoses: boolean;
  source: string;
}

export async function tttEvaluate(job: TttEvaluateJob, ctx: JobContext): Promise<TttEvaluation> {
  const policy = policyOf(job.policy);
  const sides = ["X", "O"] as const;
  const total = OPPONENT_NAMES.length * sides.length + sides.length;
  let done = 0;
  const step = async (what: string) => {
    done++;
    ctx.progress({ done, total, unit: "checks", fields: { last: what } });
    await checkpoint(ctx.signal, 0);
  };
  try {
    const matches: TttEvaluation["matches"] = [];
    for (const opponent of OPPONENT_NAMES) {
      for (const side of sides) {
        const m = playMatches(policy.act, opponent, { games: job.games, agentPlays: side, seed: side === "X" ? 0 : 100_000 });
        matches.push({ opponent, side, games: m.games, wins: m.wins, draws: m.draws, losses: m.losses });
        await step(`${opponent} as ${side}`);
      }
    }
    const exhaustive: TttEvaluation["exhaustive"] = [];
    for (const side of sides) {
      const e = exhaustiveCheck(policy.act, { agentPlays: side, keep: 3 });
      exhaustive.push({ side, games: e.games, wins: e.wins, draws: e.draws, losses: e.losses, losingGames: e.losingGames });
      await step(`exhaustive as ${side}`);
    }
    return { games: job.games, matches, exhaustive, neverLoses: exhaustive.every((e) => e.losses === 0), source: job.policy.source };
  } finally {
    policy.dispose();
  }
}
