/**
 * Preference pairs for a reward model, in TRL's format — one JSON object a line:
 *
 *   {"prompt": "The film was", "chosen": " truly wonderful. Five stars.", "rejected": " a bit slow."}
 *
 * `chosen` and `rejected` continue the same `prompt` (the text a reward model scores is
 * prompt + completion). The generator draws two continuations of one opening from the review grammar
 * (./corpus.ts) and keeps the pair when their sentiment scores differ by at least `minMargin`; the one
 * with the higher score is chosen. Both may be favourable ("good" vs "absolutely superb. Five stars."),
 * both unfavourable, mixed, or negated ("not bad at all"), so no single keyword decides a pair.
 *
 * Readers (`readPreferencePairs`, `readPrompts`, `readCorpus`) name the file and line of anything malformed.
 */
import * as fs from "node:fs";
import type { Rng } from "../core/rng";
import { REVIEW_DOMAINS, reviewContinuation, reviewOpening, type ReviewMood } from "./corpus";
import { DataLineError } from "../data/data-line-error";
export { DataLineError }; // its home is lib/data: lib/envs/order-desk's readers throw it too

export interface PreferencePair {
  prompt: string;
  chosen: string;
  rejected: string;
}

export interface GeneratePairsOptions {
  /** Least score difference between chosen and rejected (default 1). */
  minMargin?: number;
  /** Pairs whose JSON line must not be produced (e.g. the training split's, when drawing held-out pairs). */
  exclude?: ReadonlySet<string>;
}

/** The JSON line of a pair (keys in TRL's order). */
export function formatPreferencePair(p: PreferencePair): string {
  return JSON.stringify({ prompt: p.prompt, chosen: p.chosen, rejected: p.rejected });
}

/** `n` distinct preference pairs from the review grammar (see the module comment). */
export function generatePreferencePairs(rng: Rng, n: number, opts: GeneratePairsOptions = {}): PreferencePair[] {
  const { minMargin = 1, exclude = new Set<string>() } = opts;
  if (!(Number.isInteger(n) && n >= 0)) throw new RangeError(`generatePreferencePairs: n must be an integer ≥ 0, got ${n}`);
  if (!(minMargin > 0)) throw new RangeError(`generatePreferencePairs: minMargin must be > 0, got ${minMargin}`);
  const moods: ReviewMood[] = ["positive", "negative", "mixed"];
  const seen = new Set<string>();
  const out: PreferencePair[] = [];
  for (let tries = 0; out.length < n; tries++) {
    if (tries > 100 * n + 1000) throw new Error(`generatePreferencePairs: could not draw ${n} distinct pairs (got ${out.length})`);
    const domain = REVIEW_DOMAINS[rng.int(REVIEW_DOMAINS.length)];
    const prompt = reviewOpening(rng, domain);
    const a = reviewContinuation(rng, domain, moods[rng.categorical([0.4, 0.4, 0.2])]);
    const b = reviewContinuation(rng, domain, moods[rng.categorical([0.4, 0.4, 0.2])]);
    if (Math.abs(a.score - b.score) < minMargin || a.text === b.text) continue;
    const [chosen, rejected] = a.score > b.score ? [a, b] : [b, a];
    const pair = { prompt, chosen: chosen.text, rejected: rejected.text };
    const line = formatPreferencePair(pair);
    if (seen.has(line) || exclude.has(line)) continue;
    seen.add(line);
    out.push(pair);
  }
  return out;
}


function readLines(file: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`${file} does not exist`);
  return fs.readFileSync(file, "utf8").split("\n");
}

/** Parses JSONL text (blank lines skipped); `fields` must be non-empty strings. */
export function parseJsonlRecords<K extends string>(text: string, file: string, fields: readonly K[]): Record<K, string>[] {
  const out: Record<K, string>[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (line === "") return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new DataLineError(file, i + 1, `not valid JSON (${(err as Error).message})`);
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) throw new DataLineError(file, i + 1, `expected a JSON object with ${fields.map((f) => `"${f}"`).join(", ")}, got ${JSON.stringify(value).slice(0, 60)}`);
    const rec = value as Record<string, unknown>;
    for (const f of fields) {
      if (!(f in rec)) throw new DataLineError(file, i + 1, `missing field "${f}" (expected ${fields.map((x) => `"${x}"`).join(", ")})`);
      if (typeof rec[f] !== "string" || rec[f] === "") throw new DataLineError(file, i + 1, `field "${f}" must be a non-empty string, got ${JSON.stringify(rec[f])}`);
    }
    out.push(Object.fromEntries(fields.map((f) => [f, rec[f] as string])) as Record<K, string>);
  });
  return out;
}

/** Reads `{"prompt","chosen","rejected"}` lines; throws `file:line: problem` for a malformed one. */
export function readPreferencePairs(file: string): PreferencePair[] {
  const pairs = parseJsonlRecords(readLines(file).join("\n"), file, ["prompt", "chosen", "rejected"] as const);
  if (pairs.length === 0) throw new Error(`${file}: no preference pairs`);
  return pairs;
}

/** Reads `{"prompt": …}` lines (other fields ignored); throws `file:line: problem` for a malformed one. */
export function readPrompts(file: string): string[] {
  const prompts = parseJsonlRecords(readLines(file).join("\n"), file, ["prompt"] as const).map((r) => r.prompt);
  if (prompts.length === 0) throw new Error(`${file}: no prompts`);
  return prompts;
}

/** Reads a corpus: one text a line, blank lines skipped. */
export function readCorpus(file: string): string[] {
  const lines = readLines(file).map((l) => l.trim()).filter((l) => l.length > 0);
  if (lines.length === 0) throw new Error(`${file}: the corpus is empty`);
  return lines;
}
