/**
 * How each edit family's instruction is worded: six phrasings per family, varying the verb, the
 * word order and the slots' positions ("Replace A with B." / "Use B instead of A."). Slots: {W}
 * the word to act on, {V} the word to insert after, {A} the word to replace, {B} its replacement.
 * The generator fills them (quoted 'like this' in half of the instructions) and never records which
 * phrasing it used; `phrasingOf` recovers it.
 *
 * The words of the phrasings and the shared function words form the instruction language,
 * EDIT_KNOWN_WORDS: the same in every split, so a featuriser may name them (a one-hot), while the
 * sentences' content words (lib/envs/edit/vocab) must stay anonymous. Checked when this module
 * loads: no phrasing word is a content word of either vocabulary.
 */
import { isWordToken, editTokenize } from "./text";
import type { EditFamily } from "./tasks";
import { FUNCTION_WORDS, HELDOUT_VOCAB, TRAIN_VOCAB, vocabularyWords } from "./vocab";

export const EDIT_PHRASINGS: Readonly<Record<EditFamily, readonly string[]>> = {
  capitalise: [
    "Capitalise the first letter.",
    "Capitalize the first word.",
    "Make the first letter a capital.",
    "Start the sentence with a capital letter.",
    "The sentence should begin with a capital letter.",
    "Use a capital for the first letter of the sentence.",
  ],
  period: [
    "End the sentence with a period.",
    "Add a period at the end.",
    "Put a full stop at the end of the sentence.",
    "The sentence needs a period at the end.",
    "Finish the sentence with a full stop.",
    "Terminate the sentence with a period.",
  ],
  spaces: [
    "Collapse repeated spaces.",
    "Replace every run of spaces with a single space.",
    "Remove the extra spaces.",
    "Use one space between words.",
    "There should be only one space between words.",
    "Fix the spacing so words are separated by single spaces.",
  ],
  delete: [
    "Delete the word {W}.",
    "Remove {W}.",
    "Take out the word {W}.",
    "Drop {W} from the sentence.",
    "The word {W} should go.",
    "Cut {W} out of the sentence.",
  ],
  insert: [
    "Insert the word {W} after {V}.",
    "Add {W} after the word {V}.",
    "After {V}, insert {W}.",
    "Put the word {W} right after {V}.",
    "Place {W} directly after the word {V}.",
    "Right after {V}, add the word {W}.",
  ],
  replace: [
    "Replace {A} with {B}.",
    "Change the word {A} to {B}.",
    "Swap {A} for {B}.",
    "Use {B} instead of {A}.",
    "Where it says {A}, write {B}.",
    "The word {A} should become {B}.",
  ],
  upper: [
    "Upper-case the word {W}.",
    "Write {W} in capital letters.",
    "Make {W} all caps.",
    "Change {W} to upper case.",
    "Put the word {W} in upper case.",
    "Capitalise every letter of {W}.",
  ],
  lower: [
    "Lower-case the word {W}.",
    "Write {W} in lower case.",
    "Make {W} lower case.",
    "Change the word {W} to lower case.",
    "{W} should be in lower case.",
    "Put {W} in small letters.",
  ],
  typo: [
    "Fix the typo in {W}.",
    "Correct the spelling of {W}.",
    "The word {W} is misspelled; fix it.",
    "Spell {W} correctly.",
    "There is a typo: it should be {W}.",
    "One word is misspelled: write {W}.",
  ],
};

export type EditSlots = Partial<Record<"W" | "V" | "A" | "B", string>>;

/** A phrasing with its slots filled, each word in single quotes when `quote` is true. */
export function fillPhrasing(phrasing: string, slots: EditSlots, quote = false): string {
  return phrasing.replace(/\{([WVAB])\}/g, (_, slot: keyof EditSlots) => {
    const word = slots[slot];
    if (word === undefined) throw new RangeError(`fillPhrasing: ${JSON.stringify(phrasing)} needs slot {${slot}}`);
    return quote ? `'${word}'` : word;
  });
}

const PATTERNS: Record<string, { regex: RegExp; slots: string[] }[]> = {};
for (const [family, list] of Object.entries(EDIT_PHRASINGS)) {
  PATTERNS[family] = list.map((p) => {
    const slots: string[] = [];
    const body = p.split(/(\{[WVAB]\})/).map((part) => {
      const m = /^\{([WVAB])\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      slots.push(m[1]);
      return "'?([\\p{L}\\p{N}]+)'?";
    }).join("");
    return { regex: new RegExp(`^${body}$`, "u"), slots };
  });
}

/** Which phrasing of its family an instruction uses (index into EDIT_PHRASINGS[family]) and its slot words; undefined if none matches. */
export function phrasingOf(family: EditFamily, instruction: string): { index: number; slots: EditSlots } | undefined {
  const list = PATTERNS[family];
  if (!list) return undefined;
  for (let index = 0; index < list.length; index++) {
    const m = list[index].regex.exec(instruction);
    if (m) return { index, slots: Object.fromEntries(list[index].slots.map((s, k) => [s, m[k + 1]])) as EditSlots };
  }
  return undefined;
}

/** The words of every phrasing, lower-cased, in order of first appearance (slots left out). */
export const PHRASING_WORDS: readonly string[] = (() => {
  const out: string[] = [];
  for (const list of Object.values(EDIT_PHRASINGS)) {
    for (const p of list) for (const t of editTokenize(p.replace(/\{[WVAB]\}/g, " "))) if (isWordToken(t) && !out.includes(t.toLowerCase())) out.push(t.toLowerCase());
  }
  return out;
})();

/**
 * The instruction language: the phrasings' words, then the function words (lower-cased, no
 * duplicates). Shared by all splits; a featuriser may one-hot them. Every other word is a content
 * word, possibly never seen in training.
 */
export const EDIT_KNOWN_WORDS: readonly string[] = [...PHRASING_WORDS, ...FUNCTION_WORDS.filter((w) => !PHRASING_WORDS.includes(w))];

(() => {
  const content = new Set([...vocabularyWords(TRAIN_VOCAB), ...vocabularyWords(HELDOUT_VOCAB)]);
  const shared = EDIT_KNOWN_WORDS.filter((w) => content.has(w));
  if (shared.length) throw new Error(`edit-phrasings: phrasing words that are also content words: ${shared.join(", ")}`);
})();
