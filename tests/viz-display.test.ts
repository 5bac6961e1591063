import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  VEGA_LITE_MIME, barChart, currentDisplaySink, display, htmlTable, learningCurve, liveChart, save, setDisplaySink, show,
  specBundle, table, textTable, updateDisplay, type DisplaySink, type MimeBundle,
} from "../lib/viz";

interface Call { kind: "display" | "update"; bundle: MimeBundle; id?: string }

function fakeSink(): DisplaySink & { calls: Call[]; tracked: Promise<unknown>[] } {
  const calls: Call[] = [];
  const tracked: Promise<unknown>[] = [];
  return {
    calls,
    tracked,
    display: (bundle, opts) => { calls.push({ kind: "display", bundle, id: opts?.displayId }); },
    update: (id, bundle) => { calls.push({ kind: "update", bundle, id }); },
    track: (work) => { tracked.push(work); },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const curve = (rows: readonly Record<string, unknown>[]) => learningCurve(rows, { x: "episode", y: "return", window: 3, title: "Live return" });

afterEach(() => setDisplaySink(undefined));

describe("display without a sink", () => {
  test("is a silent no-op", async () => {
    expect(currentDisplaySink()).toBeUndefined();
    expect(() => display({ "text/plain": "x" })).not.toThrow();
    expect(() => updateDisplay("id", { "text/plain": "x" })).not.toThrow();
    await expect(show(barChart([{ a: "x", b: 1 }], { x: "a", y: "b" }))).resolves.toBeUndefined();
    const live = liveChart(curve);
    live.push({ episode: 1, return: 3 });
    await live.close();
    expect(live.rows).toEqual([{ episode: 1, return: 3 }]);
  });

  test("the sink is found through the global symbol the kernel uses", () => {
    const sink = fakeSink();
    (globalThis as Record<symbol, unknown>)[Symbol.for("tsrl.displaySink")] = sink;
    display({ "text/plain": "hi" }, { displayId: "d1" });
    expect(sink.calls).toEqual([{ kind: "display", bundle: { "text/plain": "hi" }, id: "d1" }]);
  });
});

describe("show", () => {
  test("specBundle: vega-lite as a JSON object, SVG string, text", async () => {
    const spec = barChart([{ o: "win", n: 3 }], { x: "o", y: "n", title: "Bundle" });
    const b = await specBundle(spec);
    expect(b[VEGA_LITE_MIME]).toBe(spec); // the object itself, not JSON text
    expect(typeof b["image/svg+xml"]).toBe("string");
    expect(b["image/svg+xml"] as string).toMatch(/^<svg[\s\S]*Bundle[\s\S]*<\/svg>$/);
    expect(b["text/plain"]).toBe('<chart "Bundle": bar, text; 1 rows>');
  });

  test("a broken spec still yields a bundle, with the error in the text", async () => {
    const b = await specBundle({ mark: "line", data: { values: [] }, encoding: { x: { field: "a", type: "nonsense" } } });
    expect(b[VEGA_LITE_MIME]).toBeDefined();
    expect(b["text/plain"]).toMatch(/SVG rendering failed/);
  });

  test("un-awaited show lands through track, in call order", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const big = learningCurve(Array.from({ length: 3000 }, (_, i) => ({ episode: i, return: i % 17 })), { x: "episode", y: "return", title: "First" });
    const small = barChart([{ a: "x", b: 1 }], { x: "a", y: "b", title: "Second" });
    show(big); // no await, as in a notebook cell
    show(small);
    show(table([{ k: 1 }]));
    expect(sink.tracked).toHaveLength(3);
    await Promise.all(sink.tracked);
    expect(sink.calls.map((c) => c.kind)).toEqual(["display", "display", "display"]);
    expect(sink.calls[0].bundle["image/svg+xml"]).toContain("First");
    expect(sink.calls[1].bundle["image/svg+xml"]).toContain("Second");
    expect(sink.calls[2].bundle["text/html"]).toContain("<table");
    expect(typeof sink.calls[0].bundle[VEGA_LITE_MIME]).toBe("object");
  });
});

describe("liveChart", () => {
  test("one display, then throttled in-place updates with the same id; SVG only on close", async () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const live = liveChart(curve, { throttleMs: 300 }); // generous: the CI machine is shared
    live.push({ episode: 0, return: 1 });
    expect(sink.calls).toHaveLength(1); // first push draws at once
    for (let i = 1; i < 50; i++) live.push({ episode: i, return: i });
    expect(sink.calls).toHaveLength(1); // inside the throttle window: nothing sent yet
    await sleep(700);
    expect(sink.calls).toHaveLength(2); // the trailing redraw
    live.push([{ episode: 50, return: 2 }, { episode: 51, return: 3 }]);
    await live.close();
    live.push({ episode: 99, return: 0 }); // ignored after close

    const [first, ...rest] = sink.calls;
    expect(first.kind).toBe("display");
    expect(first.id).toBe(live.displayId);
    expect(rest.every((c) => c.kind === "update" && c.id === live.displayId)).toBe(true);
    for (const c of sink.calls.slice(0, -1)) expect(c.bundle["image/svg+xml"]).toBeUndefined();
    const last = sink.calls[sink.calls.length - 1].bundle;
    expect(last["image/svg+xml"]).toContain("Live return");
    const values = ((last[VEGA_LITE_MIME] as { data: { values: unknown[] } }).data.values);
    expect(values).toHaveLength(52);
    expect(live.rows).toHaveLength(52);
    expect(sink.tracked).toHaveLength(1);
  });

  test("a failing build does not throw into the training loop", () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    const errors: unknown[] = [];
    const orig = console.error;
    console.error = (...a: unknown[]) => { errors.push(a); };
    try {
      const live = liveChart(() => { throw new Error("boom"); });
      expect(() => live.push({ a: 1 })).not.toThrow();
      expect(errors).toHaveLength(1);
    } finally {
      console.error = orig;
    }
  });

  test("maxRows keeps only the most recent rows", () => {
    const live = liveChart(curve, { maxRows: 3 });
    for (let i = 0; i < 10; i++) live.push({ episode: i, return: i });
    expect(live.rows.map((r) => r.episode)).toEqual([7, 8, 9]);
  });
});

