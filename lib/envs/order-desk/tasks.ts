/**
 * OrderDesk-v0's tasks: a customer's question about one order, and the order the lookup tool knows.
 *
 *   {"id":"train-00001","kind":"delivery","asks":"delivery","opening":"Hi, I'm Maya Chen. When will order 4471 arrive?",
 *    "order":{"id":"4471","customer":"Maya Chen","status":"shipped","date":"May 14","items":[{"name":"red lamp","qty":2}]}}
 *
 * Five kinds, one question each (`asks`: the facts an answer must give):
 *
 *   status     "What is the status of order 4471?"      asks the status
 *   delivery   "When will order 4471 arrive?"           asks the date (orders not cancelled)
 *   items      "What is in order 4471?"                 asks every item
 *   count      "How many items are in order 4471?"      asks the number of items (the sum of quantities)
 *   no-id      "Hi, I'm Maya Chen. Where is my order?"  asks the status or the date, but gives no order
 *                                                       number: the agent must ask the customer first
 *
 * The seeded generator draws a split's tasks from that split's catalog pool (./catalog.ts), kinds in
 * turn, order ids distinct within a file. `readOrderDeskTasks` names `file:line` and the field of
 * anything malformed.
 */
import * as fs from "node:fs";
import type { Rng } from "../../core/rng";
import { DataLineError } from "../../data/data-line-error";
import { MONTHS, ORDER_STATUSES, type CatalogPool, type OrderStatus } from "./catalog";

export type TaskKind = "status" | "delivery" | "items" | "count" | "no-id";
export const TASK_KINDS: readonly TaskKind[] = ["status", "delivery", "items", "count", "no-id"];

export type Question = "status" | "delivery" | "items" | "count";
export const QUESTIONS: readonly Question[] = ["status", "delivery", "items", "count"];

export interface OrderItem {
  name: string;
  qty: number;
}

export interface Order {
  /** 4 digits. */
  id: string;
  customer: string;
  status: OrderStatus;
  /** "May 14": the expected delivery (processing, shipped) or the delivery (delivered); null when cancelled. */
  date: string | null;
  items: OrderItem[];
}

export interface OrderDeskTask {
  id: string;
  kind: TaskKind;
  asks: Question;
  /** The customer's first message. */
  opening: string;
  order: Order;
}

/** Items per order and quantity per item. */
export const MAX_ITEMS = 3, MAX_QTY = 3;

const GREETINGS = ["", "Hi, I'm {name}. ", "Hello, this is {name}. ", "Hi there. "];
const NO_ID_GREETINGS = ["Hi, I'm {name}. ", "Hello, this is {name}. ", "Hi. "];

const PHRASINGS: Record<Question, readonly string[]> = {
  status: ["What is the status of order {id}?", "Can you check on order {id}?", "Has order {id} shipped yet?", "Where is my order {id}?"],
  delivery: ["When will order {id} arrive?", "What is the delivery date of order {id}?", "When does order {id} get here?"],
  items: ["What is in order {id}?", "Which items are in order {id}?", "What did I buy in order {id}?"],
  count: ["How many items are in order {id}?", "How many things did I buy in order {id}?", "What is the item count of order {id}?"],
};

const NO_ID_PHRASINGS: Partial<Record<Question, readonly string[]>> = {
  status: ["Where is my order?", "Can you check the status of my order?", "Has my order shipped?"],
  delivery: ["When will my order arrive?", "When does my package get here?"],
};

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

function fill(template: string, slots: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, k: string) => slots[k]);
}

/** The sum of the quantities: what a count question asks. */
export function itemCount(order: Order): number {
  return order.items.reduce((a, it) => a + it.qty, 0);
}

/** One order of the pool, with a status allowed by the question (a delivery question needs a date). */
export function generateOrder(rng: Rng, pool: CatalogPool, id: number, asks: Question): Order {
  const statuses = asks === "delivery" ? ORDER_STATUSES.filter((s) => s !== "cancelled") : ORDER_STATUSES;
  const status = pick(rng, statuses);
  const date = status === "cancelled" ? null : `${pick(rng, MONTHS)} ${1 + rng.int(28)}`;
  const n = 1 + rng.int(MAX_ITEMS);
  const names = new Set<string>();
  while (names.size < n) names.add(pick(rng, pool.items));
  const items = [...names].map((name) => ({ name, qty: 1 + rng.int(MAX_QTY) }));
  return { id: String(id), customer: pick(rng, pool.names), status, date, items };
}

/** One task of a kind, for an order id. */
export function generateTask(rng: Rng, pool: CatalogPool, kind: TaskKind, orderId: number, taskId: string): OrderDeskTask {
  const asks: Question = kind === "no-id" ? (rng.int(2) === 0 ? "status" : "delivery") : kind;
  const order = generateOrder(rng, pool, orderId, asks);
  const slots = { id: order.id, name: order.customer };
  const opening = kind === "no-id"
    ? fill(pick(rng, NO_ID_GREETINGS) + pick(rng, NO_ID_PHRASINGS[asks]!), slots)
    : fill(pick(rng, GREETINGS) + pick(rng, PHRASINGS[asks]), slots);
  return { id: taskId, kind, asks, opening, order };
}

/**
 * `n` tasks from `pool`, kinds in turn (status, delivery, items, count, no-id, status, …), named
 * `${prefix}-00001`, …; order ids drawn without replacement (at most the pool's ids), or with
 * `reuseIds` from one shuffled pass after another (each id at most ⌈n / ids⌉ times).
 */
