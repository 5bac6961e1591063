/**
 * A relational featuriser for EditAgent-v0's observation: numbers that describe each text token,
 * each instruction token and each payload candidate by what they are *like* and how they relate
 * to one another — never by which content word they are. A held-out task's words are unseen, but
 * "this text token is the instruction's quoted word", "this payload is the upper-case form of that
 * text token" and "this token is one letter away from an instruction word" are the same relations
 * as in training, so a policy built on them can generalise.
 *
 * The only word identities are those of the instruction language (EDIT_KNOWN_WORDS: the phrasings'
 * words and the function words, shared by every split): a one-hot per instruction token, and ids
 * (`*WordIds`, for an embedding) for every token. Content words are all "other".
 *
 * `featurizeEditObservation(obs)` returns fixed-size Float32Arrays (row-major), every value in [0, 1]:
 *
 * | block | shape | per |
 * |---|---|---|
 * | text | [41, EDIT_TEXT_FEATURES] | location: text tokens 0…39 and END (40), zero rows past the text |
 * | instruction | [48, EDIT_INSTRUCTION_FEATURES] | instruction token (first 48), zero rows past it |
 * | payloads | [24, EDIT_PAYLOAD_FEATURES] | payload slot, zero rows for padding |
 * | textInstruction | [41, 48, 3] | (text token, instruction token): equal, equal ignoring case, one letter apart |
 * | payloadText | [24, 41, 6] | (payload, text token): equal, equal ignoring case, capitalised / upper / lower form of it, one letter apart |
 * | payloadInstruction | [24, 48, 2] | (payload, instruction token): equal, equal ignoring case |
 * | global | [EDIT_GLOBAL_FEATURES] | the state |
 * and `flat`, all of them concatenated in that order (EDIT_FEATURE_SIZE numbers: EditAgent-v0's
 * observationSpace). The per-row features are listed, with what each means, in EDIT_TEXT_FEATURES,
 * EDIT_INSTRUCTION_FEATURES, EDIT_PAYLOAD_FEATURES and EDIT_GLOBAL_FEATURES (name, meaning).
 * "One letter apart" is a Levenshtein distance of exactly 1 ignoring case, between words of 3
 * letters or more: the typo relation.
 */
import { EDIT_LOCATIONS, EDIT_MAX_PAYLOADS, EDIT_MAX_TOKENS, type EditObservation } from "./actions";
import { withinOneEdit } from "./distance";
import { EDIT_CONCEPT_NAMES, inWordNet, negatedStem, phraseAffinity } from "./lexicon";
import { EDIT_KNOWN_WORDS } from "./phrasings";
import { capitalizeWord, editTokenKind, isSpaceToken, isWordToken, lowerCaseWord, upperCaseWord, wordCasePattern } from "./text";

export const EDIT_MAX_INSTRUCTION_TOKENS = 48;

type FeatureDoc = readonly [name: string, meaning: string];

const CASE_FEATURES: FeatureDoc[] = [
  ["lower", "a word in lower case (dog)"],
  ["capitalized", "a word with only its first letter upper case (Dog)"],
  ["upper", "a word of two letters or more all in upper case (DOG)"],
  ["mixed", "a word with another mix of cases (dOg)"],
];

export const EDIT_TEXT_FEATURES: readonly FeatureDoc[] = [
  ["present", "a token of the text (0 for END and for rows past the text)"],
  ["end", "the END location (row 40): where INSERT appends"],
  ["word", "token kind: a word"],
  ["space", "token kind: a run of spaces"],
  ["punct", "token kind: one punctuation character"],
  ["spaceRun", "a run of two or more spaces"],
  ["period", "the token '.'"],
  ["comma", "the token ','"],
  ["position", "token index / 40"],
  ["fromEnd", "(tokens − 1 − index) / 40: 0 for the last token"],
  ["firstWord", "the text's first word"],
  ["lastWord", "the text's last word"],
  ...CASE_FEATURES,
  ["length", "characters / 20, at most 1"],
  ["prevSpace", "the token before is a space run"],
  ["nextSpace", "the token after is a space run"],
  ["prevWord", "the token before is a word"],
  ["nextWord", "the token after is a word"],
  ["known", "a word of the instruction language (EDIT_KNOWN_WORDS); 0 for content words"],
  ["instrExact", "equal to an instruction token"],
  ["instrCaseless", "a word equal to an instruction word ignoring case"],
  ["instrQuoted", "a word equal, ignoring case, to an instruction word in quotes"],
  ["instrTypo", "a word one letter away from an instruction word (the typo relation)"],
  ["instrFirstWord", "a word equal, ignoring case, to the first content word the instruction names"],
  ["instrLastWord", "a word equal, ignoring case, to the last content word the instruction names"],
  ["repeated", "a word that occurs more than once in the text, ignoring case"],
  ["edited", "written by an edit of this episode (inserted or replaced): the agent's own work"],
];

