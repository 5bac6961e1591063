/**
 * OpenAI's completions API for a GPT-2, without the HTTP: a request body checked field by field
 * into a plan, the plan's rows for the batch generator, and the reply objects (whole, or streamed
 * chunk by chunk) — with OpenAI's field names and shapes, so its client libraries and curl recipes
 * work unchanged (field names as in the `openai` package's CompletionCreateParams and Completion).
 *
 *   {"model": "grpo-gpt2", "prompt": "The soup was", "max_tokens": 16, "temperature": 0.7, "n": 2, "seed": 1}
 *   → {"id": "cmpl-…", "object": "text_completion", "created": 1700000000, "model": "grpo-gpt2",
 *      "choices": [{"text": " warm", "index": 0, "logprobs": null, "finish_reason": "length"}, …],
 *      "usage": {"prompt_tokens": 3, "completion_tokens": 32, "total_tokens": 35}}
 *
 * Supported: model, prompt (a string, a list of strings, a list of token ids or a list of such
 * lists; missing or null: the start of a document), max_tokens (default 16, as OpenAI's), temperature
 * (0–2, default 1; 0 = greedy), top_p, n, stop (a string or up to 4), seed (same seed and settings:
 * same text, alone or batched with other requests), stream, stream_options.include_usage, user
 * (ignored). Choices are ordered prompt by prompt, n per prompt. OpenAI's other fields are accepted
 * at their no-op values (null, echo false, best_of equal to n, penalties 0, logit_bias {}) and refused
 * otherwise, naming the field; unknown fields are refused. The prompt is read as `tsrl serve --stdio`
 * reads it (completion.ts promptIds): <|endoftext|> first, and only its end when it is longer than
 * the positions max_tokens leaves; usage.prompt_tokens counts the prompt tokens read.
 */
import { randomBytes } from "node:crypto";
import { createRng, type Rng } from "../core/rng";
import type { Gpt2Config } from "../nn/gpt2/config";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { GenerationRow, RowResult } from "./batch-generate";
import { promptIds } from "./completion";
import { checkFields, excerpt, optionalInteger, optionalNumber, RequestError } from "./request";

/** The request names a model this server does not serve (HTTP 404, OpenAI's "model_not_found"). */
export class ModelNotFoundError extends RequestError {
  constructor(message: string) {
    super(message, "model");
    this.name = "ModelNotFoundError";
  }
}

export interface CompletionLimits {
  /** Largest max_tokens (also bounded by the model's positions). */
  maxTokens: number;
  /** Largest n. */
  maxN: number;
  /** Largest number of choices in one request: prompts × n. */
  maxChoices: number;
}

export interface CompletionModel {
  /** The name clients send as `model` (and GET /v1/models lists). */
  name: string;
  config: Pick<Gpt2Config, "nPositions" | "vocabSize">;
  tokenizer: Pick<Gpt2Tokenizer, "encode" | "eosId">;
}

