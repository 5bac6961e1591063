/**
 * The HTTP server (lib/serve/app and its routes) on 127.0.0.1, in process, on checkpoints written by
 * the test: auth (none, wrong, right; the token never in a body or the log), each limit (body size,
 * max_tokens, n, rate, queue, request and receive timeouts), malformed requests (400 naming the
 * field), OpenAI's completion object whole and streamed — checked with OpenAI's own `openai` client
 * too — stop strings, seeded requests that give the same text alone or batched, NaN models, and the
 * act and edit routes.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { gpt2FromWeights, loadGpt2, loadGpt2Tokenizer } from "../lib/nn/gpt2";
import { checkExposure, createServer } from "../lib/serve/app";
import { isLoopback, tokenChecker, tokenProblem } from "../lib/serve/auth";
import { resolveToken } from "../lib/cli/serve-http";
import { createWorkQueue, QueueFullError } from "../lib/serve/work-queue";
import { useServeFixtures } from "./serve-fixtures";
import { call, sse, startGpt2Server, startPolicyServer, TOKEN, type TestServer } from "./serve-http-harness";

const fixtures = useServeFixtures("http");
const tok = loadGpt2Tokenizer();
const EMPTY = [0, 0, 0, 0, 0, 0, 0, 0, 0];
const ERROR_KEYS = ["code", "message", "param", "type"];

/** Every test's server is closed when the file ends, even if the test failed first. */
const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});
const keep = <T extends TestServer>(s: T): T => (servers.push(s), s);