export const EDIT_INSTRUCTION_FEATURES: readonly FeatureDoc[] = [
  ["present", "a token of the instruction"],
  ["word", "token kind: a word"],
  ["space", "token kind: a space run"],
  ["punct", "token kind: punctuation"],
  ["quote", "a quote mark (' or \")"],
  ["period", "the token '.'"],
  ["comma", "',' ';' or ':'"],
  ["position", "token index / 48"],
  ["wordIndex", "index among the instruction's words / 16, at most 1"],
  ["quoted", "a word between quote marks"],
  ["content", "a word outside the instruction language that the text holds (ignoring case or one letter apart), or — when the instruction quotes some word — one in quotes, else one with no WordNet edit concept: likely a slot's word (W, P, N, A, B)"],
  ["contentIndex", "for a content word: 0 for the first one, 1 for a later one"],
  ...CASE_FEATURES,
  ["length", "characters / 20, at most 1"],
  ["textExact", "equal to a text token"],
  ["textCaseless", "a word equal to a text word ignoring case"],
  ["textTypo", "a word one letter away from a text word"],
  ["payload", "also a payload candidate (not cut off by the 24-slot limit)"],
  ["wordnet", "a word WordNet knows (lib/envs/edit/lexicon.ts)"],
  ["negation", "a negating word (not, no, never, …n't) or a stem with a negating prefix (\"decapitalize\"): the concept is to be undone"],
  ["negated", "a word after a negation in the instruction, or itself a negated stem"],
  ...EDIT_CONCEPT_NAMES.map((c): FeatureDoc => [`prevConcept:${c}`, `the word before it (quotes skipped) has the concept '${c}'`]),
  ...EDIT_CONCEPT_NAMES.map((c): FeatureDoc => [`nextConcept:${c}`, `the word after it (quotes skipped) has the concept '${c}'`]),
  ...EDIT_CONCEPT_NAMES.map((c): FeatureDoc => [`concept:${c}`, `the word (or a multi-word lemma covering it) is, in WordNet, a synonym of a seed of the edit concept '${c}' or one link from one`]),
  ...EDIT_KNOWN_WORDS.map((w): FeatureDoc => [`is:${w}`, `the word '${w}' of the instruction language, ignoring case (one-hot)`]),
  ...EDIT_KNOWN_WORDS.map((w): FeatureDoc => [`prevIs:${w}`, `the word before it (quotes skipped) is '${w}' (one-hot): "after X" and "before X" differ here`]),
];

export const EDIT_PAYLOAD_FEATURES: readonly FeatureDoc[] = [
  ["present", "a payload candidate (0 for padding slots)"],
  ["space", "the space ' ' (slot 0)"],
  ["period", "the period '.' (slot 1)"],
  ["word", "a word"],
  ["punct", "punctuation"],
  ["known", "a word of the instruction language"],
  ["fromInstruction", "equal to an instruction token (copied from the instruction)"],
  ["instrCaseless", "a word equal to an instruction word ignoring case"],
  ["instrQuoted", "equal to an instruction word in quotes"],
  ["instrContent", "equal to a content word of the instruction (a slot's word)"],
  ["inText", "equal to a text token (REPLACE there is masked: a no-op)"],
  ["textCaseless", "a word equal to a text word ignoring case"],
  ["capOfText", "the capitalised form of a text word, differing from it"],
  ["upperOfText", "the upper-case form of a text word, differing from it"],
  ["lowerOfText", "the lower-case form of a text word, differing from it"],
  ["textTypo", "a word one letter away from a text word"],
  ...CASE_FEATURES,
  ["length", "characters / 20, at most 1"],
];

