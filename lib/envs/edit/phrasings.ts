/**
 * How each edit family's instruction is worded, in two disjoint sets:
 *
 *   EDIT_PHRASINGS            the training phrasings (train, validation and heldout.jsonl use them)
 *   EDIT_HELDOUT_PHRASINGS    the phrasing split (heldout-phrasings.jsonl): other verbs and synonyms,
 *                             other templates, other politeness and quoting styles — never in training
 *
 * A template may hold alternatives, `[delete|remove]`, expanded when this module loads, and slots:
 * {W} the word to act on, {P} the word a new word goes after, {N} the word it goes before, {A} the
 * word to replace, {B} its replacement, {E} / {S} (written as nothing) the new word goes at the end / the start. In a held-out template the key word (the verb or the noun
 * that says what to do) is marked `*` in the source: it must never occur in a training template
 * (tests/envs-edit-data.test.ts checks it, and that no held-out template is a training one).
 *
 * The generator adds politeness ("Please …", "Could you …?") and quotes the slots' words in one of
 * several styles (QUOTE_STYLES); both come in a training set and a held-out set too.
 *
 * EDIT_KNOWN_WORDS, the instruction language a featuriser may name (one-hot): the words of the
 * TRAINING phrasings and politeness, and the function words. A held-out phrasing's new words are
 * outside it: the policy reads them through their features (quoted, in the text, WordNet's concepts:
 * lib/envs/edit/lexicon.ts), as it will read a stranger's words. Checked when this module loads: no
 * known word is a content word of either vocabulary.
 */
import { isWordToken, editTokenize } from "./text";
import type { EditFamily } from "./tasks";
import { FUNCTION_WORDS, HELDOUT_VOCAB, TRAIN_VOCAB, vocabularyWords } from "./vocab";

type Templates = Readonly<Record<EditFamily, readonly string[]>>;

