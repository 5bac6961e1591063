/**
 * Rewards for language-model completions, by rule, and the one signature every reward shares:
 *
 *   type RewardFn = (prompts, completions) => number[] | Promise<number[]>    one reward per completion
 *
 * A reward model (./reward-model.ts `rm.score`), a Transformers.js classifier (./hf-classifier.ts) and
 * the rules here all have it, so GRPO takes any of them, or a weighted sum (`combineRewards`).
 *
 * `ruleReward(rules)` is the weighted sum Σ weight_k · rule_k(prompt, completion) of:
 *
 *   sentiment  (pos − neg) / (pos + neg) over the completion's words, in [−1, 1] (0 without any);
 *              a word right after a negator ("not", "never", "no", "n't") counts with the other sign
 *   length     −|n − target| / target, n the completion's GPT-2 tokens (or words, or characters)
 *   keyword    1 if any keyword occurs as a whole word (mode "any"), or the fraction that occur ("fraction")
 *   regex      1 if the pattern matches the completion (or prompt + completion, `on: "text"`), else 0
 *
 * Config errors name the field: `rules[1].target must be a positive number, got -3`.
 */
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { RewardFn } from "../core/text-reward";
export type { RewardFn }; // its home is lib/core: lib/envs/conversation consumes it too



/** A small sentiment lexicon of our own (lower case). */
export const POSITIVE_WORDS: readonly string[] = [
  "good", "great", "wonderful", "excellent", "delightful", "superb", "charming", "brilliant", "lovely", "fantastic",
  "amazing", "fresh", "moving", "clever", "warm", "friendly", "beautiful", "perfect", "solid", "enjoyable",
  "memorable", "pleasant", "tasty", "comfortable", "reliable", "love", "loved", "enjoyed", "liked", "adored",
  "best", "nice", "happy", "fun", "recommend", "worth", "delicious", "awesome", "fine", "better",
];
export const NEGATIVE_WORDS: readonly string[] = [
  "bad", "terrible", "awful", "boring", "dull", "bland", "disappointing", "rude", "cold", "slow",
  "cheap", "broken", "confusing", "forgettable", "painful", "mediocre", "poor", "weak", "messy", "stale",
  "noisy", "dirty", "flimsy", "overpriced", "annoying", "hate", "hated", "disliked", "regretted", "waste",
  "worst", "ugly", "sad", "ruined", "worse", "horrible", "expensive", "sadly", "mess", "lame",
];
const NEGATORS = new Set(["not", "no", "never", "hardly", "barely"]);

export type SentimentRule = { kind: "sentiment"; weight?: number; positive?: readonly string[]; negative?: readonly string[] };
export type LengthRule = { kind: "length"; weight?: number; target: number; unit?: "tokens" | "words" | "chars" };
export type KeywordRule = { kind: "keyword"; weight?: number; keywords: readonly string[]; mode?: "any" | "fraction"; caseSensitive?: boolean };
export type RegexRule = { kind: "regex"; weight?: number; pattern: string; flags?: string; on?: "completion" | "text" };
export type RewardRule = SentimentRule | LengthRule | KeywordRule | RegexRule;

/** Lower-case words (letters, digits, apostrophes) of a text. */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[a-z0-9]+(?:'[a-z]+)?/g) ?? [];
}

/**
 * Lexicon sentiment of a text in [−1, 1]: (pos − neg) / (pos + neg) over its sentiment words, a word
 * right after a negator (not, no, never, hardly, barely, or a word ending in n't) flipped; 0 if none.
 */
export function lexiconSentiment(text: string, positive: ReadonlySet<string> = POSITIVE_SET, negative: ReadonlySet<string> = NEGATIVE_SET): number {
  const ws = words(text);
  let pos = 0, neg = 0;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i];
    let sign = positive.has(w) ? 1 : negative.has(w) ? -1 : 0;
    if (sign === 0) continue;
    const prev = ws[i - 1];
    if (prev !== undefined && (NEGATORS.has(prev) || prev.endsWith("n't"))) sign = -sign;
    if (sign > 0) pos++;
    else neg++;
  }
  return pos + neg === 0 ? 0 : (pos - neg) / (pos + neg);
}
const POSITIVE_SET: ReadonlySet<string> = new Set(POSITIVE_WORDS);
const NEGATIVE_SET: ReadonlySet<string> = new Set(NEGATIVE_WORDS);

