/**
 * Transcripts to pretrain on: OrderDesk-v0 episodes played by a scripted agent that is usually an
 * expert and sometimes not, so the pretrained model imitates a mixture — and RL has something to fix.
 *
 *   behaviour       share   what the scripted agent does                                outcome
 *   expert          0.45    (asks for the number), looks up, answers with the facts    success
 *   guess           0.15    answers at once with made-up facts, no lookup               failure
 *   malformed-call  0.12    a malformed first call, the error, then as the expert       success, an invalid call, +1 turn
 *   wrong-fact      0.13    looks up, then gets one fact wrong (another status or date,  failure
 *                           an item dropped or swapped, a quantity or the count off)
 *   extra-turn      0.15    one needless turn — a second lookup, a mistyped order id,   success, +1 turn
 *                           or asking for a number it already has — then as the expert
 *
 * Every transcript is a real episode: the scripted agent's messages go through `env.step`, so the
 * tool's results, its errors and the customer's replies are the environment's own, and each record
 * keeps the episode's verdict. The shares are `DEFAULT_BEHAVIOUR_MIX`; the counts in a file are
 * reported by the generator script.
 */
import type { Rng } from "../../core/rng";
import type { Message } from "../conversation/messages";
import { MONTHS, ORDER_STATUSES, type CatalogPool, type OrderStatus } from "./catalog";
import { makeOrderDesk } from "./order-desk";
import { generateOrder, itemCount, type Order, type OrderDeskTask, type OrderItem } from "./tasks";

export type Behaviour = "expert" | "guess" | "malformed-call" | "wrong-fact" | "extra-turn";
export const BEHAVIOURS: readonly Behaviour[] = ["expert", "guess", "malformed-call", "wrong-fact", "extra-turn"];

export const DEFAULT_BEHAVIOUR_MIX: Readonly<Record<Behaviour, number>> = Object.freeze({
  expert: 0.45, guess: 0.15, "malformed-call": 0.12, "wrong-fact": 0.13, "extra-turn": 0.15,
});

