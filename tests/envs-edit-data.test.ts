/**
 * datasets/edit and its generator: determinism (same seed, same bytes; the committed files are what
 * the README's command makes), held-out words and sentences never seen in training, balanced
 * families with ≥ 4 phrasings each, tasks that need an edit, and strict reading of JSONL files.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { datasetsDir } from "../lib/data/paths";
import {
  EDIT_FAMILIES, EDIT_FUNCTION_WORDS, EDIT_HELDOUT_VOCAB, EDIT_KNOWN_WORDS, EDIT_PHRASINGS, EDIT_SPLITS, EDIT_TRAIN_VOCAB, HELDOUT_PHRASING_WORDS, PHRASING_WORDS,
  editTokenize, editWords, formatEditTasks, generateEditDatasets, isSpaceToken, minimalEdits, parseEditTasks, phrasingOf, readEditTasks,
  type EditFamily, type EditSplit, type EditTask,
} from "../lib/envs";
import { main as generateMain } from "../lib/envs/edit/generate";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-edit-data-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const committed = Object.fromEntries(EDIT_SPLITS.map((s) => [s, readEditTasks(datasetsDir("edit", `${s}.jsonl`))])) as Record<EditSplit, EditTask[]>;
const lowerWords = (text: string) => editWords(text).map((w) => w.toLowerCase());
// the instruction language of either phrasing split, and the function words: shared by design; every other word is vocabulary
const KNOWN = new Set([...EDIT_KNOWN_WORDS, ...PHRASING_WORDS, ...HELDOUT_PHRASING_WORDS]);
const isNumber = (w: string) => /^\p{N}/u.test(w);

describe("the generator", () => {
  it("is deterministic: the same seed gives byte-identical files, another seed other tasks", () => {
    const sizes = { train: 90, validation: 18, heldout: 18, "heldout-phrasings": 18 };
    const a = generateEditDatasets({ seed: 3, sizes }), b = generateEditDatasets({ seed: 3, sizes }), c = generateEditDatasets({ seed: 4, sizes });
    for (const s of EDIT_SPLITS) {
      expect(Buffer.from(formatEditTasks(a[s]))).toEqual(Buffer.from(formatEditTasks(b[s])));
      expect(formatEditTasks(a[s])).not.toBe(formatEditTasks(c[s]));
      expect(a[s]).toHaveLength(sizes[s]);
    }
  });

  it("the committed files are exactly what `tsrl run lib/envs/edit/generate.ts --out datasets/edit --seed 7` writes", () => {
    const out = path.join(tmp, "seed7");
    const stderr = console.error;
    console.error = () => {};
    try {
      expect(generateMain(["--out", out, "--seed", "7"])).toBe(0);
    } finally {
      console.error = stderr;
    }
    for (const s of EDIT_SPLITS) {
      const fresh = fs.readFileSync(path.join(out, `${s}.jsonl`));
      const mine = fs.readFileSync(datasetsDir("edit", `${s}.jsonl`));
      expect(fresh.equals(mine), `${s}.jsonl differs from a fresh generation: re-run the command in datasets/edit/README.md`).toBe(true);
    }
    const readme = fs.readFileSync(datasetsDir("edit", "README.md"), "utf8");
    expect(readme).toContain("npx tsrl run lib/envs/edit/generate.ts --out datasets/edit --seed 7");
  });

  it("rejects a bad flag, naming it", () => {
    expect(() => generateMain(["--sead", "7"])).toThrow(/unknown flag "--sead"/);
    expect(() => generateMain(["--seed", "x"])).toThrow(/--seed must be an integer ≥ 0, got "x"/);
  });
});

describe("datasets/edit", () => {
  it("has ~4,000 / 500 / 500 tasks, balanced over the nine families, a few hundred kB per file", () => {
    expect(committed.train.length).toBeGreaterThanOrEqual(4000);
    expect(committed.validation.length).toBeGreaterThanOrEqual(500);
    expect(committed.heldout.length).toBeGreaterThanOrEqual(500);
    for (const s of EDIT_SPLITS) {
      const counts = EDIT_FAMILIES.map((f) => committed[s].filter((t) => t.family === f).length);
      expect(Math.max(...counts) - Math.min(...counts), s).toBeLessThanOrEqual(1);
      expect(fs.statSync(datasetsDir("edit", `${s}.jsonl`)).size).toBeLessThan(2_000_000);
    }
  });

  it("records exactly id, family, instruction, source, target; ids unique; every task needs 1–19 edits; sources and targets have 4–16 words", () => {
    const ids = new Set<string>();
    for (const s of EDIT_SPLITS) {
      for (const line of fs.readFileSync(datasetsDir("edit", `${s}.jsonl`), "utf8").trimEnd().split("\n")) {
        expect(Object.keys(JSON.parse(line))).toEqual(["id", "family", "instruction", "source", "target"]);
      }
      for (const t of committed[s]) {
        expect(ids.has(t.id)).toBe(false);
        ids.add(t.id);
        expect(t.source).not.toBe(t.target);
        const m = minimalEdits(t);
        expect(m).toBeGreaterThanOrEqual(1);
        expect(m).toBeLessThanOrEqual(19);
        for (const text of [t.source, t.target]) {
          expect(editWords(text).length).toBeGreaterThanOrEqual(4);
          expect(editWords(text).length).toBeLessThanOrEqual(16);
        }
      }
    }
  });

  it("held-out tasks (both held-out files) use no word that appears anywhere in train (word by word), and no train sentence", () => {
    const trainWords = new Set(committed.train.flatMap((t) => [t.instruction, t.source, t.target].flatMap(lowerWords)));
    for (const split of ["heldout", "heldout-phrasings"] as const) {
      const heldoutContent = new Set(committed[split].flatMap((t) => [t.instruction, t.source, t.target].flatMap(lowerWords)).filter((w) => !KNOWN.has(w) && !isNumber(w)));
      expect(heldoutContent.size).toBeGreaterThan(80);
      const shared = [...heldoutContent].filter((w) => trainWords.has(w));
      expect(shared, split).toEqual([]);
      // the words both splits have are the instruction language (phrasings and function words) and numbers only
      const heldoutAll = new Set(committed[split].flatMap((t) => [t.instruction, t.source, t.target].flatMap(lowerWords)));
      expect([...heldoutAll].filter((w) => trainWords.has(w)).every((w) => KNOWN.has(w) || isNumber(w))).toBe(true);
      const trainTexts = new Set(committed.train.flatMap((t) => [t.source, t.target]));
      expect(committed[split].filter((t) => trainTexts.has(t.source) || trainTexts.has(t.target))).toEqual([]);
    }
  });

  it("the vocabularies are disjoint word by word, and neither uses a word of the instruction language", () => {
    const words = (v: typeof EDIT_TRAIN_VOCAB) => Object.values(v).flat().map((w: string) => w.toLowerCase());
    const train = words(EDIT_TRAIN_VOCAB), heldout = words(EDIT_HELDOUT_VOCAB);
    expect(train.length + heldout.length).toBeGreaterThan(250); // 296 content words (196 train, 100 held-out)
    for (const w of heldout) expect(train.includes(w), w).toBe(false);
    for (const w of [...train, ...heldout]) expect(KNOWN.has(w), w).toBe(false);
    for (const w of EDIT_FUNCTION_WORDS) expect(KNOWN.has(w)).toBe(true);
    expect(Object.keys(EDIT_HELDOUT_VOCAB)).toEqual(Object.keys(EDIT_TRAIN_VOCAB));
  });

  it("validation sentences are unseen in train (train's vocabulary, new sentences)", () => {
    const trainTexts = new Set(committed.train.flatMap((t) => [t.source, t.target]));
    const clash = committed.validation.filter((t) => trainTexts.has(t.source) || trainTexts.has(t.target));
    expect(clash).toEqual([]);
    const trainWords = new Set(committed.train.flatMap((t) => [t.source, t.target].flatMap(lowerWords)));
    // same vocabulary: apart from misspellings, every validation word is a train word
    const unseen = committed.validation.filter((t) => t.family !== "typo").flatMap((t) => [t.source, t.target].flatMap(lowerWords)).filter((w) => !trainWords.has(w));
    expect(unseen).toEqual([]);
  });

  it("each family has ≥ 4 phrasings, each instruction matches exactly one, and every split uses ≥ 4 of them", () => {
    for (const family of EDIT_FAMILIES) {
      expect(EDIT_PHRASINGS[family].length, family).toBeGreaterThanOrEqual(4);
      expect(new Set(EDIT_PHRASINGS[family]).size).toBe(EDIT_PHRASINGS[family].length);
    }
    for (const s of EDIT_SPLITS) {
      const used = Object.fromEntries(EDIT_FAMILIES.map((f) => [f, new Set<number>()])) as Record<EditFamily, Set<number>>;
      for (const t of committed[s]) {
        const p = phrasingOf(t.family, t.instruction);
        expect(p, t.instruction).toBeDefined();
        expect(p!.split, t.instruction).toBe(s === "heldout-phrasings" ? "heldout" : "train");
        for (const other of EDIT_FAMILIES) if (other !== t.family) expect(phrasingOf(other, t.instruction), `${t.instruction} also reads as ${other}`).toBeUndefined();
        used[t.family].add(p!.index);
      }
      for (const f of EDIT_FAMILIES) expect(used[f].size, `${s} ${f}`).toBeGreaterThanOrEqual(4);
    }
  });

  it("each family's task does what its instruction says (slot words checked against source and target)", () => {
    const count = (text: string, w: string) => lowerWords(text).filter((x) => x === w.toLowerCase()).length;
    for (const s of EDIT_SPLITS) {
      for (const t of committed[s]) {
        const { W, P, N, A, B, E, S } = phrasingOf(t.family, t.instruction)!.slots;
        const tokens = editTokenize(t.source);
        switch (t.family) {
          case "capitalise": expect(t.target).toBe(t.source[0].toUpperCase() + t.source.slice(1)); break;
          case "period": expect(t.target).toBe(t.source + "."); break;
          case "spaces":
            expect(tokens.some((x) => isSpaceToken(x) && x.length > 1)).toBe(true);
            expect(t.target).toBe(t.source.replace(/ +/g, " "));
            break;
          case "delete": expect([count(t.source, W!), count(t.target, W!)]).toEqual([1, 0]); break;
          case "insert":
            expect([count(t.source, W!), count(t.target, W!)]).toEqual([0, 1]);
            expect(P !== undefined || N !== undefined || E !== undefined || S !== undefined, t.instruction).toBe(true);
            if (S !== undefined) expect(t.target).toBe(`${W} ${t.source}`);
            if (E !== undefined) expect(t.target.replace(/\.$/, "").endsWith(` ${W}`), t.instruction).toBe(true);
            if (P !== undefined) expect([count(t.source, P), t.target.toLowerCase().includes(`${P} ${W}`.toLowerCase())]).toEqual([1, true]);
            if (N !== undefined) expect([count(t.source, N), t.target.toLowerCase().includes(`${W} ${N}`.toLowerCase())]).toEqual([1, true]);
            break;
          case "replace": expect([count(t.source, A!), count(t.target, A!), count(t.target, B!)]).toEqual([1, 0, 1]); break;
          case "upper": expect(t.target).toBe(t.source.replace(new RegExp(`\\b${W}\\b`), W!.toUpperCase())); break;
          case "lower": expect(t.target).toBe(t.source.replace(new RegExp(`\\b${W}\\b`, "i"), W!.toLowerCase())); break;
          case "typo": {
            expect(count(t.source, W!)).toBe(0);
            expect(count(t.target, W!)).toBe(1);
            expect(minimalEdits(t)).toBe(1);
            break;
          }
        }
      }
    }
  });
});

describe("readEditTasks", () => {
  const good = (id: string) => JSON.stringify({ id, family: "replace", instruction: "Swap cat for dog.", source: "The cat sat.", target: "The dog sat." });
  const lines = [
    good("a"),
    "{not json",
    JSON.stringify({ id: "c", family: "replace", instruction: "Swap cat for dog.", source: "The cat sat." }),
    JSON.stringify({ id: "d", family: "poetry", instruction: "x", source: "a", target: "b" }),
    JSON.stringify({ id: "e", family: "period", instruction: "Add a period.", source: "Same.", target: "Same." }),
    "",
    good("g"),
    good("a"),
    JSON.stringify({ id: "i", family: "period", instruction: "Add a period.", source: "Hi", target: "Hi.", note: "extra" }),
  ];
  const file = path.join(tmp, "bad.jsonl");
  fs.writeFileSync(file, lines.join("\n") + "\n");

  it("throws on the first malformed line, naming the file, the line and what is wrong", () => {
    expect(() => readEditTasks(file)).toThrow(`${file}:2: not JSON`);
    const rest = (from: number) => lines.map((l, k) => (k === 0 || k >= from - 1 ? l : "")).join("\n");
    expect(() => parseEditTasks(rest(3), "f.jsonl")).toThrow("f.jsonl:3: missing field 'target'");
    expect(() => parseEditTasks(rest(4), "f.jsonl")).toThrow('f.jsonl:4: unknown family "poetry"; expected one of capitalise, period');
    expect(() => parseEditTasks(rest(5), "f.jsonl")).toThrow('f.jsonl:5: source and target are the same ("Same.")');
    expect(() => parseEditTasks(rest(8), "f.jsonl")).toThrow('f.jsonl:8: duplicate id "a" (first on line 1)');
    expect(() => parseEditTasks(rest(9), "f.jsonl")).toThrow("f.jsonl:9: unknown field 'note'");
    expect(() => readEditTasks(path.join(tmp, "missing.jsonl"))).toThrow(/cannot read .*missing\.jsonl/);
  });

  it("lenient mode keeps the good lines and lists the bad ones by line number", () => {
    const { tasks, errors } = readEditTasks(file, { lenient: true });
    expect(tasks.map((t) => t.id)).toEqual(["a", "g"]);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 8, 9]);
    expect(errors.every((e) => e.message.startsWith(`${file}:${e.line}: `))).toBe(true);
  });
});
