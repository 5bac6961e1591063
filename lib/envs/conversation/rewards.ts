/**
 * Episode-level rewards: one number per finished episode, composed from named parts — the episode
 * analogue of lib/lm's `RewardFn` and `combineRewards`, so that GRPO over episodes scores a group of
 * conversations the way GRPO over completions scores a group of completions.
 *
 *   type EpisodeRewardFn = (episodes) => number[] | Promise<number[]>      one reward per episode
 *   combineEpisodeRewards([{ name, reward, weight }, …])   Σ weight_k · reward_k, with each part's values
 *   episodeReturn                                          the environment's own return Σ_t r_t
 *   textEpisodeReward(rewardFn)                            any lib/lm RewardFn (rules, a reward model,
 *                                                          a classifier) on the agent's words
 *
 * `textEpisodeReward` is how the existing rewards plug in: a rule reward for length or politeness,
 * or a reward model, sees the conversation's first user message as the prompt and the agent's
 * messages (one a line) as the completion.
 */
import type { Info } from "../../core/env";
import type { RewardFn } from "../../core/text-reward";
import type { Message } from "./messages";

/** A finished episode as rewards see it. */
export interface EpisodeRecord {
  /** The whole conversation. */
  messages: readonly Message[];
  /** The environment's reward of each agent turn. */
  turnRewards: readonly number[];
  terminated: boolean;
  truncated: boolean;
  /** The last step's info (the environment's verdict on the episode). */
  info: Info;
}

export type EpisodeRewardFn<E extends EpisodeRecord = EpisodeRecord> = (episodes: readonly E[]) => Promise<number[]> | number[];

export interface EpisodeRewardPart<E extends EpisodeRecord = EpisodeRecord> {
  /** A column name for the part's values ("success", "validCalls", …). */
  name: string;
  reward: EpisodeRewardFn<E>;
  weight?: number;
}

export interface ComposedEpisodeRewards {
  /** Σ weight_k · part_k, one per episode. */
  total: number[];
  /** Each part's unweighted values, by name. */
  parts: Record<string, number[]>;
}

/** The environment's return of each episode: the sum of its turn rewards. */
export const episodeReturn: EpisodeRewardFn = (episodes) => episodes.map((e) => e.turnRewards.reduce((a, b) => a + b, 0));

function checkParts<E extends EpisodeRecord>(parts: readonly EpisodeRewardPart<E>[]): void {
  if (!Array.isArray(parts) || parts.length === 0) throw new RangeError("combineEpisodeRewards: parts must be a non-empty array of { name, reward, weight }");
  const names = new Set<string>();
  parts.forEach((p, k) => {
    if (typeof p?.name !== "string" || p.name === "") throw new TypeError(`parts[${k}].name must be a non-empty string, got ${JSON.stringify(p?.name)}`);
    if (names.has(p.name)) throw new RangeError(`parts[${k}].name ${JSON.stringify(p.name)} is used twice`);
    names.add(p.name);
    if (typeof p.reward !== "function") throw new TypeError(`parts[${k}].reward must be a function (episodes) => number[], got ${typeof p.reward}`);
    if (p.weight !== undefined && !Number.isFinite(p.weight)) throw new RangeError(`parts[${k}].weight must be a finite number, got ${JSON.stringify(p.weight)}`);
  });
}

/** Every part's values and their weighted sum (the parts are checked now). */
export function composeEpisodeRewards<E extends EpisodeRecord>(parts: readonly EpisodeRewardPart<E>[]): (episodes: readonly E[]) => Promise<ComposedEpisodeRewards> {
  checkParts(parts);
  return async (episodes) => {
    const total = new Array<number>(episodes.length).fill(0);
    const values: Record<string, number[]> = {};
    for (const p of parts) {
      const r = await p.reward(episodes);
      if (!Array.isArray(r) || r.length !== episodes.length) throw new RangeError(`reward part ${JSON.stringify(p.name)} returned ${Array.isArray(r) ? r.length : typeof r} values for ${episodes.length} episodes`);
      r.forEach((v, i) => {
        if (!Number.isFinite(v)) throw new RangeError(`reward part ${JSON.stringify(p.name)} gave episode ${i} the value ${v}, expected a finite number`);
        total[i] += (p.weight ?? 1) * v;
      });
      values[p.name] = r;
    }
    return { total, parts: values };
  };
}

/** Σ weight_k · part_k as an EpisodeRewardFn. */
export function combineEpisodeRewards<E extends EpisodeRecord>(parts: readonly EpisodeRewardPart<E>[]): EpisodeRewardFn<E> {
  const compose = composeEpisodeRewards(parts);
  return async (episodes) => (await compose(episodes)).total;
}

/** The first user message (the request the episode serves). */
export function openingRequest(messages: readonly Message[]): string {
  return messages.find((m) => m.role === "user")?.content ?? "";
}

/** The agent's messages, one a line. */
export function agentText(messages: readonly Message[]): string {
  return messages.filter((m) => m.role === "assistant").map((m) => m.content).join("\n");
}

/** A lib/lm RewardFn on (opening request, the agent's messages) as an episode reward. */
export function textEpisodeReward(reward: RewardFn): EpisodeRewardFn {
  if (typeof reward !== "function") throw new TypeError(`textEpisodeReward: reward must be a function (prompts, completions) => number[], got ${typeof reward}`);
  return (episodes) => reward(episodes.map((e) => openingRequest(e.messages)), episodes.map((e) => agentText(e.messages)));
}