export const EDIT_GLOBAL_FEATURES: readonly FeatureDoc[] = [
  ["textTokens", "text tokens / 40"],
  ["instructionTokens", "instruction tokens / 48, at most 1"],
  ["payloads", "payload candidates / 24"],
  ["textWords", "text words / 16, at most 1"],
  ["repeatedSpaces", "the text has a run of two or more spaces"],
  ["endsWithPeriod", "the text's last token is '.'"],
  ["startsWithCapital", "the text's first character is an upper-case letter"],
  ["full", "the text has 40 tokens: INSERT is masked"],
  ["edits", "some token was written by an edit of this episode"],
];

const FT = EDIT_TEXT_FEATURES.length, FI = EDIT_INSTRUCTION_FEATURES.length, FP = EDIT_PAYLOAD_FEATURES.length, FG = EDIT_GLOBAL_FEATURES.length;
const L = EDIT_LOCATIONS, I = EDIT_MAX_INSTRUCTION_TOKENS, P = EDIT_MAX_PAYLOADS;
const TI = 3, PT = 6, PI = 2;

/** Each block's shape, in the order `flat` concatenates them. */
export const EDIT_FEATURE_SHAPES = {
  text: [L, FT],
  instruction: [I, FI],
  payloads: [P, FP],
  textInstruction: [L, I, TI],
  payloadText: [P, L, PT],
  payloadInstruction: [P, I, PI],
  global: [FG],
} as const;

const BLOCKS = Object.entries(EDIT_FEATURE_SHAPES) as [keyof typeof EDIT_FEATURE_SHAPES, readonly number[]][];
const SIZES = BLOCKS.map(([, s]) => s.reduce((a, b) => a * b, 1));
/** Length of `flat`: EditAgent-v0's observationSpace is Box(0, 1, (EDIT_FEATURE_SIZE,)). */
export const EDIT_FEATURE_SIZE = SIZES.reduce((a, b) => a + b, 0);

export interface EditFeatures {
  text: Float32Array;
  instruction: Float32Array;
  payloads: Float32Array;
  textInstruction: Float32Array;
  payloadText: Float32Array;
  payloadInstruction: Float32Array;
  global: Float32Array;
  /** Every block above, concatenated (the blocks are views into it). */
  flat: Float32Array;
  /**
   * Word ids for an embedding, per row of text / instruction / payloads: 0 not a word (or padding),
   * 1 a content word (any word outside the instruction language), 2 + k the word EDIT_KNOWN_WORDS[k].
   */
  textWordIds: Int32Array;
  instructionWordIds: Int32Array;
  payloadWordIds: Int32Array;
}

const KNOWN_INDEX = new Map(EDIT_KNOWN_WORDS.map((w, k) => [w, k]));
const QUOTES = new Set(["'", '"', "`", "“", "”", "‘", "’"]);

function wordId(t: string | undefined): number {
  if (t === undefined || !isWordToken(t)) return 0;
  const k = KNOWN_INDEX.get(t.toLowerCase());
  return k === undefined ? 1 : 2 + k;
}

const typo = (a: string, b: string) => {
  const x = a.toLowerCase(), y = b.toLowerCase();
  return x !== y && x.length >= 3 && y.length >= 3 && isWordToken(a) && isWordToken(b) && withinOneEdit(x, y);
};

function caseRow(row: Float32Array, at: number, t: string): void {
  if (!isWordToken(t)) return;
  const c = wordCasePattern(t);
  if (c === "lower") row[at] = 1;
  else if (c === "capitalized") row[at + 1] = 1;
  else if (c === "upper") row[at + 2] = 1;
  else if (c === "mixed") row[at + 3] = 1;
}