const TRAIN_TEMPLATES: Templates = {
  capitalise: [
    "[Capitalise|Capitalize] the first [letter|word].",
    "Make the first letter [a capital|upper case|uppercase].",
    "Start the sentence with a capital letter.",
    "The sentence should [begin|start] with a capital letter.",
    "Use a capital for the first letter of the sentence.",
    "Fix the [capitalisation|capitalization] at the start.",
    "The first word needs a capital letter.",
    "Put a capital letter at the [start|beginning].",
    "Begin with an uppercase letter.",
    "[Capitalise|Capitalize] the [start|beginning] of the sentence.",
    "Use sentence case.",
    "The first letter should be [capitalized|capitalised|uppercase].",
    "Uppercase the first letter.",
    "[Capitalise|Capitalize] the sentence.",
  ],
  period: [
    "[End|Finish] the sentence with a [period|full stop|dot].",
    "[Add|Put|Insert|Place] a [period|full stop|dot] at the end.",
    "The sentence needs a [period|full stop] at the end.",
    "[Add|Insert] the missing [period|full stop].",
    "Terminate the sentence with a period.",
    "Put a period after the last word.",
    "It needs a full stop.",
    "Append a [period|full stop].",
    "End it with a period.",
    "There should be a period at the end.",
    "Punctuate the end of the sentence.",
    "The sentence is missing its [period|full stop].",
    "Finish with a dot.",
  ],
  spaces: [
    "Collapse [repeated|double|multiple] spaces.",
    "Replace every run of spaces with a single space.",
    "Remove the extra spaces.",
    "Use one space between words.",
    "There should be only one space between words.",
    "Fix the spacing.",
    "[Delete|Remove] the double spaces.",
    "Get rid of the extra [spaces|whitespace].",
    "[Normalize|Normalise] the [spacing|whitespace].",
    "Too many spaces; fix it.",
    "Make the spacing even.",
    "Only single spaces between words.",
  ],
  delete: [
    "[Delete|Remove|Drop|Erase|Cut|Strike] the word {W}.",
    "[Delete|Remove|Drop|Erase|Cut|Omit|Eliminate] {W}.",
    "Take out the word {W}.",
    "Take {W} out.",
    "[Drop|Remove|Delete|Eliminate] {W} from the sentence.",
    "Delete {W} from the text.",
    "The word {W} should go.",
    "{W} [has to|should|needs to] go.",
    "Leave out {W}.",
    "I don't want the word {W} here.",
    "Get rid of the word {W}.",
    "Get rid of {W}.",
    "{W} [has to be|must be] [removed|deleted].",
    "Lose the word {W}.",
    "Cross out {W}.",
  ],
  insert: [
    "[Insert|Add] the word {W} after {P}.",
    "[Insert|Add|Put|Place] {W} after the word {P}.",
    "After {P}, [insert|add] {W}.",
    "Put the word {W} right after {P}.",
    "[Insert|Add|Put|Place] {W} before {N}.",
    "[Insert|Add] the word {W} before the word {N}.",
    "Before {N}, add {W}.",
    "[Put|Place|Add] {W} in front of {N}.",
    "[Insert|Add|Put|Place] {W} between {P} and {N}.",
    "After the word {P}, put {W}.",
    "{W} goes [after|right after] {P}.",
    "{W} goes [before|right before] {N}.",
    "Between {P} and {N}, add {W}.",
    "Put in {W} after {P}.",
    "Stick {W} in after {P}.",
    "Slip {W} in before {N}.",
    "Include {W} right before {N}.",
    "Add {W} just after the word {P}.",
    "Add {W} just before the word {N}.",
    "Put {W} directly after {P}.",
    "{W} should come [after|right after] {P}.",
    "{W} should come before {N}.",
    "[Add|Put|Insert] {W} at the [end|very end]{E}.",
    "[Add|Put|Insert] {W} at the [start|beginning]{S}.",
    "Start the sentence with the word {W}{S}.",
    "Put {W} at the front of the sentence{S}.",
    "Add the word {W} at the end of the sentence{E}.",
  ],
  replace: [
    "[Replace|Change] {A} with {B}.",
    "Replace {A} by {B}.",
    "Change the word {A} to {B}.",
    "[Swap|Switch|Exchange] {A} for {B}.",
    "Use {B} instead of {A}.",
    "The word {A} should become {B}.",
    "{A} should be {B}.",
    "Instead of {A}, write {B}.",
    "Write {B} where it says {A}.",
    "[Make|Turn|Change] {A} into {B}.",
    "Substitute {B} for {A}.",
    "Substitute {A} with {B}.",
    "Switch {A} to {B}.",
    "In place of {A}, write {B}.",
    "Put {B} in place of {A}.",
    "Replace the word {A} with the word {B}.",
  ],
  upper: [
    "Upper-case the word {W}.",
    "Uppercase {W}.",
    "Write {W} in [capital letters|capitals|caps|all caps].",
    "Make {W} [all caps|uppercase|upper case|all capitals].",
    "Change {W} to upper case.",
    "Put [the word {W}|{W}] in [upper case|caps].",
    "Capitalise every letter of {W}.",
    "Capitalize all the letters in {W}.",
    "Capitalize the whole word {W}.",
    "{W} should be in capital letters.",
    "{W} should be written in caps.",
    "{W} should be fully uppercase.",
    "I want {W} in upper case.",
    "Set {W} in block capitals.",
    "Make every letter of {W} a capital.",
    "All caps for {W}.",
  ],
  lower: [
    "Lower-case the word {W}.",
    "Lowercase {W}.",
    "Write {W} in [lower case|small letters].",
    "Make {W} [lowercase|lower case|small letters].",
    "Change the word {W} to lower case.",
    "{W} should be in lower case.",
    "{W} should be in lowercase.",
    "Put {W} in small letters.",
    "Don't write {W} in capital letters.",
    "{W} should not be in upper case.",
    "{W} shouldn't be in capitals.",
    "Decapitalize {W}.",
    "Uncapitalize {W}.",
    "No capitals in {W}.",
    "Remove the caps from {W}.",
  ],
  typo: [
    "Fix the [typo|misspelling|spelling] in {W}.",
    "Correct the [spelling|misspelling] of {W}.",
    "Correct the typo: {W}.",
    "The word {W} is misspelled; fix it.",
    "{W} is misspelled.",
    "{W} is spelled [wrong|incorrectly].",
    "Spell {W} [correctly|properly|right].",
    "There is a typo: it should be {W}.",
    "Fix the spelling: {W}.",
    "{W} has a [typo|spelling mistake|spelling error].",
    "Fix the spelling mistake in {W}.",
    "Repair the spelling of {W}.",
  ],
};