describe("save", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-viz-"));
  const spec = learningCurve(Array.from({ length: 200 }, (_, i) => ({ episode: i, return: Math.sqrt(i) * 10 + (i % 7) })), {
    x: "episode", y: "return", window: 10, title: "Saved chart",
  });

  test("writes a real PNG (creating directories) at the requested scale", async () => {
    const file = path.join(dir, "nested", "deeper", "curve.png");
    expect(await save(spec, file, { scale: 2 })).toBe(file);
    const png = fs.readFileSync(file);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(png.length).toBeGreaterThan(20_000);
    const width = png.readUInt32BE(16), height = png.readUInt32BE(20); // IHDR
    const svg = fs.readFileSync((await save(spec, path.join(dir, "curve.svg"))), "utf8");
    const svgWidth = Number(/width="(\d+)"/.exec(svg)![1]);
    expect(width).toBe(svgWidth * 2);
    expect(height).toBeGreaterThan(300);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["curve.png"]); // no temp file left behind
  });

  test("writes SVG; rejects unknown extensions", async () => {
    const svg = fs.readFileSync(await save(spec, path.join(dir, "c.svg")), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toContain("Saved chart");
    await expect(save(spec, path.join(dir, "c.jpg"))).rejects.toThrow(/unsupported extension '.jpg'/);
  });
});

describe("table", () => {
  const rows = Array.from({ length: 30 }, (_, i) => ({ episode: i, return: i / 3, note: i === 0 ? "<b>&" : undefined }));

  test("HTML: escaped, numbers right-aligned, truncated with a footer", () => {
    const html = htmlTable(rows, { maxRows: 5, title: "Log" });
    expect(html).toContain("&lt;b&gt;&amp;");
    expect(html).not.toContain("<b>&");
    expect(html.match(/<tr>/g)).toHaveLength(1 + 5);
    expect(html).toContain("30 rows × 3 columns, showing the first 5");
    expect(html).toContain("0.3333");
    expect(html).toMatch(/text-align:right">episode</);
  });

  test("text version is aligned; the bundle carries both", () => {
    const text = textTable(rows.slice(0, 3), { columns: ["episode", "return"] });
    expect(text.split("\n")).toEqual(["episode  return", "───────  ──────", "      0       0", "      1  0.3333", "      2  0.6667"]);
    const b = table(rows);
    expect(Object.keys(b).sort()).toEqual(["text/html", "text/plain"]);
  });
});
