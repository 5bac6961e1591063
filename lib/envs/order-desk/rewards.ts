/**
 * OrderDesk-v0's reward parts, as episode-level rewards (../conversation/rewards.ts) read from each
 * episode's final `info`:
 *
 *   success        1 when the answer is correct and grounded, else 0
 *   invalidCalls   −(malformed tool calls)
 *   turns          −(agent turns)
 *   correct        1 when the answer's facts are right, looked up or not (for diagnosis: a lucky
 *                  guess scores here and not in success)
 *
 * `orderDeskRewardParts(rewards)` weights the first three as the environment does, so that
 * `combineEpisodeRewards(orderDeskRewardParts())` equals the episode's return Σ_t r_t (tested).
 * Other parts compose with them: `{ name: "polite", reward: textEpisodeReward(ruleReward([{ kind:
 * "keyword", keywords: ["thanks", "sorry"] }])), weight: 0.1 }` from lib/lm's rules.
 */
import type { EpisodeRewardFn, EpisodeRewardPart } from "../conversation/rewards";
import { DEFAULT_ORDER_DESK_REWARDS, type OrderDeskRewards } from "./order-desk";

export const successReward: EpisodeRewardFn = (episodes) => episodes.map((e) => (e.info.success === true ? 1 : 0));
export const correctAnswerReward: EpisodeRewardFn = (episodes) => episodes.map((e) => (e.info.correct === true ? 1 : 0));
export const invalidCallsReward: EpisodeRewardFn = (episodes) => episodes.map((e) => -Number(e.info.invalidCalls ?? 0));
export const turnsReward: EpisodeRewardFn = (episodes) => episodes.map((e) => -Number(e.info.turns ?? e.turnRewards.length));

/** The environment's own reward as parts (weights from `rewards`, default the env's). */
export function orderDeskRewardParts(rewards: Partial<OrderDeskRewards> = {}): EpisodeRewardPart[] {
  const r = { ...DEFAULT_ORDER_DESK_REWARDS, ...rewards };
  return [
    { name: "success", reward: successReward, weight: r.successBonus },
    { name: "invalidCalls", reward: invalidCallsReward, weight: r.invalidCallPenalty },
    { name: "turns", reward: turnsReward, weight: r.turnCost },
  ];
}
