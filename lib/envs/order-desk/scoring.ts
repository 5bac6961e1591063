/**
 * Scoring an answer by its facts: lenient on wording, strict on facts.
 *
 * `extractFacts(text)` reads the facts an answer states — order ids, statuses (with their common
 * wordings: "on its way" is shipped, "has not shipped yet" is processing), dates ("May 14",
 * "May 14th", "14 May"), items with their quantities ("2 red lamps", "red lamp x2") and other numbers
 * ("3 items") — and ignores everything else, so greetings, politeness and word order do not matter.
 *
 * `judgeAnswer(task, text)` then asks two things:
 *   missing  the facts the question asks for that the answer does not state
 *            (status; the date; every item; the number of items)
 *   wrong    any stated fact that is false of the order — another status, another date (any date
 *            for a cancelled order), an item not in it or a wrong quantity, another order's id, a
 *            number other than the item count
 * and the answer is correct when both are empty. An answer that hedges across two statuses states a
 * false one; an answer that lists the right items plus one more is wrong.
 */
import { COLOURS, MONTHS, THINGS, type OrderStatus } from "./catalog";
import { itemCount, type OrderDeskTask } from "./tasks";

export interface AnswerFacts {
  ids: string[];
  statuses: OrderStatus[];
  /** Normalised "May 14". */
  dates: string[];
  /** Items named, with the quantity stated (undefined when none). */
  items: { name: string; qty?: number }[];
  /** Other numbers (claims about the item count). */
  numbers: number[];
}

export interface AnswerJudgement {
  correct: boolean;
  missing: string[];
  wrong: string[];
  facts: AnswerFacts;
}

const MONTH_RE = MONTHS.map((m) => m.toLowerCase()).join("|");
const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const NUMBER_WORDS: Record<string, number> = { one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12 };

/** Status wordings, most specific first: a negated "shipped" is processing, a future "will be delivered" no claim. */
const NOT = String.raw`(?:has not|hasn't|have not|haven't|was not|wasn't|is not|isn't|not)\s+(?:yet\s+)?(?:been\s+)?`;
const STATUS_PATTERNS: readonly [RegExp, OrderStatus | null][] = [
  [new RegExp(String.raw`\b${NOT}shipped(?:\s+yet)?\b`, "g"), "processing"],
  [new RegExp(String.raw`\b${NOT}delivered(?:\s+yet)?\b|\b(?:will|should|to) be (?:shipped|delivered)\b`, "g"), null],
  [/\bprocessing\b|\bbeing (?:processed|prepared|packed)\b/g, "processing"],
  [/\bshipped\b|\bon (?:its|the) way\b|\bin transit\b/g, "shipped"],
  [/\bdelivered\b|\barrived\b/g, "delivered"],
  [/\bcancell?ed\b/g, "cancelled"],
];

/** Replaces every match of `re` in `s` by spaces (so later patterns cannot reuse it), calling `on` with the match and its groups. */
function take(s: string, re: RegExp, on: (m: string[]) => void): string {
  return s.replace(re, (...args: unknown[]) => {
    const groups = args.slice(0, -2) as string[]; // [match, group 1, …] (an unmatched group is undefined); then offset and the whole string
    on(groups);
    return " ".repeat(groups[0].length);
  });
}

/** The facts an answer states (see the module comment). */
export function extractFacts(text: string): AnswerFacts {
  const facts: AnswerFacts = { ids: [], statuses: [], dates: [], items: [], numbers: [] };
  let s = text.toLowerCase().replace(/’/g, "'");
  s = take(s, new RegExp(`\\b(${MONTH_RE})\\s+(\\d{1,2})(?:st|nd|rd|th)?\\b`, "g"), (m) => facts.dates.push(`${capitalise(m[1])} ${Number(m[2])}`));
  s = take(s, new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${MONTH_RE})\\b`, "g"), (m) => facts.dates.push(`${capitalise(m[2])} ${Number(m[1])}`));
  s = take(s, /(?<![\d.])\d{4}(?![\d.])/g, (m) => facts.ids.push(m[0]));
  const itemRe = new RegExp(`(?:(?<![\\d.])(\\d{1,2}|${Object.keys(NUMBER_WORDS).join("|")})\\s+(?:x\\s*)?)?\\b(${COLOURS.join("|")})\\s+(${THINGS.join("|")})(?:e?s)?\\b(?:\\s*(?:x|×|\\*)\\s*(\\d{1,2})\\b|\\s*\\(\\s*(?:x|×)?\\s*(\\d{1,2})\\s*\\))?`, "g");
  s = take(s, itemRe, (m) => {
    const before = m[1] === undefined ? undefined : NUMBER_WORDS[m[1]] ?? Number(m[1]);
    const after = m[4] !== undefined ? Number(m[4]) : m[5] !== undefined ? Number(m[5]) : undefined;
    const name = `${m[2]} ${m[3]}`;
    if (before !== undefined && after !== undefined && before !== after) {
      facts.items.push({ name, qty: before }, { name, qty: after });
    } else facts.items.push({ name, qty: before ?? after });
  });
  for (const [re, status] of STATUS_PATTERNS) {
    s = take(s, re, () => { if (status) facts.statuses.push(status); });
  }
  s = take(s, new RegExp(`\\b(${Object.keys(NUMBER_WORDS).join("|")})\\s+(?:items?|things?)\\b`, "g"), (m) => facts.numbers.push(NUMBER_WORDS[m[1]]));
  take(s, /(?<![\d.])\d+(?![\d.])/g, (m) => facts.numbers.push(Number(m[0])));
  return facts;
}

/** What the question of `task` asks, and whether `facts` give it. */
function missingFacts(task: OrderDeskTask, facts: AnswerFacts): string[] {
  const o = task.order;
  switch (task.asks) {
    case "status":
      return facts.statuses.includes(o.status) ? [] : [`status ${o.status}`];
    case "delivery":
      return o.date !== null && facts.dates.includes(o.date) ? [] : [`date ${o.date}`];
    case "items":
      return o.items.filter((it) => !facts.items.some((f) => f.name === it.name)).map((it) => `item ${it.name}`);
    case "count":
      return facts.numbers.includes(itemCount(o)) ? [] : [`count ${itemCount(o)}`];
  }
}

/** Every stated fact that is false of the order. */
function wrongFacts(task: OrderDeskTask, facts: AnswerFacts): string[] {
  const o = task.order;
  const wrong: string[] = [];
  for (const id of facts.ids) if (id !== o.id) wrong.push(`order id ${id}`);
  for (const s of facts.statuses) if (s !== o.status) wrong.push(`status ${s}`);
  for (const d of facts.dates) if (d !== o.date) wrong.push(`date ${d}`);
  for (const it of facts.items) {
    const real = o.items.find((x) => x.name === it.name);
    if (!real) wrong.push(`item ${it.name}`);
    else if (it.qty !== undefined && it.qty !== real.qty) wrong.push(`quantity ${it.qty} of ${it.name}`);
  }
  const count = itemCount(o);
  for (const n of facts.numbers) if (n !== count) wrong.push(`number ${n}`);
  return [...new Set(wrong)];
}

/** The verdict on an answer to `task` (see the module comment). */
export function judgeAnswer(task: OrderDeskTask, text: string): AnswerJudgement {
  const facts = extractFacts(text);
  const missing = missingFacts(task, facts), wrong = wrongFacts(task, facts);
  return { correct: missing.length === 0 && wrong.length === 0, missing, wrong, facts };
}
