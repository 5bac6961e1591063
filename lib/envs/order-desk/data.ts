/**
 * datasets/order-desk, all from one seed:
 *
 *   train.jsonl                 tasks from the training pool (GRPO's tasks)
 *   heldout.jsonl               tasks from the held-out pool: order ids, customer names and items
 *                               that occur nowhere in the other files (./catalog.ts)
 *   transcripts.jsonl           scripted episodes of training-pool tasks, the behaviour mix of
 *                               ./transcripts.ts: what the tiny GPT-2 is pretrained on
 *   transcripts.heldout.jsonl   the same, of held-out-pool tasks: the pretraining's held-out loss
 *
 * `readTranscripts` (like `readOrderDeskTasks`) names `file:line` and the field of a malformed line.
 */
import * as fs from "node:fs";
import { createRng } from "../../core/rng";
import { DataLineError } from "../../data/data-line-error";
import { loadGpt2Tokenizer } from "../../nn/gpt2/tokenizer";
import { checkMessages } from "../conversation/messages";
import { ORDER_ID_MAX, ORDER_ID_MIN, splitCatalog, type CatalogSplit } from "./catalog";
import { formatTask, generateTasks, type OrderDeskTask } from "./tasks";
import { BEHAVIOURS, formatTranscript, generateTranscripts, type Behaviour, type Transcript } from "./transcripts";

export const DEFAULT_ORDER_DESK_SEED = 18;
export const DEFAULT_ORDER_DESK_SIZES = Object.freeze({ train: 2000, heldout: 500, transcripts: 6000, transcriptsHeldout: 300 });
export type OrderDeskSizes = { -readonly [K in keyof typeof DEFAULT_ORDER_DESK_SIZES]: number };

export const ORDER_DESK_FILES = Object.freeze({
  train: "train.jsonl",
  heldout: "heldout.jsonl",
  transcripts: "transcripts.jsonl",
  transcriptsHeldout: "transcripts.heldout.jsonl",
});

export interface OrderDeskData {
  catalog: CatalogSplit;
  train: OrderDeskTask[];
  heldout: OrderDeskTask[];
  transcripts: Transcript[];
  transcriptsHeldout: Transcript[];
}

/** The 4-digit numbers GPT-2 writes as two 2-digit tokens (" 44" + "71"): the order ids (see ./catalog.ts). */
export function twoTokenOrderIds(): number[] {
  const tokenizer = loadGpt2Tokenizer();
  const out: number[] = [];
  for (let id = ORDER_ID_MIN; id <= ORDER_ID_MAX; id++) {
    const pieces = tokenizer.encode(` ${id}`).map((t) => tokenizer.decode([t]).trim());
    if (pieces.length === 2 && pieces.every((p) => p.length === 2)) out.push(id);
  }
  return out;
}

/**
 * The split of names, items and ids behind the datasets of `seed` (the first stream the generator
 * forks): more training-pool tasks can be made from its `train` pool without touching a held-out one.
 */
export function orderDeskCatalog(seed = DEFAULT_ORDER_DESK_SEED): CatalogSplit {
  return splitCatalog(createRng(seed).fork(), { orderIds: twoTokenOrderIds() });
}

/** The four datasets from one seed; each draws from its own forked stream. */
export function generateOrderDeskData(seed = DEFAULT_ORDER_DESK_SEED, sizes: Partial<OrderDeskSizes> = {}): OrderDeskData {
  const n = { ...DEFAULT_ORDER_DESK_SIZES, ...sizes };
  const rng = createRng(seed);
  const catalog = splitCatalog(rng.fork(), { orderIds: twoTokenOrderIds() }); // = orderDeskCatalog(seed)
  const train = generateTasks(rng.fork(), catalog.train, n.train, "train");
  const heldout = generateTasks(rng.fork(), catalog.heldout, n.heldout, "heldout");
  const transcriptRng = rng.fork();
  const transcripts = generateTranscripts(transcriptRng, generateTasks(transcriptRng, catalog.train, n.transcripts, "transcript", { reuseIds: true }), catalog.train);
  const heldoutRng = rng.fork();
  const transcriptsHeldout = generateTranscripts(heldoutRng, generateTasks(heldoutRng, catalog.heldout, n.transcriptsHeldout, "heldout-transcript"), catalog.heldout);
  return { catalog, train, heldout, transcripts, transcriptsHeldout };
}

/** Each file's contents (the bytes the generator script writes). */
export function formatOrderDeskData(d: OrderDeskData): Record<keyof typeof ORDER_DESK_FILES, string> {
  const lines = (xs: string[]) => xs.map((x) => x + "\n").join("");
  return {
    train: lines(d.train.map(formatTask)),
    heldout: lines(d.heldout.map(formatTask)),
    transcripts: lines(d.transcripts.map(formatTranscript)),
    transcriptsHeldout: lines(d.transcriptsHeldout.map(formatTranscript)),
  };
}

/** Parses transcripts JSONL; throws a DataLineError (`file:line: problem`) for the first malformed line. */
export function parseTranscripts(text: string, file: string): Transcript[] {
  const out: Transcript[] = [];
  text.split("\n").forEach((raw, i) => {
    if (raw.trim() === "") return;
    const fail = (problem: string): never => { throw new DataLineError(file, i + 1, problem); };
    let v: Record<string, unknown>;
    try {
      v = JSON.parse(raw);
    } catch (err) {
      return fail(`not valid JSON (${(err as Error).message})`);
    }
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(`expected a JSON object {"task","behaviour","success","turns","messages"}, got ${raw.slice(0, 60)}`);
    if (typeof v.task !== "string" || v.task === "") fail(`field "task" must be a non-empty string, got ${JSON.stringify(v.task)}`);
    if (!BEHAVIOURS.includes(v.behaviour as Behaviour)) fail(`field "behaviour" must be one of ${BEHAVIOURS.join(", ")}, got ${JSON.stringify(v.behaviour)}`);
    if (typeof v.success !== "boolean") fail(`field "success" must be true or false, got ${JSON.stringify(v.success)}`);
    if (!(Number.isInteger(v.turns) && (v.turns as number) >= 1)) fail(`field "turns" must be a positive integer, got ${JSON.stringify(v.turns)}`);
    let messages;
    try {
      messages = checkMessages(v.messages, "field \"messages\"");
    } catch (err) {
      return fail((err as Error).message);
    }
    if (messages.length === 0 || messages[0].role !== "user") fail(`field "messages" must start with the customer's ("user") message`);
    out.push({ task: v.task as string, behaviour: v.behaviour as Behaviour, success: v.success as boolean, turns: v.turns as number, messages });
  });
  return out;
}

/** Reads a transcripts file (datasets/order-desk/transcripts.jsonl, …). */
export function readTranscripts(file: string): Transcript[] {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  const t = parseTranscripts(fs.readFileSync(file, "utf8"), file);
  if (t.length === 0) throw new Error(`${file}: no transcripts`);
  return t;
}
