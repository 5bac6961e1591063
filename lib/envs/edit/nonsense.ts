/**
 * Instructions the edit agent cannot ground, paired with sentences: what it must decline
 * (`understood: false`) rather than edit. Three kinds, in equal parts:
 *
 *   salad       words from the vocabulary, no request:     "Banana telescope whistle quickly."
 *   absent      a real phrasing naming a word the sentence does not hold (nor one letter away):
 *               "Delete the word kettle." on a sentence without "kettle"
 *   unsupported a request no family covers:                "Translate the sentence into French."
 *
 * `generateNonsense(seed, count, split)` draws them from the training vocabulary and phrasings
 * ("train": for the warm start's STOP demonstrations and for choosing the abstain rule on
 * validation) or from the held-out ones ("heldout": to measure abstention). Records are
 * `{ id, instruction, text }`; `nonsenseDemonstrations` turns them into (state, STOP) pairs.
 */
import { createRng, type Rng } from "../../core/rng";
import { EDIT_STOP, editActionMask, editObservation } from "./actions";
import { generateSentence, renderSentence } from "./generator";
import { EDIT_HELDOUT_PHRASINGS, EDIT_PHRASINGS, QUOTE_STYLES, fillPhrasing, phrasingSlots, type PhrasingSplit } from "./phrasings";
import { withinOneEdit } from "./distance";
import type { EditDemonstration } from "./oracle";
import { editTokenize, editWords } from "./text";
import { HELDOUT_VOCAB, TRAIN_VOCAB, vocabularyWords, type EditVocabulary } from "./vocab";

export interface NonsenseItem {
  id: string;
  instruction: string;
  text: string;
}

const UNSUPPORTED: Readonly<Record<PhrasingSplit, readonly string[]>> = {
  train: [
    "Translate the sentence into French.", "Make it sound happier.", "Summarise this.", "Is this sentence true?", "Write a poem about it.",
    "How many words are there?", "Make the sentence longer.", "Tell me a joke.", "Sort the words alphabetically.", "What does this mean?",
  ],
  heldout: [
    "Render this in German.", "Give it a gloomier tone.", "Paraphrase the whole thing.", "Who wrote this?", "Compose a limerick.",
    "Count the vowels.", "Expand it into a paragraph.", "Reverse the word order.", "Explain the grammar.", "Rate this from one to ten.",
  ],
};

const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.int(list.length)];

function salad(rng: Rng, v: EditVocabulary): string {
  const pool = [...v.things, ...v.beings, ...v.places, ...v.adjectives, ...v.intransitive, ...v.adverbs];
  const n = 2 + rng.int(4);
  const words = Array.from({ length: n }, () => pick(rng, pool));
  const s = words.join(" ");
  return s[0].toUpperCase() + s.slice(1) + pick(rng, [".", ".", "!", ""]);
}

function absent(rng: Rng, v: EditVocabulary, text: string, split: PhrasingSplit): string | undefined {
  const family = pick(rng, ["delete", "upper", "lower", "typo", "replace", "insert"] as const);
  const phrasings = (split === "train" ? EDIT_PHRASINGS : EDIT_HELDOUT_PHRASINGS)[family];
  const phrasing = pick(rng, phrasings);
  const present = editWords(text).map((w) => w.toLowerCase());
  const all = [...vocabularyWords(v)];
  const missing = () => {
    for (let k = 0; k < 50; k++) {
      const w = pick(rng, all);
      if (!present.some((p) => p === w || withinOneEdit(p, w))) return w;
    }
    return undefined;
  };
  const slots: Record<string, string | undefined> = {};
  for (const s of phrasingSlots(phrasing)) slots[s] = missing();
  if (Object.values(slots).some((w) => w === undefined)) return undefined;
  return fillPhrasing(phrasing, slots, pick(rng, QUOTE_STYLES[split]));
}

/** `count` nonsense items (a third of each kind), seeded; ids "nonsense-<split>-00001". */
export function generateNonsense(seed: number, count: number, split: PhrasingSplit): NonsenseItem[] {
  const rng = createRng(seed);
  const v = split === "train" ? TRAIN_VOCAB : HELDOUT_VOCAB;
  const out: NonsenseItem[] = [];
  for (let k = 0; out.length < count; k++) {
    const text = renderSentence(generateSentence(rng, v));
    const kind = k % 3;
    const instruction = kind === 0 ? salad(rng, v) : kind === 1 ? absent(rng, v, text, split) : pick(rng, UNSUPPORTED[split]);
    if (instruction === undefined) continue;
    out.push({ id: `nonsense-${split}-${String(out.length + 1).padStart(5, "0")}`, instruction, text });
  }
  return out;
}

/** The warm start's lesson for nonsense: in the first state, STOP (no edit is the answer). */
export function nonsenseDemonstrations(items: readonly NonsenseItem[]): EditDemonstration[] {
  return items.map(({ instruction, text }) => {
    const tokens = editTokenize(text);
    const obs = editObservation(instruction, tokens);
    return { obs, action: EDIT_STOP, mask: editActionMask(tokens, obs.payloads) };
  });
}

/** JSONL of nonsense items: one `{ id, instruction, text }` per line. */
export function formatNonsense(items: readonly NonsenseItem[]): string {
  return items.map((t) => JSON.stringify({ id: t.id, instruction: t.instruction, text: t.text }) + "\n").join("");
}

/** Whether a JSONL text holds nonsense items (its first record has `text` and no `source`) rather than tasks. */
export function looksLikeNonsense(jsonl: string): boolean {
  const first = jsonl.split("\n").find((l) => l.trim() !== "");
  if (first === undefined) return false;
  try {
    const rec = JSON.parse(first) as Record<string, unknown>;
    return typeof rec === "object" && rec !== null && "text" in rec && !("source" in rec);
  } catch {
    return false;
  }
}

/** Nonsense items from a JSONL text; throws naming `name:line` and the problem. */
export function parseNonsense(jsonl: string, name: string): NonsenseItem[] {
  const out: NonsenseItem[] = [];
  jsonl.split("\n").forEach((raw, k) => {
    if (raw.trim() === "") return;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(raw) as Record<string, unknown>;
    } catch (e) {
      throw new RangeError(`${name}:${k + 1}: not JSON (${(e as Error).message})`);
    }
    for (const f of ["id", "instruction", "text"]) {
      if (typeof rec?.[f] !== "string" || (rec[f] as string).length === 0) throw new RangeError(`${name}:${k + 1}: field '${f}' must be a non-empty string, got ${JSON.stringify(rec?.[f])}`);
    }
    out.push({ id: rec.id as string, instruction: rec.instruction as string, text: rec.text as string });
  });
  return out;
}
