/**
 * OrderDesk-v0 (./order-desk.ts): a customer asks about an order, the agent looks it up and answers.
 * Importing this module registers it with `makeConversationEnv`. Its tasks and their seeded
 * generator (./catalog.ts, ./tasks.ts, ./data.ts, ./generate.ts), the scoring of answers by their
 * facts (./scoring.ts), the scripted transcripts for pretraining (./transcripts.ts), the reward
 * parts (./rewards.ts) and the report card (./evaluate.ts).
 */
import { registerConversationEnv } from "../conversation/env";
import { summarizeOrderDesk } from "./evaluate";
import { ORDER_DESK_ID, makeOrderDesk, orderDeskGroupStart, type OrderDeskOptions } from "./order-desk";

registerConversationEnv({
  id: ORDER_DESK_ID,
  create: (options) => makeOrderDesk(options as OrderDeskOptions),
  groupStart: (rng, options) => orderDeskGroupStart(rng, options as OrderDeskOptions),
  summarize: (infos) => ({ ...summarizeOrderDesk(infos) }),
});

export {
  ORDER_DESK_ID, ORDER_DESK_MAX_TURNS, ORDER_DESK_SPLITS, ORDER_DESK_CHAT, LOOKUP_TOOL, DEFAULT_ORDER_DESK_REWARDS,
  makeOrderDesk, orderDeskTasks, orderDeskGroupStart, formatOrderRecord, asksForOrderNumber,
  type OrderDeskEnv, type OrderDeskOptions, type OrderDeskRewards, type OrderDeskSplit,
} from "./order-desk";
export { FIRST_NAMES, SURNAMES, COLOURS, THINGS, MONTHS, ORDER_STATUSES, HELDOUT_FRACTION, splitCatalog, type OrderStatus, type CatalogPool, type CatalogSplit } from "./catalog";
export { TASK_KINDS, QUESTIONS, generateTasks, generateTask, generateOrder, itemCount, formatTask, taskProblems, parseOrderDeskTasks, readOrderDeskTasks, type TaskKind, type Question, type Order, type OrderItem, type OrderDeskTask } from "./tasks";
export { extractFacts, judgeAnswer, type AnswerFacts, type AnswerJudgement } from "./scoring";
export { BEHAVIOURS, DEFAULT_BEHAVIOUR_MIX, scriptedAgent, playTranscript, generateTranscripts, formatTranscript, answerText, corruptOrder, type Behaviour, type Transcript } from "./transcripts";
export { DEFAULT_ORDER_DESK_SEED, DEFAULT_ORDER_DESK_SIZES, ORDER_DESK_FILES, generateOrderDeskData, formatOrderDeskData, parseTranscripts, readTranscripts, type OrderDeskData, type OrderDeskSizes } from "./data";
export { summarizeOrderDesk, failureReason, type OrderDeskSummary, type OrderDeskKindSummary, type FailureReason } from "./evaluate";
export { successReward, correctAnswerReward, invalidCallsReward, turnsReward, orderDeskRewardParts } from "./rewards";