export function generateTasks(rng: Rng, pool: CatalogPool, n: number, prefix: string, opts: { reuseIds?: boolean } = {}): OrderDeskTask[] {
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`generateTasks: n must be an integer ≥ 0, got ${n}`);
  if (n > pool.ids.length && !opts.reuseIds) throw new RangeError(`generateTasks: ${n} tasks need ${n} distinct order ids, the pool has ${pool.ids.length} (pass reuseIds)`);
  const ids: number[] = [];
  while (ids.length < n) ids.push(...rng.shuffle(pool.ids.slice()));
  return ids.slice(0, n).map((id, i) => generateTask(rng, pool, TASK_KINDS[i % TASK_KINDS.length], id, `${prefix}-${String(i + 1).padStart(5, "0")}`));
}

/** A task's JSONL line (keys in a fixed order). */
export function formatTask(t: OrderDeskTask): string {
  const o = t.order;
  return JSON.stringify({
    id: t.id, kind: t.kind, asks: t.asks, opening: t.opening,
    order: { id: o.id, customer: o.customer, status: o.status, date: o.date, items: o.items.map((it) => ({ name: it.name, qty: it.qty })) },
  });
}

/** Problems of a parsed task record, each naming its field; [] when it is a valid task. */
export function taskProblems(value: unknown): string[] {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [`expected a JSON object {"id","kind","asks","opening","order"}, got ${JSON.stringify(value)?.slice(0, 60)}`];
  const t = value as Record<string, unknown>;
  const problems: string[] = [];
  const str = (v: unknown, field: string) => { if (typeof v !== "string" || v === "") problems.push(`field "${field}" must be a non-empty string, got ${JSON.stringify(v)}`); };
  str(t.id, "id");
  str(t.opening, "opening");
  if (!TASK_KINDS.includes(t.kind as TaskKind)) problems.push(`field "kind" must be one of ${TASK_KINDS.join(", ")}, got ${JSON.stringify(t.kind)}`);
  if (!QUESTIONS.includes(t.asks as Question)) problems.push(`field "asks" must be one of ${QUESTIONS.join(", ")}, got ${JSON.stringify(t.asks)}`);
  else if (t.kind !== "no-id" && TASK_KINDS.includes(t.kind as TaskKind) && t.asks !== t.kind) problems.push(`field "asks" must equal "kind" (${JSON.stringify(t.kind)}) unless kind is "no-id", got ${JSON.stringify(t.asks)}`);
  const o = t.order as Record<string, unknown> | undefined;
  if (typeof o !== "object" || o === null || Array.isArray(o)) {
    problems.push(`field "order" must be an object {"id","customer","status","date","items"}, got ${JSON.stringify(o)}`);
    return problems;
  }
  if (typeof o.id !== "string" || !/^\d{4}$/.test(o.id)) problems.push(`field "order.id" must be a 4-digit string, got ${JSON.stringify(o.id)}`);
  str(o.customer, "order.customer");
  if (!ORDER_STATUSES.includes(o.status as OrderStatus)) problems.push(`field "order.status" must be one of ${ORDER_STATUSES.join(", ")}, got ${JSON.stringify(o.status)}`);
  const dateOk = typeof o.date === "string" && new RegExp(`^(${MONTHS.join("|")}) ([1-9]|[12]\\d|3[01])$`).test(o.date);
  if (o.status === "cancelled" ? o.date !== null : !dateOk) problems.push(`field "order.date" must be ${o.status === "cancelled" ? "null for a cancelled order" : 'a date like "May 14"'}, got ${JSON.stringify(o.date)}`);
  if (t.asks === "delivery" && o.status === "cancelled") problems.push(`a delivery question needs an order that is not cancelled`);
  if (!Array.isArray(o.items) || o.items.length === 0) problems.push(`field "order.items" must be a non-empty array of {"name","qty"}, got ${JSON.stringify(o.items)}`);
  else {
    const seen = new Set<string>();
    o.items.forEach((it: unknown, k: number) => {
      const item = it as Record<string, unknown> | null;
      if (typeof item !== "object" || item === null) { problems.push(`field "order.items[${k}]" must be an object {"name","qty"}, got ${JSON.stringify(it)}`); return; }
      if (typeof item.name !== "string" || !/^[a-z]+ [a-z]+$/.test(item.name)) problems.push(`field "order.items[${k}].name" must be two lower-case words ("red lamp"), got ${JSON.stringify(item.name)}`);
      else if (seen.has(item.name)) problems.push(`field "order.items[${k}].name" repeats ${JSON.stringify(item.name)}`);
      else seen.add(item.name);
      if (!Number.isInteger(item.qty) || (item.qty as number) < 1) problems.push(`field "order.items[${k}].qty" must be a positive integer, got ${JSON.stringify(item.qty)}`);
    });
  }
  return problems;
}

/** Parses JSONL text of tasks; throws a DataLineError (`file:line: problem`) for the first malformed line. */
export function parseOrderDeskTasks(text: string, file: string): OrderDeskTask[] {
  const tasks: OrderDeskTask[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      throw new DataLineError(file, i + 1, `not valid JSON (${(err as Error).message})`);
    }
    const problems = taskProblems(value);
    if (problems.length > 0) throw new DataLineError(file, i + 1, problems.join("; "));
    tasks.push(value as OrderDeskTask);
  });
  return tasks;
}

/** Reads a tasks file (datasets/order-desk/train.jsonl, heldout.jsonl, or your own). */
export function readOrderDeskTasks(file: string): OrderDeskTask[] {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  const tasks = parseOrderDeskTasks(fs.readFileSync(file, "utf8"), file);
  if (tasks.length === 0) throw new Error(`${file}: no tasks`);
  return tasks;
}
