/**
 * OrderDesk-v0: a customer asks about an order; the agent looks it up with a tool and answers.
 *
 * A small, fully verifiable model of an agent that uses a tool across turns: the facts the answer
 * needs are in the order database and nowhere else, so the agent must call the tool, read its
 * result and answer with the right facts, within a few turns.
 *
 * ## Tasks
 * `OrderDeskTask` records (./tasks.ts): five kinds — status, delivery, items, count, no-id (the
 * customer gives no order number). `options.tasks` is an array of them or the path of a JSONL file;
 * otherwise `options.split` ("train" default, "heldout") reads datasets/order-desk/<split>.jsonl.
 * `reset({ seed })` draws a task with the env's generator; `reset({ options: { taskIndex } })` or
 * `reset({ options: { task } })` sets one. The registry's `groupStart` draws a `taskIndex` once per
 * GRPO group, so a group's episodes share their task.
 *
 * ## Messages (the observation)
 * `{ role, content }` (../conversation/messages.ts): "user" is the customer, "assistant" the agent,
 * "tool" the lookup tool's result or an error about a malformed call. `reset` returns the customer's
 * opening message; each `step` returns the environment's turn, the messages that follow the agent's.
 * The chat format writes them as "Customer: …", "Agent: …", "Tool: …" lines.
 *
 * ## Agent turn (the action): one message, plain text
 * | the message | what happens |
 * |---|---|
 * | `<call>lookup order 4471</call>`, exactly | the tool answers `order 4471: Maya Chen; shipped; arrives May 14; red lamp x2, blue kettle x1` (or `error: no order 4471` for an id it does not know) |
 * | anything else containing `<call` or `call>` | a malformed call: the tool answers `error: <what is wrong>` (../conversation/tool-call.ts), e.g. `error: lookup needs an order: "order" and its 4-digit number, got "4471"` |
 * | a question for the order number: ends with "?" and says "number" or "order id" | the customer replies with it ("My order number is 4471.") |
 * | any other text | the agent's answer: the episode ends and the answer is judged by its facts (./scoring.ts) |
 *
 * ## Rewards (`options.rewards`, defaults)
 * | term | default | when |
 * |---|---|---|
 * | turnCost | 0.05 | subtracted every agent turn |
 * | invalidCallPenalty | 0.2 | subtracted for a malformed call |
 * | successBonus | 1 | the answer is a success: correct (every fact asked, no false fact) and grounded (the agent looked the order up before answering) |
 * So a two-turn success (look up, answer) returns 0.9, a guess −0.05 (a correct guess too: it is not
 * grounded). The same parts, as episode-level rewards to compose, are in ./rewards.ts.
 *
 * ## Episode end
 * Termination: the agent answers. Truncation: `maxTurns` agent turns (option, default 4) without an
 * answer. The final `info` carries the verdict: `answered`, `success`, `correct`, `grounded`,
 * `missing` and `wrong` (facts), `turns`, `calls`, `validCalls`, `invalidCalls`, `taskId`, `kind`.
 * Every `info` carries `turns`, `calls`, `validCalls`, `invalidCalls`, `lookedUp`, `taskId`, `kind`.
 *
 * ## Randomness
 * The task draw and the customer's wording, from the env's generator seeded by `reset({ seed })`;
 * everything else is deterministic.
 *
 * ## Version history
 * v0: first version.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Info, ResetArgs } from "../../core/env";
import { createRng, randomSeed, type Rng } from "../../core/rng";
import { datasetsDir } from "../../data/paths";
import { ConversationUsageError, type ConversationEnv, type ConversationStepResult } from "../conversation/env";
import { chatFormat, oneLine, type Message } from "../conversation/messages";
import { parseToolCall, type ToolSpec } from "../conversation/tool-call";
import { judgeAnswer } from "./scoring";
import { readOrderDeskTasks, taskProblems, type Order, type OrderDeskTask } from "./tasks";

export const ORDER_DESK_ID = "OrderDesk-v0";
/** Agent turns before truncation (the fewest a task needs: 2, or 3 without an order number). */
export const ORDER_DESK_MAX_TURNS = 4;
export const ORDER_DESK_SPLITS = ["train", "heldout"] as const;
export type OrderDeskSplit = (typeof ORDER_DESK_SPLITS)[number];

/** How OrderDesk-v0's conversations are written for a language model. */
export const ORDER_DESK_CHAT = chatFormat({ user: "Customer", assistant: "Agent", tool: "Tool" });

/** The one tool. */
export const LOOKUP_TOOL: ToolSpec = { name: "lookup", argument: /order \d{4}/, argumentHelp: 'an order: "order" and its 4-digit number' };

