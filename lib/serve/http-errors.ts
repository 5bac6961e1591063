/**
 * Every error the HTTP server answers, as OpenAI's error object, so its clients raise their usual
 * exceptions (AuthenticationError, RateLimitError, BadRequestError, …) with our message:
 *
 *   {"error": {"message": "max_tokens must be an integer in [1, 63], got 5000", "type": "invalid_request_error", "param": "max_tokens", "code": null}}
 *
 * | status | when                                                  | type                  | code                  |
 * |--------|-------------------------------------------------------|-----------------------|-----------------------|
 * | 400    | not JSON, not UTF-8, a field wrong or unknown         | invalid_request_error | null                  |
 * | 401    | token missing or wrong (+ WWW-Authenticate: Bearer)    | invalid_request_error | invalid_api_key       |
 * | 404    | no such route, or no such model                       | invalid_request_error | model_not_found / unknown_url |
 * | 413    | body larger than the cap                              | invalid_request_error | body_too_large        |
 * | 415    | body not sent as application/json                     | invalid_request_error | unsupported_media_type |
 * | 429    | over the rate limit (+ Retry-After)                   | rate_limit_error      | rate_limit_exceeded   |
 * | 500    | the model's output is NaN; a failure of ours          | server_error          | model_output_nan / null |
 * | 503    | the queue is full (+ Retry-After), or shutting down   | server_error          | queue_full / shutting_down |
 * | 504    | the answer took longer than the request timeout       | server_error          | timeout               |
 *
 * (A request whose headers and body take longer than the receive timeout to arrive gets Node's own
 * bare 408 and its connection closed: a slow sender is not worth a JSON answer.)
 *
 * A 5xx that is our own failure is logged with its stack and answered without it, a model whose
 * output is NaN with its message; nothing else is logged, so no request body or header (a token)
 * reaches the log.
 */
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { ModelNotFoundError } from "./openai-completions";
import { ModelOutputError, RequestError } from "./request";
import { QueueFullError } from "./work-queue";

export interface OpenAiError {
  error: { message: string; type: string; param: string | null; code: string | null };
}

/** The request's deadline passed before its answer was ready (HTTP 504). */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`the request took longer than the server's timeout (${ms} ms); ask for fewer tokens or try again when it is less busy`);
    this.name = "DeadlineError";
  }
}

export function openAiError(message: string, type: string, param: string | null = null, code: string | null = null): OpenAiError {
  return { error: { message, type, param, code } };
}

/** Status, body and extra headers for any error thrown while answering a request (`ctx`: the server's body cap and the request's content type, for the messages). */
export function describeError(err: unknown, ctx: { bodyLimit?: number; contentType?: string } = {}): { status: number; body: OpenAiError; headers?: Record<string, string>; ours: boolean; note?: string } {
  const invalid = (status: number, message: string, param: string | null = null, code: string | null = null) =>
    ({ status, body: openAiError(message, "invalid_request_error", param, code), ours: false });
  if (err instanceof ModelNotFoundError) return invalid(404, err.message, err.param, "model_not_found");
  if (err instanceof RequestError) return invalid(400, err.message, err.param);
  if (err instanceof ModelOutputError) return { status: 500, body: openAiError(err.message, "server_error", null, "model_output_nan"), ours: false, note: err.message };
  if (err instanceof QueueFullError) {
    return { status: 503, body: openAiError(err.message, "server_error", null, "queue_full"), headers: { "retry-after": String(err.retryAfterSeconds) }, ours: false };
  }
  if (err instanceof DeadlineError) return { status: 504, body: openAiError(err.message, "server_error", null, "timeout"), ours: false };
  const e = err as Partial<FastifyError> & { statusCode?: number };
  switch (e.code) {
    case "FST_BEARER_AUTH_MISSING_AUTHORIZATION_HEADER":
      return { ...invalid(401, "no token: send the header Authorization: Bearer <token> (the token the server was started with)", null, "invalid_api_key"), headers: { "www-authenticate": "Bearer" } };
    case "FST_BEARER_AUTH_INVALID_AUTHORIZATION_HEADER":
      return { ...invalid(401, "wrong token, or an Authorization header that is not \"Bearer <token>\"", null, "invalid_api_key"), headers: { "www-authenticate": 'Bearer error="invalid_token"' } };
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return invalid(413, `the body is larger than the server's cap${ctx.bodyLimit ? ` of ${ctx.bodyLimit} bytes` : ""}`, null, "body_too_large");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE": {
      const got = ctx.contentType ? ` (got ${ctx.contentType.length > 80 ? `${ctx.contentType.slice(0, 80)}…` : ctx.contentType})` : "";
      return invalid(415, `send the body as JSON, with the header Content-Type: application/json${got}`, null, "unsupported_media_type");
    }
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return invalid(400, "the body's length does not match its Content-Length header");
    case "shutting_down":
      return { status: 503, body: openAiError(e.message ?? "shutting down", "server_error", null, "shutting_down"), headers: { connection: "close" }, ours: false };
    case "rate_limit_exceeded":
      return { status: 429, body: openAiError(e.message ?? "rate limit exceeded", "rate_limit_error", null, "rate_limit_exceeded"), ours: false };
  }
  if (typeof e.statusCode === "number" && e.statusCode >= 400 && e.statusCode < 500) return invalid(e.statusCode, e.message ?? "bad request");
  return { status: 500, body: openAiError("the server failed to answer this request (its log says why)", "server_error"), ours: true };
}

/** Answers `err` on `reply` (OpenAI's error object); a failure of ours is logged with its stack. */
export function sendError(reply: FastifyReply, err: unknown, log: (text: string) => void, bodyLimit?: number): FastifyReply {
  const d = describeError(err, { bodyLimit, contentType: reply.request.headers["content-type"] });
  if (d.ours || d.note) log(`${reply.request.method} ${reply.request.routeOptions.url ?? "?"}: ${d.note ?? (err instanceof Error ? err.stack : String(err))}`);
  if (d.headers) reply.headers(d.headers);
  return reply.code(d.status).type("application/json").send(d.body);
}

/**
 * OpenAI-shaped answers for errors, and for routes that do not exist (naming those that do: an
 * unauthenticated request never gets this far, so only token holders see the list). Call it before
 * adding routes: it keeps a list of them as they are added ("GET /healthz", …), and returns it.
 */
export function registerErrorHandlers(app: FastifyInstance, log: (text: string) => void, bodyLimit: number): readonly string[] {
  const routes: string[] = [];
  app.addHook("onRoute", (r) => {
    for (const m of [r.method].flat()) if (m !== "HEAD") routes.push(`${m} ${r.url}`);
  });
  app.setErrorHandler((err, _request, reply) => sendError(reply, err, log, bodyLimit));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split("?")[0];
    reply.code(404).send(openAiError(`no route ${request.method} ${path.length > 200 ? `${path.slice(0, 200)}…` : path} on this server; it answers ${routes.join(", ")}`, "invalid_request_error", null, "unknown_url"));
  });
  return routes;
}
