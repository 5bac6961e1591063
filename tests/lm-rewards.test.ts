/**
 * Rule rewards against hand-computed values, config errors naming the field, combining rewards, and
 * the Transformers.js classifier reward: its error paths and its label-to-score mapping on a stub
 * pipeline; and, where @huggingface/transformers is installed (it is not a tsrl dependency: see
 * lib/lm/hf-classifier.ts), end to end on a tiny ONNX classifier the test writes (./lm-onnx-classifier.ts).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { checkClassifierDir, hfClassifierReward, labelScores, requireTransformers, type TextClassifier } from "../lib/lm/hf-classifier";
import { writeLexiconClassifier } from "./lm-onnx-classifier";
import { combineRewards, lengthPenalty, lexiconSentiment, ruleBreakdown, ruleReward, type RewardFn } from "../lib/lm/rule-rewards";

describe("rule rewards", () => {
  it("lexicon sentiment: (pos − neg)/(pos + neg), a negated word flipped", () => {
    expect(lexiconSentiment("The food was great but the service was not good.")).toBe(0); // +1, −1
    expect(lexiconSentiment("Wonderful and lovely, never boring")).toBe(1); // +1 +1 +1
    expect(lexiconSentiment("It was bad. Terrible.")).toBe(-1);
    expect(lexiconSentiment("The soup wasn't good, the bread was great, the wine was great")).toBeCloseTo(1 / 3, 12); // −1 +1 +1
    expect(lexiconSentiment("We went on a Sunday.")).toBe(0);
  });

  it("length: −|n − target|/target in tokens, words or characters", () => {
    expect(lengthPenalty(6, 4)).toBe(-0.5);
    expect(ruleReward([{ kind: "length", target: 8 }])(["x"], [" The film was great"])).toEqual([-0.5]); // 4 GPT-2 tokens
    expect(ruleReward([{ kind: "length", target: 4, unit: "words" }])(["x"], [" a b c d e f"])).toEqual([-0.5]);
    expect(ruleReward([{ kind: "length", target: 2, unit: "chars" }])(["x"], ["abcd"])).toEqual([-1]);
  });

  it("keyword (whole words, any or fraction) and regex (completion or prompt + completion)", () => {
    expect(ruleReward([{ kind: "keyword", keywords: ["Five stars"] }])(["x", "x"], [" five stars.", " fivestars"])).toEqual([1, 0]);
    expect(ruleReward([{ kind: "keyword", keywords: ["great", "film", "nope"], mode: "fraction" }])(["x"], ["great film"])[0]).toBeCloseTo(2 / 3, 12);
    expect(ruleReward([{ kind: "keyword", keywords: ["Great"], caseSensitive: true }])(["x"], ["great"])).toEqual([0]);
    expect(ruleReward([{ kind: "regex", pattern: "\\.$" }])(["x", "x"], [" ok.", " ok"])).toEqual([1, 0]);
    expect(ruleReward([{ kind: "regex", pattern: "^The film was \\w+", on: "text" }])(["The film was"], [" fine"])).toEqual([1]);
  });

  it("the weighted sum of rules, and each rule's score", () => {
    const rules = [
      { kind: "sentiment", weight: 2 },
      { kind: "length", target: 4, unit: "words", weight: 0.5 },
      { kind: "keyword", keywords: ["stars"] },
      { kind: "regex", pattern: "\\.$", weight: -1 },
    ] as const;
    // sentiment: great +1, "not bad" +1 → 1; words: 3 → −1/4; no "stars"; ends with "."
    expect(ruleBreakdown([...rules], ["x"], [" great, not bad."])).toEqual([[1, -0.25, 0, 1]]);
    expect(ruleReward([...rules])(["x"], [" great, not bad."])[0]).toBeCloseTo(2 * 1 + 0.5 * -0.25 + 0 - 1, 12);
  });

  it("config errors name the field", () => {
    expect(() => ruleReward([{ kind: "sentiment" }, { kind: "length", target: -3 }])).toThrow(/rules\[1\]\.target must be a positive number, got -3/);
    expect(() => ruleReward([{ kind: "regex", pattern: "(" }])).toThrow(/rules\[0\]\.pattern is not a valid regular expression/);
    expect(() => ruleReward([{ kind: "nope" } as never])).toThrow(/rules\[0\]\.kind must be "sentiment", "length", "keyword" or "regex", got "nope"/);
    expect(() => ruleReward([{ kind: "sentiment", weight: NaN }])).toThrow(/rules\[0\]\.weight must be a finite number/);
    expect(() => ruleReward([{ kind: "keyword", keywords: [] }])).toThrow(/rules\[0\]\.keywords must be a non-empty array/);
    expect(() => ruleReward([{ kind: "length", target: 3, unit: "lines" as never }])).toThrow(/rules\[0\]\.unit must be/);
    expect(() => ruleReward([])).toThrow(/rules must be a non-empty array/);
    expect(() => ruleReward([{ kind: "sentiment" }])(["a"], ["b", "c"])).toThrow(/1 prompts but 2 completions/);
  });

  it("combineRewards: Σ weight·reward over sync and async RewardFns", async () => {
    const a: RewardFn = (_p, c) => c.map((s) => s.length);
    const b: RewardFn = async (_p, c) => c.map(() => 10);
    expect(await combineRewards([{ reward: a, weight: 2 }, { reward: b, weight: -0.5 }])(["x", "y"], ["ab", "abcd"])).toEqual([-1, 3]);
    await expect(combineRewards([{ reward: () => [1] }])(["x", "y"], ["a", "b"])).rejects.toThrow(/parts\[0\]\.reward returned 1 values for 2 completions/);
    expect(() => combineRewards([{ reward: 3 as never }])).toThrow(/parts\[0\]\.reward must be a function/);
  });
});

describe("Transformers.js text-classification reward", () => {
  const stub = (calls: string[][]): TextClassifier => async (texts) => {
    calls.push(texts);
    return texts.map((t) => {
      const p = t.includes("great") ? 0.9 : 0.2;
      return [{ label: "POSITIVE", score: p }, { label: "NEGATIVE", score: 1 - p }].sort((x, y) => y.score - x.score);
    });
  };

  it("maps the chosen label's probability to the reward, in batches, on the completion or the whole text", async () => {
    const calls: string[][] = [];
    const reward = await hfClassifierReward({ dir: "unused", label: "positive", pipeline: stub(calls), batchSize: 2 });
    expect(await reward(["The film was", "The film was", "It"], [" great.", " dull.", " ok"])).toEqual([0.9, 0.2, 0.2]);
    expect(calls).toEqual([[" great.", " dull."], [" ok"]]);
    const neg = await hfClassifierReward({ dir: "unused", label: "NEGATIVE", input: "text", pipeline: stub(calls) });
    expect((await neg(["great: "], [" dull"]))[0]).toBeCloseTo(0.1, 12);
    expect(calls.at(-1)).toEqual(["great:  dull"]);
  });

  it("labelScores: one text's flat output, unknown labels and wrong counts are named", () => {
    expect(labelScores([{ label: "POSITIVE", score: 0.7 }, { label: "NEGATIVE", score: 0.3 }], "POSITIVE", 1)).toEqual([0.7]);
    expect(() => labelScores([[{ label: "LABEL_0", score: 0.7 }, { label: "LABEL_1", score: 0.3 }]], "POSITIVE", 1)).toThrow(/label "POSITIVE" is not among the classifier's labels for text 0: "LABEL_0", "LABEL_1"/);
    expect(() => labelScores([[{ label: "A", score: 1 }]], "A", 2)).toThrow(/returned 1 results for 2 texts/);
  });

  it("without a model directory: an error saying what to put where", async () => {
    const dir = path.join(os.tmpdir(), `tsrl-no-classifier-${process.pid}`);
    await expect(hfClassifierReward({ dir, label: "POSITIVE" })).rejects.toThrow(/does not exist\. Put a Transformers\.js text-classification model there — config\.json, tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx/);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "config.json"), "{}");
    expect(() => checkClassifierDir(dir)).toThrow(/lacks tokenizer\.json, tokenizer_config\.json, onnx\/model\.onnx/);
    expect(() => checkClassifierDir(dir, "q8")).toThrow(/onnx\/model_quantized\.onnx/);
    fs.rmSync(dir, { recursive: true, force: true });
    await expect(hfClassifierReward({ dir, label: "" })).rejects.toThrow(/label must be a non-empty string/);
  });

  const hasTransformers = (() => { try { requireTransformers(); return true; } catch { return false; } })();
  it.skipIf(!hasTransformers)("end to end through Transformers.js' pipeline on a local ONNX classifier (skipped without @huggingface/transformers)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-classifier-"));
    writeLexiconClassifier(dir, ["great", "good", "wonderful"], ["bad", "dull"]);
    const reward = await hfClassifierReward({ dir, label: "POSITIVE" });
    const sigma = (x: number) => 1 / (1 + Math.exp(-x));
    const r = await reward(["a", "b", "c", "d"], [" great and wonderful", " bad", " nothing here", " good but dull and bad"]);
    [sigma(4), sigma(-2), 0.5, sigma(-2)].forEach((v, i) => expect(r[i]).toBeCloseTo(v, 5)); // P(POSITIVE) = σ(2·Σ w)
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("without @huggingface/transformers installed: an error saying how to install it", () => {
    let installed = true;
    try {
      requireTransformers();
    } catch (err) {
      installed = false;
      expect((err as Error).message).toMatch(/npm install @huggingface\/transformers/);
    }
    if (installed) expect(typeof (requireTransformers() as { pipeline: unknown }).pipeline).toBe("function");
  });
});
