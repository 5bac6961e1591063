/**
 * `tsrl serve <dir> --stdio` for a GPT-2 directory (config.json with model_type "gpt2" and
 * model.safetensors, e.g. what `tsrl train grpo GPT2` writes): one JSON request per line on stdin,
 * one completion per line on stdout, in order.
 *
 *   → {"prompt": "The soup was", "max_new_tokens": 24, "temperature": 0.7, "id": 1}
 *   ← {"id": 1, "completion": " warm and the bread was fresh.", "tokens": 9, "finished": true}
 *
 * `max_new_tokens`, `temperature` (0 = greedy), `top_k` and `top_p` are optional (defaults from the
 * flags); sampling is seeded by --seed, one stream for the whole session. The prompt is fed as
 * <|endoftext|> + its tokens (its end, if it is too long for the model). A malformed line gets
 * `{"error": "line 3: …"}` naming the problem and the server goes on; it ends at end of input.
 * The tokenizer is the directory's tokenizer.json when there is one, else GPT-2's.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { createRng } from "../core/rng";
import { initBackend } from "../nn/backend";
import { generate } from "../nn/gpt2/generate";
import { loadGpt2 } from "../nn/gpt2/load";
import { loadGpt2Tokenizer, type Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { Gpt2 } from "../nn/gpt2/model";
import type { Rng } from "../core/rng";
import { parseCommand, type CommandSpec } from "./args";

/** True when `dir` holds a Hugging Face GPT-2 config (model_type "gpt2"), not a tsrl agent checkpoint. */
export function isGpt2Directory(dir: string | undefined): boolean {
  if (!dir) return false;
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    return config?.model_type === "gpt2" && config.algorithm === undefined;
  } catch {
    return false;
  }
}

const spec: CommandSpec = {
  usage: "tsrl serve <gpt2-dir> --stdio [--seed S] [--max-new-tokens N] [--temperature T] [--top-k K] [--top-p P]",
  positionals: ["dir"],
  flags: [
    { name: "stdio", type: "boolean", help: "answer JSON lines on stdin with JSON lines on stdout" },
    { name: "seed", type: "integer", help: "seed of the sampling", default: 0 },
    { name: "max-new-tokens", type: "integer", help: "default new tokens per completion", default: 32 },
    { name: "temperature", type: "number", help: "default sampling temperature (0 = greedy)", default: 1 },
    { name: "top-k", type: "integer", help: "default top-k (0 = all)", default: 0 },
    { name: "top-p", type: "number", help: "default top-p (1 = all)", default: 1 },
  ],
};

export interface CompletionDefaults {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
}

const FIELDS = ["prompt", "max_new_tokens", "temperature", "top_k", "top_p", "id"];

/** What is wrong with a completion request, or undefined. */
export function checkCompletionRequest(request: unknown, maxPositions: number): string | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return `expected an object like {"prompt": "…"}, got ${JSON.stringify(request)}`;
  const r = request as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !FIELDS.includes(k));
  if (unknown.length) return `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; expected ${FIELDS.join(", ")}`;
  if (typeof r.prompt !== "string") return `prompt must be a string, got ${JSON.stringify(r.prompt)}`;
  const intIn = (v: unknown, lo: number, hi: number) => typeof v === "number" && Number.isInteger(v) && v >= lo && v <= hi;
  if (r.max_new_tokens !== undefined && !intIn(r.max_new_tokens, 1, maxPositions - 1)) return `max_new_tokens must be an integer in [1, ${maxPositions - 1}], got ${JSON.stringify(r.max_new_tokens)}`;
  if (r.temperature !== undefined && !(typeof r.temperature === "number" && r.temperature >= 0 && Number.isFinite(r.temperature))) return `temperature must be a number ≥ 0, got ${JSON.stringify(r.temperature)}`;
  if (r.top_k !== undefined && !intIn(r.top_k, 0, Number.MAX_SAFE_INTEGER)) return `top_k must be an integer ≥ 0, got ${JSON.stringify(r.top_k)}`;
  if (r.top_p !== undefined && !(typeof r.top_p === "number" && r.top_p > 0 && r.top_p <= 1)) return `top_p must be a number in (0, 1], got ${JSON.stringify(r.top_p)}`;
  return undefined;
}