const index = (docs: readonly FeatureDoc[]) => Object.fromEntries(docs.map(([n], k) => [n, k])) as Record<string, number>;
const XT = index(EDIT_TEXT_FEATURES), XI = index(EDIT_INSTRUCTION_FEATURES), XP = index(EDIT_PAYLOAD_FEATURES), XG = index(EDIT_GLOBAL_FEATURES);
const IS_BASE = XI["is:" + EDIT_KNOWN_WORDS[0]];
const CONCEPT_BASE = XI["concept:" + EDIT_CONCEPT_NAMES[0]];
const PREV_CONCEPT_BASE = XI["prevConcept:" + EDIT_CONCEPT_NAMES[0]];
const NEXT_CONCEPT_BASE = XI["nextConcept:" + EDIT_CONCEPT_NAMES[0]];
const PREV_IS_BASE = XI["prevIs:" + EDIT_KNOWN_WORDS[0]];
const isNegation = (low: string) => low === "not" || low === "no" || low === "never" || low === "nothing" || /n't$|n’t$/.test(low);

/** The features of an observation (see the module comment); pure and deterministic. */
export function featurizeEditObservation(obs: EditObservation): EditFeatures {
  const flat = new Float32Array(EDIT_FEATURE_SIZE);
  const views: Float32Array[] = [];
  let offset = 0;
  for (const size of SIZES) {
    views.push(flat.subarray(offset, offset + size));
    offset += size;
  }
  const [text, instruction, payloads, textInstruction, payloadText, payloadInstruction, global] = views;
  const tokens: Tokens = { text: obs.textTokens.slice(0, EDIT_MAX_TOKENS), edited: (obs.edited ?? []).slice(0, EDIT_MAX_TOKENS), instruction: obs.instructionTokens.slice(0, I), payloads: obs.payloads.slice(0, P) };
  const facts = factsOf(tokens);
  writeTextRows(text, tokens, facts);
  writeInstructionRows(instruction, tokens, facts);
  writePayloadRows(payloads, tokens, facts);
  writeRelations(textInstruction, payloadText, payloadInstruction, tokens);
  writeGlobal(global, tokens, obs.instructionTokens.length, facts);
  const ids = (list: readonly string[], rows: number) => {
    const out = new Int32Array(rows);
    list.forEach((t, k) => (out[k] = wordId(t)));
    return out;
  };
  return {
    text, instruction, payloads, textInstruction, payloadText, payloadInstruction, global, flat,
    textWordIds: ids(tokens.text, L), instructionWordIds: ids(tokens.instruction, I), payloadWordIds: ids(tokens.payloads, P),
  };
}

/** The observation's tokens as far as the features reach: text (≤ EDIT_MAX_TOKENS), instruction (≤ 48), payloads (≤ 24). */
interface Tokens {
  text: string[];
  /** Per text token: written by an edit (EditObservation.edited). */
  edited: boolean[];
  instruction: string[];
  payloads: string[];
}

/** What the instruction says and the text holds, computed once for every block of features. */
interface Facts {
  /** Per instruction word token: a stem with a negating prefix ("decapitalize"). */
  negStem: boolean[];
  /** Some text token was written by an edit. */
  anyEdited: boolean;
  /** Per instruction word token: its WordNet concept affinities (EDIT_CONCEPT_NAMES order). */
  affinity: Float32Array[];
  /** Per instruction token: inside quotes; a content word (a word not of the instruction language). */
  quoted: boolean[];
  content: boolean[];
  /** The instruction's content words and quoted words, lower-cased. */
  contentWords: string[];
  quotedWords: Set<string>;
  /** The instruction's words lower-cased, and its tokens as they are. */
  instrWordsLower: Set<string>;
  instrExact: Set<string>;
  /** The text's words lower-cased (in order), and its tokens as they are. */
  textWordsLower: string[];
  textExact: Set<string>;
  payloadSet: Set<string>;
}

const lower = (s: string) => s.toLowerCase();

