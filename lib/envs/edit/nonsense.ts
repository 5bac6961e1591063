/**
 * Instructions the edit agent cannot ground, paired with sentences: what it must decline
 * (`understood: false`) rather than edit. Four kinds, in equal parts:
 *
 *   salad       words from the vocabulary, no request:     "Banana telescope whistle quickly."
 *   absent      a real phrasing naming a word the sentence does not hold (nor one letter away):
 *               "Delete the word kettle." on a sentence without "kettle"
 *   unsupported a request no family covers:                "Translate the sentence into French."
 *   foreign     a verb WordNet links to no edit concept, on a word the sentence holds:
 *               "Admire the word kettle." — a word of the text alone is no reason to edit it
 *               (the verbs: WordNet's, alternately train / held-out, none a phrasing's word)
 *
 * `generateNonsense(seed, count, split)` draws them from the training vocabulary and phrasings
 * ("train": for the warm start's STOP demonstrations and for choosing the abstain rule on
 * validation) or from the held-out ones ("heldout": to measure abstention). Records are
 * `{ id, instruction, text }`; `nonsenseDemonstrations` turns them into (state, STOP) pairs.
 */
import { createRng, type Rng } from "../../core/rng";
import { EDIT_STOP, editActionMask, editObservation } from "./actions";
import { generateSentence, renderSentence } from "./generator";
import { EDIT_HELDOUT_PHRASINGS, EDIT_PHRASINGS, HELDOUT_KEY_WORDS, HELDOUT_PHRASING_WORDS, PHRASING_WORDS, QUOTE_STYLES, fillPhrasing, phrasingSlots, type PhrasingSplit } from "./phrasings";
import { conceptAffinity, negatedStem, wordnetLemmas } from "./lexicon";
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
  // a new word "at the start" / "at the end" is absent by nature: only a missing anchor makes an insert nonsense
  if (family === "insert" && !phrasingSlots(phrasing).some((x) => x === "P" || x === "N")) return undefined;
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

let foreignVerbs: Record<PhrasingSplit, string[]> | undefined;
/** WordNet verbs with no edit concept that no phrasing (of either split) and no vocabulary uses: even positions train, odd held-out. */
function foreignVerbList(split: PhrasingSplit): string[] {
  if (!foreignVerbs) {
    const taken = new Set([...PHRASING_WORDS, ...HELDOUT_PHRASING_WORDS, ...HELDOUT_KEY_WORDS, ...vocabularyWords(TRAIN_VOCAB), ...vocabularyWords(HELDOUT_VOCAB)]);
    // the index is alphabetical: a stride keeps the list small (concept lookups read WordNet) and spread over the alphabet
    const all = wordnetLemmas("v").filter((w, k) => k % 7 === 0 && w.length >= 4 && w.length <= 9 && !taken.has(w));
    const pure = all.filter((w) => conceptAffinity(w).every((x) => x === 0) && negatedStem(w).every((x) => x === 0));
    foreignVerbs = { train: pure.filter((_, k) => k % 2 === 0), heldout: pure.filter((_, k) => k % 2 === 1) };
  }
  return foreignVerbs[split];
}

function foreign(rng: Rng, text: string, split: PhrasingSplit): string | undefined {
  const words = editWords(text).filter((w) => /^\p{L}{3,}$/u.test(w));
  if (words.length === 0) return undefined;
  const verb = pick(rng, foreignVerbList(split));
  const [open, close] = pick(rng, QUOTE_STYLES[split]);
  const w = `${open}${pick(rng, words)}${close}`;
  const shape = pick(rng, [`${verb} the word ${w}.`, `${verb} ${w}.`, `Please ${verb} ${w}.`, `Can you ${verb} ${w}?`]);
  return shape[0].toUpperCase() + shape.slice(1);
}

/** `count` nonsense items (a quarter of each kind), seeded; ids "nonsense-<split>-00001". */
export function generateNonsense(seed: number, count: number, split: PhrasingSplit): NonsenseItem[] {
  const rng = createRng(seed);
  const v = split === "train" ? TRAIN_VOCAB : HELDOUT_VOCAB;
  const out: NonsenseItem[] = [];
  for (let k = 0; out.length < count; k++) {
    let text = renderSentence(generateSentence(rng, v));
    // the defects tasks carry (no final period, a lower-case start) here too: a text that needs fixing
    // is no reason to fix it when the instruction does not ask
    const defect = rng.next();
    if (defect < 0.15) text = text.slice(0, -1);
    else if (defect < 0.3) text = text[0].toLowerCase() + text.slice(1);
    const kind = k % 4;
    const instruction = kind === 0 ? salad(rng, v) : kind === 1 ? absent(rng, v, text, split) : kind === 2 ? pick(rng, UNSUPPORTED[split]) : foreign(rng, text, split);
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
