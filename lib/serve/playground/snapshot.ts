/**
 * Policy snapshots: an agent's algorithm, config and weights as plain data, so the worker that
 * trains it can hand it to the main thread (structured clone), which plays with it, edits with it
 * and saves it as a checkpoint in the CLI's format — while training goes on in the worker.
 */
import type { Agent, BaseRow, TrainResult } from "../../algos/agent";
import { saveAgent } from "../../algos/checkpoint";
import type { ActFn } from "../../algos/evaluate";
import { algorithmSpec } from "../../algos/registry";
import { envSpec, makeEnv } from "../../envs/registry";
import { softmaxRow } from "../../nn/categorical";
import type { JobContext } from "./job-context";
import type { PolicySnapshot } from "./protocol";

/** A snapshot of `agent`'s weights now. */
export function snapshotOf(agent: Agent<object, BaseRow>, source: string): PolicySnapshot {
  return {
    algorithm: agent.algorithm,
    envId: agent.envId,
    config: { ...(agent.config as PolicySnapshot["config"]) },
    weights: agent.weights(),
    checkpointWeights: agent.checkpointWeights(),
    source,
  };
}

/** The acting policy of a snapshot, on the env's own observations (as loadPolicy gives a checkpoint's). */
export interface SnapshotPolicy {
  act: ActFn;
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  dispose(): void;
}

export function policyOf(snapshot: PolicySnapshot): SnapshotPolicy {
  const spec = algorithmSpec(snapshot.algorithm);
  const config = spec.config(snapshot.config);
  const env = makeEnv(snapshot.envId);
  try {
    const net = spec.policy(config, env, snapshot.weights);
    const observe = envSpec(snapshot.envId).observation?.featurize ?? ((obs: unknown) => obs as Float32Array);
    return {
      act: (obs, ctx) => net.act(observe(obs), ctx),
      probs: (obs, mask) => softmaxRow(net.logits(observe(obs), 1), mask),
      dispose: () => (net as { dispose?: () => void }).dispose?.(),
    };
  } finally {
    env.close?.();
  }
}

/**
 * Writes `snapshot` as a checkpoint at `dir` through saveAgent — the CLI's format (config.json,
 * model.safetensors, metrics.csv: the training log `metrics`), so `tsrl eval` and `tsrl serve` read
 * it — and through its out-directory guard: an OutDirError, before anything is written, when `dir`
 * is not tsrl's to write (or holds a checkpoint and `overwrite` is false).
 */
export function saveSnapshot(dir: string, snapshot: PolicySnapshot, metrics: readonly Record<string, number | null>[], opts: { overwrite: boolean }): string {
  const agentLike = {
    algorithm: snapshot.algorithm,
    envId: snapshot.envId,
    config: snapshot.config,
    metrics: metrics.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v ?? NaN]))),
    checkpointWeights: () => snapshot.checkpointWeights,
  } as unknown as Agent<object, BaseRow>;
  return saveAgent(dir, agentLike, undefined, { overwrite: opts.overwrite, trainingState: false });
}

/**
 * Trains `agent` for a playground job: every row and the progress go to the page, and a snapshot
 * after each report card (a row where `reportColumn` is a number) and at the end, so the tab plays
 * (or edits with) the agent as it is while training goes on. Stop returns with what was learned.
 */
export async function trainWithSnapshots(agent: Agent<object, BaseRow>, ctx: JobContext, reportColumn: string): Promise<TrainResult<BaseRow>> {
  const source = () => `training run ${ctx.id}, update ${agent.metrics.length}`;
  ctx.snapshot(snapshotOf(agent, source()));
  const result = await agent.train({
    signal: ctx.signal,
    onAbort: "return",
    onUpdate: (row) => ctx.row(row as unknown as Record<string, number>),
    onProgress: (p) => {
      ctx.progress(p);
      const last = agent.metrics.at(-1) as unknown as Record<string, number> | undefined;
      if (last && Number.isFinite(last[reportColumn])) ctx.snapshot(snapshotOf(agent, source()));
    },
  });
  ctx.snapshot(snapshotOf(agent, source()));
  return result;
}
