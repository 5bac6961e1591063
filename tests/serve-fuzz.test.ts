/**
 * `tsrl serve DIR --stdio` as a hostile client drives it, in subprocesses with bounded input: each
 * kind of server (a Tic-Tac-Toe policy, an edit agent, a GPT-2) gets a few hundred random and
 * hostile lines — deep nesting, huge numbers, wrong types, binary garbage, invalid UTF-8, empty and
 * over-long lines, NaN/Infinity literals, prototype keys — and must answer every one, in order,
 * with short error lines and the ids it was given, then answer a good request and exit 0. A client
 * that stops reading must stop the server reading (its memory stays flat), and an over-long line
 * must stream past without being kept.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../lib/core/rng";
import { useServeFixtures } from "./serve-fixtures";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const MAX_LINE = 64 * 1024;

const fixtures = useServeFixtures("fuzz");

function startServer(dir: string, extra: string[] = []): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [tsrl, "serve", dir, "--stdio", ...extra], { cwd: fixtures.dir });
}

/** Feeds `input` and collects everything; kills the server after `timeout` ms. */
function runServer(dir: string, input: Buffer, extra: string[] = [], timeout = 120_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = startServer(dir, extra);
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeout);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
    child.stdin.on("error", () => {}); // a server that died early: the close handler reports it
    child.stdin.end(input);
  });
}

/** One fuzz line and what its answer must show: the id it carried, and whether it must succeed. */
interface FuzzLine {
  bytes: Buffer;
  /** The id its answer must carry (a line without this key: no id to check). */
  id?: string | number | null;
  succeeds?: boolean;
}

type Good = () => Record<string, unknown>;

/** Values a field should never accept (and some it might). */
function oddValue(rng: Rng, depth = 0): unknown {
  const pick = rng.int(14);
  switch (pick) {
    case 0: return [1e308, -1e308, 5e-324, -0, 1.7976931348623157e308, 2 ** 53 + 1, -7, 1e30][rng.int(8)];
    case 1: return "s".repeat(rng.int(50));
    case 2: return rng.next() < 0.5;
    case 3: return null;
    case 4: return depth < 3 ? { a: oddValue(rng, depth + 1) } : {};
    case 5: return depth < 3 ? Array.from({ length: rng.int(12) }, () => oddValue(rng, depth + 1)) : [];
    case 6: return Array.from({ length: rng.int(12) }, () => rng.int(3) - 1);
    case 7: return Array.from({ length: rng.int(12) }, () => rng.uniform(-3, 3));
    case 8: return "\ud800\udfff\u0000\u001f\u2028";
    case 9: return rng.int(200) - 100;
    case 10: return ["__proto__", "constructor", "prototype"][rng.int(3)];
    case 11: return Array.from({ length: 9 }, () => [0, 1, -1, 2][rng.int(4)]);
    case 12: return "The soup was ".repeat(rng.int(100));
    default: return Array.from({ length: rng.int(20) }, () => rng.int(2));
  }
}

function nested(depth: number, open: string, close: string, inner = "1"): string {
  return open.repeat(depth) + inner + close.repeat(depth);
}