const HELDOUT_TEMPLATES: Templates = {
  capitalise: [
    "Open the sentence with a *majuscule.",
    "The *opening letter should be *uppercased.",
    "Put an *initial capital on the sentence.",
    "Let the sentence *commence with a capital.",
    "*Raise the first letter to a capital.",
  ],
  period: [
    "*Close the sentence with a dot.",
    "It needs a *point at the end.",
    "*Conclude the sentence with a period.",
    "*Cap the sentence off with a full stop.",
    "*Wrap up the sentence with a dot.",
  ],
  spaces: [
    "*Squeeze the *gaps down to single spaces.",
    "*Tidy up the whitespace.",
    "*Condense the spacing between words.",
    "Only single *gaps between words, please.",
    "*Straighten out the spacing.",
  ],
  delete: [
    "*Scrap {W}.",
    "*Ditch the word {W}.",
    "*Discard {W}.",
    "Do *away with {W}.",
    "*Excise {W} from the sentence.",
    "{W} is *superfluous; *axe it.",
  ],
  insert: [
    "*Pop {W} in after {P}.",
    "*Tuck {W} in before {N}.",
    "*Wedge {W} between {P} and {N}.",
    "*Introduce {W} *following {P}.",
    "Add {W} *preceding {N}.",
    "{W} *belongs after {P}.",
    "*Tack {W} on at the end{E}.",
    "*Prepend {W}{S}.",
  ],
  replace: [
    "*Trade {A} for {B}.",
    "*Rewrite {A} as {B}.",
    "*Alter {A} to {B}.",
    "*Convert {A} to {B}.",
    "*Supplant {A} with {B}.",
    "{A} *ought to *read {B}.",
  ],
  upper: [
    "Make every letter of {W} a *majuscule.",
    "*Shout {W}: all capitals.",
    "{W} should be fully *uppercased.",
    "*Render {W} in *majuscules.",
    "*Enlarge {W} to capitals.",
  ],
  lower: [
    "Set {W} in *minuscules.",
    "*Downcase {W}.",
    "*Demote {W} to lower case.",
    "*Reduce {W} to small letters.",
    "{W} needs to be *uncapitalised.",
  ],
  typo: [
    "*Amend the spelling of {W}.",
    "*Proofread {W}.",
    "{W} is *misspelt.",
    "*Rectify the spelling of {W}.",
    "*Mend {W}: it has a typo.",
  ],
};

/** Every expansion of a template's `[a|b]` alternatives, in order. */
export function expandTemplate(template: string): string[] {
  const m = /\[([^\]]*)\]/.exec(template);
  if (!m) return [template];
  return m[1].split("|").flatMap((alt) => expandTemplate(template.slice(0, m.index) + alt + template.slice(m.index + m[0].length)));
}

const expand = (t: Templates, unmark: boolean): Record<EditFamily, readonly string[]> =>
  Object.fromEntries(Object.entries(t).map(([f, list]) => [f, list.flatMap(expandTemplate).map((s) => (unmark ? s.replace(/\*/g, "") : s))])) as unknown as Record<EditFamily, readonly string[]>;

export const EDIT_PHRASINGS: Readonly<Record<EditFamily, readonly string[]>> = expand(TRAIN_TEMPLATES, true);
export const EDIT_HELDOUT_PHRASINGS: Readonly<Record<EditFamily, readonly string[]>> = expand(HELDOUT_TEMPLATES, true);