export interface CompletionPlan {
  prompts: { ids: number[]; promptTokens: number }[];
  n: number;
  maxTokens: number;
  temperature: number;
  topP: number;
  seed?: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

const FIELDS = ["model", "prompt", "max_tokens", "temperature", "top_p", "n", "stop", "seed", "stream", "stream_options", "user",
  "suffix", "logprobs", "echo", "best_of", "presence_penalty", "frequency_penalty", "logit_bias"];
const EXAMPLE = '{"model": "...", "prompt": "...", "max_tokens": 16}';
const MAX_STOPS = 4;
const MAX_STOP_CHARS = 256;
const DEFAULT_MAX_TOKENS = 16;

/** Checks an OpenAI completions request against the model and the limits; a RequestError names the first field at fault. */
export function parseCompletionRequest(body: unknown, served: CompletionModel, limits: CompletionLimits): CompletionPlan {
  // null is OpenAI's "not given" for every optional field
  const r = Object.fromEntries(Object.entries(checkFields(body, FIELDS, EXAMPLE)).filter(([, v]) => v !== null));
  if (r.model === undefined) throw new RequestError("model is required: the name GET /v1/models lists", "model");
  if (typeof r.model !== "string") throw new RequestError(`model must be a string, got ${excerpt(r.model)}`, "model");
  if (r.model !== served.name) throw new ModelNotFoundError(`the model ${excerpt(r.model)} does not exist here; this server serves "${served.name}"`);

  refuseUnlessNoOp(r);
  const { nPositions, vocabSize } = served.config;
  const maxTokensCap = Math.min(limits.maxTokens, nPositions - 1);
  const maxTokens = optionalInteger(r, "max_tokens", 1, maxTokensCap) ?? Math.min(DEFAULT_MAX_TOKENS, maxTokensCap);
  const temperature = optionalNumber(r, "temperature", 0, 2) ?? 1;
  const topP = optionalNumber(r, "top_p", 0, 1, true) ?? 1;
  const n = optionalInteger(r, "n", 1, limits.maxN) ?? 1;
  const seed = optionalInteger(r, "seed", 0, 0xffffffff);
  const stop = stopField(r.stop);
  const stream = booleanField(r, "stream") ?? false;
  const includeUsage = streamOptions(r.stream_options, stream);
  if (r.user !== undefined && typeof r.user !== "string") throw new RequestError(`user must be a string, got ${excerpt(r.user)}`, "user");

  const room = nPositions - maxTokens;
  const prompts = promptList(r.prompt, vocabSize).map((p) => promptIds(served.tokenizer, p, room));
  if (prompts.length * n > limits.maxChoices) {
    throw new RequestError(`${prompts.length} prompts × n ${n} = ${prompts.length * n} completions; at most ${limits.maxChoices} per request`, prompts.length > 1 ? "prompt" : "n");
  }
  return { prompts, n, maxTokens, temperature, topP, seed, stop, stream, includeUsage };
}

/**
 * The generator's rows, in choice order (prompt by prompt, n each). Each row gets its own random
 * stream: forked from the request's seed when it has one (so the text depends only on the request),
 * else from the server's session generator.
 */
export function completionRows(plan: CompletionPlan, session: Rng, stream: { onText?: (index: number, delta: string) => void; onEnd?: (index: number, result: RowResult) => void } = {}): GenerationRow[] {
  const source = plan.seed === undefined ? session : createRng(plan.seed);
  const rows: GenerationRow[] = [];
  for (const p of plan.prompts) {
    for (let j = 0; j < plan.n; j++) {
      const index = rows.length;
      rows.push({
        ids: p.ids,
        maxTokens: plan.maxTokens,
        temperature: plan.temperature,
        topP: plan.topP,
        rng: plan.temperature > 0 ? source.fork() : undefined,
        stop: plan.stop,
        onText: stream.onText && ((delta) => stream.onText!(index, delta)),
        onEnd: stream.onEnd && ((result) => stream.onEnd!(index, result)),
      });
    }
  }
  return rows;
}

/** OpenAI's id of a completion: "cmpl-" and 24 random letters and digits. */
export function completionId(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return `cmpl-${Array.from(randomBytes(24), (b) => alphabet[b % alphabet.length]).join("")}`;
}

export interface CompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function completionUsage(plan: CompletionPlan, results: readonly RowResult[]): CompletionUsage {
  const prompt = plan.prompts.reduce((s, p) => s + p.promptTokens, 0);
  const completion = results.reduce((s, r) => s + r.completionTokens, 0);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The reply to a request that did not stream. */
export function completionObject(head: { id: string; created: number; model: string }, plan: CompletionPlan, results: readonly RowResult[]) {
  return {
    id: head.id,
    object: "text_completion" as const,
    created: head.created,
    model: head.model,
    choices: results.map((r, index) => ({ text: r.text, index, logprobs: null, finish_reason: r.finishReason })),
    usage: completionUsage(plan, results),
  };
}

/**
 * One server-sent chunk of a streamed completion: a piece of one choice's text (finish_reason null),
 * that choice's end (text "", its finish_reason), or — with include_usage — the last chunk, with no
 * choices and the usage (every other chunk then carries `usage: null`, as OpenAI's do).
 */
export function completionChunk(
  head: { id: string; created: number; model: string },
  plan: Pick<CompletionPlan, "includeUsage">,
  choice: { index: number; text: string; finishReason: RowResult["finishReason"] | null } | null,
  usage?: CompletionUsage,
) {
  return {
    id: head.id,
    object: "text_completion" as const,
    created: head.created,
    model: head.model,
    choices: choice ? [{ text: choice.text, index: choice.index, logprobs: null, finish_reason: choice.finishReason }] : [],
    ...(plan.includeUsage ? { usage: usage ?? null } : {}),
  };
}

/** The prompts of a request: strings or token-id lists, one per completion group. */
function promptList(value: unknown, vocabSize: number): (string | number[])[] {
  if (value === undefined) return [""];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) throw new RequestError(`prompt must be a string, a list of strings, a list of token ids or a list of such lists, got ${excerpt(value)}`, "prompt");
  if (value.length === 0) throw new RequestError("prompt is an empty list; give at least one prompt", "prompt");
  if (value.every((v) => typeof v === "number")) return [tokenIds(value, vocabSize, "prompt")];
  return value.map((v, i) => {
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.length > 0) return tokenIds(v, vocabSize, `prompt[${i}]`);
    throw new RequestError(`prompt[${i}] must be a string or a non-empty list of token ids (and every item of one kind), got ${excerpt(v)}`, "prompt");
  });
}