/** The answer line for one request line. */
export function answerCompletion(model: Gpt2, tok: Gpt2Tokenizer, line: string, lineNo: number, defaults: CompletionDefaults, rng: Rng): Record<string, unknown> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { error: `line ${lineNo}: not JSON (${(err as Error).message})` };
  }
  const id = (request as { id?: unknown } | null)?.id;
  const idPart = id === undefined ? {} : { id };
  const problem = checkCompletionRequest(request, model.config.nPositions);
  if (problem) return { error: `line ${lineNo}: ${problem}`, ...idPart };
  const r = request as { prompt: string; max_new_tokens?: number; temperature?: number; top_k?: number; top_p?: number };
  const maxNewTokens = r.max_new_tokens ?? defaults.maxNewTokens;
  const ids = [tok.eosId, ...tok.encode(r.prompt)].slice(-(model.config.nPositions - maxNewTokens));
  const temperature = r.temperature ?? defaults.temperature;
  const gen = generate(model, [ids], { maxNewTokens, temperature, topK: r.top_k ?? defaults.topK, topP: r.top_p ?? defaults.topP, rng: temperature > 0 ? rng : undefined });
  const tokens = gen.tokens[0];
  const body = gen.finished[0] ? tokens.slice(0, -1) : tokens;
  return { ...idPart, completion: tok.decode(body), tokens: tokens.length, finished: gen.finished[0] };
}

export async function serveGpt2Command(argv: string[]): Promise<number> {
  const parsed = parseCommand("serve", argv, spec, "Serve a GPT-2 directory's completions over JSON lines.");
  if (typeof parsed === "number") return parsed;
  if (parsed.flags.stdio !== true) {
    console.error("tsrl serve: give --stdio (JSON lines on stdin and stdout; the only transport so far)");
    return 2;
  }
  const dir = parsed.positionals[0];
  await initBackend({ quiet: true });
  let model: Gpt2;
  try {
    model = loadGpt2(dir);
  } catch (err) {
    console.error(`tsrl serve: ${(err as Error).message}`);
    return 1;
  }
  const defaults: CompletionDefaults = {
    maxNewTokens: (parsed.flags["max-new-tokens"] as number | undefined) ?? 32,
    temperature: (parsed.flags.temperature as number | undefined) ?? 1,
    topK: (parsed.flags["top-k"] as number | undefined) ?? 0,
    topP: (parsed.flags["top-p"] as number | undefined) ?? 1,
  };
  const bad = checkCompletionRequest({ prompt: "", max_new_tokens: defaults.maxNewTokens, temperature: defaults.temperature, top_k: defaults.topK, top_p: defaults.topP }, model.config.nPositions);
  if (bad) { console.error(`tsrl serve: flags: ${bad.replace(/_/g, "-")}`); model.dispose(); return 2; }
  const tok = fs.existsSync(path.join(dir, "tokenizer.json")) ? loadGpt2Tokenizer(dir) : loadGpt2Tokenizer();
  const rng = createRng((parsed.flags.seed as number | undefined) ?? 0);
  console.error(`tsrl serve: GPT-2 (${model.config.nLayer} layers, ${model.config.nEmbd} wide) from ${path.resolve(dir)}; reading JSON lines on stdin`);
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      if (line.trim() === "") continue;
      let answer: Record<string, unknown>;
      try {
        answer = answerCompletion(model, tok, line, lineNo, defaults, rng);
      } catch (err) {
        answer = { error: `line ${lineNo}: ${(err as Error).message}` };
      }
      process.stdout.write(JSON.stringify(answer) + "\n");
    }
  } finally {
    model.dispose();
  }
  return 0;
}
