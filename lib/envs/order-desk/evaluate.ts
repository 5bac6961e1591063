/**
 * OrderDesk-v0's report card of finished episodes, from each episode's last `info`:
 *
 *   successRate      share of episodes whose answer is correct and grounded (the env's `success`)
 *   validCallRate    share of tool-call attempts that were well formed (null when there were none)
 *   meanTurns        agent turns per episode
 *   perKind          the same three per task kind (status, delivery, items, count, no-id)
 *   failures         why the other episodes failed, one reason each, checked in this order:
 *                    truncated (no answer within maxTurns), guessed (answered without a lookup),
 *                    wrongFacts (stated a false fact), missingFacts (left out a fact asked for)
 *
 * The names are the ones `tsrl eval --json` prints (issue 18).
 */
import type { Info } from "../../core/env";
import { TASK_KINDS, type TaskKind } from "./tasks";

export interface OrderDeskKindSummary {
  episodes: number;
  successRate: number;
  validCallRate: number | null;
  meanTurns: number;
}

export interface OrderDeskSummary extends OrderDeskKindSummary {
  /** Share of episodes that made at least one well-formed lookup of their order. */
  lookupRate: number;
  /** Tool-call attempts per episode. */
  callsPerEpisode: number;
  perKind: Partial<Record<TaskKind, OrderDeskKindSummary>>;
  failures: { truncated: number; guessed: number; wrongFacts: number; missingFacts: number };
}

export type FailureReason = keyof OrderDeskSummary["failures"];

/** Why an episode failed (undefined for a success). */
export function failureReason(info: Info): FailureReason | undefined {
  if (info.success === true) return undefined;
  if (info.answered !== true) return "truncated";
  if (info.grounded !== true) return "guessed";
  if (Array.isArray(info.wrong) && info.wrong.length > 0) return "wrongFacts";
  return "missingFacts";
}

function kindSummary(infos: readonly Info[]): OrderDeskKindSummary {
  const n = infos.length;
  const calls = infos.reduce((a, i) => a + Number(i.calls ?? 0), 0);
  const valid = infos.reduce((a, i) => a + Number(i.validCalls ?? 0), 0);
  return {
    episodes: n,
    successRate: n ? infos.filter((i) => i.success === true).length / n : 0,
    validCallRate: calls ? valid / calls : null,
    meanTurns: n ? infos.reduce((a, i) => a + Number(i.turns ?? 0), 0) / n : 0,
  };
}

/** The report card (see the module comment) of episodes' final infos. */
export function summarizeOrderDesk(finalInfos: readonly Info[]): OrderDeskSummary {
  const n = finalInfos.length;
  const perKind: OrderDeskSummary["perKind"] = {};
  for (const kind of TASK_KINDS) {
    const of = finalInfos.filter((i) => i.kind === kind);
    if (of.length > 0) perKind[kind] = kindSummary(of);
  }
  const failures = { truncated: 0, guessed: 0, wrongFacts: 0, missingFacts: 0 };
  for (const i of finalInfos) {
    const r = failureReason(i);
    if (r) failures[r]++;
  }
  return {
    ...kindSummary(finalInfos),
    lookupRate: n ? finalInfos.filter((i) => i.lookedUp === true).length / n : 0,
    callsPerEpisode: n ? finalInfos.reduce((a, i) => a + Number(i.calls ?? 0), 0) / n : 0,
    perKind,
    failures,
  };
}
