/**
 * The seeded generator of datasets/edit: simple English sentences, and from each an edit task of
 * one family.
 *
 * ## Sentences (`generateSentence`)
 * Four shapes, words drawn from one vocabulary (lib/envs/edit/vocab):
 *   subject verb object [place] [adverb].            "The lazy fox carried my basket near the lake."
 *   subject verb [place] [adverb].                   "Anna slept in the old barn today."
 *   Adverb, subject verb object [place].             "Yesterday, the baker found a key."
 *   subject verb object and verb object [place].     "Omar opened the door and took a hat."
 * A subject is a name or a determiner, an optional adjective and a being; "a" becomes "an" before
 * a vowel. Sentences have 4–16 words (after the edit too) and use no content word twice.
 *
 * ## Tasks (`makeEditTask`): from a clean sentence s
 * | family | source | target | edits |
 * |---|---|---|---|
 * | capitalise | s with its first letter lower-cased | s | 1 |
 * | period | s without its final period | s | 1 |
 * | spaces | s with 1–3 of its spaces made runs of 2–4 | s | 1–3 |
 * | delete | s | s without an adjective or adverb W | 2 |
 * | insert | s without an adjective or adverb W (or, for "at the start", s opening with a name) | s (W after the word V; or a capitalised adverb W before s) | 2 |
 * | replace | s | s with a content word A replaced by B of the same kind | 1 |
 * | upper | s | s with a content word W upper-cased | 1 |
 * | lower | s with a content word W upper-cased or capitalised | s | 1 |
 * | typo | s with one letter of W substituted, inserted or deleted | s | 1 |
 * The words an instruction names occur once in the source (ignoring case); a misspelling is never a
 * word of either vocabulary or of the instruction language. Every task is checked: source ≠ target,
 * and the oracle reaches the target in exactly `minimalEdits` actions through the env's own payloads
 * and mask.
 *
 * ## Splits (`generateEditDatasets`)
 * train and validation use TRAIN_VOCAB, held-out HELDOUT_VOCAB. No validation task shares a
 * sentence (any clean sentence it was made from) with train; no held-out word (misspellings
 * included) appears in train. Families are balanced (counts differ by at most one) and each split is
 * shuffled. Same seed, same tasks, same bytes.
 */
import { createRng, type Rng } from "../../core/rng";
import { EDIT_MAX_TOKENS } from "./actions";
import { runOracle } from "./oracle";
import { EDIT_HELDOUT_PHRASINGS, EDIT_KNOWN_WORDS, HELDOUT_PHRASING_WORDS, PHRASING_WORDS, EDIT_PHRASINGS, POLITENESS, QUOTE_STYLES, SUFFIXES, fillPhrasing, phrasingSlots, type EditSlots, type PhrasingSplit } from "./phrasings";
import { EDIT_FAMILIES, EDIT_SPLITS, checkEditTask, minimalEdits, type EditFamily, type EditSplit, type EditTask } from "./tasks";
import { capitalizeWord, editDetokenize, isSpaceToken, isWordToken, editTokenize } from "./text";
import { HELDOUT_VOCAB, NUMBERS, TITLES, TRAIN_VOCAB, vocabularyWords, type EditVocabulary } from "./vocab";

/** A word's grammatical role in a generated sentence. */
export type WordRole = "name" | "being" | "thing" | "place" | "adjective" | "transitive" | "intransitive" | "adverb" | "function" | "punct" | "title" | "possessive" | "number";

export interface SentenceItem {
  text: string;
  role: WordRole;
}

/** Tasks per split: the defaults give 900 / 56 / 56 / 56 per family. */
export const DEFAULT_EDIT_SIZES: Readonly<Record<EditSplit, number>> = { train: 8100, validation: 504, heldout: 504, "heldout-phrasings": 504 };
export const DEFAULT_EDIT_SEED = 7;
export const MIN_WORDS = 4;
export const MAX_WORDS = 16;

const CONTENT: ReadonlySet<WordRole> = new Set(["name", "being", "thing", "place", "adjective", "transitive", "intransitive", "adverb"]);
const ALL_CONTENT_WORDS = new Set([...vocabularyWords(TRAIN_VOCAB), ...vocabularyWords(HELDOUT_VOCAB)]);
// instruction words of either phrasing split and the function words: not vocabulary (the held-out check skips them)
const KNOWN = new Set([...EDIT_KNOWN_WORDS, ...PHRASING_WORDS, ...HELDOUT_PHRASING_WORDS]);

