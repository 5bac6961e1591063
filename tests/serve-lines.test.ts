/**
 * The JSON-lines transport of `tsrl serve --stdio` (lib/serve/json-lines), in process: one answer
 * per line in order whatever the line holds, the id echoed, a handler that throws anything answered
 * with an error line, long lines counted unread, short error lines, and back-pressure (no input is
 * read while the output is backed up).
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { serveJsonLines } from "../lib/serve/json-lines";
import { excerpt, ModelOutputError, RequestError, type RequestHandler } from "../lib/serve/request";

/** A Writable that keeps what it is given (and can be stalled: its callbacks held back until `release`). */
function sink(options: { stalled?: boolean; highWaterMark?: number } = {}) {
  const chunks: string[] = [];
  let held: (() => void)[] = [];
  let stalled = options.stalled ?? false;
  const stream = new Writable({
    highWaterMark: options.highWaterMark ?? 16 * 1024,
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      if (stalled) held.push(callback);
      else callback();
    },
  });
  return {
    stream,
    lines: () => chunks.join("").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
    text: () => chunks.join(""),
    release() {
      stalled = false;
      const callbacks = held;
      held = [];
      callbacks.forEach((cb) => cb());
    },
  };
}

async function* chunksOf(...parts: (string | Buffer)[]) {
  for (const p of parts) yield typeof p === "string" ? Buffer.from(p) : p;
}

const echo: RequestHandler = (request) => ({ got: request as Record<string, unknown> });

