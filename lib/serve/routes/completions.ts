/**
 * OpenAI's completions API over HTTP for a GPT-2 (the request and reply objects are
 * lib/serve/openai-completions.ts's; generation is lib/serve/batch-generate.ts's):
 *
 *   GET  /v1/models            {"object": "list", "data": [{"id": NAME, "object": "model", "created", "owned_by": "tsrl"}]}
 *   GET  /v1/models/NAME       that model, or 404 model_not_found
 *   POST /v1/completions       a text_completion object, or with "stream": true server-sent events:
 *                              one `data: {chunk}` per piece of text as it is sampled, one per choice
 *                              with its finish_reason, (with stream_options.include_usage) one with
 *                              the usage, then `data: [DONE]`
 *
 * A streamed request's headers go out with its first piece of text, so until then every failure
 * (queue full, timeout, NaN model) is an ordinary status code; after, it is a `data: {"error": …}`
 * event (which OpenAI's clients raise as an APIError), then the end of the stream.
 * (POST /v1/chat/completions — issue 18 — joins these routes in a module of its own.)
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import type { Rng } from "../../core/rng";
import type { BatchGenerator } from "../batch-generate";
import { describeError, sendError } from "../http-errors";
import { completionChunk, completionId, completionObject, completionRows, completionUsage, ModelNotFoundError, parseCompletionRequest, type CompletionLimits, type CompletionModel } from "../openai-completions";

export interface CompletionFace {
  served: CompletionModel;
  generator: BatchGenerator;
  limits: CompletionLimits;
  /** The server's sampling stream, for requests without a seed. */
  rng: Rng;
  /** Unix seconds: the model's `created` in /v1/models. */
  created: number;
  log: (text: string) => void;
}

const modelSchema = { type: "object", properties: { id: { type: "string" }, object: { type: "string" }, created: { type: "integer" }, owned_by: { type: "string" } } } as const;
const choiceSchema = { type: "object", properties: { text: { type: "string" }, index: { type: "integer" }, logprobs: { type: "null" }, finish_reason: { type: "string" } } } as const;
const usageSchema = { type: "object", properties: { prompt_tokens: { type: "integer" }, completion_tokens: { type: "integer" }, total_tokens: { type: "integer" } } } as const;
const completionSchema = {
  type: "object",
  properties: { id: { type: "string" }, object: { type: "string" }, created: { type: "integer" }, model: { type: "string" }, choices: { type: "array", items: choiceSchema }, usage: usageSchema },
} as const;

export function registerCompletionRoutes(app: FastifyInstance, face: CompletionFace): void {
  const model = { id: face.served.name, object: "model", created: face.created, owned_by: "tsrl" };
  app.get("/v1/models", { schema: { response: { 200: { type: "object", properties: { object: { type: "string" }, data: { type: "array", items: modelSchema } } } } } }, async () => ({ object: "list", data: [model] }));
  app.get<{ Params: { model: string } }>("/v1/models/:model", { schema: { response: { 200: modelSchema } } }, async (request) => {
    if (request.params.model !== face.served.name) throw new ModelNotFoundError(`the model "${request.params.model.slice(0, 100)}" does not exist here; this server serves "${face.served.name}"`);
    return model;
  });

  app.post("/v1/completions", { schema: { response: { 200: completionSchema } } }, async (request, reply) => {
    const plan = parseCompletionRequest(request.body, face.served, face.limits);
    const head = { id: completionId(), created: Math.floor(Date.now() / 1000), model: face.served.name };
    if (!plan.stream) return completionObject(head, plan, await face.generator.submit(completionRows(plan, face.rng), request.answerSignal));

    const stream = openStream(reply);
    const rows = completionRows(plan, face.rng, {
      onText: (index, text) => stream.send(completionChunk(head, plan, { index, text, finishReason: null })),
      onEnd: (index, r) => stream.send(completionChunk(head, plan, { index, text: "", finishReason: r.finishReason })), // each choice's end as it ends
    });
    try {
      const results = await face.generator.submit(rows, request.answerSignal);
      if (plan.includeUsage) stream.send(completionChunk(head, plan, null, completionUsage(plan, results)));
      stream.end();
    } catch (err) {
      if (!stream.started) return sendError(reply, err, face.log);
      const d = describeError(err);
      if (d.ours || d.note) face.log(`POST /v1/completions (streaming): ${d.note ?? (err instanceof Error ? err.stack : String(err))}`);
      stream.send(d.body);
      stream.end();
    }
    return reply;
  });
}

/**
 * Server-sent events on `reply`, started (headers written, the reply taken from Fastify) by the
 * first event, so that a request refused before any text is an ordinary error status.
 */
function openStream(reply: FastifyReply) {
  const raw = reply.raw;
  const state = { started: false };
  const start = () => {
    if (state.started) return;
    state.started = true;
    reply.hijack();
    raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
    });
  };
  return {
    get started() {
      return state.started;
    },
    send(event: object) {
      start();
      if (!raw.destroyed) raw.write(`data: ${JSON.stringify(event)}\n\n`);
    },
    end() {
      start();
      if (!raw.destroyed) raw.end("data: [DONE]\n\n");
    },
  };
}
