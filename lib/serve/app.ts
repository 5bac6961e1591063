/**
 * The HTTP server of `tsrl serve DIR --port N` (and of the playground): a Fastify instance with auth,
 * limits and OpenAI-shaped errors, to which the caller adds the routes of what it serves
 * (lib/serve/routes: completions and models for a GPT-2, act for a policy, edit for the edit agent).
 *
 *   const app = await createServer({ host: "127.0.0.1", token });
 *   registerCompletionRoutes(app, { … });      // or registerActRoute, registerEditRoute, a playground's own
 *   await app.listen({ host: "127.0.0.1", port: 8000 });
 *
 * Why Fastify: it is maintained by a large team (OpenJS Foundation), has no install scripts, runs on
 * Node 20, and its plugins do the two jobs we must not hand-write: @fastify/rate-limit (per-key
 * windows, Retry-After) and @fastify/bearer-auth (the header's parsing and error paths; the
 * comparison stays ours, constant-time on digests: lib/serve/auth.ts). Its body parsing is bounded
 * (bodyLimit, 413) before any handler runs, errors flow to one handler, hooks run in a fixed order,
 * and `close()` finishes the requests in flight — what a graceful SIGTERM needs. Express would need
 * the same plugins from several authors; node:http alone would mean writing the parsing, limits
 * and shutdown ourselves.
 *
 * Validation: a request body is checked by its handler (lib/serve/act.ts, edit.ts,
 * openai-completions.ts) — the same code `tsrl serve --stdio` runs, so both transports refuse the
 * same requests with the same message naming the field. Fastify's JSON schemas are used for what
 * only HTTP has: the replies (serialised by schema, so no stray field leaves) — not for bodies, which
 * would be a second, diverging validation.
 *
 * What every request goes through, in order:
 *   1. shutting down?           503 shutting_down (Connection: close)
 *   2. its deadline starts      timeoutMs; request.answerSignal aborts then, or when the client goes away
 *   3. auth (unless public)     401 + WWW-Authenticate: Bearer (auth.ts); skipped when no token
 *   4. rate limit per token     429 + Retry-After (@fastify/rate-limit; GET /healthz exempt)
 *   5. body                     application/json only (415), at most bodyBytes (413), UTF-8 and JSON (400)
 *   6. the route's handler      400 naming the field, 503 queue_full, 504 timeout, 500 NaN model
 * and at the socket: headers and body must arrive within receiveTimeoutMs (Node answers 408 and
 * closes: slow senders do not hold a connection), at most maxConnections at once.
 *
 * Bodies must be application/json: besides being what OpenAI's clients send, it keeps a web page in
 * a browser from posting to a token-less server on localhost (the playground's), because a
 * cross-site JSON request needs a CORS preflight this server never grants.
 */
import Fastify, { type FastifyInstance } from "fastify";
import rateLimit from "@fastify/rate-limit";
import { isLoopback, registerBearerAuth } from "./auth";
import { DeadlineError, registerErrorHandlers } from "./http-errors";
import { RequestError } from "./request";

export interface ServeLimits {
  /** Largest request body, bytes (413 above). */
  bodyBytes: number;
  /** Requests per minute per token (429 above, with Retry-After); 0 = no limit. */
  ratePerMinute: number;
  /** Longest a request may take from arrival to its answer's end, ms (504, or a streamed error, after). */
  timeoutMs: number;
  /** Longest a request's headers and body may take to arrive, ms (Node's 408 and a closed connection after). */
  receiveTimeoutMs: number;
  /** Most open connections; more are refused. */
  maxConnections: number;
}

export const DEFAULT_LIMITS: Readonly<ServeLimits> = Object.freeze({
  bodyBytes: 1024 * 1024,
  ratePerMinute: 600,
  timeoutMs: 60_000,
  receiveTimeoutMs: 10_000,
  maxConnections: 256,
});

export interface ServerOptions {
  /** Where it will listen (checked here: without a token only loopback is allowed). */
  host: string;
  /** The bearer token every non-public route needs; undefined: no auth (loopback only). */
  token?: string;
  limits?: Partial<ServeLimits>;
  /** Where the server's own failures are described; default stderr. Requests are not logged. */
  log?: (text: string) => void;
}

