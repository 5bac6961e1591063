/**
 * The completion request of a GPT-2 (field names as OpenAI's completions API spells them):
 *
 *   {"prompt": "The soup was", "max_new_tokens": 24, "temperature": 0.7, "top_k": 0, "top_p": 1}
 *   → {"completion": " warm and the bread was fresh.", "tokens": 9, "finished": true}
 *
 * Every field but `prompt` is optional (the handler's defaults). The model reads <|endoftext|> and
 * the prompt's tokens — only its last ones when it is longer than the model's positions leave room
 * for, and only those are tokenised (prompt-tail.ts), so a huge prompt costs no more than a long
 * one. Sampling draws from the handler's generator: one seeded stream for the whole session.
 */
import type { Rng } from "../core/rng";
import { generate } from "../nn/gpt2/generate";
import type { Gpt2 } from "../nn/gpt2/model";
import { encodeTail } from "../nn/gpt2/prompt-tail";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { checkFields, excerpt, ModelOutputError, optionalInteger, optionalNumber, RequestError, type RequestHandler } from "./request";

export interface CompletionDefaults {
  maxNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
}

const FIELDS = ["prompt", "max_new_tokens", "temperature", "top_k", "top_p"];
const EXAMPLE = '{"prompt": "..."}';

/** The request's settings, checked against the model (max_new_tokens leaves at least one position for the prompt). */
export function completionSettings(request: unknown, model: Pick<Gpt2, "config">, defaults: CompletionDefaults): { prompt: string } & CompletionDefaults {
  const r = checkFields(request, FIELDS, EXAMPLE);
  if (typeof r.prompt !== "string") throw new RequestError(`prompt must be a string, got ${excerpt(r.prompt)}`);
  const { nPositions, vocabSize } = model.config;
  return {
    prompt: r.prompt,
    maxNewTokens: optionalInteger(r, "max_new_tokens", 1, nPositions - 1) ?? defaults.maxNewTokens,
    temperature: optionalNumber(r, "temperature", 0, 100) ?? defaults.temperature,
    topK: optionalInteger(r, "top_k", 0, vocabSize) ?? defaults.topK,
    topP: optionalNumber(r, "top_p", 0, 1, true) ?? defaults.topP,
  };
}

/**
 * What the model reads for `prompt` when `room` positions are left for it: <|endoftext|> (the start
 * of a document) then the prompt's tokens — only the last `room` of them when there are more, and
 * then the <|endoftext|> gives way too. A string is tokenised only as far back as that (prompt-tail.ts);
 * token ids are taken as they are. `promptTokens`: how many of the prompt's own tokens were read.
 */
export function promptIds(tok: Pick<Gpt2Tokenizer, "encode" | "eosId">, prompt: string | readonly number[], room: number): { ids: number[]; promptTokens: number } {
  if (!Number.isInteger(room) || room < 1) throw new RangeError(`promptIds: room must be a positive integer, got ${room}`);
  const tail = typeof prompt === "string" ? encodeTail(tok, prompt, room) : prompt.slice(Math.max(0, prompt.length - room));
  return { ids: [tok.eosId, ...tail].slice(-room), promptTokens: tail.length };
}

export function createCompletionHandler(model: Gpt2, tok: Gpt2Tokenizer, defaults: CompletionDefaults, rng: Rng): RequestHandler {
  return (request: unknown) => {
    const s = completionSettings(request, model, defaults);
    const { ids } = promptIds(tok, s.prompt, model.config.nPositions - s.maxNewTokens);
    let gen: ReturnType<typeof generate>;
    try {
      gen = generate(model, [ids], { maxNewTokens: s.maxNewTokens, temperature: s.temperature, topK: s.topK, topP: s.topP, rng: s.temperature > 0 ? rng : undefined });
    } catch (err) {
      // top-k / top-p sampling refuses NaN probabilities: name the cause, not the symptom
      checkFiniteOutput(generate(model, [ids], { maxNewTokens: 1, temperature: 0 }).logProbs[0]);
      throw err;
    }
    checkFiniteOutput(gen.logProbs[0]);
    const tokens = gen.tokens[0];
    const body = gen.finished[0] ? tokens.slice(0, -1) : tokens;
    return { completion: tok.decode(body), tokens: tokens.length, finished: gen.finished[0] };
  };
}

function checkFiniteOutput(logProbs: readonly number[]): void {
  if (!logProbs.every(Number.isFinite)) {
    throw new ModelOutputError("the model's output is not a number (NaN logits): its weights hold NaN or ±Infinity, or values so large they overflow");
  }
}
