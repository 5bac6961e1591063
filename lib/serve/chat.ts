/**
 * The chat request of a conversation agent (a GPT-2 trained by GRPO over episodes): the conversation
 * so far in, the agent's next message out — what `tsrl serve DIR --stdio` answers per line and
 * POST /v1/chat/completions per request (./routes/chat.ts, in OpenAI's chat shape).
 *
 *   {"messages": [{"role": "user", "content": "When will order 4471 arrive?"}], "temperature": 0}
 *   → {"message": {"role": "assistant", "content": "<call>lookup order 4471</call>"}, "tokens": 11, "finished": true}
 *
 * Roles are OpenAI's: user, assistant, tool (also system, which the chat format writes as a user
 * line). The model reads the conversation in its environment's chat format ("Customer: …\nAgent: …"),
 * the last positions only when it is long, and writes until the end of its line (one turn) or
 * `max_new_tokens`. A tool call comes back as text, exactly as the agent wrote it; running the
 * tool is the client's job (or the environment's, in training).
 */
import type { Rng } from "../core/rng";
import { NEWLINE_ID } from "../algos/conversation-rollout";
import { encodeConversation, type ChatFormat, type Message } from "../envs/conversation/messages";
import { generate } from "../nn/gpt2/generate";
import type { Gpt2 } from "../nn/gpt2/model";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { checkFields, excerpt, ModelOutputError, optionalInteger, optionalNumber, RequestError, type RequestHandler } from "./request";

export interface ChatDefaults {
  maxNewTokens: number;
  temperature: number;
}

const FIELDS = ["messages", "max_new_tokens", "max_tokens", "temperature", "model", "seed"];
const EXAMPLE = '{"messages": [{"role": "user", "content": "..."}]}';
const ROLES: Record<string, Message["role"]> = { user: "user", system: "user", assistant: "assistant", tool: "tool" };

/** The request's messages and settings, each field checked by name. */
export function chatSettings(request: unknown, model: Pick<Gpt2, "config">, defaults: ChatDefaults): { messages: Message[] } & ChatDefaults {
  const r = checkFields(request, FIELDS, EXAMPLE);
  if (!Array.isArray(r.messages) || r.messages.length === 0) throw new RequestError(`messages must be a non-empty array of {role, content}, got ${excerpt(r.messages)}`);
  const messages = r.messages.map((m: unknown, i: number): Message => {
    const o = m as { role?: unknown; content?: unknown } | null;
    if (typeof o !== "object" || o === null) throw new RequestError(`messages[${i}] must be an object {role, content}, got ${excerpt(m)}`);
    const role = typeof o.role === "string" ? ROLES[o.role] : undefined;
    if (!role) throw new RequestError(`messages[${i}].role must be one of user, assistant, tool, system, got ${excerpt(o.role)}`);
    if (typeof o.content !== "string") throw new RequestError(`messages[${i}].content must be a string, got ${excerpt(o.content)}`);
    if (o.content.includes("\n")) throw new RequestError(`messages[${i}].content must be one line (the chat format ends a turn at a newline)`);
    return { role, content: o.content };
  });
  const limit = model.config.nPositions - 1;
  return {
    messages,
    maxNewTokens: optionalInteger(r, "max_new_tokens", 1, limit) ?? optionalInteger(r, "max_tokens", 1, limit) ?? defaults.maxNewTokens,
    temperature: optionalNumber(r, "temperature", 0, 100) ?? defaults.temperature,
  };
}

export interface ChatReply {
  message: { role: "assistant"; content: string };
  /** Tokens the agent wrote (its closing newline included). */
  tokens: number;
  /** The turn ended with a newline (false: max_new_tokens cut it). */
  finished: boolean;
  promptTokens: number;
}

/** The agent's next message for a conversation (the module comment's request). */
export function chatReply(model: Gpt2, tok: Gpt2Tokenizer, chat: ChatFormat, s: { messages: Message[] } & ChatDefaults, rng: Rng | undefined): ChatReply {
  const ids = encodeConversation(chat, tok, s.messages, { startId: tok.eosId, openAgentTurn: true }).ids;
  const room = model.config.nPositions - s.maxNewTokens;
  const prompt = ids.slice(Math.max(0, ids.length - room));
  const gen = generate(model, [prompt], { maxNewTokens: s.maxNewTokens, eosId: NEWLINE_ID, temperature: s.temperature, greedy: s.temperature === 0, rng: s.temperature > 0 ? rng : undefined });
  if (!gen.logProbs[0].every(Number.isFinite)) throw new ModelOutputError("the model's output is not a number (NaN logits): its weights hold NaN or ±Infinity");
  const tokens = gen.tokens[0];
  const text = tok.decode(tokens);
  const cut = text.indexOf("\n");
  return { message: { role: "assistant", content: (cut >= 0 ? text.slice(0, cut) : text).trim() }, tokens: tokens.length, finished: cut >= 0, promptTokens: prompt.length };
}

export function createChatHandler(model: Gpt2, tok: Gpt2Tokenizer, chat: ChatFormat, defaults: ChatDefaults, rng: Rng): RequestHandler {
  return (request: unknown) => {
    const r = chatReply(model, tok, chat, chatSettings(request, model, defaults), rng);
    return { message: r.message, tokens: r.tokens, finished: r.finished };
  };
}