declare module "fastify" {
  interface FastifyRequest {
    /** Aborts when the request's deadline passes (reason: DeadlineError) or its client goes away. */
    answerSignal: AbortSignal;
  }
  interface FastifyInstance {
    /** The limits this server was made with. */
    limits: Readonly<ServeLimits>;
    /** Its routes as they are added: "GET /healthz", "POST /v1/completions", … */
    routeList: readonly string[];
  }
}

/** Throws (naming the problem) when a host is not loopback and no token is given. */
export function checkExposure(host: string, token: string | undefined): void {
  if (token === undefined && !isLoopback(host)) {
    throw new RangeError(`refusing to listen on ${host} without a token: anyone who can reach it could use it. Give a token (--token-file FILE or TSRL_SERVE_TOKEN), or listen on 127.0.0.1`);
  }
}

export async function createServer(opts: ServerOptions): Promise<FastifyInstance> {
  checkExposure(opts.host, opts.token);
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  for (const [k, v] of Object.entries(limits)) if (!Number.isInteger(v) || v < 0 || (v === 0 && k !== "ratePerMinute")) throw new RangeError(`limits.${k} must be a positive integer, got ${v}`);
  const log = opts.log ?? ((text: string) => void process.stderr.write(`tsrl serve: ${text}\n`));

  const app = Fastify({
    logger: false, // nothing logs requests: a header may hold a token
    bodyLimit: limits.bodyBytes,
    requestTimeout: limits.receiveTimeoutMs,
    // Node checks the receive timeouts every connectionsCheckingInterval (default 30 s): often enough that a slow sender is cut near its deadline
    http: { connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.receiveTimeoutMs / 4))), headersTimeout: limits.receiveTimeoutMs },
    connectionTimeout: limits.timeoutMs + limits.receiveTimeoutMs, // a socket silent this long (a client that stopped reading) is closed
    return503OnClosing: false, // step 1 answers it, OpenAI-shaped
    forceCloseConnections: "idle",
  });
  app.server.maxConnections = limits.maxConnections;
  app.decorate("limits", limits);
  app.decorateRequest("answerSignal", null as unknown as AbortSignal);
  app.decorate("routeList", registerErrorHandlers(app, log, limits.bodyBytes));

  // Closing: new requests get a 503; a keep-alive connection is closed as soon as its request in
  // flight is answered (Node closes only the connections idle when close() starts).
  let closing = false;
  let sweeper: NodeJS.Timeout | undefined;
  app.addHook("preClose", (done) => {
    closing = true;
    sweeper = setInterval(() => app.server.closeIdleConnections(), 100);
    done();
  });
  app.addHook("onClose", (_instance, done) => { clearInterval(sweeper); done(); });
  app.addHook("onSend", (_request, reply, _payload, done) => {
    if (closing) reply.header("connection", "close");
    done();
  });
  app.addHook("onRequest", (request, reply, done) => {
    if (closing) return done(Object.assign(new Error("the server is shutting down; try again on another instance or later"), { code: "shutting_down" }));
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DeadlineError(limits.timeoutMs)), limits.timeoutMs);
    reply.raw.on("close", () => {
      clearTimeout(timer);
      if (!reply.raw.writableFinished) deadline.abort(new Error("the client went away"));
    });
    request.answerSignal = deadline.signal;
    done();
  });
  if (opts.token !== undefined) await registerBearerAuth(app, opts.token);
  if (limits.ratePerMinute > 0) {
    await app.register(rateLimit, {
      max: limits.ratePerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.tokenKey ?? request.ip,
      errorResponseBuilder: (_request, context) => Object.assign(new Error(`over the rate limit of ${context.max} requests per minute for this token; retry after ${context.after}`), { statusCode: 429, code: "rate_limit_exceeded" }),
    });
  }

  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (_request, body, done) => {
    if ((body as Buffer).length === 0) return done(new RequestError("the body is empty; expected a JSON object"), undefined);
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(new RequestError(`the body is not UTF-8 text (${(body as Buffer).length} bytes)`), undefined);
    }
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      const message = (err as Error).message;
      done(new RequestError(`the body is not JSON (${message.length > 120 ? `${message.slice(0, 120)}…` : message})`), undefined);
    }
  });

  app.get("/healthz", { config: { public: true, rateLimit: false }, schema: { response: { 200: { type: "object", properties: { status: { type: "string" } } } } } }, async () => ({ status: "ok" }));
  return app;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