export interface OrderDeskRewards {
  turnCost: number;
  invalidCallPenalty: number;
  successBonus: number;
}

export const DEFAULT_ORDER_DESK_REWARDS: Readonly<OrderDeskRewards> = Object.freeze({ turnCost: 0.05, invalidCallPenalty: 0.2, successBonus: 1 });

export interface OrderDeskOptions {
  /** Tasks, or a JSONL file of them; default datasets/order-desk/<split>.jsonl. */
  tasks?: readonly OrderDeskTask[] | string;
  split?: OrderDeskSplit;
  maxTurns?: number;
  rewards?: Partial<OrderDeskRewards>;
}

export interface OrderDeskEnv extends ConversationEnv {
  /** The task of the current episode. */
  readonly task: OrderDeskTask | undefined;
  /** The tasks `reset` draws from (read on first use). */
  readonly tasks: readonly OrderDeskTask[];
  readonly rewards: Readonly<OrderDeskRewards>;
}

/** The lookup tool's answer for an order. */
export function formatOrderRecord(o: Order): string {
  const when = o.status === "cancelled" ? "cancelled" : o.status === "delivered" ? `delivered on ${o.date}` : `${o.status}; arrives ${o.date}`;
  return `order ${o.id}: ${o.customer}; ${when}; ${o.items.map((it) => `${it.name} x${it.qty}`).join(", ")}`;
}

/** Whether an agent message (not a call) asks the customer for the order number. */
export function asksForOrderNumber(text: string): boolean {
  const t = text.trim();
  return t.endsWith("?") && /\bnumber\b|\border id\b/i.test(t);
}

const CUSTOMER_GIVES_ID = ["It is order {id}.", "Sure, it's order {id}.", "That would be order {id}."];
const CUSTOMER_REPEATS_ID = "As I said, it is order {id}.";

const taskFiles = new Map<string, { mtimeMs: number; tasks: OrderDeskTask[] }>();

/** Tasks of a file, read once per version of the file. */
function tasksOfFile(file: string): OrderDeskTask[] {
  const abs = path.resolve(file);
  const mtimeMs = fs.existsSync(abs) ? fs.statSync(abs).mtimeMs : -1;
  const cached = taskFiles.get(abs);
  if (cached && cached.mtimeMs === mtimeMs) return cached.tasks;
  const tasks = readOrderDeskTasks(abs);
  taskFiles.set(abs, { mtimeMs, tasks });
  return tasks;
}

/** The tasks the options name (see OrderDeskOptions). */
export function orderDeskTasks(options: OrderDeskOptions = {}): readonly OrderDeskTask[] {
  if (options.tasks !== undefined && typeof options.tasks !== "string") {
    if (!Array.isArray(options.tasks) || options.tasks.length === 0) throw new RangeError(`${ORDER_DESK_ID}: options.tasks must be a non-empty array of tasks or a JSONL path`);
    return options.tasks;
  }
  const split = options.split ?? "train";
  if (!ORDER_DESK_SPLITS.includes(split)) throw new RangeError(`${ORDER_DESK_ID}: options.split must be one of ${ORDER_DESK_SPLITS.join(", ")}, got ${JSON.stringify(split)}`);
  return tasksOfFile(options.tasks ?? datasetsDir("order-desk", `${split}.jsonl`));
}

