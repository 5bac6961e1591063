/**
 * The playground's edit-agent jobs, run in its worker: train (the behaviour-cloning warm start on
 * the oracle's edits, then GRPO: EditAgent-v0's preset with the page's budget), and verify a policy
 * on held-out tasks — per-family scores and every episode's diffs, for the page to colour.
 */
import { checkpoint } from "../../core/abort";
import type { Agent, BaseRow } from "../../algos/agent";
import { algorithmSpec, createAgent } from "../../algos/registry";
import { EDIT_AGENT_ID, resolveEditTasks } from "../../envs/edit/edit-agent";
import { evaluateEditPolicy, type EditEpisode, type EditScores } from "../../envs/edit/evaluate";
import type { EditAct } from "../../envs/edit/oracle";
import { EDIT_FAMILIES } from "../../envs/edit/tasks";
import type { JobContext } from "./job-context";
import type { EditTrainJob, EditVerifyJob } from "./protocol";
import { policyOf, trainWithSnapshots } from "./snapshot";

/** GRPO's config for an edit-training job: EditAgent-v0's preset, the page's budget. */
export function editTrainConfig(job: EditTrainJob): Record<string, unknown> {
  const preset = algorithmSpec("grpo").config({ envId: EDIT_AGENT_ID });
  return {
    envId: EDIT_AGENT_ID, seed: job.seed, warmStartSteps: job.warmStartSteps, learningRate: job.lr,
    maxEpisodes: job.updates * Number(preset.numGenerations) * Number(preset.groupsPerUpdate), evalEvery: job.evalEvery, evalGames: job.evalGames,
  };
}

export async function editTrain(job: EditTrainJob, ctx: JobContext): Promise<unknown> {
  const agent = (await createAgent("grpo", editTrainConfig(job))) as Agent<object, BaseRow>;
  try {
    const result = await trainWithSnapshots(agent, ctx, "evalExactMatch");
    return { stopped: result.stopped, updates: result.updates, episodes: result.episodes, wallTime: result.wallTime };
  } finally {
    agent.dispose();
  }
}

export interface EditVerification extends EditScores {
  split: string;
  perFamily: Record<string, EditScores>;
  episodes: EditEpisode[];
  source: string;
}

/** Runs the policy on every task of the split, one family at a time (Stop is honoured between them). */
export async function editVerify(job: EditVerifyJob, ctx: JobContext): Promise<EditVerification> {
  const policy = policyOf(job.policy);
  try {
    const tasks = resolveEditTasks({ split: job.split });
    const families = EDIT_FAMILIES.filter((f) => tasks.some((t) => t.family === f));
    const perFamily: Record<string, EditScores> = {};
    const episodes: EditEpisode[] = [];
    for (const [k, family] of families.entries()) {
      await checkpoint(ctx.signal, 0);
      const r = evaluateEditPolicy(policy.act as unknown as EditAct, tasks.filter((t) => t.family === family), { greedy: true });
      const { perFamily: _, episodes: mine, ...scores } = r;
      perFamily[family] = scores;
      episodes.push(...mine);
      ctx.progress({ done: k + 1, total: families.length, unit: "families", fields: { last: family } });
    }
    return { split: job.split, ...overall(Object.values(perFamily)), perFamily, episodes, source: job.policy.source };
  } finally {
    policy.dispose();
  }
}

/** The scores of all tasks from the families' scores: each mean weighted by its family's count. */
function overall(families: readonly EditScores[]): EditScores {
  const count = families.reduce((s, f) => s + f.count, 0);
  const mean = (k: keyof EditScores) => families.reduce((s, f) => s + f[k] * f.count, 0) / Math.max(count, 1);
  return { count, exactMatch: mean("exactMatch"), meanNormalizedEditDistance: mean("meanNormalizedEditDistance"), meanSteps: mean("meanSteps"), meanMinimalSteps: mean("meanMinimalSteps"),
    abstained: mean("abstained"), wrong: mean("wrong"), unaskedChangeRate: mean("unaskedChangeRate") };
}
