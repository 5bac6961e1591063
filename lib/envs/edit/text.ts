/**
 * The edit agent's text model: a text is a list of tokens that keeps every character.
 *
 *   word    letters and digits, with the hyphens and apostrophes inside a word, the points or
 *           commas inside a number and the inner points of an abbreviation kept in it
 *                                                  "dog", "Anna", "DOG", "brand-new", "Anna's", "don't", "3.5", "1,200", "a.m"
 *   space   a run of whitespace                    " ", "   "
 *   punct   one character that is none of these    ".", ",", "'", "-", "“"
 *
 * A hyphenated word, a possessive or a contraction is one token, so no edit can split it, and an
 * edit elsewhere leaves it exactly as it was (issue 16: "brand-new" came back "brand new" when it was
 * three tokens the policy had never seen). A quote mark around a word stays its own token: an
 * apostrophe or hyphen is inside a word only with a letter or digit on both sides.
 *
 * `editDetokenize(editTokenize(s)) === s` for every string s: nothing is dropped or normalised, so
 * "collapse repeated spaces" (replace the token "   " by " ") and "end with a period" (insert ".")
 * are token edits like any other. Case transforms (capitalised, upper, lower) and the
 * capitalisation pattern of a word are here too: the payloads and features are built from them.
 */

export type EditTokenKind = "word" | "space" | "punct";

// words: numbers with inner points/commas, or letters and digits joined by inner hyphens and apostrophes;
// spaces: any whitespace run; anything else one character at a time
// and abbreviations of single letters with points, "a.m" "e.g" "U.S" (the last point stays punctuation:
// it may end the sentence too)
const WORD_BODY = String.raw`[\p{L}\p{N}]+(?:(?:['’‐-]|(?<=\p{N})[.,:](?=\p{N})|(?<=(?<![\p{L}\p{N}])\p{L})\.(?=\p{L}(?![\p{L}\p{N}])))[\p{L}\p{N}]+)*`;
const TOKEN = new RegExp(String.raw`${WORD_BODY}|\s+|[^\p{L}\p{N}\s]`, "gu");
const WORD = new RegExp(String.raw`^(?:${WORD_BODY})$`, "u");
const SPACE = /^\s+$/u;

/** Splits a text into word, space-run and punctuation tokens; their concatenation is the text. */
export function editTokenize(text: string): string[] {
  if (typeof text !== "string") throw new TypeError(`editTokenize: expected a string, got ${typeof text}`);
  return text.match(TOKEN) ?? [];
}

/** The text of a token list: its concatenation. */
export function editDetokenize(tokens: readonly string[]): string {
  return tokens.join("");
}

export function editTokenKind(token: string): EditTokenKind {
  if (WORD.test(token)) return "word";
  if (SPACE.test(token)) return "space";
  return "punct";
}

export const isWordToken = (token: string): boolean => WORD.test(token);
export const isSpaceToken = (token: string): boolean => SPACE.test(token);

/** The words of a text, in order (no spaces or punctuation). */
export function editWords(text: string): string[] {
  return editTokenize(text).filter(isWordToken);
}

/** "dog" → "Dog", "DOG" → "Dog": first character upper case, the rest lower case. */
export function capitalizeWord(token: string): string {
  const chars = Array.from(token);
  if (chars.length === 0) return token;
  return chars[0].toUpperCase() + chars.slice(1).join("").toLowerCase();
}

export const upperCaseWord = (token: string): string => token.toUpperCase();
export const lowerCaseWord = (token: string): string => token.toLowerCase();

/** How a word is capitalised: "lower" (dog), "capitalized" (Dog), "upper" (DOG, two letters or more), "mixed" (dOg), "none" (no letters, e.g. "42"). */
export type WordCasePattern = "lower" | "capitalized" | "upper" | "mixed" | "none";

export function wordCasePattern(token: string): WordCasePattern {
  const chars = Array.from(token);
  const cased = chars.filter((c) => c.toLowerCase() !== c.toUpperCase());
  if (cased.length === 0) return "none";
  const isUpper = (c: string) => c === c.toUpperCase() && c !== c.toLowerCase();
  const ups = cased.filter(isUpper).length;
  if (ups === 0) return "lower";
  if (ups === cased.length) return cased.length >= 2 ? "upper" : "capitalized";
  if (ups === 1 && isUpper(chars[0])) return "capitalized";
  return "mixed";
}
