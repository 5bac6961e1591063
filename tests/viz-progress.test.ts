/**
 * tqdm-style progress: the text and HTML it draws (from fixed numbers), one notebook output updated
 * in place with the same display id, the final state on completion, break, exception and
 * interrupt, and the text bar on a terminal or a log.
 */
import { afterEach, describe, expect, test } from "vitest";
import {
  formatClock, formatRate, progress, progressHtml, progressLine, setDisplaySink, textBar,
  type DisplaySink, type MimeBundle, type ProgressState,
} from "../lib/viz";

interface Call { kind: "display" | "update"; bundle: MimeBundle; id?: string }

function fakeSink(): DisplaySink & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    display: (bundle, opts) => { calls.push({ kind: "display", bundle, id: opts?.displayId }); },
    update: (id, bundle) => { calls.push({ kind: "update", bundle, id }); },
  };
}

/** A stream that records writes, as a terminal (isTTY) or a pipe. */
function fakeStream(tty: boolean, columns?: number) {
  const writes: string[] = [];
  return { writes, isTTY: tty, columns, write: (s: string) => { writes.push(s); return true; } } as unknown as NodeJS.WritableStream & { writes: string[]; isTTY: boolean };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const lastText = (sink: { calls: Call[] }) => String(sink.calls[sink.calls.length - 1].bundle["text/plain"]);

afterEach(() => setDisplaySink(undefined));

describe("progress format", () => {
  const running: ProgressState = { n: 312, total: 5000, desc: "train", unit: "ep", elapsed: 4.27, fields: { return: 412.3 }, status: "running" };

  test("clock and rate read like tqdm", () => {
    expect([formatClock(4.27), formatClock(62), formatClock(3723), formatClock(NaN)]).toEqual(["00:04", "01:02", "1:02:03", "?"]);
    expect(formatRate(312, 4.27, "ep")).toBe("73.1 ep/s");
    expect(formatRate(38_412, 1, "step")).toBe("38.4k step/s");
    expect(formatRate(2, 5, "ep")).toBe("2.50 s/ep"); // slower than one a second: seconds per unit
    expect(formatRate(0, 5)).toBe("? it/s");
  });

  test("the text bar fills in eighths of a character", () => {
    expect(textBar(0, 4)).toBe("    ");
    expect(textBar(0.5, 4)).toBe("██  ");
    expect(textBar(0.0624, 20)).toBe("█▎" + " ".repeat(18)); // 312/5000 of 20 cells = 1.25 cells
    expect(textBar(1.7, 4)).toBe("████");
  });

  test("a running, a stopped, a finished and an open-ended bar", () => {
    const bar = "█▎" + " ".repeat(18);
    // ETA: (5000 - 312) × 4.27 s / 312 = 64.2 s
    expect(progressLine(running)).toBe(`train:   6%|${bar}| 312/5000 [00:04<01:04, 73.1 ep/s, return=412.3]`);
    expect(progressLine({ ...running, status: "stopped" })).toBe(`train:   6%|${bar}| stopped at 312/5000 [00:04, 73.1 ep/s, return=412.3]`);
    expect(progressLine({ ...running, n: 5000, elapsed: 66.4, status: "done", fields: {} })).toBe(`train: 100%|${"█".repeat(20)}| 5000/5000 [01:06, 75.3 ep/s]`);
    expect(progressLine({ n: 3, elapsed: 1.5, status: "running" })).toBe("3 it [00:02, 2.00 it/s]");
  });

  test("HTML while running: a bar filled to the fraction, with the same text, escaped", () => {
    const html = progressHtml({ ...running, desc: "a<b" });
    expect(html).toContain("a&lt;b:");
    expect(html).toContain("6%");
    expect(html).toContain("width:6.2%");
    expect(html).toContain("312/5000 [00:04&lt;01:04, 73.1 ep/s, return=412.3]");
    expect(html).toContain("#4c78a8"); // running: blue
  });

  test("HTML once closed (what a saved notebook keeps): the text line, no inline style, coloured by state", () => {
    const stopped = progressHtml({ ...running, desc: "a<b", status: "stopped" });
    const done = progressHtml({ ...running, n: 5000, status: "done" });
    for (const html of [stopped, done]) expect(html).not.toMatch(/style=/); // the untrusted sanitiser would ruin it
    // the text, tags stripped, is exactly the text line: the bar survives as block characters
    const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
    expect(text(stopped)).toBe(progressLine({ ...running, desc: "a<b", status: "stopped" }));
    expect(text(done)).toBe(progressLine({ ...running, n: 5000, status: "done" }));
    expect(stopped).toContain(`<b><font color="#e45756">stopped at</font></b> 312/5000`); // stopped short: red
    expect(stopped).toContain(`|<font color="#e45756">█▎</font>`); // the filled part in the state's colour
    expect(done).toContain(`|<font color="#54a24b">${"█".repeat(20)}</font>|`); // done: green
    expect(text(progressHtml({ n: 3, elapsed: 1.5, status: "done" }))).toBe("3 it [00:02, 2.00 it/s]");
  });
});

describe("progress in a notebook", () => {
  test("one output, updated in place with the same display id, throttled; the last shows 100%", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const items = Array.from({ length: 2000 }, (_, i) => i);
    let sum = 0;
    const bar = progress(items, { desc: "sum", unit: "x" });
    for (const x of bar) sum += x;
    expect(sum).toBe(1999 * 1000);
    expect(sink.calls[0]).toMatchObject({ kind: "display", id: bar.displayId });
    expect(sink.calls.slice(1).every((c) => c.kind === "update" && c.id === bar.displayId)).toBe(true);
    expect(sink.calls.length).toBeLessThan(10); // 2000 items in a few ms: not 2000 redraws
    for (const c of sink.calls) expect(Object.keys(c.bundle).sort()).toEqual(["text/html", "text/plain"]);
    expect(lastText(sink)).toMatch(/^sum: 100%\|█+\| 2000\/2000 \[00:00, .* x\/s\]$/);
    expect(bar.closed).toBe(true);
  });

  test("a slow loop is redrawn as it goes (every ~150 ms), not only at the end", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    for await (const _ of progress(8, { desc: "slow" })) await sleep(60);
    const texts = sink.calls.map((c) => String(c.bundle["text/plain"]));
    expect(texts.length).toBeGreaterThanOrEqual(3);
    expect(texts.some((t) => /slow: +\d+%.* [1-7]\/8 /.test(t))).toBe(true); // an intermediate count was shown
    expect(texts[texts.length - 1]).toMatch(/ 8\/8 /);
  });

  test("break and exceptions leave the final state: stopped at n/total", () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    for (const i of progress(10, { desc: "broken" })) if (i === 3) break;
    expect(lastText(sink)).toMatch(/^broken: +30%.*\| stopped at 3\/10 \[/);

    const thrower = progress(["a", "b", "c", "d"], { desc: "throws" });
    expect(() => { for (const s of thrower) if (s === "c") throw new Error(`bad item ${s}`); }).toThrow("bad item c");
    expect(thrower.closed).toBe(true);
    expect(lastText(sink)).toMatch(/^throws: +50%.*\| stopped at 2\/4 \[/);
  });

  test("a bar driven by hand: update adds, set sets, fields merge; close is final and once", () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const bar = progress({ total: 5000, desc: "train", unit: "ep" });
    expect(sink.calls).toHaveLength(1); // shown at once, at 0
    expect(lastText(sink)).toMatch(/^train: +0%\|.*\| 0\/5000 \[00:00<\?, \? ep\/s\]$/);
    bar.update(100, { return: 12.5 });
    bar.set(312, { loss: 0.25 });
    expect(bar.n).toBe(312);
    bar.close();
    const closedCalls = sink.calls.length;
    expect(lastText(sink)).toMatch(/^train: +6%.*\| stopped at 312\/5000 \[00:00, .* ep\/s, return=12\.5, loss=0\.25\]$/);
    bar.close();
    bar.update(5);
    expect(sink.calls).toHaveLength(closedCalls);
    expect(bar.n).toBe(312);
  });

  test("an interrupt (the abort signal) closes a hand-driven bar; Symbol.dispose closes it too", () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const interrupt = new AbortController();
    const bar = progress({ total: 100, desc: "run", signal: interrupt.signal });
    bar.set(42);
    interrupt.abort();
    expect(bar.closed).toBe(true);
    expect(lastText(sink)).toMatch(/stopped at 42\/100/);

    const scoped = progress({ total: 3, desc: "scoped" });
    scoped.update(3);
    scoped[Symbol.dispose]();
    expect(scoped.closed).toBe(true);
    expect(lastText(sink)).toMatch(/^scoped: 100%.* 3\/3 /);
  });

  test("async iterables work with for await; the total comes from options", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    async function* batches() { for (let i = 0; i < 3; i++) { await sleep(1); yield i; } }
    const seen: number[] = [];
    for await (const b of progress(batches(), { total: 3, desc: "batches" })) seen.push(b);
    expect(seen).toEqual([0, 1, 2]);
    expect(lastText(sink)).toMatch(/^batches: 100%.* 3\/3 /);
    // without a total: a count, no percentage
    for await (const _ of progress(batches(), { desc: "open" }));
    expect(lastText(sink)).toMatch(/^open: 3 it \[00:00, /);
  });

  test("bad arguments are named", () => {
    expect(() => progress(-1)).toThrow(/a count must be a non-negative integer, got -1/);
    expect(() => progress({ total: NaN })).toThrow(/total must be a non-negative number, got NaN/);
  });
});

