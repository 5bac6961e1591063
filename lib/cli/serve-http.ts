/**
 * The HTTP face of `tsrl serve DIR --port N`, shared by every kind of checkpoint: the flags, where
 * the token comes from, the server's life (listen, then a graceful stop on SIGTERM or Ctrl-C).
 * What is served is the caller's: it adds its routes to the app (lib/serve/routes).
 *
 * The token: `--token-file FILE` (its contents, surrounding whitespace trimmed), else the
 * environment's TSRL_SERVE_TOKEN; with neither, the server makes one, prints it once on stderr, and
 * will only listen on loopback. A non-loopback --host without a token is refused (exit 2).
 *
 * Once listening, one JSON line on stdout says where ({"url", "routes"}; with --port 0 the port the
 * system chose); progress and the made token go to stderr. SIGTERM stops taking requests, finishes
 * those in flight (at most --timeout-ms more) and exits 0; Ctrl-C does the same and exits 130; a
 * second signal exits at once.
 */
import * as fs from "node:fs";
import type { FastifyInstance } from "fastify";
import { createServer, DEFAULT_LIMITS, type ServeLimits } from "../serve/app";
import { isLoopback, makeToken, tokenProblem } from "../serve/auth";
import type { FlagSpec, ParsedArgs } from "./args";

export const DEFAULT_QUEUE = 64;

export const HTTP_FLAGS: readonly FlagSpec[] = [
  { name: "port", type: "integer", help: "serve over HTTP on this port (0: a free port, printed)" },
  { name: "host", type: "string", help: "address to listen on; any but loopback needs a token", default: "127.0.0.1" },
  { name: "token-file", type: "string", help: "file holding the bearer token (else $TSRL_SERVE_TOKEN; with neither, one is made and printed on stderr)" },
  { name: "rate-limit", type: "integer", help: "requests per minute per token, 429 above (0: no limit)", default: DEFAULT_LIMITS.ratePerMinute },
  { name: "max-body-bytes", type: "integer", help: "largest request body, 413 above", default: DEFAULT_LIMITS.bodyBytes },
  { name: "timeout-ms", type: "integer", help: "longest a request may take, 504 after", default: DEFAULT_LIMITS.timeoutMs },
  { name: "queue", type: "integer", help: "most requests (GPT-2: completions) waiting; more get 503", default: DEFAULT_QUEUE },
];

export interface HttpSettings {
  port: number;
  host: string;
  tokenFile?: string;
  limits: ServeLimits;
  queue: number;
}

/** The HTTP settings of the flags, or the usage problem (the caller prints it and exits 2). */
export function httpSettings(flags: ParsedArgs["flags"]): HttpSettings | string {
  const port = flags.port as number;
  if (!(port >= 0 && port <= 65535)) return `--port ${port}: expected a port number in [0, 65535] (0: any free port)`;
  const positive: [string, number | undefined, number][] = [
    ["max-body-bytes", flags["max-body-bytes"] as number | undefined, DEFAULT_LIMITS.bodyBytes],
    ["timeout-ms", flags["timeout-ms"] as number | undefined, DEFAULT_LIMITS.timeoutMs],
    ["queue", flags.queue as number | undefined, DEFAULT_QUEUE],
  ];
  for (const [name, v] of positive) if (v !== undefined && !(v >= 1)) return `--${name} ${v}: expected a positive integer`;
  const rate = (flags["rate-limit"] as number | undefined) ?? DEFAULT_LIMITS.ratePerMinute;
  if (!(rate >= 0)) return `--rate-limit ${rate}: expected requests per minute, 0 or more (0: no limit)`;
  return {
    port,
    host: (flags.host as string | undefined) ?? "127.0.0.1",
    tokenFile: flags["token-file"] as string | undefined,
    limits: { ...DEFAULT_LIMITS, bodyBytes: positive[0][1] ?? positive[0][2], timeoutMs: positive[1][1] ?? positive[1][2], ratePerMinute: rate },
    queue: positive[2][1] ?? positive[2][2],
  };
}

