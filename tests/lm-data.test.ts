/**
 * datasets/lm: the seeded generator is deterministic and the committed files are its output; the
 * grammar's sentiment scores; preference pairs; readers name file:line of a malformed line.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { datasetsDir } from "../lib/data/paths";
import { adjectivePhrase, generateCorpus, generateReview } from "../lib/lm/corpus";
import { formatLmData, generateLmData, LM_DATA_FILES } from "../lib/lm/lm-data";
import { main as generateMain } from "../lib/lm/lm-data-generate";
import { DataLineError, generatePreferencePairs, readCorpus, readPreferencePairs, readPrompts } from "../lib/lm/preferences";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-lm-data-"));

describe("review corpus generator", () => {
  it("is deterministic: same seed, same texts; another seed, other texts", () => {
    const a = generateLmData(3, { corpus: 50, corpusHeldout: 10, prompts: 10, pairsTrain: 20, pairsHeldout: 5 });
    const b = generateLmData(3, { corpus: 50, corpusHeldout: 10, prompts: 10, pairsTrain: 20, pairsHeldout: 5 });
    const c = generateLmData(4, { corpus: 50, corpusHeldout: 10, prompts: 10, pairsTrain: 20, pairsHeldout: 5 });
    expect(formatLmData(a)).toEqual(formatLmData(b));
    expect(a.corpus).not.toEqual(c.corpus);
  });

  it("the committed datasets/lm files are the generator's output (seed 10, default sizes), byte for byte", () => {
    const files = formatLmData(generateLmData());
    for (const [key, name] of Object.entries(LM_DATA_FILES)) {
      expect(fs.readFileSync(datasetsDir("lm", name), "utf8"), name).toBe(files[key as keyof typeof files]);
    }
  });

  it("the script writes the same bytes for the same seed", () => {
    const dir = tmp();
    expect(generateMain(["--out", dir, "--seed", "5", "--corpus", "20", "--corpusHeldout", "5", "--prompts", "5", "--pairsTrain", "8", "--pairsHeldout", "4"])).toBe(0);
    const files = formatLmData(generateLmData(5, { corpus: 20, corpusHeldout: 5, prompts: 5, pairsTrain: 8, pairsHeldout: 4 }));
    for (const [key, name] of Object.entries(LM_DATA_FILES)) expect(fs.readFileSync(path.join(dir, name), "utf8")).toBe(files[key as keyof typeof files]);
    expect(() => generateMain(["--out", dir, "--seed", "x"])).toThrow(/--seed must be an integer/);
  });

  it("texts are single lines, distinct, and the held-out corpus shares none with the training corpus", () => {
    const d = generateLmData(1, { corpus: 400, corpusHeldout: 100, prompts: 20, pairsTrain: 50, pairsHeldout: 20 });
    expect(new Set(d.corpus).size).toBe(400);
    expect(d.corpus.every((t) => !t.includes("\n") && t.length > 5)).toBe(true);
    const train = new Set(d.corpus);
    expect(d.corpusHeldout.filter((t) => train.has(t))).toEqual([]);
    // a prompt is an opening: it ends where the grammar puts an adjective phrase
    expect(d.prompts.every((p) => /^[A-Z].* (was|is|were|felt|seemed)$/.test(p.prompt))).toBe(true);
    expect(d.corpus.every((t) => /^[A-Z].* (was|is|were|felt|seemed) /.test(t))).toBe(true);
  });

  it("scores clauses: intensifiers double, negation flips, moods follow the sign", () => {
    const rng = createRng(2);
    for (let k = 0; k < 200; k++) {
      const sign = k % 2 === 0 ? 1 : -1;
      const a = adjectivePhrase(rng, sign);
      expect(Math.sign(a.score)).toBe(sign);
      if (a.text.startsWith("not ")) expect(Math.abs(a.score)).toBe(1);
    }
    const moods = { positive: 0, negative: 0 };
    for (let k = 0; k < 300; k++) {
      const r = generateReview(rng, { mood: k % 2 === 0 ? "positive" : "negative" });
      expect(r.text).toBe(r.opening + r.continuation);
      if (r.mood === "positive" && r.score > 0) moods.positive++;
      if (r.mood === "negative" && r.score < 0) moods.negative++;
    }
    expect(moods.positive).toBe(150);
    expect(moods.negative).toBe(150);
  });

  it("preference pairs: chosen and rejected differ, continue the same prompt, and are not all favourable vs unfavourable", () => {
    const pairs = generatePreferencePairs(createRng(7), 200);
    expect(pairs.every((p) => p.chosen !== p.rejected && p.chosen.startsWith(" ") && p.rejected.startsWith(" "))).toBe(true);
    // some pairs have a negative word in the chosen continuation ("not bad", "X, but …"): no single keyword decides
    expect(pairs.filter((p) => /\b(bad|dull|slow|boring|awful|terrible)\b/.test(p.chosen)).length).toBeGreaterThan(10);
    expect(() => generateCorpus(createRng(1), -1)).toThrow(/n must be an integer/);
  });
});

describe("readers", () => {
  it("read the committed files", () => {
    expect(readPreferencePairs(datasetsDir("lm", "preferences.heldout.jsonl")).length).toBe(300);
    expect(readPrompts(datasetsDir("lm", "prompts.jsonl"))).toContain("The film was");
    expect(readCorpus(datasetsDir("lm", "corpus.heldout.txt")).length).toBe(300);
  });

  it("name file:line of a malformed line", () => {
    const dir = tmp();
    const file = path.join(dir, "pairs.jsonl");
    const good = JSON.stringify({ prompt: "The film was", chosen: " great.", rejected: " bad." });
    const cases: [string, RegExp][] = [
      [`${good}\n\n{"prompt": "x", "chosen": " a"\n`, /pairs\.jsonl:3: not valid JSON/],
      [`${good}\n${JSON.stringify({ prompt: "x", chosen: " a" })}\n`, /pairs\.jsonl:2: missing field "rejected"/],
      [`${JSON.stringify({ prompt: "x", chosen: 3, rejected: " b" })}\n`, /pairs\.jsonl:1: field "chosen" must be a non-empty string, got 3/],
      [`[1, 2]\n`, /pairs\.jsonl:1: expected a JSON object/],
    ];
    for (const [text, re] of cases) {
      fs.writeFileSync(file, text);
      expect(() => readPreferencePairs(file)).toThrow(re);
      expect(() => readPreferencePairs(file)).toThrow(DataLineError);
    }
    fs.writeFileSync(file, `${good}\n`);
    expect(readPreferencePairs(file)).toEqual([{ prompt: "The film was", chosen: " great.", rejected: " bad." }]);
    fs.writeFileSync(file, `{"prompt": ""}\n`);
    expect(() => readPrompts(file)).toThrow(/pairs\.jsonl:1: field "prompt" must be a non-empty string/);
    expect(() => readPreferencePairs(path.join(dir, "none.jsonl"))).toThrow(/none\.jsonl does not exist/);
  });
});