function factsOf({ text: tt, instruction: it, payloads: pp, edited }: Tokens): Facts {
  // the instruction's quoted words and content words
  const quoted = new Array<boolean>(it.length).fill(false);
  let open = -1;
  it.forEach((t, j) => {
    if (!QUOTES.has(t)) return;
    if (open < 0) open = j;
    else {
      for (let k = open + 1; k < j; k++) if (isWordToken(it[k])) quoted[k] = true;
      open = -1;
    }
  });
  const words = it.filter(isWordToken).map(lower);
  const affinity: Float32Array[] = [];
  let w = 0;
  const negStem: boolean[] = [];
  it.forEach((t, j) => {
    if (!isWordToken(t)) return;
    const a = Float32Array.from(phraseAffinity(words, w++));
    const neg = negatedStem(t);
    negStem[j] = neg.some((x) => x > 0);
    neg.forEach((x, c) => (a[c] = Math.max(a[c], x)));
    affinity[j] = a;
  });
  const textLower = tt.filter(isWordToken).map(lower);
  // people quote the words they mean: when the instruction quotes any word, an unquoted word is a
  // slot's word only if the text holds it ("scrap `dusty`": scrap is the request, not a word to write)
  const anyQuoted = quoted.some(Boolean);
  const content = it.map((t, j) => {
    if (!isWordToken(t) || KNOWN_INDEX.has(lower(t))) return false;
    if (textLower.includes(lower(t)) || tt.some((u) => typo(t, u))) return true;
    if (anyQuoted) return quoted[j];
    return !affinity[j].some((a) => a > 0);
  });
  return {
    negStem,
    anyEdited: edited.some(Boolean),
    affinity,
    quoted,
    content,
    contentWords: it.filter((_, j) => content[j]).map(lower),
    quotedWords: new Set(it.filter((_, j) => quoted[j]).map(lower)),
    instrWordsLower: new Set(it.filter(isWordToken).map(lower)),
    instrExact: new Set(it),
    textWordsLower: tt.filter(isWordToken).map(lower),
    textExact: new Set(tt),
    payloadSet: new Set(pp),
  };
}

/** One row of EDIT_TEXT_FEATURES per text token, and the end-of-text row. */
function writeTextRows(text: Float32Array, { text: tt, instruction: it, edited }: Tokens, f: Facts): void {
  const n = tt.length;
  const firstWord = tt.findIndex(isWordToken);
  let lastWord = -1;
  tt.forEach((t, i) => {
    if (isWordToken(t)) lastWord = i;
  });
  for (let i = 0; i < n; i++) {
    const t = tt[i], row = text.subarray(i * FT, (i + 1) * FT), kind = editTokenKind(t), low = lower(t);
    row[XT.present] = 1;
    row[XT[kind]] = 1;
    if (kind === "space" && t.length > 1) row[XT.spaceRun] = 1;
    if (t === ".") row[XT.period] = 1;
    if (t === ",") row[XT.comma] = 1;
    row[XT.position] = i / EDIT_MAX_TOKENS;
    row[XT.fromEnd] = (n - 1 - i) / EDIT_MAX_TOKENS;
    if (i === firstWord) row[XT.firstWord] = 1;
    if (i === lastWord) row[XT.lastWord] = 1;
    caseRow(row, XT.lower, t);
    row[XT.length] = Math.min(t.length, 20) / 20;
    if (i > 0) {
      if (isSpaceToken(tt[i - 1])) row[XT.prevSpace] = 1;
      if (isWordToken(tt[i - 1])) row[XT.prevWord] = 1;
    }
    if (i + 1 < n) {
      if (isSpaceToken(tt[i + 1])) row[XT.nextSpace] = 1;
      if (isWordToken(tt[i + 1])) row[XT.nextWord] = 1;
    }
    if (kind === "word") {
      if (KNOWN_INDEX.has(low)) row[XT.known] = 1;
      if (f.instrWordsLower.has(low)) row[XT.instrCaseless] = 1;
      if (f.quotedWords.has(low)) row[XT.instrQuoted] = 1;
      if (it.some((u) => typo(t, u))) row[XT.instrTypo] = 1;
      if (f.contentWords.length > 0 && low === f.contentWords[0]) row[XT.instrFirstWord] = 1;
      if (f.contentWords.length > 0 && low === f.contentWords[f.contentWords.length - 1]) row[XT.instrLastWord] = 1;
      if (f.textWordsLower.filter((w) => w === low).length > 1) row[XT.repeated] = 1;
    }
    if (f.instrExact.has(t)) row[XT.instrExact] = 1;
    if (edited[i]) row[XT.edited] = 1;
  }
  text[EDIT_MAX_TOKENS * FT + XT.end] = 1;
}

