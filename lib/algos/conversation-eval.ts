/**
 * Evaluating a GPT-2 agent on a conversation environment's tasks: `samples` episodes per task
 * (sampled at `temperature`, or greedy), then the environment's own report card
 * (`ConversationEnvSpec.summarize`; OrderDesk-v0: successRate, validCallRate, meanTurns, perKind,
 * failures). What `tsrl eval DIR --tasks FILE` will print.
 *
 *   const { summary, episodes } = await evaluateChatModel(model, tokenizer, "OrderDesk-v0", { split: "heldout" });
 */
import { createRng } from "../core/rng";
import { conversationEnvSpec, type EpisodeSummary } from "../envs/conversation/env";
import type { Gpt2 } from "../nn/gpt2/model";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { rolloutConversations, type ConversationEpisode } from "./conversation-rollout";

export interface ChatEvaluationOptions {
  /** The environment's task split ("train", "heldout"), unless `tasks` is given. */
  split?: string;
  /** Tasks (records, or a JSONL path) instead of a split. */
  tasks?: readonly unknown[] | string;
  /** Evaluate the first `limit` tasks only (default all). */
  limit?: number;
  /** Episodes per task (default 1). */
  samples?: number;
  /** Sampling temperature (default 1: the policy as it acts in training); 0 = greedy. */
  temperature?: number;
  /** Seed of the sampling and the environments (default 0). */
  seed?: number;
  maxTurnTokens?: number;
  batchSize?: number;
}

export interface ChatEvaluation {
  summary: EpisodeSummary;
  episodes: ConversationEpisode[];
  /** Tasks evaluated. */
  tasks: number;
  seconds: number;
}

export async function evaluateChatModel(model: Gpt2, tokenizer: Gpt2Tokenizer, envId: string, opts: ChatEvaluationOptions = {}): Promise<ChatEvaluation> {
  const spec = conversationEnvSpec(envId);
  const envOptions: Record<string, unknown> = opts.tasks !== undefined ? { tasks: opts.tasks } : opts.split !== undefined ? { split: opts.split } : {};
  const probe = spec.create(envOptions) as { tasks?: readonly unknown[] };
  if (!Array.isArray(probe.tasks)) throw new TypeError(`${envId}: its environment does not list its tasks (env.tasks), so it cannot be evaluated task by task`);
  const n = Math.min(probe.tasks.length, opts.limit ?? Infinity);
  if (!(n >= 1)) throw new RangeError(`evaluateChatModel: limit must be ≥ 1, got ${opts.limit}`);
  const temperature = opts.temperature ?? 1;
  const t0 = performance.now();
  const episodes = rolloutConversations(model, tokenizer, () => spec.create(envOptions), Array.from({ length: n }, (_, taskIndex) => ({ taskIndex })), {
    groupSize: opts.samples ?? 1, temperature, greedy: temperature === 0, rng: temperature === 0 ? undefined : createRng(opts.seed ?? 0),
    maxTurnTokens: opts.maxTurnTokens, batchSize: opts.batchSize,
  });
  const summary = spec.summarize ? spec.summarize(episodes.map((e) => e.info)) : {};
  return { summary, episodes, tasks: n, seconds: (performance.now() - t0) / 1000 };
}