describe("serveJsonLines", () => {
  it("answers every line once, in order, with the id echoed and taken off the request", async () => {
    const out = sink();
    const summary = await serveJsonLines(chunksOf('{"a": 1, "id": "x"}\n\n  \n{"b": 2, "id": 7}\r\n{"c": 3, "id": null}\n[1]\n{"id": 5', "}"), out.stream, echo);
    expect(out.lines()).toEqual([
      { id: "x", got: { a: 1 } },
      { error: "line 2: empty line; expected a JSON object, one request per line" },
      { error: "line 3: empty line; expected a JSON object, one request per line" },
      { id: 7, got: { b: 2 } }, // CRLF
      { id: null, got: { c: 3 } },
      { got: [1] },
      { id: 5, got: {} }, // the last line needs no newline, and may come in pieces
    ]);
    expect(summary).toEqual({ lines: 7, errors: 2, outputClosed: false });
  });

  it("a handler that throws anything — a RequestError, a TypeError, a stack overflow, a string — gets an error line and the loop goes on", async () => {
    const logged: string[] = [];
    const handler: RequestHandler = (request) => {
      const kind = (request as { kind: string }).kind;
      if (kind === "bad") throw new RequestError("obs must be an array");
      if (kind === "bug") return (null as unknown as { x: Record<string, unknown> }).x;
      if (kind === "deep") { const f = (n: number): number => f(n + 1) + 1; return { n: f(0) }; }
      if (kind === "string") throw "a plain string"; // eslint-disable-line no-throw-literal
      if (kind === "nan") throw new ModelOutputError("the policy's output is not a number");
      if (kind === "async") return Promise.reject(new Error("later"));
      return { ok: true };
    };
    const out = sink();
    const input = ["bad", "bug", "deep", "string", "nan", "async", "fine"].map((kind, i) => JSON.stringify({ kind, id: i })).join("\n") + "\n";
    await serveJsonLines(chunksOf(input), out.stream, handler, { log: (t) => logged.push(t) });
    const lines = out.lines();
    expect(lines.map((l) => l.id)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(lines[0].error).toBe("line 1: obs must be an array");
    expect(lines[1].error).toMatch(/^line 2: Cannot read properties of null/);
    expect(lines[2].error).toMatch(/^line 3: Maximum call stack size exceeded/);
    expect(lines[3].error).toBe("line 4: a plain string");
    expect(lines[4].error).toBe("line 5: the policy's output is not a number");
    expect(lines[5].error).toBe("line 6: later");
    expect(lines[6]).toEqual({ id: 6, ok: true });
    // failures of ours are logged with their stack; bad requests are not logged; model failures in one line
    expect(logged.some((l) => l.startsWith("line 2: TypeError") && l.includes("\n    at "))).toBe(true);
    expect(logged.some((l) => l.startsWith("line 1"))).toBe(false);
    expect(logged).toContain("line 5: the policy's output is not a number");
  });

  it("refuses bad ids, invalid UTF-8, NaN literals and deep nesting with short error lines", async () => {
    const out = sink();
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    await serveJsonLines(chunksOf(
      `{"id": {"a": [1]}}\n`,
      `{"id": "${"x".repeat(300)}"}\n`,
      Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"\xff\xfe"}
      `{"obs": [NaN, Infinity]}\n`,
      `${deep}\n`,
      `{"obs": ${deep}}\n`,
      `${"x".repeat(500_000)}\n`,
    ), out.stream, (request) => { throw new RequestError(`got ${excerpt(request)}`); }, { maxLineBytes: 1_000_000 });
    const lines = out.lines();
    expect(lines).toHaveLength(7);
    expect(lines[0].error).toBe('line 1: id must be a string of at most 256 characters, a number or null, got {"a":[1]}');
    expect(lines[1].error).toMatch(/^line 2: id must be a string .*got "x{59}…$/);
    expect(lines[2].error).toBe("line 3: not UTF-8 text (6 bytes)");
    expect(lines[3].error).toMatch(/^line 4: not JSON/);
    expect(lines[4].error).toMatch(/^line 5: got \[{60}…$/);
    expect(lines[5].error).toMatch(/^line 6: got \{"obs":\[+…$/);
    expect(lines[6].error).toMatch(/^line 7: not JSON/);
    for (const l of lines) expect((l.error as string).length).toBeLessThan(250);
  });

  it("answers a line longer than the cap without keeping it, and goes on", async () => {
    const out = sink();
    let calls = 0;
    const handler: RequestHandler = (request) => ({ n: ++calls, request: request as Record<string, unknown> });
    async function* input() {
      yield Buffer.from('{"id": 1}\n{"huge": "');
      for (let i = 0; i < 100; i++) yield Buffer.alloc(64 * 1024, 0x61); // 6.4 MB without a newline
      yield Buffer.from('"}\n{"id": 2}\n');
    }
    await serveJsonLines(input(), out.stream, handler, { maxLineBytes: 1000 });
    expect(out.lines()).toEqual([
      { id: 1, n: 1, request: {} },
      { error: `line 2: line too long (${10 + 100 * 64 * 1024 + 2} bytes > 1000); send shorter requests or raise --max-line-bytes` },
      { id: 2, n: 2, request: {} },
    ]);
    // at the cap exactly is fine
    const ok = sink();
    await serveJsonLines(chunksOf(`{"k": "${"z".repeat(990)}"}\n`), ok.stream, handler, { maxLineBytes: 1000 });
    expect(ok.lines()[0]).not.toHaveProperty("error");
  });

  it("stops reading input while the output is backed up, and answers everything once it drains", async () => {
    const out = sink({ stalled: true, highWaterMark: 1024 });
    let pulled = 0;
    async function* input() {
      for (let i = 0; i < 2000; i++) {
        pulled++;
        yield Buffer.from(`{"id": ${i}, "pad": "${"p".repeat(100)}"}\n`);
      }
    }
    const done = serveJsonLines(input(), out.stream, echo);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // the writable's buffer (1 KB) holds a few answers; after that nothing more is read
    expect(pulled).toBeLessThan(20);
    const stuckAt = pulled;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(pulled).toBe(stuckAt);
    const release = setInterval(() => out.release(), 1);
    const summary = await done;
    clearInterval(release);
    out.release();
    expect(summary.lines).toBe(2000);
    expect(out.lines().map((l) => l.id)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  it("stops when its output closes (the reader went away)", async () => {
    const out = new Writable({ write(_chunk, _enc, cb) { cb(new Error("EPIPE")); } });
    async function* input() {
      for (let i = 0; i < 1000; i++) yield Buffer.from(`{"id": ${i}}\n`);
    }
    const summary = await serveJsonLines(input(), out, echo);
    expect(summary.outputClosed).toBe(true);
    expect(summary.lines).toBeLessThan(10);
  });
});

describe("excerpt", () => {
  it("stays short whatever the value's size or depth, and shows NaN and Infinity", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(excerpt(deep)).toBe(`${"[".repeat(60)}…`);
    expect(excerpt(new Array(1e6).fill(12345))).toHaveLength(61);
    expect(excerpt({ a: [1, NaN, -Infinity], b: "x" })).toBe('{"a":[1,NaN,-Infinity],"b":"x"}');
    expect(excerpt("y".repeat(1e6))).toBe(`"${"y".repeat(59)}…`);
    const manyKeys = Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));
    expect(excerpt(manyKeys).length).toBeLessThanOrEqual(61);
  });
});