const pick = <T>(rng: Rng, list: readonly T[]): T => list[rng.int(list.length)];
const chance = (rng: Rng, p: number): boolean => rng.next() < p;
const DETERMINERS = ["the", "the", "the", "the", "the", "a", "a", "my", "his", "her", "our", "their", "this"];
const PREPOSITIONS = ["in", "on", "at", "near", "under", "behind", "beside", "by", "across"];
const startsWithVowel = (w: string) => /^[aeiou]/i.test(w);

/** The sentence's text: words separated by one space, punctuation attached to the word before. */
export function renderSentence(items: readonly SentenceItem[]): string {
  let s = "";
  items.forEach((it, i) => {
    s += it.role === "punct" || i === 0 ? it.text : " " + it.text;
  });
  return s;
}

/** Fixes "a"/"an" before the word that follows it. */
function fixArticles(items: SentenceItem[]): SentenceItem[] {
  return items.map((it, i) => {
    const low = it.text.toLowerCase();
    if (it.role !== "function" || (low !== "a" && low !== "an") || i + 1 >= items.length) return it;
    const an = startsWithVowel(items[i + 1].text);
    const text = an ? "an" : "a";
    return { ...it, text: it.text[0] === it.text[0].toUpperCase() ? capitalizeWord(text) : text };
  });
}

/** Whether every "a"/"an" agrees with the word after it. */
function articlesAgree(items: readonly SentenceItem[]): boolean {
  for (let i = 0; i + 1 < items.length; i++) {
    const low = items[i].text.toLowerCase();
    if (items[i].role !== "function" || (low !== "a" && low !== "an")) continue;
    if ((low === "an") !== startsWithVowel(items[i + 1].text)) return false;
  }
  return true;
}

function nounPhrase(rng: Rng, v: EditVocabulary, kind: "beings" | "things" | "places", allowName: boolean): SentenceItem[] {
  if (allowName && chance(rng, 0.3)) {
    const out: SentenceItem[] = [];
    if (chance(rng, 0.3)) out.push({ text: pick(rng, TITLES) + ".", role: "title" });
    out.push({ text: pick(rng, v.names), role: "name" });
    // an appositive: "Anna, the old baker,"
    if (chance(rng, 0.2)) out.push({ text: ",", role: "punct" }, { text: "the", role: "function" }, { text: pick(rng, v.beings), role: "being" }, { text: ",", role: "punct" });
    return out;
  }
  // a possessive: "Anna's dog"
  if (allowName && kind !== "places" && chance(rng, 0.12)) return [{ text: `${pick(rng, v.names)}'s`, role: "possessive" }, { text: pick(rng, v[kind]), role: kind === "beings" ? "being" : "thing" }];
  const out: SentenceItem[] = [{ text: kind === "places" ? pick(rng, ["the", "the", "the", "a", "my", "our", "their", "this"]) : pick(rng, DETERMINERS), role: "function" }];
  if (chance(rng, 0.4)) out.push({ text: pick(rng, v.adjectives), role: "adjective" });
  out.push({ text: pick(rng, v[kind]), role: kind === "beings" ? "being" : kind === "things" ? "thing" : "place" });
  return out;
}

const place = (rng: Rng, v: EditVocabulary): SentenceItem[] => [{ text: pick(rng, PREPOSITIONS), role: "function" }, ...nounPhrase(rng, v, "places", false)];
const adverb = (rng: Rng, v: EditVocabulary): SentenceItem => ({ text: pick(rng, v.adverbs), role: "adverb" });
const PERIOD: SentenceItem = { text: ".", role: "punct" };