describe("progress on a terminal or a log (no notebook)", () => {
  test("a terminal: redrawn in place with \\r and a cleared line, cut to the width, ended by a newline", () => {
    const tty = fakeStream(true, 60);
    for (const _ of progress(5, { desc: "tty", stream: tty, minIntervalMs: 0 }));
    expect(tty.writes.length).toBeGreaterThanOrEqual(6); // the 0 state, 5 steps… and the final state
    for (const w of tty.writes) expect(w.startsWith("\r\x1b[2K")).toBe(true);
    expect(tty.writes.slice(0, -1).every((w) => !w.endsWith("\n"))).toBe(true);
    const last = tty.writes[tty.writes.length - 1];
    expect(last).toMatch(/^\r\x1b\[2Ktty: 100%\|█+\| 5\/5 \[/);
    expect(last.endsWith("\n")).toBe(true);
    for (const w of tty.writes) expect(w.replace("\r\x1b[2K", "").replace("\n", "").length).toBeLessThan(60);
  });

  test("a log (not a TTY): plain lines, one per interval plus the final one", () => {
    const log = fakeStream(false);
    for (const _ of progress(1000, { desc: "log", stream: log })); // fast: the 5 s interval never passes
    expect(log.writes.every((w) => w.endsWith("\n") && !w.includes("\r"))).toBe(true);
    expect(log.writes).toHaveLength(2); // the first update, then the final state
    expect(log.writes[1]).toMatch(/^log: 100%\|█+\| 1000\/1000 \[/);
  });
});