/** The held-out phrasings' key words (marked `*`), lower-cased: none may occur in a training phrasing. */
export const HELDOUT_KEY_WORDS: readonly string[] = [...new Set(Object.values(HELDOUT_TEMPLATES).flat().flatMap((t) => [...t.matchAll(/\*([\p{L}'-]+)/gu)].map((m) => m[1].toLowerCase())))];

export type PhrasingSplit = "train" | "heldout";

/** Politeness around an instruction: a prefix (the template's first letter then lower-cased), and "?" for a question. */
export const POLITENESS: Readonly<Record<PhrasingSplit, readonly { prefix: string; question: boolean }[]>> = {
  train: [
    { prefix: "", question: false }, { prefix: "", question: false }, { prefix: "", question: false }, { prefix: "", question: false },
    { prefix: "Please ", question: false }, { prefix: "Could you ", question: true }, { prefix: "Can you ", question: true },
    { prefix: "Would you ", question: true }, { prefix: "Kindly ", question: false }, { prefix: "Hey, ", question: false },
    { prefix: "Just ", question: false }, { prefix: "I'd like you to ", question: false }, { prefix: "Go ahead and ", question: false },
    { prefix: "Could you please ", question: true }, { prefix: "Okay, ", question: false }, { prefix: "Pls ", question: false },
  ],
  heldout: [
    { prefix: "", question: false }, { prefix: "", question: false },
    { prefix: "I need you to ", question: false }, { prefix: "Would you be so good as to ", question: true },
    { prefix: "Do me a favour and ", question: false }, { prefix: "Hi there, ", question: false }, { prefix: "Quick one: ", question: false },
  ],
};

/**
 * Words after the request, before its final mark: "Delete dog for me." — words that are neither the
 * request nor a slot's word, so that the policy learns such words exist (a stranger adds them).
 */
export const SUFFIXES: Readonly<Record<PhrasingSplit, readonly string[]>> = {
  train: ["", "", "", "", "", " for me", " now", " here", " in this sentence", ", thanks", " too", " please", ", thank you", " in the text", " if you can", " if possible"],
  heldout: ["", "", "", ", cheers", " right away", " when you get a chance", " at once", ", much appreciated"],
};

/** Quote marks around a slot's word: none, then pairs (open, close). */
export const QUOTE_STYLES: Readonly<Record<PhrasingSplit, readonly (readonly [string, string])[]>> = {
  train: [["", ""], ["", ""], ["'", "'"], ['"', '"'], ["`", "`"]],
  heldout: [["", ""], ["`", "`"], ["“", "”"], ["‘", "’"], ["'", "'"]],
};

/** Whether a phrasing is a command (politeness can go before it): not a statement ("The word … should go") or a slot first. */
export function isImperative(phrasing: string): boolean {
  return !/^(\{|The |There |It |Only |In |After |Before |Between |Instead |I |Let |Where |No |All |Too )/.test(phrasing);
}

/** Slot words; `E` and `S` (any value, written as nothing) say the new word goes at the end / the start of the sentence. */
export type EditSlots = Partial<Record<"W" | "P" | "N" | "A" | "B" | "E" | "S", string>>;

/** The slots a phrasing needs, in order of appearance. */
export function phrasingSlots(phrasing: string): (keyof EditSlots)[] {
  return [...phrasing.matchAll(/\{([WPNABES])\}/g)].map((m) => m[1] as keyof EditSlots);
}

/**
 * A phrasing with its slots filled: each word between `quote` marks (true: single quotes, the old
 * default), then the politeness prefix (lower-casing the template's first letter unless it starts
 * with a slot) and "?" instead of the final "." for a question.
 */
export function fillPhrasing(phrasing: string, slots: EditSlots, quote: boolean | readonly [string, string] = false, polite: { prefix: string; question: boolean } = { prefix: "", question: false }, suffix = ""): string {
  const [open, close] = quote === true ? ["'", "'"] : quote === false ? ["", ""] : quote;
  let out = phrasing.replace(/\{([WPNABES])\}/g, (_, slot: keyof EditSlots) => {
    const word = slots[slot];
    if (word === undefined) throw new RangeError(`fillPhrasing: ${JSON.stringify(phrasing)} needs slot {${slot}}`);
    if (slot === "E" || slot === "S") return "";
    return `${open}${word}${close}`;
  });
  if (polite.prefix && isImperative(phrasing)) {
    if (!phrasing.startsWith("{")) out = out[0].toLowerCase() + out.slice(1);
    out = polite.prefix + out;
  }
  if (suffix && /[.?]$/.test(out) && !out.includes(":")) out = out.slice(0, -1) + suffix + out.slice(-1);
  if (polite.prefix && isImperative(phrasing) && polite.question && out.endsWith(".")) out = out.slice(0, -1) + "?";
  return out;
}

const QUOTE_CLASS = `['"\`“”‘’]`;
const SUFFIX_RE = [...SUFFIXES.train, ...SUFFIXES.heldout].map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");
const PATTERNS: Record<string, { regex: RegExp; slots: string[]; flags: string[] }[]> = {};
const patternsOf = (family: string, list: readonly string[]) => list.map((p) => {
  const slots: string[] = [];
  const body = p.replace(/\{[ES]\}/g, "").split(/(\{[WPNAB]\})/).map((part) => {
    const m = /^\{([WPNAB])\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace(/\\\.$/, `(?:${SUFFIX_RE})[.?]?`);
    slots.push(m[1]);
    return `${QUOTE_CLASS}?([\\p{L}\\p{N}][\\p{L}\\p{N}'’.,:-]*?)${QUOTE_CLASS}?`;
  }).join("");
  const prefixes = [...new Set([...POLITENESS.train, ...POLITENESS.heldout].map((x) => x.prefix).filter(Boolean))].map((x) => x.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
  // the place slots written as nothing ({E} at the end, {S} at the start) come back as "" when the phrasing matches
  const flags = [...p.matchAll(/\{([ES])\}/g)].map((m) => m[1]);
  return { regex: new RegExp(`^(?:(?:${prefixes.join("|")}))?${body}$`, "iu"), slots, flags, family };
});
for (const family of Object.keys(EDIT_PHRASINGS)) {
  PATTERNS[family] = [...patternsOf(family, EDIT_PHRASINGS[family as EditFamily]), ...patternsOf(family, EDIT_HELDOUT_PHRASINGS[family as EditFamily])];
}

/**
 * Which phrasing of its family an instruction uses — index into EDIT_PHRASINGS[family] (split
 * "train") or EDIT_HELDOUT_PHRASINGS[family] ("heldout") — and its slot words; undefined if none matches.
 */
export function phrasingOf(family: EditFamily, instruction: string): { index: number; split: PhrasingSplit; slots: EditSlots } | undefined {
  const list = PATTERNS[family];
  if (!list) return undefined;
  const nTrain = EDIT_PHRASINGS[family].length;
  for (let k = 0; k < list.length; k++) {
    const m = list[k].regex.exec(instruction);
    if (m) return { index: k < nTrain ? k : k - nTrain, split: k < nTrain ? "train" : "heldout", slots: Object.fromEntries([...list[k].slots.map((s, j) => [s, m[j + 1]]), ...list[k].flags.map((f) => [f, ""])]) as EditSlots };
  }
  return undefined;
}

const wordsOf = (texts: readonly string[]): string[] => {
  const out: string[] = [];
  for (const p of texts) for (const t of editTokenize(p.replace(/\{[WPNABES]\}/g, " "))) if (isWordToken(t) && !out.includes(t.toLowerCase())) out.push(t.toLowerCase());
  return out;
};

/** The words of every training phrasing and politeness prefix, lower-cased, in order of first appearance (slots left out). */
export const PHRASING_WORDS: readonly string[] = wordsOf([...Object.values(EDIT_PHRASINGS).flat(), ...POLITENESS.train.map((x) => x.prefix), ...SUFFIXES.train]);

/** The words of the held-out phrasings and politeness, lower-cased. */
export const HELDOUT_PHRASING_WORDS: readonly string[] = wordsOf([...Object.values(EDIT_HELDOUT_PHRASINGS).flat(), ...POLITENESS.heldout.map((x) => x.prefix), ...SUFFIXES.heldout]);

/**
 * Grammatical words an instruction may use — articles, prepositions, pronouns, auxiliaries,
 * quantifiers, politeness — as opposed to the words that say which edit (verbs and nouns: those a
 * featuriser reads only through WordNet, lib/envs/edit/lexicon.ts, so that a training verb and a
 * stranger's synonym look alike to the policy).
 */
const GRAMMAR_WORDS = new Set([
  "the", "a", "an", "word", "words", "sentence", "text", "of", "to", "in", "into", "at", "on", "with", "from", "for", "by", "after", "before",
  "between", "and", "so", "that", "this", "it", "its", "is", "be", "should", "has", "have", "there", "one", "only", "every", "all", "each",
  "first", "please", "could", "can", "would", "you", "i", "me", "your", "instead", "right", "directly", "out", "where", "says", "needs",
  "single", "extra", "missing", "which", "was", "are", "go", "make", "put", "use", "set", "write",
  "not", "don't", "no", "want", "goes", "written", "properly", "where", "into", "last",
]);

/**
 * The instruction language a featuriser may one-hot: the grammatical words of the training
 * phrasings and politeness, then the function words (lower-cased, no duplicates). Every other
 * word — an edit verb or noun of either split, a content word — is unknown to the one-hot, and read
 * through its other features.
 */
export const EDIT_KNOWN_WORDS: readonly string[] = (() => {
  const g = PHRASING_WORDS.filter((w) => GRAMMAR_WORDS.has(w));
  return [...g, ...FUNCTION_WORDS.filter((w) => !g.includes(w))];
})();

(() => {
  const content = new Set([...vocabularyWords(TRAIN_VOCAB), ...vocabularyWords(HELDOUT_VOCAB)]);
  const shared = [...EDIT_KNOWN_WORDS, ...HELDOUT_PHRASING_WORDS].filter((w) => content.has(w));
  if (shared.length) throw new Error(`edit-phrasings: phrasing words that are also content words: ${[...new Set(shared)].join(", ")}`);
  const leaked = HELDOUT_KEY_WORDS.filter((w) => PHRASING_WORDS.includes(w));
  if (leaked.length) throw new Error(`edit-phrasings: held-out key words used in a training phrasing: ${leaked.join(", ")}`);
})();