function fuzzLines(rng: Rng, good: Good, count: number): FuzzLine[] {
  const text = (s: string, id?: string | number | null, succeeds?: boolean): FuzzLine => ({ bytes: Buffer.from(s), ...(id !== undefined ? { id } : {}), succeeds });
  const makers: (() => FuzzLine)[] = [
    () => text(nested(1000 + rng.int(4000), "[", "]")),
    () => text(`{"${Object.keys(good())[0]}": ${nested(1000 + rng.int(4000), "[", "]")}}`),
    () => text(nested(1000 + rng.int(4000), '{"a":', "}")),
    () => {
      const r = good();
      const key = Object.keys(r)[rng.int(Object.keys(r).length)];
      const id = rng.next() < 0.5 ? `req-${rng.int(1e6)}` : rng.int(1e6);
      return text(JSON.stringify({ ...r, [key]: oddValue(rng), id }), id);
    },
    () => {
      const id = rng.int(1e9);
      return text(JSON.stringify({ ...good(), id }), id, true);
    },
    () => text(JSON.stringify({ ...good(), [`extra${rng.int(10)}`]: oddValue(rng) })),
    () => ({ bytes: Buffer.from(Array.from({ length: 1 + rng.int(300) }, () => { const b = rng.int(256); return b === 10 ? 11 : b; })) }),
    () => ({ bytes: Buffer.concat([Buffer.from(`{"${Object.keys(good())[0]}": "`), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from('"}')]) }),
    () => text(["", " ", "\t", "\r", "   \r"][rng.int(5)]),
    () => text(`{"pad": "${"x".repeat(MAX_LINE + rng.int(40_000))}"}`),
    () => text(['{"obs": [NaN]}', "NaN", "Infinity", "-Infinity", `{"${Object.keys(good())[0]}": Infinity}`, "{\"a\": undefined}", "[1,]", "{'a': 1}"][rng.int(8)]),
    () => text(['{"__proto__": {"polluted": true}}', `{"__proto__": ${JSON.stringify(good())}}`, JSON.stringify({ constructor: { prototype: { polluted: 1 } } }), `${JSON.stringify(good()).slice(0, -1)}, "__proto__": null}`, '{"prototype": 1}'][rng.int(5)]),
    () => text(["1", '"str"', "true", "null", "[]", "{}", "0e999", "-", "\"\\ud800\""][rng.int(9)]),
    () => {
      const s = JSON.stringify({ ...good(), id: "cut" });
      return text(s.slice(0, rng.int(s.length)));
    },
    () => text(JSON.stringify(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])))),
    () => {
      const id = ["", "x".repeat(256), 0, 1e300, null][rng.int(5)];
      return text(JSON.stringify({ ...good(), id }), id, true);
    },
  ];
  return Array.from({ length: count }, () => makers[rng.int(makers.length)]());
}

async function fuzz(dir: string, good: Good, seed: number): Promise<void> {
  const rng = createRng(seed);
  const lines = fuzzLines(rng, good, 300);
  const last = { ...good(), id: "last" };
  lines.push({ bytes: Buffer.from(JSON.stringify(last)), id: "last", succeeds: true });
  const input = Buffer.concat(lines.flatMap((l) => [l.bytes, Buffer.from("\n")]));
  const r = await runServer(dir, input, ["--max-line-bytes", String(MAX_LINE)]);
  expect(r.code, r.stderr.slice(-2000)).toBe(0);
  const answers = r.stdout.split("\n").slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
  expect(answers).toHaveLength(lines.length);
  answers.forEach((a, i) => {
    const what = `line ${i + 1}: ${lines[i].bytes.subarray(0, 80).toString("utf8")} → ${JSON.stringify(a).slice(0, 300)}`;
    if ("id" in lines[i]) expect(a.id, what).toBe(lines[i].id);
    if (lines[i].succeeds) expect(a.error, what).toBeUndefined();
    if (a.error !== undefined) {
      expect(typeof a.error, what).toBe("string");
      expect(a.error as string, what).toMatch(new RegExp(`^line ${i + 1}: `));
      expect((a.error as string).length, what).toBeLessThanOrEqual(1001);
    }
  });
  expect(answers.at(-1)!.error).toBeUndefined();
  expect(r.stderr).toMatch(new RegExp(`end of input; ${lines.length} lines answered`));
}

