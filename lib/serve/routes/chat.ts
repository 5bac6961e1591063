/**
 * POST /v1/chat/completions for a conversation agent, in OpenAI's chat shape (the body is
 * ../chat.ts's request: `messages`, and optionally `max_tokens`, `temperature`, `seed`, `model`):
 *
 *   {"messages": [{"role": "user", "content": "When will order 4471 arrive?"}], "temperature": 0}
 *   → {"id": "chatcmpl-1", "object": "chat.completion", "created": …, "model": "…",
 *      "choices": [{"index": 0, "message": {"role": "assistant", "content": "<call>lookup order 4471</call>"}, "finish_reason": "stop"}],
 *      "usage": {"prompt_tokens": 21, "completion_tokens": 11, "total_tokens": 32}}
 *
 * One request at a time through a bounded queue (503 when full); auth, limits and error answers are
 * the server's (../app.ts), a bad field a 400 naming it (../request.ts).
 */
import type { FastifyInstance } from "fastify";
import { createRng, type Rng } from "../../core/rng";
import type { ChatFormat } from "../../envs/conversation/messages";
import type { Gpt2 } from "../../nn/gpt2/model";
import type { Gpt2Tokenizer } from "../../nn/gpt2/tokenizer";
import { chatReply, chatSettings, type ChatDefaults } from "../chat";
import { checkFields, optionalInteger, RequestError } from "../request";
import type { WorkQueue } from "../work-queue";

export interface ChatRouteOptions {
  model: Gpt2;
  tokenizer: Gpt2Tokenizer;
  chat: ChatFormat;
  name: string;
  defaults: ChatDefaults;
  /** Sampling stream of requests without a seed. */
  rng: Rng;
  queue: WorkQueue;
  created: number;
}

const message = { type: "object", required: ["role", "content"], properties: { role: { type: "string" }, content: { type: "string" } } };
const REPLY = {
  type: "object",
  required: ["id", "object", "created", "model", "choices", "usage"],
  properties: {
    id: { type: "string" }, object: { type: "string" }, created: { type: "integer" }, model: { type: "string" },
    choices: { type: "array", items: { type: "object", required: ["index", "message", "finish_reason"], properties: { index: { type: "integer" }, message, finish_reason: { type: "string" } } } },
    usage: { type: "object", properties: { prompt_tokens: { type: "integer" }, completion_tokens: { type: "integer" }, total_tokens: { type: "integer" } } },
  },
};

export function registerChatRoute(app: FastifyInstance, o: ChatRouteOptions): void {
  let served = 0;
  app.post("/v1/chat/completions", { schema: { response: { 200: REPLY } } }, (request) => o.queue.run(() => {
    const body = checkFields(request.body, ["messages", "max_new_tokens", "max_tokens", "temperature", "model", "seed"], '{"messages": [{"role": "user", "content": "..."}]}');
    if (body.model !== undefined && body.model !== o.name) throw new RequestError(`model must be ${JSON.stringify(o.name)} (the one model served), got ${JSON.stringify(body.model)}`);
    const seed = optionalInteger(body, "seed", 0, 0xffffffff);
    const s = chatSettings(body, o.model, o.defaults);
    const r = chatReply(o.model, o.tokenizer, o.chat, s, seed !== undefined ? createRng(seed) : o.rng);
    return {
      id: `chatcmpl-${++served}`, object: "chat.completion", created: o.created, model: o.name,
      choices: [{ index: 0, message: r.message, finish_reason: r.finished ? "stop" : "length" }],
      usage: { prompt_tokens: r.promptTokens, completion_tokens: r.tokens, total_tokens: r.promptTokens + r.tokens },
    };
  }, request.answerSignal));
}