/** One sentence of 4–16 words from the vocabulary, first letter capitalised, ending with a period. */
export function generateSentence(rng: Rng, v: EditVocabulary): SentenceItem[] {
  for (;;) {
    let items: SentenceItem[];
    const shape = rng.next();
    const subject = nounPhrase(rng, v, "beings", true);
    if (shape < 0.4) {
      items = [...subject, { text: pick(rng, v.transitive), role: "transitive" }, ...nounPhrase(rng, v, "things", false)];
      if (chance(rng, 0.5)) items.push(...place(rng, v));
      if (chance(rng, 0.3)) items.push(adverb(rng, v));
    } else if (shape < 0.47) {
      // a contraction: "The old dog wasn't happy."; or a number: "Anna waited for 3 minutes."
      if (chance(rng, 0.5)) items = [...subject, { text: pick(rng, ["wasn't", "isn't"]), role: "function" }, { text: pick(rng, v.adjectives), role: "adjective" }];
      else if (chance(rng, 0.6)) items = [...subject, { text: pick(rng, v.intransitive), role: "intransitive" }, { text: "for", role: "function" }, { text: pick(rng, NUMBERS), role: "number" }, { text: pick(rng, ["minutes", "hours"]), role: "function" }];
      // a time with an abbreviation: "Anna waited until 9 p.m." (its last point is the sentence's)
      else {
        items = [...subject, { text: pick(rng, v.intransitive), role: "intransitive" }];
        if (chance(rng, 0.3)) items.push(adverb(rng, v));
        items.push({ text: pick(rng, ["at", "until"]), role: "function" }, { text: pick(rng, ["6", "7", "8", "9", "10", "11"]), role: "number" }, { text: pick(rng, ["a.m", "p.m"]), role: "function" });
      }
      if (chance(rng, 0.3) && !items[items.length - 1].text.endsWith(".m")) items.push(adverb(rng, v));
    } else if (shape < 0.65) {
      items = [...subject, { text: pick(rng, v.intransitive), role: "intransitive" }];
      if (chance(rng, 0.15)) items.push({ text: "in", role: "function" }, { text: "room", role: "function" }, { text: pick(rng, NUMBERS), role: "number" });
      else if (chance(rng, 0.7)) items.push(...place(rng, v));
      if (chance(rng, 0.5)) items.push(adverb(rng, v));
    } else if (shape < 0.8) {
      items = [adverb(rng, v), { text: ",", role: "punct" }, ...subject, { text: pick(rng, v.transitive), role: "transitive" }, ...nounPhrase(rng, v, "things", false)];
      if (chance(rng, 0.3)) items.push(...place(rng, v));
    } else {
      const first = pick(rng, v.transitive);
      let second = pick(rng, v.transitive);
      while (second === first) second = pick(rng, v.transitive);
      items = [...subject, { text: first, role: "transitive" }, ...nounPhrase(rng, v, "things", false), { text: "and", role: "function" },
        { text: second, role: "transitive" }, ...nounPhrase(rng, v, "things", false)];
      // a place after the second object makes the longest sentences (up to 16 words)
      if (chance(rng, 0.4)) items.push(...place(rng, v));
    }
    items.push(PERIOD);
    items = fixArticles(items);
    items[0] = { ...items[0], text: items[0].text[0].toUpperCase() + items[0].text.slice(1) };
    const words = items.filter((it) => it.role !== "punct").length;
    const content = items.filter((it) => CONTENT.has(it.role)).map((it) => it.text.toLowerCase());
    if (words >= MIN_WORDS && words <= MAX_WORDS && new Set(content).size === content.length) return items;
  }
}

/** A generated task before it gets an id, with the clean sentences it was made from. */
export interface DraftTask {
  family: EditFamily;
  instruction: string;
  source: string;
  target: string;
  sentences: string[];
}

const count = (items: readonly SentenceItem[], word: string) => items.filter((it) => it.text.toLowerCase() === word.toLowerCase()).length;
const without = (items: readonly SentenceItem[], i: number) => items.filter((_, k) => k !== i);
const withText = (items: readonly SentenceItem[], i: number, text: string) => items.map((it, k) => (k === i ? { ...it, text } : it));

/** Indices of content words that occur once (ignoring case) and pass `ok`. */
function uniqueContent(items: readonly SentenceItem[], ok: (it: SentenceItem, i: number) => boolean): number[] {
  const out: number[] = [];
  items.forEach((it, i) => {
    if (CONTENT.has(it.role) && count(items, it.text) === 1 && ok(it, i)) out.push(i);
  });
  return out;
}