describe("tsrl serve --stdio under fuzz", () => {
  it("a Tic-Tac-Toe policy answers every hostile line, then a good one", async () => {
    await fuzz(fixtures.fx.ticTacToe, () => ({ obs: [0, 0, 0, 0, 0, 0, 0, 0, 0], mask: [1, 1, 1, 1, 1, 1, 1, 1, 1], greedy: true }), 1);
  }, 120_000);

  it("an edit agent answers every hostile line, then a good one", async () => {
    await fuzz(fixtures.fx.edit, () => ({ instruction: "Delete the word cat.", text: "the cat sat" }), 2);
  }, 120_000);

  it("a GPT-2 answers every hostile line, then a good one", async () => {
    await fuzz(fixtures.fx.gpt2, () => ({ prompt: "The soup was", max_new_tokens: 2, temperature: 0.7 }), 3);
  }, 120_000);

  it("a checkpoint whose output is NaN answers each request with an error line and exits 0", async () => {
    const r = await runServer(fixtures.fx.overflow, Buffer.from('{"obs": [0,0,0,0,0,0,0,0,0], "id": 1}\n{"obs": [0,0,0,0,0,0,0,0,0], "mask": [0,0,0,0,1,0,0,0,0]}\n'));
    expect(r.code).toBe(0);
    const answers = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(answers).toEqual([
      { id: 1, error: expect.stringMatching(/^line 1: the policy's output is not a number/) },
      { error: expect.stringMatching(/^line 2: the policy's output is not a number/) },
    ]);
  }, 60_000);
});

/** The server's resident memory now, and its peak, in MB (Linux). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]);
  return { rss: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** Resolves with the first `n` answer lines (as text) once they have come. */
function firstLines(child: ChildProcessWithoutNullStreams, n: number): Promise<string[]> {
  return new Promise((resolve) => {
    let buffered = "";
    const onData = (d: Buffer) => {
      buffered += d;
      const lines = buffered.split("\n");
      if (lines.length > n) {
        child.stdout.off("data", onData);
        resolve(lines.slice(0, n));
      }
    };
    child.stdout.on("data", onData);
  });
}

describe.runIf(process.platform === "linux")("tsrl serve --stdio memory", () => {
  it("stops reading while its answers are not read: memory stays flat, and every answer comes once they are", async () => {
    const child = startServer(fixtures.fx.ticTacToe);
    child.stdin.write('{"obs": [0,0,0,0,0,0,0,0,0]}\n');
    await firstLines(child, 1);
    const before = memoryOf(child.pid!);
    child.stdout.pause(); // a client that does not read
    const line = Buffer.from('{"obs": [0,0,0,0,0,0,0,0,0], "greedy": false}\n'.repeat(100));
    // write as fast as the server reads, until it has not read for 1.5 s (or 8 s have passed)
    let written = 0;
    let blocked = false;
    const until = Date.now() + 8000;
    while (!blocked && Date.now() < until) {
      written += 100;
      if (!child.stdin.write(line)) {
        blocked = await Promise.race([
          new Promise<boolean>((resolve) => child.stdin.once("drain", () => resolve(false))),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 1500)),
        ]);
      }
    }
    const after = memoryOf(child.pid!);
    expect(blocked, "the server kept reading although nobody read its answers").toBe(true);
    expect(written).toBeLessThan(50_000); // pipes and stream buffers hold a few thousand lines
    expect(after.rss - before.rss).toBeLessThan(40);
    // now read: every line gets its answer
    const answers: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => answers.push(d));
    child.stdout.resume();
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.stdin.end();
    expect(await closed).toBe(0);
    const text = Buffer.concat(answers).toString("utf8");
    expect(text.split("\n").length - 1).toBe(written);
  }, 60_000);

  it("streams past a 64 MB line without keeping it, and answers the next one", async () => {
    const child = startServer(fixtures.fx.ticTacToe);
    child.stdin.write('{"obs": [0,0,0,0,0,0,0,0,0], "id": 1}\n');
    await firstLines(child, 1);
    const before = memoryOf(child.pid!);
    const rest = firstLines(child, 2);
    child.stdin.write('{"obs": "');
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 64; i++) if (!child.stdin.write(block)) await new Promise((resolve) => child.stdin.once("drain", resolve));
    child.stdin.write('"}\n{"obs": [0,0,0,0,0,0,0,0,0], "id": 2}\n');
    const [tooLong, next] = (await rest).map((l) => JSON.parse(l));
    const after = memoryOf(child.pid!);
    expect(tooLong).toEqual({ error: `line 2: line too long (${64 * 1024 * 1024 + 11} bytes > 1048576); send shorter requests or raise --max-line-bytes` });
    expect(next).toMatchObject({ id: 2, action: expect.any(Number) });
    expect(after.peak - before.peak).toBeLessThan(40);
    child.stdin.end();
    await new Promise((resolve) => child.on("close", resolve));
  }, 60_000);
});