function tokenIds(list: unknown[], vocabSize: number, where: string): number[] {
  const bad = list.findIndex((t) => typeof t !== "number" || !Number.isInteger(t) || t < 0 || t >= vocabSize);
  if (bad >= 0) throw new RequestError(`${where}[${bad}] must be a token id, an integer in [0, ${vocabSize - 1}], got ${excerpt(list[bad])}`, "prompt");
  return list as number[];
}

function stopField(value: unknown): string[] {
  if (value === undefined) return [];
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length > MAX_STOPS || !list.every((s) => typeof s === "string" && s.length > 0 && s.length <= MAX_STOP_CHARS)) {
    throw new RequestError(`stop must be a non-empty string or a list of at most ${MAX_STOPS} of them (each at most ${MAX_STOP_CHARS} characters), got ${excerpt(value)}`, "stop");
  }
  return list as string[];
}

function streamOptions(value: unknown, stream: boolean): boolean {
  if (value === undefined) return false;
  if (!stream) throw new RequestError("stream_options is only allowed when stream is true", "stream_options");
  const o = checkFieldsAs(value, ["include_usage", "include_obfuscation"], "stream_options");
  for (const k of ["include_usage", "include_obfuscation"]) {
    if (o[k] !== undefined && o[k] !== null && typeof o[k] !== "boolean") throw new RequestError(`stream_options.${k} must be true or false, got ${excerpt(o[k])}`, "stream_options");
  }
  return o.include_usage === true;
}

function checkFieldsAs(value: unknown, fields: string[], name: string): Record<string, unknown> {
  try {
    return checkFields(value, fields, `{"${fields[0]}": true}`);
  } catch (err) {
    throw new RequestError(`${name}: ${(err as Error).message}`, name);
  }
}

/** OpenAI's fields this server does not implement: allowed only at the value that changes nothing. */
function refuseUnlessNoOp(r: Record<string, unknown>): void {
  const n = r.n ?? 1;
  const noOp: Record<string, (v: unknown) => boolean> = {
    suffix: (v) => v === "",
    logprobs: () => false,
    echo: (v) => v === false,
    best_of: (v) => v === n,
    presence_penalty: (v) => v === 0,
    frequency_penalty: (v) => v === 0,
    logit_bias: (v) => typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0,
  };
  for (const [k, ok] of Object.entries(noOp)) {
    const v = r[k];
    if (v !== undefined && !ok(v)) throw new RequestError(`${k} is not supported by this server (got ${excerpt(v)}); leave it out or null`, k);
  }
}

function booleanField(r: Record<string, unknown>, k: string): boolean | undefined {
  const v = r[k];
  if (v === undefined) return undefined;
  if (typeof v !== "boolean") throw new RequestError(`${k} must be true or false, got ${excerpt(v)}`, k);
  return v;
}
