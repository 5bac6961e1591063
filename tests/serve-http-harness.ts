/**
 * The HTTP server of lib/serve in this process, on 127.0.0.1 and a free port the system picks:
 * `startGpt2Server` / `startPolicyServer` mount a checkpoint (as `tsrl serve --port` does, through
 * lib/serve/faces) with the limits a test asks for; `call` makes one request and keeps everything
 * (status, headers, body) for the test to look at; `sse` splits a server-sent-events body.
 */
import type { FastifyInstance } from "fastify";
import { loadPolicy } from "../lib/algos/registry";
import { createRng } from "../lib/core/rng";
import { loadGpt2, loadGpt2Tokenizer, type Gpt2 } from "../lib/nn/gpt2";
import { createServer, type ServeLimits } from "../lib/serve/app";
import type { BatchGenerator, BatchGeneratorOptions } from "../lib/serve/batch-generate";
import { mountGpt2, mountPolicy } from "../lib/serve/faces";
import type { CompletionLimits } from "../lib/serve/openai-completions";

export const TOKEN = "test-token-0123456789abcdef";

export interface TestServer {
  url: string;
  app: FastifyInstance;
  /** What the server logged (its own failures only). */
  logs: string[];
  close(): Promise<void>;
}

interface Common {
  token?: string | null;
  limits?: Partial<ServeLimits>;
  maxQueue?: number;
}

async function start(opts: Common, mount: (app: FastifyInstance, log: (t: string) => void) => void, after?: () => void): Promise<TestServer> {
  const logs: string[] = [];
  const log = (t: string) => void logs.push(t);
  const app = await createServer({ host: "127.0.0.1", token: opts.token === null ? undefined : (opts.token ?? TOKEN), limits: { ratePerMinute: 0, ...opts.limits }, log });
  mount(app, log);
  const url = await app.listen({ host: "127.0.0.1", port: 0 });
  return { url, app, logs, close: async () => { await app.close(); after?.(); } };
}

export async function startGpt2Server(dir: string, opts: Common & { name?: string; batch?: Partial<Omit<BatchGeneratorOptions, "maxQueue">>; completion?: Partial<Omit<CompletionLimits, "maxChoices">>; model?: Gpt2 } = {}): Promise<TestServer & { generator: BatchGenerator; model: Gpt2 }> {
  const model = opts.model ?? loadGpt2(dir);
  let generator!: BatchGenerator;
  const server = await start(opts, (app, log) => {
    generator = mountGpt2(app, model, loadGpt2Tokenizer(), { name: opts.name ?? "tiny", rng: createRng(0), maxQueue: opts.maxQueue ?? 64, batch: opts.batch, limits: opts.completion, created: 1_700_000_000, log }).generator;
  }, () => { if (!opts.model) model.dispose(); });
  return { ...server, generator, model };
}

export async function startPolicyServer(dir: string, opts: Common = {}): Promise<TestServer> {
  const policy = loadPolicy(dir);
  return start(opts, (app) => void mountPolicy(app, policy, { rng: createRng(0), maxQueue: opts.maxQueue ?? 64 }));
}

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One request. `body`: an object sent as JSON; `raw`: bytes sent as they are. The token is TOKEN unless given (null: none). */
export async function call(url: string, path: string, opts: { method?: string; token?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> } = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...(opts.token === null ? {} : { authorization: `Bearer ${opts.token ?? TOKEN}` }) };
  if (opts.body !== undefined || opts.raw !== undefined) headers["content-type"] = "application/json";
  Object.assign(headers, opts.headers);
  const r = await fetch(url + path, {
    method: opts.method ?? (opts.body !== undefined || opts.raw !== undefined ? "POST" : "GET"),
    headers,
    body: opts.raw ?? (opts.body !== undefined ? JSON.stringify(opts.body) : undefined),
  });
  const text = await r.text();
  return { status: r.status, headers: r.headers, text, json: () => JSON.parse(text) };
}

/** The events of a server-sent-events body: each `data:` payload, parsed unless it is [DONE]. */
export function sse(text: string): (Record<string, any> | "[DONE]")[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  return text.split("\n\n").filter((e) => e.trim() !== "").map((e) => {
    if (!e.startsWith("data: ")) throw new Error(`not a data event: ${JSON.stringify(e.slice(0, 80))}`);
    const data = e.slice(6);
    return data === "[DONE]" ? "[DONE]" : JSON.parse(data);
  });
}