/** An instruction for `family` in the phrasing split's wording: a phrasing whose slots are all given, a quote style, politeness. */
function instruction(rng: Rng, family: EditFamily, slots: EditSlots, split: PhrasingSplit): string | undefined {
  let list = (split === "train" ? EDIT_PHRASINGS : EDIT_HELDOUT_PHRASINGS)[family].filter((p) => phrasingSlots(p).every((k) => slots[k] !== undefined));
  // few templates say "at the end" and few words can take them: when one can, use it often enough to learn
  const atEnd = list.filter((p) => p.includes("{E}"));
  if (atEnd.length > 0 && chance(rng, 0.4)) list = atEnd;
  if (list.length === 0) return undefined;
  const phrasing = pick(rng, list);
  let text = fillPhrasing(phrasing, slots, pick(rng, QUOTE_STYLES[split]), pick(rng, POLITENESS[split]), pick(rng, SUFFIXES[split]));
  // people type casually: no final mark, no capital at the start (unless the first word is a slot's word)
  if (chance(rng, 0.15)) text = text.replace(/[.?]$/, "");
  if (chance(rng, 0.15) && !phrasing.startsWith("{")) text = text[0].toLowerCase() + text.slice(1);
  return text;
}

/**
 * A defect nobody asked to fix, applied to source and target alike (so the policy must read which
 * fix the instruction asks for, and leave the rest): the final period dropped, or the first letter
 * lower-cased. Undefined when the pair does not allow it (their first words differ).
 */
function unaskedDefect(rng: Rng, source: string, target: string, except: "period" | "capital" | undefined): [string, string] | undefined {
  const kinds = (["period", "capital"] as const).filter((k) => k !== except);
  const kind = pick(rng, kinds);
  if (kind === "period") {
    if (!source.endsWith(".") || !target.endsWith(".")) return undefined;
    return [source.slice(0, -1), target.slice(0, -1)];
  }
  const first = (t: string) => editTokenize(t)[0];
  if (first(source) !== first(target) || source[0] === source[0].toLowerCase()) return undefined;
  return [source[0].toLowerCase() + source.slice(1), target[0].toLowerCase() + target.slice(1)];
}

/** A misspelling of `word` by one letter substituted, inserted or deleted that is no known word; undefined after a few tries. */
export function misspell(rng: Rng, word: string, avoid: ReadonlySet<string> = new Set()): string | undefined {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  for (let attempt = 0; attempt < 20; attempt++) {
    const op = rng.int(3);
    let v: string;
    if (op === 0) {
      const at = rng.int(word.length);
      const c = letters[rng.int(26)];
      if (c === word[at]) continue;
      v = word.slice(0, at) + c + word.slice(at + 1);
    } else if (op === 1) {
      const at = rng.int(word.length + 1);
      v = word.slice(0, at) + letters[rng.int(26)] + word.slice(at);
    } else {
      if (word.length < 4) continue;
      const at = rng.int(word.length);
      v = word.slice(0, at) + word.slice(at + 1);
    }
    const low = v.toLowerCase();
    if (v !== word && !ALL_CONTENT_WORDS.has(low) && !KNOWN.has(low) && !avoid.has(low)) return v;
  }
  return undefined;
}