/** One row of EDIT_INSTRUCTION_FEATURES per instruction token. */
function writeInstructionRows(instruction: Float32Array, { text: tt, instruction: it }: Tokens, f: Facts): void {
  let words = 0, contentSeen = 0, negationSeen = false;
  for (let j = 0; j < it.length; j++) {
    const t = it[j], row = instruction.subarray(j * FI, (j + 1) * FI), kind = editTokenKind(t), low = lower(t);
    row[XI.present] = 1;
    row[XI[kind]] = 1;
    if (QUOTES.has(t)) row[XI.quote] = 1;
    if (t === ".") row[XI.period] = 1;
    if (t === "," || t === ";" || t === ":") row[XI.comma] = 1;
    row[XI.position] = j / I;
    if (kind === "word") {
      row[XI.wordIndex] = Math.min(words++, 16) / 16;
      if (f.quoted[j]) row[XI.quoted] = 1;
      if (f.content[j]) {
        row[XI.content] = 1;
        row[XI.contentIndex] = contentSeen++ > 0 ? 1 : 0;
      }
      if (f.textWordsLower.includes(low)) row[XI.textCaseless] = 1;
      if (tt.some((u) => typo(t, u))) row[XI.textTypo] = 1;
      const k = KNOWN_INDEX.get(low);
      if (k !== undefined) row[IS_BASE + k] = 1;
      if (inWordNet(low)) row[XI.wordnet] = 1;
      if (isNegation(low) || f.negStem[j]) row[XI.negation] = 1;
      if (negationSeen || f.negStem[j]) row[XI.negated] = 1;
      if (isNegation(low)) negationSeen = true;
      // the neighbouring words (quotes and punctuation skipped): their concepts, and which known word comes before
      let pj = j - 1;
      while (pj >= 0 && !isWordToken(it[pj])) pj--;
      let nj = j + 1;
      while (nj < it.length && !isWordToken(it[nj])) nj++;
      if (pj >= 0) {
        f.affinity[pj].forEach((a, c) => (row[PREV_CONCEPT_BASE + c] = a > 0 ? 1 : 0));
        const pk = KNOWN_INDEX.get(lower(it[pj]));
        if (pk !== undefined) row[PREV_IS_BASE + pk] = 1;
      }
      if (nj < it.length) f.affinity[nj].forEach((a, c) => (row[NEXT_CONCEPT_BASE + c] = a > 0 ? 1 : 0));
      // any WordNet link counts as the concept (1): a training verb (a seed's synonym) and a stranger's
      // word one link away look the same, so the policy cannot learn to trust only the seeds
      f.affinity[j].forEach((a, c) => (row[CONCEPT_BASE + c] = a > 0 ? 1 : 0));
    }
    caseRow(row, XI.lower, t);
    row[XI.length] = Math.min(t.length, 20) / 20;
    if (f.textExact.has(t)) row[XI.textExact] = 1;
    if (f.payloadSet.has(t)) row[XI.payload] = 1;
  }
}