describe("auth", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = keep(await startGpt2Server(fixtures.fx.gpt2));
  });

  it("GET /healthz needs no token; every other route needs the right one", async () => {
    expect((await call(s.url, "/healthz", { token: null })).json()).toEqual({ status: "ok" });
    for (const [token, header] of [[null, "Bearer"], ["wrong-token-0123456789abcdef", 'Bearer error="invalid_token"'], ["x", 'Bearer error="invalid_token"'], [`${TOKEN}x`, 'Bearer error="invalid_token"'], [TOKEN.slice(0, -1), 'Bearer error="invalid_token"']] as const) {
      const r = await call(s.url, "/v1/models", { token });
      expect(r.status, `token ${token}`).toBe(401);
      expect(r.headers.get("www-authenticate")).toBe(header);
      expect(Object.keys(r.json().error).sort()).toEqual(ERROR_KEYS);
      expect(r.json().error).toMatchObject({ type: "invalid_request_error", code: "invalid_api_key" });
    }
    for (const authorization of [`Basic ${TOKEN}`, TOKEN, "Bearer", "Bearer ", `Bearer  ${TOKEN} extra`]) {
      expect((await call(s.url, "/v1/models", { token: null, headers: { authorization } })).status, authorization).toBe(401);
    }
    expect((await call(s.url, "/v1/models")).status).toBe(200);
    expect((await call(s.url, "/v1/models", { token: null, headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200); // the scheme is case-insensitive
  });

  it("an unauthenticated request learns nothing: an unknown route is a 401 too, not a 404 listing the routes", async () => {
    const r = await call(s.url, "/v1/act", { token: null, body: { obs: EMPTY } });
    expect(r.status).toBe(401);
    expect(r.text).not.toMatch(/completions/);
    const known = await call(s.url, "/v1/act", { body: { obs: EMPTY } });
    expect(known.status).toBe(404);
    expect(known.json().error.message).toBe("no route POST /v1/act on this server; it answers GET /healthz, GET /v1/models, GET /v1/models/:model, POST /v1/completions");
  });

  it("no token, right or wrong, reaches a body or the log", async () => {
    const wrong = "wrong-token-ABCDEFGHIJKLMNOP";
    const texts: string[] = [];
    for (const token of [wrong, TOKEN, null]) {
      for (const body of [{ model: "tiny", prompt: "hi", max_tokens: 2 }, { model: "tiny", max_tokens: 1e6 }, "not an object"]) {
        texts.push((await call(s.url, "/v1/completions", { token, body })).text);
      }
    }
    const all = texts.join("\n") + s.logs.join("\n");
    expect(all).not.toContain(TOKEN);
    expect(all).not.toContain(wrong);
  });

  it("compares digests in constant time: any length, never equal unless the same", () => {
    const check = tokenChecker(TOKEN);
    expect(check(TOKEN)).toBe(true);
    for (const t of ["", TOKEN.slice(0, -1), `${TOKEN}0`, TOKEN.toUpperCase(), "x".repeat(10_000)]) expect(check(t)).toBe(false);
  });

  it("takes the token from --token-file, then TSRL_SERVE_TOKEN; makes one only for loopback", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-token-"));
    try {
      const file = path.join(dir, "token");
      fs.writeFileSync(file, `  ${TOKEN}\n`);
      expect(resolveToken({ tokenFile: file, host: "0.0.0.0" }, { TSRL_SERVE_TOKEN: "ignored-token-0123456789" })).toEqual({ token: TOKEN, made: false, source: `--token-file ${file}` });
      expect(resolveToken({ host: "0.0.0.0" }, { TSRL_SERVE_TOKEN: TOKEN })).toEqual({ token: TOKEN, made: false, source: "TSRL_SERVE_TOKEN" });
      const made = resolveToken({ host: "127.0.0.1" }, {});
      expect(made).toMatchObject({ made: true });
      expect((made as { token: string }).token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(resolveToken({ host: "127.0.0.1" }, {})).not.toEqual(made);
      expect(resolveToken({ host: "0.0.0.0" }, {})).toEqual({ problem: expect.stringMatching(/^refusing to listen on 0.0.0.0 without a token/), code: 2 });
      expect(resolveToken({ host: "192.168.1.5" }, { TSRL_SERVE_TOKEN: "" })).toMatchObject({ code: 2 });
      expect(resolveToken({ tokenFile: path.join(dir, "missing"), host: "127.0.0.1" }, {})).toEqual({ problem: expect.stringMatching(/cannot read it \(ENOENT\)/), code: 1 });
      fs.writeFileSync(file, "short\n");
      expect(resolveToken({ tokenFile: file, host: "127.0.0.1" }, {})).toEqual({ problem: expect.stringMatching(/it has 5 characters; use at least 16/), code: 1 });
      expect(resolveToken({ host: "127.0.0.1" }, { TSRL_SERVE_TOKEN: "has a space in it, 12345" })).toMatchObject({ code: 2 });
      expect(tokenProblem("\u00e9".repeat(20))).toMatch(/printable ASCII/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses to make a token-less server on anything but loopback", async () => {
    for (const host of ["127.0.0.1", "127.5.0.9", "localhost", "::1", "[::1]"]) expect(isLoopback(host), host).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.org", "128.0.0.1"]) expect(isLoopback(host), host).toBe(false);
    expect(() => checkExposure("0.0.0.0", undefined)).toThrow(/refusing to listen on 0.0.0.0 without a token/);
    await expect(createServer({ host: "::", token: undefined })).rejects.toThrow(/without a token/);
    const open = await createServer({ host: "127.0.0.1" }); // the playground's case: loopback, no auth
    open.get("/x", async () => ({ ok: 1 }));
    const url = await open.listen({ host: "127.0.0.1", port: 0 });
    expect((await call(url, "/x", { token: null })).json()).toEqual({ ok: 1 });
    await open.close();
  });
});

describe("limits", () => {
  it("a body over the cap is a 413 without being read; a normal one still works", async () => {
    const s = keep(await startGpt2Server(fixtures.fx.gpt2, { limits: { bodyBytes: 2048 } }));
    const r = await call(s.url, "/v1/completions", { body: { model: "tiny", prompt: "x".repeat(5000) } });
    expect(r.status).toBe(413);
    expect(r.json().error).toEqual({ message: "the body is larger than the server's cap of 2048 bytes", type: "invalid_request_error", param: null, code: "body_too_large" });
    expect((await call(s.url, "/v1/completions", { body: { model: "tiny", prompt: "x", max_tokens: 2 } })).status).toBe(200);
  });

  it("max_tokens, n and the number of choices are capped, naming the field", async () => {
    const s = keep(await startGpt2Server(fixtures.fx.gpt2, { completion: { maxTokens: 20, maxN: 3 }, maxQueue: 8 }));
    const ask = async (body: object) => (await call(s.url, "/v1/completions", { body: { model: "tiny", prompt: "x", ...body } })).json().error;
    expect(await ask({ max_tokens: 21 })).toMatchObject({ param: "max_tokens", message: "max_tokens must be an integer in [1, 20], got 21" });
    expect(await ask({ n: 4 })).toMatchObject({ param: "n", message: "n must be an integer in [1, 3], got 4" });
    expect(await ask({ prompt: ["a", "b", "c"], n: 3, max_tokens: 1 })).toMatchObject({ param: "prompt", message: "3 prompts × n 3 = 9 completions; at most 8 per request" });
    const big = keep(await startGpt2Server(fixtures.fx.gpt2, { completion: { maxTokens: 1000 } }));
    expect((await call(big.url, "/v1/completions", { body: { model: "tiny", max_tokens: 64 } })).json().error.message).toBe("max_tokens must be an integer in [1, 63], got 64"); // the model has 64 positions
  });

  it("over the rate limit is a 429 with Retry-After; /healthz is exempt", async () => {
    const s = keep(await startGpt2Server(fixtures.fx.gpt2, { limits: { ratePerMinute: 3 } }));
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await call(s.url, "/v1/models"));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429, 429]);
    const limited = statuses[3];
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.json().error).toMatchObject({ type: "rate_limit_error", code: "rate_limit_exceeded", message: expect.stringMatching(/^over the rate limit of 3 requests per minute for this token; retry after/) });
    expect((await call(s.url, "/healthz", { token: null })).status).toBe(200);
    expect((await call(s.url, "/v1/models", { token: "other-token-0123456789" })).status).toBe(401); // auth comes first
  });

  it("a full queue is a 503 with Retry-After at once, while the queued requests are answered", async () => {
    const s = keep(await startGpt2Server(fixtures.fx.gpt2, { maxQueue: 2, batch: { windowMs: 1500 } }));
    const body = { model: "tiny", prompt: "x", max_tokens: 2 };
    const first = [call(s.url, "/v1/completions", { body }), call(s.url, "/v1/completions", { body })];
    await new Promise((resolve) => setTimeout(resolve, 300)); // both are waiting in the batch window
    const t0 = performance.now();
    const refused = await call(s.url, "/v1/completions", { body });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("1");
    expect(refused.json().error).toMatchObject({ type: "server_error", code: "queue_full" });
    expect((await Promise.all(first)).map((r) => r.status)).toEqual([200, 200]);
    expect(s.generator.stats()).toMatchObject({ batches: 1, rows: 2 });
  });

  it("the act queue: at most maxPending waiting or running, aborted waiters dropped, idle() when empty", async () => {
    const q = createWorkQueue({ maxPending: 2 });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const order: number[] = [];
    const a = q.run(async () => { await gate; order.push(1); return 1; });
    const gone = new AbortController();
    const b = q.run(() => { order.push(2); return 2; }, gone.signal);
    await expect(q.run(() => 3)).rejects.toBeInstanceOf(QueueFullError);
    gone.abort(new Error("client went away"));
    await expect(b).rejects.toThrow("client went away");
    const c = q.run(() => { order.push(3); return 3; });
    release();
    expect(await Promise.all([a, c])).toEqual([1, 3]);
    expect(order).toEqual([1, 3]);
    await q.idle();
    expect(q.pending).toBe(0);
  });

  it("a request past its deadline is a 504 (streamed: an error event after the text so far); the server goes on", async () => {
    const waiting = keep(await startGpt2Server(fixtures.fx.gpt2, { limits: { timeoutMs: 300 }, batch: { windowMs: 2000 } }));
    const t0 = performance.now();
    const r = await call(waiting.url, "/v1/completions", { body: { model: "tiny", prompt: "x", max_tokens: 2 } });
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(r.status).toBe(504);
    expect(r.json().error).toMatchObject({ type: "server_error", code: "timeout", message: expect.stringMatching(/longer than the server's timeout \(300 ms\)/) });

    // top_p < 1 on an untrained model sorts the whole vocabulary every token: 63 tokens take well over 400 ms
    const slow = keep(await startGpt2Server(fixtures.fx.gpt2, { limits: { timeoutMs: 400 }, batch: { windowMs: 0 } }));
    const streamed = await call(slow.url, "/v1/completions", { body: { model: "tiny", prompt: "x", max_tokens: 63, top_p: 0.5, stream: true } });
    expect(streamed.status).toBe(200);
    const events = sse(streamed.text);
    const error = events.findIndex((e) => e !== "[DONE]" && "error" in e);
    expect(error).toBeGreaterThan(0); // some text came first
    expect(events[error]).toMatchObject({ error: { code: "timeout", type: "server_error" } });
    expect(events.at(-1)).toBe("[DONE]");
    await slow.generator.idle();
    expect((await call(slow.url, "/v1/completions", { body: { model: "tiny", prompt: "x", max_tokens: 2 } })).status).toBe(200);
  });

  it("a client that goes away mid-generation has its rows dropped", async () => {
    const s = keep(await startGpt2Server(fixtures.fx.gpt2, { batch: { windowMs: 0 } }));
    const gone = new AbortController();
    const pending = fetch(`${s.url}/v1/completions`, { method: "POST", signal: gone.signal, headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ model: "tiny", prompt: "x", max_tokens: 63, top_p: 0.5 }) });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(s.generator.stats().runningRows).toBe(1);
    gone.abort();
    await expect(pending).rejects.toThrow();
    const t0 = performance.now();
    await s.generator.idle();
    expect(performance.now() - t0).toBeLessThan(1000); // not the ~2 s the 63 tokens would take
    expect(s.generator.stats().runningRows).toBe(0);
  });

  it("a client sending its request too slowly gets Node's 408 and its connection closed; others are served meanwhile", async () => {
    const s = keep(await startPolicyServer(fixtures.fx.ticTacToe, { limits: { receiveTimeoutMs: 600 } }));
    const { port } = new URL(s.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    let received = "";
    socket.on("data", (d) => (received += d));
    const closed = new Promise<number>((resolve) => socket.on("close", () => resolve(performance.now())));
    const t0 = performance.now();
    socket.write(`POST /v1/act HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"obs":`);
    const drip = setInterval(() => socket.writable && socket.write(" "), 100); // slowloris: a byte now and then, never done
    expect((await call(s.url, "/v1/act", { body: { obs: EMPTY } })).status).toBe(200);
    const t1 = await closed;
    clearInterval(drip);
    expect(received).toMatch(/^HTTP\/1.1 408/);
    expect(t1 - t0).toBeGreaterThan(500);
    expect(t1 - t0).toBeLessThan(3000);
    expect((await call(s.url, "/v1/act", { body: { obs: EMPTY } })).status).toBe(200);
  });
});

describe("malformed requests: a 400 naming the problem, and the server goes on", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = keep(await startGpt2Server(fixtures.fx.gpt2));
  });
  const post = (body: unknown) => call(s.url, "/v1/completions", { body });

  it("bodies that are not a JSON object", async () => {
    const cases: [string | Buffer, RegExp][] = [
      ["{bad", /^the body is not JSON \(/],
      ['{"model": "tiny",}', /^the body is not JSON/],
      [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /^the body is not UTF-8 text \(4 bytes\)$/],
      ["[1, 2]", /^expected an object like/],
      ["null", /^expected an object like/],
      ["[".repeat(100_000) + "]".repeat(100_000), /^expected an object like .*…$/],
      ["1e999", /^expected an object like/],
    ];
    for (const [raw, message] of cases) {
      const r = await call(s.url, "/v1/completions", { raw });
      expect(r.status, String(raw).slice(0, 20)).toBe(400);
      expect(r.json().error.message).toMatch(message);
      expect(r.json().error.type).toBe("invalid_request_error");
    }
    const empty = await call(s.url, "/v1/completions", { raw: "" });
    expect(empty.status).toBe(400);
    expect(empty.json().error.message).toBe("the body is empty; expected a JSON object");
    const form = await call(s.url, "/v1/completions", { raw: "model=tiny", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(form.status).toBe(415);
    expect(form.json().error.message).toBe("send the body as JSON, with the header Content-Type: application/json (got application/x-www-form-urlencoded)");
    const none = await call(s.url, "/v1/completions", { method: "POST" });
    expect(none.status).toBe(400);
  });

  it("each field of a completion request, wrong", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ prompt: "x" }, "model", /^model is required/],
      [{ model: 3 }, "model", /^model must be a string, got 3/],
      [{ model: "tiny", foo: 1 }, "foo", /^unknown field "foo"; expected model, prompt/],
      [{ model: "tiny", temperature: "hot" }, "temperature", /^temperature must be a number in \[0, 2\], got "hot"$/],
      [{ model: "tiny", temperature: 2.5 }, "temperature", /^temperature must be a number in \[0, 2\], got 2.5$/],
      [{ model: "tiny", top_p: 0 }, "top_p", /^top_p must be a number in \(0, 1\], got 0$/],
      [{ model: "tiny", n: 0 }, "n", /^n must be an integer in \[1, 8\], got 0$/],
      [{ model: "tiny", n: 1.5 }, "n", /^n must be an integer/],
      [{ model: "tiny", max_tokens: "16" }, "max_tokens", /^max_tokens must be an integer/],
      [{ model: "tiny", max_tokens: 0 }, "max_tokens", /^max_tokens must be an integer in \[1, 63\]/],
      [{ model: "tiny", stop: [1] }, "stop", /^stop must be a non-empty string or a list of at most 4/],
      [{ model: "tiny", stop: ["a", "b", "c", "d", "e"] }, "stop", /^stop must be/],
      [{ model: "tiny", stop: "" }, "stop", /^stop must be/],
      [{ model: "tiny", seed: -1 }, "seed", /^seed must be an integer in \[0, 4294967295\], got -1$/],
      [{ model: "tiny", stream: "yes" }, "stream", /^stream must be true or false, got "yes"$/],
      [{ model: "tiny", stream_options: { include_usage: true } }, "stream_options", /^stream_options is only allowed when stream is true$/],
      [{ model: "tiny", stream: true, stream_options: { include_usage: 1 } }, "stream_options", /^stream_options.include_usage must be true or false/],
      [{ model: "tiny", stream: true, stream_options: { other: 1 } }, "stream_options", /^stream_options: unknown field "other"/],
      [{ model: "tiny", prompt: 5 }, "prompt", /^prompt must be a string, a list of strings, a list of token ids/],
      [{ model: "tiny", prompt: [] }, "prompt", /^prompt is an empty list/],
      [{ model: "tiny", prompt: [[]] }, "prompt", /^prompt\[0\] must be a string or a non-empty list of token ids/],
      [{ model: "tiny", prompt: ["a", 1] }, "prompt", /^prompt\[1\] must be a string or a non-empty list/],
      [{ model: "tiny", prompt: [1, 99999] }, "prompt", /^prompt\[1\] must be a token id, an integer in \[0, 50256\], got 99999$/],
      [{ model: "tiny", prompt: [[1], [2.5]] }, "prompt", /^prompt\[1\]\[0\] must be a token id/],
      [{ model: "tiny", logprobs: 5 }, "logprobs", /^logprobs is not supported by this server \(got 5\); leave it out or null$/],
      [{ model: "tiny", echo: true }, "echo", /^echo is not supported/],
      [{ model: "tiny", best_of: 3 }, "best_of", /^best_of is not supported/],
      [{ model: "tiny", presence_penalty: 0.5 }, "presence_penalty", /^presence_penalty is not supported/],
      [{ model: "tiny", logit_bias: { "50256": -100 } }, "logit_bias", /^logit_bias is not supported/],
      [{ model: "tiny", user: 7 }, "user", /^user must be a string/],
    ];
    for (const [body, param, message] of cases) {
      const r = await post(body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json().error, JSON.stringify(body)).toMatchObject({ param, type: "invalid_request_error", code: null });
      expect(r.json().error.message, JSON.stringify(body)).toMatch(message);
    }
    // OpenAI's no-op values and nulls are accepted
    const ok = await post({ model: "tiny", prompt: "x", max_tokens: 1, logprobs: null, echo: false, best_of: 1, presence_penalty: 0, frequency_penalty: 0, logit_bias: {}, suffix: null, user: "me", temperature: null, stop: null, seed: null });
    expect(ok.status).toBe(200);
  });

  it("an unknown model is a 404 model_not_found, as OpenAI answers", async () => {
    const r = await post({ model: "gpt-4", prompt: "x" });
    expect(r.status).toBe(404);
    expect(r.json().error).toEqual({ message: 'the model "gpt-4" does not exist here; this server serves "tiny"', type: "invalid_request_error", param: "model", code: "model_not_found" });
    expect((await call(s.url, "/v1/models/gpt-4")).json().error.code).toBe("model_not_found");
    expect((await call(s.url, "/v1/models/tiny")).json()).toEqual({ id: "tiny", object: "model", created: 1_700_000_000, owned_by: "tsrl" });
  });

  it("after all of it the server is fine and logged nothing", async () => {
    expect((await post({ model: "tiny", prompt: "x", max_tokens: 2 })).status).toBe(200);
    expect(s.logs).toEqual([]);
  });
});