/** One task of `family` made from the clean sentence `items`, or undefined when the sentence does not suit it. */
export function makeEditTask(rng: Rng, family: EditFamily, items: readonly SentenceItem[], v: EditVocabulary, split: PhrasingSplit = "train"): DraftTask | undefined {
  const s = renderSentence(items);
  const draft = (source: string, target: string, slots: EditSlots, sentences: string[] = [s]): DraftTask | undefined => {
    const text = instruction(rng, family, slots, split);
    if (text === undefined) return undefined;
    if (chance(rng, 0.2)) {
      const d = unaskedDefect(rng, source, target, family === "period" ? "period" : family === "capitalise" ? "capital" : undefined);
      if (d) [source, target] = d;
    }
    return { family, instruction: text, source, target, sentences };
  };
  switch (family) {
    case "capitalise":
      return draft(s[0].toLowerCase() + s.slice(1), s, {});
    case "period":
      return draft(s.slice(0, -1), s, {});
    case "spaces": {
      const tokens = editTokenize(s);
      const spaces = tokens.flatMap((t, i) => (isSpaceToken(t) ? [i] : []));
      const k = 1 + rng.int(Math.min(3, spaces.length));
      for (const i of rng.shuffle(spaces.slice()).slice(0, k)) tokens[i] = " ".repeat(2 + rng.int(3));
      return draft(editDetokenize(tokens), s, {});
    }
    case "delete":
    case "insert": {
      // "at the start": a new word before a sentence that opens with a name (no letter changes case)
      if (family === "insert" && (items[0].role === "name" || items[0].role === "title") && chance(rng, 0.15)) {
        const w = capitalizeWord(pick(rng, v.adverbs));
        if (count(items, w) > 0) return undefined;
        return draft(s, `${w} ${s}`, { W: w, S: "" }, [s]);
      }
      const choices = uniqueContent(items, (it, i) => i > 0 && (it.role === "adjective" || it.role === "adverb") && items[i - 1].role !== "punct" && !/n't$/.test(items[i - 1].text));
      if (choices.length === 0) return undefined;
      const i = pick(rng, choices);
      const shorter = without(items, i);
      if (!articlesAgree(shorter)) return undefined;
      const short = renderSentence(shorter);
      if (family === "delete") return draft(s, short, { W: items[i].text }, [s, short]);
      // the anchors: the word before W (P) and the word after it (N), each when it is a word that occurs once
      const anchor = (k: number) => (k >= 0 && k < items.length && items[k].role !== "punct" && items[k].role !== "title" && count(shorter, items[k].text) === 1 ? items[k].text : undefined);
      // "at the end" fits only a word that was the last before the final period
      const atEnd = i === items.length - 2 && items[items.length - 1].text === ".";
      const slots: EditSlots = { W: items[i].text, P: anchor(i - 1), N: anchor(i + 1), E: atEnd ? "" : undefined };
      if (!slots.P && !slots.N) return undefined;
      return draft(short, s, slots, [s, short]);
    }
    case "replace": {
      const choices = uniqueContent(items, (it, i) => i > 0 || it.role === "name");
      if (choices.length === 0) return undefined;
      const i = pick(rng, choices);
      const list = categoryList(v, items[i].role);
      const b = pick(rng, list);
      if (count(items, b) > 0) return undefined;
      const replaced = withText(items, i, b);
      if (!articlesAgree(replaced)) return undefined;
      const target = renderSentence(replaced);
      return draft(s, target, { A: items[i].text, B: b }, [s, target]);
    }
    case "upper": {
      const choices = uniqueContent(items, () => true);
      if (choices.length === 0) return undefined;
      const i = pick(rng, choices);
      return draft(s, renderSentence(withText(items, i, items[i].text.toUpperCase())), { W: items[i].text });
    }
    case "lower": {
      const choices = uniqueContent(items, (it, i) => i > 0 && it.role !== "name");
      if (choices.length === 0) return undefined;
      const i = pick(rng, choices);
      const word = items[i].text;
      const shown = chance(rng, 0.7) ? word.toUpperCase() : capitalizeWord(word);
      return draft(renderSentence(withText(items, i, shown)), s, { W: chance(rng, 0.5) ? shown : word });
    }
    case "typo": {
      const choices = uniqueContent(items, (it, i) => i > 0 && it.role !== "name" && it.text.length >= 4);
      if (choices.length === 0) return undefined;
      const i = pick(rng, choices);
      const wrong = misspell(rng, items[i].text, new Set(items.map((it) => it.text.toLowerCase())));
      if (wrong === undefined) return undefined;
      return draft(renderSentence(withText(items, i, wrong)), s, { W: items[i].text });
    }
  }
}

function categoryList(v: EditVocabulary, role: WordRole): readonly string[] {
  switch (role) {
    case "name": return v.names;
    case "being": return v.beings;
    case "thing": return v.things;
    case "place": return v.places;
    case "adjective": return v.adjectives;
    case "transitive": return v.transitive;
    case "intransitive": return v.intransitive;
    case "adverb": return v.adverbs;
    default: throw new RangeError(`categoryList: ${role} is not a content role`);
  }
}

/** Why a draft cannot be a dataset task (too long or short, unsolvable, …), or undefined when it is fine. */
export function draftProblem(d: Pick<DraftTask, "instruction" | "source" | "target">): string | undefined {
  if (d.source === d.target) return "source = target";
  for (const [name, text] of [["source", d.source], ["target", d.target]] as const) {
    const words = editTokenize(text).filter(isWordToken).length;
    if (words < MIN_WORDS || words > MAX_WORDS) return `${name} has ${words} words`;
    if (editTokenize(text).length > EDIT_MAX_TOKENS) return `${name} has more than ${EDIT_MAX_TOKENS} tokens`;
  }
  const m = minimalEdits(d);
  if (m < 1 || m > 19) return `needs ${m} edits`;
  const run = runOracle(d, 20);
  if (!run.solved || run.edits !== m) return `the oracle ${run.solved ? `needs ${run.edits} edits, not ${m}` : "cannot reach the target"}`;
  return undefined;
}

/** Tasks of one family per split: `total` spread over the families, the first ones getting one more when it does not divide. */
export function perFamilyCounts(total: number): Record<EditFamily, number> {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`perFamilyCounts: a split size must be an integer ≥ 0, got ${JSON.stringify(total)}`);
  const base = Math.floor(total / EDIT_FAMILIES.length), extra = total % EDIT_FAMILIES.length;
  return Object.fromEntries(EDIT_FAMILIES.map((f, k) => [f, base + (k < extra ? 1 : 0)])) as Record<EditFamily, number>;
}