/** One row of EDIT_PAYLOAD_FEATURES per payload. */
function writePayloadRows(payloads: Float32Array, { text: tt, payloads: pp }: Tokens, f: Facts): void {
  const contentSet = new Set(f.contentWords);
  for (let p = 0; p < pp.length; p++) {
    const t = pp[p], row = payloads.subarray(p * FP, (p + 1) * FP), kind = editTokenKind(t), low = lower(t);
    row[XP.present] = 1;
    if (t === " ") row[XP.space] = 1;
    if (t === ".") row[XP.period] = 1;
    if (kind === "word") row[XP.word] = 1;
    if (kind === "punct") row[XP.punct] = 1;
    if (f.instrExact.has(t)) row[XP.fromInstruction] = 1;
    if (f.textExact.has(t)) row[XP.inText] = 1;
    if (kind === "word") {
      if (KNOWN_INDEX.has(low)) row[XP.known] = 1;
      if (f.instrWordsLower.has(low)) row[XP.instrCaseless] = 1;
      if (f.quotedWords.has(low) && f.instrExact.has(t)) row[XP.instrQuoted] = 1;
      if (contentSet.has(low) && f.instrExact.has(t)) row[XP.instrContent] = 1;
      if (f.textWordsLower.includes(low)) row[XP.textCaseless] = 1;
      for (const u of tt) {
        if (!isWordToken(u) || u === t) continue;
        if (capitalizeWord(u) === t) row[XP.capOfText] = 1;
        if (upperCaseWord(u) === t) row[XP.upperOfText] = 1;
        if (lowerCaseWord(u) === t) row[XP.lowerOfText] = 1;
        if (typo(t, u)) row[XP.textTypo] = 1;
      }
    }
    caseRow(row, XP.lower, t);
    row[XP.length] = Math.min(t.length, 20) / 20;
  }
}

/** The relation blocks: text × instruction, payload × text, payload × instruction (equal, same ignoring case, case forms, one letter apart). */
function writeRelations(textInstruction: Float32Array, payloadText: Float32Array, payloadInstruction: Float32Array, { text: tt, instruction: it, payloads: pp }: Tokens): void {
  const n = tt.length;
  for (let i = 0; i < n; i++) {
    const a = tt[i];
    for (let j = 0; j < it.length; j++) {
      const b = it[j], at = (i * I + j) * TI;
      if (a === b) textInstruction[at] = 1;
      if (isWordToken(a) && lower(a) === lower(b)) textInstruction[at + 1] = 1;
      if (typo(a, b)) textInstruction[at + 2] = 1;
    }
  }
  for (let p = 0; p < pp.length; p++) {
    const a = pp[p];
    for (let i = 0; i < n; i++) {
      const u = tt[i], at = (p * L + i) * PT;
      if (a === u) payloadText[at] = 1;
      if (isWordToken(a) && lower(a) === lower(u)) payloadText[at + 1] = 1;
      if (isWordToken(u) && u !== a) {
        if (capitalizeWord(u) === a) payloadText[at + 2] = 1;
        if (upperCaseWord(u) === a) payloadText[at + 3] = 1;
        if (lowerCaseWord(u) === a) payloadText[at + 4] = 1;
      }
      if (typo(a, u)) payloadText[at + 5] = 1;
    }
    for (let j = 0; j < it.length; j++) {
      const at = (p * I + j) * PI;
      if (a === it[j]) payloadInstruction[at] = 1;
      if (isWordToken(a) && lower(a) === lower(it[j])) payloadInstruction[at + 1] = 1;
    }
  }
}

/** EDIT_GLOBAL_FEATURES: sizes and the whole text's shape. */
function writeGlobal(global: Float32Array, { text: tt, payloads: pp }: Tokens, instructionTokens: number, f: Facts): void {
  const n = tt.length;
  global[XG.textTokens] = n / EDIT_MAX_TOKENS;
  global[XG.instructionTokens] = Math.min(instructionTokens, I) / I;
  global[XG.payloads] = pp.length / P;
  global[XG.textWords] = Math.min(f.textWordsLower.length, 16) / 16;
  if (tt.some((t) => isSpaceToken(t) && t.length > 1)) global[XG.repeatedSpaces] = 1;
  if (n > 0 && tt[n - 1] === ".") global[XG.endsWithPeriod] = 1;
  if (n > 0 && /^\p{Lu}/u.test(tt[0])) global[XG.startsWithCapital] = 1;
  if (n >= EDIT_MAX_TOKENS) global[XG.full] = 1;
  if (f.anyEdited) global[XG.edits] = 1;
}
