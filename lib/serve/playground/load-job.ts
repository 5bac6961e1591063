/**
 * The playground's "load a checkpoint" job (in the worker: loading builds the agent, and an edit
 * agent's network lives on tfjs): a checkpoint of the CLI's format becomes the tab's policy
 * snapshot, with its training log for the page's chart.
 */
import { loadAgent } from "../../algos/registry";
import { loadCheckpoint } from "../../data/checkpoint";
import type { JobContext } from "./job-context";
import type { LoadJob } from "./protocol";
import { snapshotOf } from "./snapshot";

export async function loadCheckpointJob(job: LoadJob, ctx: JobContext): Promise<{ dir: string; algorithm: string; updates: number }> {
  const head = loadCheckpoint(job.dir, { metrics: true });
  const env = (head.config.hyperparameters as { envId?: unknown } | undefined)?.envId ?? head.config.env;
  if (env !== job.envId) throw new RangeError(`${job.dir} holds a ${String(env)} agent; this tab needs a ${job.envId} checkpoint`);
  const agent = await loadAgent(job.dir);
  try {
    for (const row of head.metrics ?? []) ctx.row(row as Record<string, number>);
    ctx.snapshot(snapshotOf(agent, job.dir));
    return { dir: job.dir, algorithm: agent.algorithm, updates: head.metrics?.length ?? 0 };
  } finally {
    agent.dispose();
  }
}