export interface GenerateEditOptions {
  seed?: number;
  sizes?: Partial<Record<EditSplit, number>>;
}

/** The three splits (see the module comment). Deterministic: same options, same tasks in the same order. */
export function generateEditDatasets(opts: GenerateEditOptions = {}): Record<EditSplit, EditTask[]> {
  const seed = opts.seed ?? DEFAULT_EDIT_SEED;
  const sizes = { ...DEFAULT_EDIT_SIZES, ...(opts.sizes ?? {}) };
  for (const k of Object.keys(sizes)) if (!(EDIT_SPLITS as readonly string[]).includes(k)) throw new RangeError(`generateEditDatasets: unknown split '${k}'; expected ${EDIT_SPLITS.join(", ")}`);
  const root = createRng(seed);
  const seenTasks = new Set<string>();
  const trainSentences = new Set<string>();
  const trainWords = new Set<string>();
  const out = {} as Record<EditSplit, EditTask[]>;
  for (const split of EDIT_SPLITS) {
    const rng = root.fork();
    const heldout = split === "heldout" || split === "heldout-phrasings";
    const vocab = heldout ? HELDOUT_VOCAB : TRAIN_VOCAB;
    const wording: PhrasingSplit = split === "heldout-phrasings" ? "heldout" : "train";
    const want = perFamilyCounts(sizes[split]);
    const have = Object.fromEntries(EDIT_FAMILIES.map((f) => [f, 0])) as Record<EditFamily, number>;
    const drafts: DraftTask[] = [];
    let attempts = 0;
    // round robin over the families, so that no family gets the easy sentences first
    for (let progress = true; progress;) {
      progress = false;
      for (const family of EDIT_FAMILIES) {
        if (have[family] >= want[family]) continue;
        progress = true;
        for (;;) {
          if (++attempts > 200 * (sizes[split] + 10)) throw new Error(`generateEditDatasets: could not make enough ${split} tasks of family ${family} (have ${have[family]} of ${want[family]})`);
          const d = makeEditTask(rng, family, generateSentence(rng, vocab), vocab, wording);
          if (!d || draftProblem(d)) continue;
          const key = `${d.instruction}\u0000${d.source}`;
          if (seenTasks.has(key)) continue;
          if (split === "validation" && d.sentences.some((s) => trainSentences.has(s))) continue;
          const words = [d.instruction, d.source, d.target].flatMap((t) => editTokenize(t).filter(isWordToken).map((w) => w.toLowerCase()));
          if (heldout && words.some((w) => !KNOWN.has(w) && !/^\p{N}/u.test(w) && trainWords.has(w))) continue;
          seenTasks.add(key);
          if (split === "train") {
            for (const s of d.sentences) trainSentences.add(s);
            for (const w of words) trainWords.add(w);
          }
          drafts.push(d);
          have[family]++;
          break;
        }
      }
    }
    rng.shuffle(drafts);
    out[split] = drafts.map((d, i) => checkEditTask({ id: `${split}-${String(i + 1).padStart(5, "0")}`, family: d.family, instruction: d.instruction, source: d.source, target: d.target }, `${split} task ${i + 1}`));
  }
  return out;
}