/** −|n − target| / target. */
export function lengthPenalty(n: number, target: number): number {
  return -Math.abs(n - target) / target;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

type Scorer = (prompt: string, completion: string) => number;

function fail(field: string, problem: string): never {
  throw new RangeError(`${field} ${problem}`);
}

function ruleScorer(rule: RewardRule, at: string): { weight: number; score: Scorer } {
  if (typeof rule !== "object" || rule === null) fail(at, `must be an object with a "kind", got ${JSON.stringify(rule)}`);
  const weight = rule.weight ?? 1;
  if (typeof weight !== "number" || !Number.isFinite(weight)) fail(`${at}.weight`, `must be a finite number, got ${JSON.stringify(rule.weight)}`);
  switch (rule.kind) {
    case "sentiment": {
      const wordList = (key: "positive" | "negative", fallback: ReadonlySet<string>): ReadonlySet<string> => {
        const list = rule[key];
        if (list === undefined) return fallback;
        if (!Array.isArray(list) || list.some((w) => typeof w !== "string" || w.trim() === "")) fail(`${at}.${key}`, `must be an array of non-empty words, got ${JSON.stringify(list)}`);
        return new Set(list.map((w) => w.toLowerCase()));
      };
      const pos = wordList("positive", POSITIVE_SET), neg = wordList("negative", NEGATIVE_SET);
      return { weight, score: (_p, c) => lexiconSentiment(c, pos, neg) };
    }
    case "length": {
      const { target, unit = "tokens" } = rule;
      if (typeof target !== "number" || !(target > 0)) fail(`${at}.target`, `must be a positive number, got ${JSON.stringify(target)}`);
      if (unit !== "tokens" && unit !== "words" && unit !== "chars") fail(`${at}.unit`, `must be "tokens", "words" or "chars", got ${JSON.stringify(unit)}`);
      const count = unit === "chars" ? (s: string) => [...s].length : unit === "words" ? (s: string) => s.split(/\s+/).filter(Boolean).length : (s: string) => loadGpt2Tokenizer().encode(s).length;
      return { weight, score: (_p, c) => lengthPenalty(count(c), target) };
    }
    case "keyword": {
      const { keywords, mode = "any", caseSensitive = false } = rule;
      if (!Array.isArray(keywords) || keywords.length === 0 || keywords.some((k) => typeof k !== "string" || k.trim() === "")) fail(`${at}.keywords`, `must be a non-empty array of non-empty strings, got ${JSON.stringify(keywords)}`);
      if (mode !== "any" && mode !== "fraction") fail(`${at}.mode`, `must be "any" or "fraction", got ${JSON.stringify(mode)}`);
      const patterns = keywords.map((k) => new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(k)}(?![\\p{L}\\p{N}])`, caseSensitive ? "u" : "iu"));
      return {
        weight,
        score: (_p, c) => {
          const hits = patterns.filter((re) => re.test(c)).length;
          return mode === "any" ? (hits > 0 ? 1 : 0) : hits / patterns.length;
        },
      };
    }
    case "regex": {
      const { pattern, flags = "", on = "completion" } = rule;
      if (typeof pattern !== "string" || pattern === "") fail(`${at}.pattern`, `must be a non-empty string, got ${JSON.stringify(pattern)}`);
      if (on !== "completion" && on !== "text") fail(`${at}.on`, `must be "completion" or "text", got ${JSON.stringify(on)}`);
      let re: RegExp;
      try {
        re = new RegExp(pattern, flags.replace("g", ""));
      } catch (err) {
        fail(`${at}.pattern`, `is not a valid regular expression: ${(err as Error).message}`);
      }
      return { weight, score: (p, c) => (re.test(on === "text" ? p + c : c) ? 1 : 0) };
    }
    default:
      return fail(`${at}.kind`, `must be "sentiment", "length", "keyword" or "regex", got ${JSON.stringify((rule as { kind: unknown }).kind)}`);
  }
}

function checkBatch(prompts: readonly string[], completions: readonly string[], who: string): void {
  if (!Array.isArray(prompts) || !Array.isArray(completions)) throw new TypeError(`${who}: prompts and completions must be arrays of strings`);
  if (prompts.length !== completions.length) throw new RangeError(`${who}: ${prompts.length} prompts but ${completions.length} completions`);
}

/** Each rule's score for each completion (before weighting): rows = completions, columns = rules. */
export function ruleBreakdown(rules: readonly RewardRule[], prompts: readonly string[], completions: readonly string[]): number[][] {
  const scorers = checkRules(rules);
  checkBatch(prompts, completions, "ruleBreakdown");
  return completions.map((c, i) => scorers.map((s) => s.score(prompts[i], c)));
}

function checkRules(rules: readonly RewardRule[]): { weight: number; score: Scorer }[] {
  if (!Array.isArray(rules) || rules.length === 0) throw new RangeError(`rules must be a non-empty array of rules ({ kind: "sentiment" | "length" | "keyword" | "regex", … }), got ${JSON.stringify(rules)}`);
  return rules.map((r, k) => ruleScorer(r, `rules[${k}]`));
}

/** The weighted sum of `rules` as a RewardFn (see the module comment); the rules are checked now. */
export function ruleReward(rules: readonly RewardRule[]): (prompts: string[], completions: string[]) => number[] {
  const scorers = checkRules(rules);
  return (prompts, completions) => {
    checkBatch(prompts, completions, "ruleReward");
    return completions.map((c, i) => scorers.reduce((sum, s) => sum + s.weight * s.score(prompts[i], c), 0));
  };
}

/** Σ weight_k · reward_k: any RewardFns (rules, reward models, classifiers) combined into one. */
export function combineRewards(parts: readonly { reward: RewardFn; weight?: number }[]): (prompts: string[], completions: string[]) => Promise<number[]> {
  if (!Array.isArray(parts) || parts.length === 0) throw new RangeError("combineRewards: parts must be a non-empty array of { reward, weight }");
  parts.forEach((p, k) => {
    if (typeof p?.reward !== "function") throw new TypeError(`parts[${k}].reward must be a function (prompts, completions) => number[], got ${typeof p?.reward}`);
    if (p.weight !== undefined && !Number.isFinite(p.weight)) throw new RangeError(`parts[${k}].weight must be a finite number, got ${JSON.stringify(p.weight)}`);
  });
  return async (prompts, completions) => {
    checkBatch(prompts, completions, "combineRewards");
    const total = new Array<number>(completions.length).fill(0);
    for (const [k, p] of parts.entries()) {
      const r = await p.reward(prompts, completions);
      if (!Array.isArray(r) || r.length !== completions.length) throw new RangeError(`parts[${k}].reward returned ${Array.isArray(r) ? r.length : typeof r} values for ${completions.length} completions`);
      r.forEach((v, i) => (total[i] += (p.weight ?? 1) * v));
    }
    return total;
  };
}