describe("OpenAI's completion object", () => {
  let s: Awaited<ReturnType<typeof startGpt2Server>>;
  beforeAll(async () => {
    s = keep(await startGpt2Server(fixtures.fx.gpt2));
  });
  const post = (body: Record<string, unknown>) => call(s.url, "/v1/completions", { body: { model: "tiny", ...body } });

  it("whole: id, object, created, model, choices prompt by prompt and n each, usage", async () => {
    const before = Math.floor(Date.now() / 1000);
    const r = await post({ prompt: ["The soup was", "Hello"], n: 2, max_tokens: 5, seed: 1 });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toMatch(/^application\/json/);
    const c = r.json();
    expect(Object.keys(c).sort()).toEqual(["choices", "created", "id", "model", "object", "usage"]);
    expect(c.id).toMatch(/^cmpl-[A-Za-z0-9]{24}$/);
    expect(c).toMatchObject({ object: "text_completion", model: "tiny" });
    expect(c.created).toBeGreaterThanOrEqual(before);
    expect(c.created).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
    expect(c.choices.map((x: { index: number }) => x.index)).toEqual([0, 1, 2, 3]);
    for (const choice of c.choices) {
      expect(Object.keys(choice).sort()).toEqual(["finish_reason", "index", "logprobs", "text"]);
      expect(choice).toMatchObject({ logprobs: null, finish_reason: "length", text: expect.any(String) });
      expect(tok.encode(choice.text).length).toBeGreaterThan(0);
    }
    expect(c.choices[0].text).not.toBe(c.choices[1].text); // n draws, not one copy
    expect(c.usage).toEqual({ prompt_tokens: tok.encode("The soup was").length + tok.encode("Hello").length, completion_tokens: 20, total_tokens: tok.encode("The soup was").length + tok.encode("Hello").length + 20 });
    const again = (await post({ prompt: ["The soup was", "Hello"], n: 2, max_tokens: 5, seed: 1 })).json();
    expect(again.choices).toEqual(c.choices); // the seed decides the text
    expect(again.id).not.toBe(c.id);
  });

  it("streamed: the same text in pieces, one finish per choice, usage last when asked, then [DONE]", async () => {
    const body = { prompt: ["The soup was", "Hello"], n: 2, max_tokens: 8, seed: 4 };
    const whole = (await post(body)).json();
    const r = await post({ ...body, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    expect(r.text.endsWith("data: [DONE]\n\n")).toBe(true);
    const events = sse(r.text);
    expect(events.at(-1)).toBe("[DONE]");
    const chunks = events.slice(0, -1) as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    const usage = chunks.at(-1)!;
    expect(usage.choices).toEqual([]);
    expect(usage.usage).toEqual(whole.usage);
    const texts = ["", "", "", ""], finishes: string[][] = [[], [], [], []];
    for (const c of chunks.slice(0, -1)) {
      expect(Object.keys(c).sort()).toEqual(["choices", "created", "id", "model", "object", "usage"]);
      expect(c).toMatchObject({ id: usage.id, object: "text_completion", model: "tiny", usage: null });
      expect(c.choices).toHaveLength(1);
      const [x] = c.choices;
      expect(x.logprobs).toBeNull();
      if (x.finish_reason === null) {
        expect(finishes[x.index]).toEqual([]); // no text after a choice's end
        texts[x.index] += x.text;
      } else {
        expect(x.text).toBe("");
        finishes[x.index].push(x.finish_reason);
      }
    }
    expect(texts).toEqual(whole.choices.map((c: { text: string }) => c.text));
    expect(finishes).toEqual(whole.choices.map((c: { finish_reason: string }) => [c.finish_reason]));
    const plain = sse((await post({ ...body, stream: true })).text);
    expect(plain.slice(0, -1).every((c) => c !== "[DONE]" && !("usage" in c))).toBe(true); // no usage key without include_usage
  });

  it("stop strings end a choice before them, whole and streamed", async () => {
    const free = (await post({ prompt: "The soup was", max_tokens: 30, temperature: 0 })).json().choices[0].text as string;
    const stop = free.slice(6, 9);
    const at = free.indexOf(stop);
    for (const stream of [false, true]) {
      const r = await post({ prompt: "The soup was", max_tokens: 30, temperature: 0, stop: ["zzzzzz", stop], stream });
      const text = stream ? sse(r.text).flatMap((e) => (e === "[DONE]" ? [] : e.choices.map((c: { text: string }) => c.text))).join("") : r.json().choices[0].text;
      const finish = stream ? sse(r.text).flatMap((e) => (e === "[DONE]" ? [] : e.choices.map((c: { finish_reason: string }) => c.finish_reason))).filter(Boolean) : [r.json().choices[0].finish_reason];
      expect(text, `stream ${stream}`).toBe(free.slice(0, at));
      expect(finish).toEqual(["stop"]);
    }
  });

  it("token-id prompts read as their text does; no prompt is the start of a document", async () => {
    const ids = tok.encode("The soup was");
    const asText = (await post({ prompt: "The soup was", max_tokens: 6, temperature: 0 })).json();
    const asIds = (await post({ prompt: ids, max_tokens: 6, temperature: 0 })).json();
    expect(asIds.choices).toEqual(asText.choices);
    expect(asIds.usage).toEqual(asText.usage);
    const nested = (await post({ prompt: [ids, "The soup was"], max_tokens: 6, temperature: 0 })).json();
    expect(nested.choices.map((c: { text: string }) => c.text)).toEqual([asText.choices[0].text, asText.choices[0].text]);
    const none = (await post({ max_tokens: 3 })).json();
    expect(none.usage.prompt_tokens).toBe(0);
  });

  it("a seeded request gets the same text alone and batched with strangers", async () => {
    const mine = { prompt: "The soup was", max_tokens: 12, seed: 77 };
    const alone = (await post(mine)).json().choices[0].text;
    const before = s.generator.stats().batches;
    const others = [{ prompt: "a much longer prompt, so that mine is left-padded", max_tokens: 20 }, { prompt: "x", max_tokens: 3, temperature: 0 }, { prompt: ["y", "z"], n: 2, max_tokens: 7, top_p: 0.9 }];
    const replies = await Promise.all([post(others[0]), post(mine), post(others[1]), post(others[2])]);
    expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    expect(s.generator.stats().batches - before).toBeLessThan(4); // some of them shared a batch
    expect(replies[1].json().choices[0].text).toBe(alone);
  });

  it("OpenAI's own client (the `openai` package) works unchanged: create, stream, and its error classes", async () => {
    const client = new OpenAI({ apiKey: TOKEN, baseURL: `${s.url}/v1`, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["tiny"]);
    const c = await client.completions.create({ model: "tiny", prompt: "The soup was", max_tokens: 5, seed: 2 });
    expect(c.choices[0].text).toEqual(expect.any(String));
    expect(c.usage?.completion_tokens).toBe(5);
    const stream = await client.completions.create({ model: "tiny", prompt: "The soup was", max_tokens: 5, seed: 2, stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices.map((x) => x.text).join("");
    expect(text).toBe(c.choices[0].text);
    await expect(client.completions.create({ model: "tiny", prompt: "x", max_tokens: 1000 })).rejects.toMatchObject({ status: 400, param: "max_tokens", type: "invalid_request_error" });
    await expect(client.completions.create({ model: "nope", prompt: "x" })).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const stranger = new OpenAI({ apiKey: "wrong-token-0123456789", baseURL: `${s.url}/v1`, maxRetries: 0 });
    await expect(stranger.completions.create({ model: "tiny", prompt: "x" })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("a model whose weights hold NaN answers 500 model_output_nan (whole and streamed), and the log says why", async () => {
    const model = loadGpt2(fixtures.fx.gpt2);
    const weights = model.weights();
    weights["h.0.ln_1.weight"] = { ...weights["h.0.ln_1.weight"], data: new Float32Array(weights["h.0.ln_1.weight"].data.length).fill(NaN) };
    const nan = gpt2FromWeights(model.config, weights);
    model.dispose();
    const bad = keep(await startGpt2Server(fixtures.fx.gpt2, { model: nan }));
    try {
      for (const stream of [false, true]) {
        const r = await call(bad.url, "/v1/completions", { body: { model: "tiny", prompt: "x", stream } });
        expect(r.status).toBe(500);
        expect(r.json().error).toMatchObject({ type: "server_error", code: "model_output_nan", message: expect.stringMatching(/^the model's output is not a number/) });
      }
      expect(bad.logs).toHaveLength(2);
      expect(bad.logs[0]).toMatch(/^POST \/v1\/completions: the model's output is not a number/);
    } finally {
      await bad.close();
      nan.dispose();
    }
  });
});

describe("policies over HTTP: POST /v1/act and POST /v1/edit", () => {
  it("a Tic-Tac-Toe policy: a legal action and its probabilities; a bad board names obs", async () => {
    const s = keep(await startPolicyServer(fixtures.fx.ticTacToe));
    const board = [1, -1, 0, 0, 0, 0, 0, 0, 0];
    const r = (await call(s.url, "/v1/act", { body: { obs: board, greedy: true } })).json();
    expect(Object.keys(r).sort()).toEqual(["action", "probs"]);
    expect([0, 1]).not.toContain(r.action);
    expect(r.probs).toHaveLength(9);
    expect(r.probs[0] + r.probs[1]).toBe(0);
    expect(r.probs.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    const bad = await call(s.url, "/v1/act", { body: { obs: [1, 1, 0, 0, 0, 0, 0, 0, 0] } });
    expect(bad.status).toBe(400);
    expect(bad.json().error).toMatchObject({ param: "obs", message: expect.stringMatching(/the agent has 2 marks and the opponent 0/) });
    expect((await call(s.url, "/v1/act", { body: { obs: board, mask: [1, 1, 1, 1, 1, 1, 1, 1, 1] } })).json().error.param).toBe("mask");
    expect((await call(s.url, "/v1/act", { body: { obs: board, greedy: "yes" } })).json().error.param).toBe("greedy");
    expect((await call(s.url, "/v1/completions", { body: { model: "x" } })).status).toBe(404);
  });

  it("an edit agent: text, steps and understood; missing fields named", async () => {
    const s = keep(await startPolicyServer(fixtures.fx.edit));
    const r = (await call(s.url, "/v1/edit", { body: { instruction: "Delete the word cat.", text: "the cat sat" } })).json();
    expect(r).toMatchObject({ text: expect.any(String), steps: expect.any(Array), stopped: expect.any(Boolean), understood: expect.any(Boolean), message: expect.any(String) });
    const missing = await call(s.url, "/v1/edit", { body: { instruction: "x" } });
    expect(missing.status).toBe(400);
    expect(missing.json().error).toMatchObject({ param: "text", message: 'missing field "text"' });
  });
});
