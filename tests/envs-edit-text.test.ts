/**
 * The edit agent's text model and edit distances, on hand-worked cases: tokenisation keeps every
 * character, Levenshtein on characters and tokens, alignments and display diffs.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import {
  capitalizeWord, charEditDistance, diffText, editAlignment, editDetokenize, editTokenKind, editTokenize, levenshtein,
  lowerCaseWord, normalizedEditDistance, tokenEditDistance, upperCaseWord, withinOneEdit, wordCasePattern, type DiffSegment,
} from "../lib/envs";

/** The two texts a diff spells: same + delete = before, same + insert = after. */
const sides = (segments: DiffSegment[]) => ({
  before: segments.filter((s) => s.kind !== "insert").map((s) => s.text).join(""),
  after: segments.filter((s) => s.kind !== "delete").map((s) => s.text).join(""),
});

const randomText = (rng: ReturnType<typeof createRng>, alphabet: string, maxLength: number) =>
  Array.from({ length: rng.int(maxLength + 1) }, () => alphabet[rng.int(alphabet.length)]).join("");

describe("edit text: tokens", () => {
  it("splits words, space runs and single punctuation characters", () => {
    expect(editTokenize("The  cat, sat.")).toEqual(["The", "  ", "cat", ",", " ", "sat", "."]);
    expect(editTokenize("Upper-case 'dog'.")).toEqual(["Upper-case", " ", "'", "dog", "'", "."]);
    // issue 16: hyphens, apostrophes and number separators inside a word keep it one token; quotes around it do not join it
    expect(editTokenize("Dr. O'Neil's brand-new car didn't cost 1,200 or 3.5, at 3:30.")).toEqual([
      "Dr", ".", " ", "O'Neil's", " ", "brand-new", " ", "car", " ", "didn't", " ", "cost", " ", "1,200", " ", "or", " ", "3.5", ",", " ", "at", " ", "3:30", ".",
    ]);
    expect(editTokenize("“thermos”, ‘ragged’ `x` -dash- 'a'")).toEqual(["“", "thermos", "”", ",", " ", "‘", "ragged", "’", " ", "`", "x", "`", " ", "-", "dash", "-", " ", "'", "a", "'"]);
    expect(editTokenize("a,b 1,b")).toEqual(["a", ",", "b", " ", "1", ",", "b"]);
    expect(editTokenize("  a\t\nb  ")).toEqual(["  ", "a", "\t\n", "b", "  "]);
    expect(editTokenize("route66 ok!!")).toEqual(["route66", " ", "ok", "!", "!"]);
    // abbreviations of single letters keep their inner points; the last point stays punctuation (it may end the sentence)
    expect(editTokenize("Closes at 9 p.m. (e.g. U.S.A.)")).toEqual(["Closes", " ", "at", " ", "9", " ", "p.m", ".", " ", "(", "e.g", ".", " ", "U.S.A", ".", ")"]);
    expect(editTokenize("end.Next a.bc ab.c")).toEqual(["end", ".", "Next", " ", "a", ".", "bc", " ", "ab", ".", "c"]);
    expect(editTokenize("")).toEqual([]);
    expect(["dog", "   ", ".", "Ünïcödé"].map(editTokenKind)).toEqual(["word", "space", "punct", "word"]);
  });

  it("keeps every character: detokenize(tokenize(s)) === s, on 2,000 random strings", () => {
    const rng = createRng(1);
    const alphabet = "abcXYZ09 ..,,''\t\n-!é漢😀";
    for (let k = 0; k < 2000; k++) {
      const s = randomText(rng, alphabet, 30);
      const tokens = editTokenize(s);
      expect(editDetokenize(tokens)).toBe(s);
      expect(tokens.every((t) => t.length > 0)).toBe(true);
      // no two neighbouring tokens of one mergeable kind: words and space runs are maximal
      for (let i = 1; i < tokens.length; i++) {
        const a = editTokenKind(tokens[i - 1]), b = editTokenKind(tokens[i]);
        expect(a === b && a !== "punct").toBe(false);
      }
    }
  });

  it("case transforms and patterns", () => {
    expect(["dog", "DOG", "dOG", "a"].map(capitalizeWord)).toEqual(["Dog", "Dog", "Dog", "A"]);
    expect(upperCaseWord("Dog")).toBe("DOG");
    expect(lowerCaseWord("DoG")).toBe("dog");
    expect(["dog", "Dog", "DOG", "dOg", "A", "42"].map(wordCasePattern)).toEqual(["lower", "capitalized", "upper", "mixed", "capitalized", "none"]);
  });
});