function checkRewards(r: Partial<OrderDeskRewards> = {}): OrderDeskRewards {
  const out = { ...DEFAULT_ORDER_DESK_REWARDS, ...r };
  for (const [k, v] of Object.entries(out)) {
    if (!(k in DEFAULT_ORDER_DESK_REWARDS)) throw new RangeError(`${ORDER_DESK_ID}: unknown reward term rewards.${k} (terms: ${Object.keys(DEFAULT_ORDER_DESK_REWARDS).join(", ")})`);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`${ORDER_DESK_ID}: rewards.${k} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return out;
}

export function makeOrderDesk(options: OrderDeskOptions = {}): OrderDeskEnv {
  const maxTurns = options.maxTurns ?? ORDER_DESK_MAX_TURNS;
  if (!(Number.isInteger(maxTurns) && maxTurns >= 1)) throw new RangeError(`${ORDER_DESK_ID}: options.maxTurns must be a positive integer, got ${JSON.stringify(maxTurns)}`);
  const rewards = checkRewards(options.rewards);
  let tasks: readonly OrderDeskTask[] | undefined;
  const allTasks = () => (tasks ??= orderDeskTasks(options));
  let rng: Rng = createRng(randomSeed());
  let task: OrderDeskTask | undefined;
  let transcript: Message[] = [];
  let s = { turns: 0, calls: 0, validCalls: 0, invalidCalls: 0, lookedUp: false, idGiven: false, done: true };

  const info = (): Info => ({
    turns: s.turns, calls: s.calls, validCalls: s.validCalls, invalidCalls: s.invalidCalls, lookedUp: s.lookedUp,
    taskId: task?.id, kind: task?.kind, asks: task?.asks,
  });

  const env: OrderDeskEnv = {
    id: ORDER_DESK_ID,
    chat: ORDER_DESK_CHAT,
    maxTurns,
    rewards,
    get task() { return task; },
    get tasks() { return allTasks(); },
    get transcript() { return transcript.map((m) => ({ ...m })); },

    reset(args: ResetArgs = {}) {
      if (args.seed !== undefined) rng = createRng(args.seed);
      const o = args.options ?? {};
      if (o.task !== undefined) {
        const problems = taskProblems(o.task);
        if (problems.length > 0) throw new RangeError(`${ORDER_DESK_ID}: options.task is not a task: ${problems.join("; ")}`);
        task = o.task as OrderDeskTask;
      } else if (o.taskIndex !== undefined) {
        const n = allTasks().length;
        if (!(Number.isInteger(o.taskIndex) && (o.taskIndex as number) >= 0 && (o.taskIndex as number) < n)) throw new RangeError(`${ORDER_DESK_ID}: options.taskIndex must be an integer in [0, ${n}), got ${JSON.stringify(o.taskIndex)}`);
        task = allTasks()[o.taskIndex as number];
      } else task = allTasks()[rng.int(allTasks().length)];
      s = { turns: 0, calls: 0, validCalls: 0, invalidCalls: 0, lookedUp: false, idGiven: task.kind !== "no-id", done: false };
      transcript = [{ role: "user", content: task.opening }];
      return { messages: [{ role: "user", content: task.opening }], info: info() };
    },

    step(agentText: string): ConversationStepResult {
      if (!task) throw new ConversationUsageError(ORDER_DESK_ID, "step() before reset()");
      if (s.done) throw new ConversationUsageError(ORDER_DESK_ID, "step() after the episode ended; call reset()");
      if (typeof agentText !== "string") throw new TypeError(`${ORDER_DESK_ID}: step() takes the agent's message as a string, got ${typeof agentText}`);
      const text = oneLine(agentText);
      transcript.push({ role: "assistant", content: text });
      s.turns++;
      let reward = -rewards.turnCost;
      const reply: Message[] = [];
      let terminated = false;
      const parsed = parseToolCall(text, [LOOKUP_TOOL]);
      let verdict: Info = {};
      if (parsed.kind === "call") {
        s.calls++;
        s.validCalls++;
        const orderId = parsed.argument.slice("order ".length);
        if (orderId === task.order.id) {
          s.lookedUp = true;
          reply.push({ role: "tool", content: formatOrderRecord(task.order) });
        } else reply.push({ role: "tool", content: `error: no order ${orderId}` });
      } else if (parsed.kind === "malformed") {
        s.calls++;
        s.invalidCalls++;
        reward -= rewards.invalidCallPenalty;
        // the error says what is wrong, with no call template: a template such as "<call>lookup ORDER</call>"
        // in the transcripts teaches a small model to write its placeholder instead of copying the id
        reply.push({ role: "tool", content: `error: ${parsed.error}` });
      } else if (asksForOrderNumber(text)) {
        const said = s.idGiven ? CUSTOMER_REPEATS_ID : CUSTOMER_GIVES_ID[rng.int(CUSTOMER_GIVES_ID.length)];
        s.idGiven = true;
        reply.push({ role: "user", content: said.replace("{id}", task.order.id) });
      } else {
        terminated = true;
        const j = judgeAnswer(task, text);
        const success = j.correct && s.lookedUp;
        if (success) reward += rewards.successBonus;
        verdict = { answered: true, answer: text, success, correct: j.correct, grounded: s.lookedUp, missing: j.missing, wrong: j.wrong };
      }
      const truncated = !terminated && s.turns >= maxTurns;
      if (truncated) verdict = { answered: false, success: false, correct: false, grounded: s.lookedUp, missing: [], wrong: [] };
      s.done = terminated || truncated;
      if (!s.done) transcript.push(...reply.map((m) => ({ ...m }))); // an ended episode has no environment turn
      return { messages: s.done ? [] : reply, reward, terminated, truncated, info: { ...info(), ...verdict } };
    },
  };
  return env;
}

/** GRPO's "same start": one task index per group, drawn from the tasks the options name. */
export function orderDeskGroupStart(rng: Rng, options: OrderDeskOptions): Record<string, unknown> {
  return { taskIndex: rng.int(orderDeskTasks(options).length) };
}