/** The token and where it came from, or a problem and its exit code (1: a bad file; 2: bad usage). */
export function resolveToken(s: Pick<HttpSettings, "tokenFile" | "host">, env: NodeJS.ProcessEnv = process.env): { token: string; made: boolean; source: string } | { problem: string; code: number } {
  if (s.tokenFile !== undefined) {
    let text: string;
    try {
      text = fs.readFileSync(s.tokenFile, "utf8");
    } catch (err) {
      return { problem: `--token-file ${s.tokenFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, code: 1 };
    }
    const token = text.trim();
    const problem = tokenProblem(token);
    return problem ? { problem: `--token-file ${s.tokenFile}: not a usable token: ${problem}`, code: 1 } : { token, made: false, source: `--token-file ${s.tokenFile}` };
  }
  const fromEnv = env.TSRL_SERVE_TOKEN;
  if (fromEnv !== undefined && fromEnv !== "") {
    const token = fromEnv.trim();
    const problem = tokenProblem(token);
    return problem ? { problem: `TSRL_SERVE_TOKEN is not a usable token: ${problem}`, code: 2 } : { token, made: false, source: "TSRL_SERVE_TOKEN" };
  }
  if (!isLoopback(s.host)) {
    return { problem: `refusing to listen on ${s.host} without a token: anyone who can reach it could use the model. Give --token-file FILE or set TSRL_SERVE_TOKEN, or listen on 127.0.0.1 (a token is then made for you)`, code: 2 };
  }
  return { token: makeToken(), made: true, source: "made for this run" };
}

/** What a caller serves (it has added its routes): one line for stderr, and when its queues are empty. */
export interface Mount {
  what: string;
  idle?: () => Promise<void>;
  /** At shutdown, after the last request: stop what runs in the background (else `idle` is awaited). */
  close?: () => Promise<void>;
}

export interface RunHttpOptions {
  /** The verb, for messages ("serve"). */
  verb?: string;
  /** On loopback with no token given, serve without auth rather than make a token (the playground). */
  noTokenOnLoopback?: boolean;
  /** Called once listening, with the URL and the token (undefined: no auth). */
  onListening?: (url: string, token: string | undefined) => void;
}

/**
 * Runs the server until SIGTERM (0) or Ctrl-C (130), returning once the last request is answered.
 * `mount` adds the routes. Exit 1 when it cannot listen (the port is taken) or the token file is
 * bad, 2 for a refused token or host.
 */
export async function runHttpServer(s: HttpSettings, mount: (app: FastifyInstance) => Mount, opts: RunHttpOptions = {}): Promise<number> {
  const say = (text: string) => console.error(`tsrl ${opts.verb ?? "serve"}: ${text}`);
  const noAuth = opts.noTokenOnLoopback === true && s.tokenFile === undefined && !process.env.TSRL_SERVE_TOKEN && isLoopback(s.host);
  const token = noAuth ? { token: undefined, made: false, source: "none: loopback only, no auth" } : resolveToken(s);
  if ("problem" in token) {
    say(token.problem);
    return token.code;
  }
  const app = await createServer({ host: s.host, token: token.token, limits: s.limits });
  const served = mount(app);
  let url: string;
  try {
    url = await app.listen({ host: s.host, port: s.port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    say(e.code === "EADDRINUSE" ? `port ${s.port} on ${s.host} is in use; choose another with --port (0: any free port)` : `cannot listen on ${s.host}:${s.port}: ${e.message}`);
    return 1;
  }
  if (token.made) say(`no token given (--token-file or TSRL_SERVE_TOKEN); this run's token, shown once: ${token.token}`);
  say(`${served.what}; listening on ${url} (token: ${token.source}). SIGTERM or Ctrl-C stops it after the requests in flight.`);
  console.log(JSON.stringify({ url, routes: app.routeList }));
  opts.onListening?.(url, token.token);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
  say(`${signal}: finishing the requests in flight, taking no new ones (${signal} again: stop now)`);
  const now = () => { say("stopped at once"); process.exit(signal === "SIGINT" ? 130 : 1); };
  process.once("SIGTERM", now);
  process.once("SIGINT", now);
  const force = setTimeout(() => { say(`requests still in flight after ${s.limits.timeoutMs + 5000} ms; stopping`); process.exit(1); }, s.limits.timeoutMs + 5000);
  force.unref();
  await app.close();
  await (served.close ?? served.idle)?.();
  clearTimeout(force);
  process.off("SIGTERM", now);
  process.off("SIGINT", now);
  say("stopped");
  return signal === "SIGINT" ? 130 : 0;
}