describe("edit distance", () => {
  it("Levenshtein on characters, worked by hand", () => {
    expect(charEditDistance("kitten", "sitting")).toBe(3); // k→s, e→i, +g
    expect(charEditDistance("flaw", "lawn")).toBe(2); // −f, +n
    expect(charEditDistance("intention", "execution")).toBe(5);
    expect(charEditDistance("", "abc")).toBe(3);
    expect(charEditDistance("abc", "")).toBe(3);
    expect(charEditDistance("same", "same")).toBe(0);
    expect(charEditDistance("the cat sat", "The cat sat.")).toBe(2);
    expect(charEditDistance("😀a", "a")).toBe(1); // code points, not UTF-16 units
    expect(levenshtein([1, 2, 3], [1, 3])).toBe(1);
  });

  it("Levenshtein on tokens: one edit per token", () => {
    expect(tokenEditDistance("the cat sat", "the dog sat")).toBe(1); // replace cat
    expect(tokenEditDistance("the big cat sat", "the cat sat")).toBe(2); // delete big and a space
    expect(tokenEditDistance("The  cat   sat.", "The cat sat.")).toBe(2); // two space runs
    expect(tokenEditDistance("the cat sat", "The cat sat.")).toBe(2); // replace the, insert .
    expect(tokenEditDistance(["a", " ", "b"], ["a", "b"])).toBe(1);
  });

  it("is a metric on random strings: symmetric, zero only for equal strings, triangle inequality", () => {
    const rng = createRng(2);
    for (let k = 0; k < 300; k++) {
      const a = randomText(rng, "abc", 8), b = randomText(rng, "abc", 8), c = randomText(rng, "abc", 8);
      const ab = charEditDistance(a, b);
      expect(ab).toBe(charEditDistance(b, a));
      expect(ab === 0).toBe(a === b);
      expect(charEditDistance(a, c)).toBeLessThanOrEqual(ab + charEditDistance(b, c));
      expect(ab).toBeLessThanOrEqual(Math.max(a.length, b.length));
      expect(ab).toBeGreaterThanOrEqual(Math.abs(a.length - b.length));
      expect(withinOneEdit(a, b)).toBe(ab <= 1);
    }
  });

  it("normalised distance: divided by the longer length", () => {
    expect(normalizedEditDistance("kitten", "sitting")).toBeCloseTo(3 / 7, 12);
    expect(normalizedEditDistance("", "")).toBe(0);
    expect(normalizedEditDistance("abc", "xyz")).toBe(1);
  });
});

describe("alignment and diffs", () => {
  it("kitten → sitting, character by character", () => {
    expect(diffText("kitten", "sitting")).toEqual([
      { kind: "delete", text: "k" }, { kind: "insert", text: "s" }, { kind: "same", text: "itt" },
      { kind: "delete", text: "e" }, { kind: "insert", text: "i" }, { kind: "same", text: "n" }, { kind: "insert", text: "g" },
    ]);
    const steps = editAlignment(Array.from("kitten"), Array.from("sitting"));
    expect(steps.filter((s) => s.op !== "keep")).toEqual([
      { op: "substitute", i: 0, j: 0 }, { op: "substitute", i: 4, j: 4 }, { op: "insert", i: 6, j: 6 },
    ]);
  });

  it("marks insertions and deletions of whole words with unit: token", () => {
    expect(diffText("the cat sat", "the dog sat", { unit: "token" })).toEqual([
      { kind: "same", text: "the " }, { kind: "delete", text: "cat" }, { kind: "insert", text: "dog" }, { kind: "same", text: " sat" },
    ]);
    expect(diffText("The big dog ran.", "The dog ran.", { unit: "token" })).toEqual([
      { kind: "same", text: "The" }, { kind: "delete", text: " big" }, { kind: "same", text: " dog ran." }, // the later space is the one kept
    ]);
    expect(diffText("the cat sat", "The cat sat.")).toEqual([
      { kind: "delete", text: "t" }, { kind: "insert", text: "T" }, { kind: "same", text: "he cat sat" }, { kind: "insert", text: "." },
    ]);
    expect(diffText("same", "same")).toEqual([{ kind: "same", text: "same" }]);
    expect(diffText("", "new")).toEqual([{ kind: "insert", text: "new" }]);
    expect(() => diffText("a", "b", { unit: "word" as "char" })).toThrow(/unit must be "char" or "token", got "word"/);
  });

  it("on random pairs: the segments spell both texts, alternate kinds, and change exactly the distance", () => {
    const rng = createRng(3);
    for (let k = 0; k < 300; k++) {
      const a = randomText(rng, "ab .", 10), b = randomText(rng, "ab .", 10);
      for (const unit of ["char", "token"] as const) {
        const segments = diffText(a, b, { unit });
        expect(sides(segments)).toEqual({ before: a, after: b });
        for (let i = 1; i < segments.length; i++) expect(segments[i].kind).not.toBe(segments[i - 1].kind);
        const sa = unit === "char" ? Array.from(a) : editTokenize(a), sb = unit === "char" ? Array.from(b) : editTokenize(b);
        const steps = editAlignment(sa, sb);
        expect(steps.filter((s) => s.op !== "keep").length).toBe(levenshtein(sa, sb));
      }
    }
  });
});