export interface Transcript {
  task: string;
  behaviour: Behaviour;
  messages: Message[];
  success: boolean;
  turns: number;
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

const ASK_NUMBER = ["What is your order number?", "Could you tell me your order number?", "Sure, what is the order number?"];

/** An item list as the expert writes it, from the tool's "red lamp x2" form: "red lamp x2, blue kettle x1 and mug x3". */
function itemList(items: readonly OrderItem[]): string {
  const parts = items.map((it) => `${it.name} x${it.qty}`);
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

/** The subject of an answer: "Order 4471" or "Your order 4471". */
function subject(rng: Rng, id: string): string {
  return rng.int(2) === 0 ? `Your order ${id}` : `The order ${id}`;
}

const STATUS_ANSWERS: Record<OrderStatus, readonly string[]> = {
  processing: ["{s} is still processing.", "{s} is being prepared and has not shipped yet."],
  shipped: ["{s} has shipped.", "{s} is on its way."],
  delivered: ["{s} was delivered on {date}.", "{s} has been delivered."],
  cancelled: ["{s} was cancelled.", "Sorry, {s} has been cancelled."],
};

/** An expert's answer to the task's question, stating the facts of `order` (which may be made up or corrupted). */
export function answerText(rng: Rng, asks: OrderDeskTask["asks"], order: Order, id: string): string {
  const s = subject(rng, id);
  const fill = (t: string) => t.replace("{s}", t.startsWith("{s}") ? s : s.charAt(0).toLowerCase() + s.slice(1)).replace("{date}", order.date ?? "");
  switch (asks) {
    case "status":
      return fill(pick(rng, STATUS_ANSWERS[order.status]));
    case "delivery":
      return order.status === "delivered" ? fill("{s} was delivered on {date}.") : fill(pick(rng, ["{s} arrives on {date}.", "{s} should arrive on {date}.", "{s} will arrive on {date}."]));
    case "items":
      return `${s} ${pick(rng, ["has", "contains"])} ${itemList(order.items)}.`;
    case "count": {
      const n = itemCount(order);
      return pick(rng, [`${s} has ${n} ${n === 1 ? "item" : "items"}.`, `There ${n === 1 ? "is 1 item" : `are ${n} items`} in order ${id}.`]);
    }
  }
}

/** The order with one fact of the asked kind made false (the wrong-fact behaviour's slip). */
export function corruptOrder(rng: Rng, asks: OrderDeskTask["asks"], order: Order, pool: CatalogPool): Order {
  const o: Order = { ...order, items: order.items.map((it) => ({ ...it })) };
  switch (asks) {
    case "status":
      o.status = pick(rng, ORDER_STATUSES.filter((x) => x !== order.status));
      if (o.status === "cancelled") o.date = null;
      else if (o.date === null) o.date = `${pick(rng, MONTHS)} ${1 + rng.int(28)}`;
      return o;
    case "delivery": {
      const [month, day] = (order.date as string).split(" ");
      o.date = rng.int(2) === 0 ? `${month} ${1 + ((Number(day) + rng.int(27)) % 28)}` : `${pick(rng, MONTHS.filter((m) => m !== month))} ${day}`;
      return o;
    }
    case "items": {
      const form = rng.int(3);
      if (form === 0 && o.items.length > 1) o.items.splice(rng.int(o.items.length), 1);
      else if (form === 1 || o.items.length === 1) {
        const k = rng.int(o.items.length);
        o.items[k].name = pick(rng, pool.items.filter((x) => !order.items.some((it) => it.name === x)));
      } else {
        const k = rng.int(o.items.length);
        o.items[k].qty = 1 + ((o.items[k].qty + rng.int(2)) % 3);
      }
      return o;
    }
    case "count": {
      // the usual slip: counting lines instead of adding quantities; else off by one
      const lines = order.items.length, total = itemCount(order);
      const wrong = lines !== total && rng.int(2) === 0 ? lines : total > 1 && rng.int(2) === 0 ? total - 1 : total + 1;
      o.items = [{ name: order.items[0].name, qty: wrong }];
      return o;
    }
  }
}

const MALFORMED_CALLS = [
  "<call>lookup order {id}", "<call>find order {id}</call>", "<call>search order {id}</call>", "<call>lookup {id}</call>",
  "Let me check. <call>lookup order {id}</call>", "<call>lookup</call>", "<call>lookup order {id} now</call>", "lookup order {id}</call>",
];

/**
 * A mistyped order id: two neighbouring digits swapped (or one changed when they are equal), redrawn
 * until it is another id of the agent's own pool — so a training transcript never writes a held-out id.
 */
function mistype(rng: Rng, id: string, pool: CatalogPool): string {
  const ids = new Set(pool.ids);
  for (let attempt = 0; attempt < 100; attempt++) {
    const k = rng.int(3);
    const d = id.split("");
    if (d[k] !== d[k + 1] && attempt < 3) [d[k], d[k + 1]] = [d[k + 1], d[k]];
    else d[k + 1] = String((Number(d[k + 1]) + 1 + rng.int(9)) % 10);
    const typo = d.join("");
    if (typo !== id && ids.has(Number(typo))) return typo;
  }
  return String(pool.ids.find((x) => String(x) !== id));
}

/**
 * The scripted agent of one episode: given the environment's last messages, its next message.
 * `pool` supplies made-up items for guesses and slips (the task's own split).
 */
export function scriptedAgent(task: OrderDeskTask, behaviour: Behaviour, rng: Rng, pool: CatalogPool): (seen: readonly Message[]) => string {
  const id = task.order.id;
  const call = `<call>lookup order ${id}</call>`;
  const plan: string[] = [];
  const needsNumber = task.kind === "no-id";
  if (behaviour === "guess") {
    const made = generateOrder(rng, pool, Number(id), task.asks);
    const text = answerText(rng, task.asks, made, id);
    // without the number the guesser cannot name the order
    const unnamed = text.replace(/(?:[Yy]our |[Tt]he )?[Oo]rder \d{4}/g, "your order").replace(/^your/, "Your");
    return () => (needsNumber ? unnamed : text);
  }
  if (needsNumber) plan.push(pick(rng, ASK_NUMBER));
  if (behaviour === "malformed-call") plan.push(pick(rng, MALFORMED_CALLS).replace("{id}", id));
  if (behaviour === "extra-turn") {
    const form = rng.int(3);
    if (form === 0) plan.push(call);
    else if (form === 1) plan.push(`<call>lookup order ${mistype(rng, id, pool)}</call>`);
    else plan.push(pick(rng, ["Can you confirm your order number?", "Could you repeat the order number?"]));
  }
  plan.push(call);
  const facts = behaviour === "wrong-fact" ? corruptOrder(rng, task.asks, task.order, pool) : task.order;
  plan.push(answerText(rng, task.asks, facts, id));
  let k = 0;
  return () => plan[Math.min(k++, plan.length - 1)];
}

/** One transcript: the scripted agent of `behaviour` plays `task` to the end. */
export function playTranscript(task: OrderDeskTask, behaviour: Behaviour, rng: Rng, pool: CatalogPool): Transcript {
  const env = makeOrderDesk({ tasks: [task] });
  const agent = scriptedAgent(task, behaviour, rng, pool);
  let seen = env.reset({ seed: rng.int(0x7fffffff), options: { task } }).messages;
  for (;;) {
    const r = env.step(agent(seen));
    seen = r.messages;
    if (r.terminated || r.truncated) {
      return { task: task.id, behaviour, messages: env.transcript, success: r.info.success === true, turns: Number(r.info.turns) };
    }
  }
}

/** Transcripts of `tasks`, each with a behaviour drawn from `mix`. */
export function generateTranscripts(rng: Rng, tasks: readonly OrderDeskTask[], pool: CatalogPool, mix: Readonly<Record<Behaviour, number>> = DEFAULT_BEHAVIOUR_MIX): Transcript[] {
  const weights = BEHAVIOURS.map((b) => mix[b]);
  if (weights.some((w) => !(w >= 0)) || !(weights.reduce((a, b) => a + b, 0) > 0)) throw new RangeError(`generateTranscripts: mix must give each behaviour (${BEHAVIOURS.join(", ")}) a weight ≥ 0, not all 0, got ${JSON.stringify(mix)}`);
  return tasks.map((t) => playTranscript(t, BEHAVIOURS[rng.categorical(weights)], rng, pool));
}

/** A transcript's JSONL line. */
export function formatTranscript(t: Transcript): string {
  return JSON.stringify({ task: t.task, behaviour: t.behaviour, success: t.success, turns: t.turns, messages: t.messages.map((m) => ({ role: m.role, content: m.content })) });
}
