import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  VEGA_LITE_MIME, barChart, currentDisplaySink, display, htmlTable, learningCurve, liveChart, readPngHeader, renderSvg, save,
  setDisplaySink, show, specBundle, table, textTable, updateDisplay, type DisplaySink, type MimeBundle,
} from "../lib/viz";

interface Call { kind: "display" | "update"; bundle: MimeBundle; id?: string; metadata?: Record<string, unknown> }

function fakeSink(): DisplaySink & { calls: Call[]; tracked: Promise<unknown>[] } {
  const calls: Call[] = [];
  const tracked: Promise<unknown>[] = [];
  return {
    calls,
    tracked,
    display: (bundle, opts) => { calls.push({ kind: "display", bundle, id: opts?.displayId, ...(opts?.metadata ? { metadata: opts.metadata } : {}) }); },
    update: (id, bundle) => { calls.push({ kind: "update", bundle, id }); },
    track: (work) => { tracked.push(work); },
  };
}

/** Width and height of a base64 PNG from a bundle. */
function pngSize(b64: unknown): { width: number; height: number } {
  expect(typeof b64, "image/png must be a base64 string").toBe("string");
  return readPngHeader(Buffer.from(b64 as string, "base64"));
}

const curve = (rows: readonly Record<string, unknown>[]) => learningCurve(rows, { x: "episode", y: "return", window: 3, title: "Live return" });

afterEach(() => setDisplaySink(undefined));

describe("display takes MIME keys only", () => {
  test("a bundle with another key is refused, naming the key, before it reaches the notebook", () => {
    const sink = fakeSink();
    setDisplaySink(sink);
    expect(() => display({ "image/png": "iVBOR", "text/plain": "<heat map>", probs: [0.5] })).toThrow(/display: "probs" is not a MIME type/);
    expect(() => updateDisplay("id", { html: "<b>x</b>", text: "x" })).toThrow(/updateDisplay: "html", "text" are not MIME types/);
    expect(sink.calls).toEqual([]);
    display({ "text/plain": "fine", "application/vnd.vegalite.v5+json": {} });
    expect(sink.calls).toHaveLength(1);
  });
});

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
  test("specBundle: vega-lite as a JSON object, a PNG at twice the chart's size, text — and no SVG", async () => {
    const spec = barChart([{ o: "win", n: 3 }], { x: "o", y: "n", title: "Bundle" });
    const b = await specBundle(spec);
    expect(b[VEGA_LITE_MIME]).toBe(spec); // the object itself, not JSON text
    expect(Object.keys(b).sort()).toEqual([VEGA_LITE_MIME, "image/png", "text/plain"].sort());
    const svgWidth = Number(/width="(\d+)"/.exec(await renderSvg(spec))![1]);
    const { width, height } = pngSize(b["image/png"]);
    expect(width).toBe(svgWidth * 2);
    expect(height).toBeGreaterThan(100);
    expect(pngSize((await specBundle(spec, { scale: 1 }))["image/png"]).width).toBe(svgWidth);
    expect(b["text/plain"]).toBe('<chart "Bundle": bar, text; 1 rows>');
  });

  test("a broken spec still yields a bundle, with the error in the text", async () => {
    const b = await specBundle({ mark: "line", data: { values: [] }, encoding: { x: { field: "a", type: "nonsense" } } });
    expect(b[VEGA_LITE_MIME]).toBeDefined();
    expect(b["image/png"]).toBeUndefined();
    expect(b["text/plain"]).toMatch(/PNG rendering failed/);
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
    expect((sink.calls[0].bundle[VEGA_LITE_MIME] as { title: { text: string } }).title.text).toBe("First");
    expect((sink.calls[1].bundle[VEGA_LITE_MIME] as { title: string }).title).toBe("Second");
    expect(sink.calls[2].bundle["text/html"]).toContain("<table");
    for (const c of sink.calls.slice(0, 2)) {
      expect(c.bundle["image/svg+xml"]).toBeUndefined();
      // the PNG is drawn at its CSS size: half its pixel size (scale 2, recorded in its pHYs chunk)
      const { width, height } = pngSize(c.bundle["image/png"]);
      expect(c.metadata).toEqual({ "image/png": { width: width / 2, height: height / 2 } });
    }
    expect(sink.calls[2].metadata).toBeUndefined(); // a table has no picture
  });
});

describe("liveChart", () => {
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

  test("HTML: escaped, numbers right-aligned, no inline style; a long table keeps its first and last rows", () => {
    const html = htmlTable(rows, { maxRows: 5, title: "Log" });
    expect(html).toContain("&lt;b&gt;&amp;");
    expect(html).not.toContain("<b>&");
    expect(html).not.toMatch(/style=/); // an untrusted notebook's sanitiser would turn it into undefined:undefined
    // header, the first 3 rows, a gap row, the last 2 (cutTo 10 is capped at maxRows 5)
    expect(html.match(/<tr>/g)).toHaveLength(1 + 3 + 1 + 2);
    expect(html).toMatch(/<td align="right">2<\/td>[\s\S]*<td align="right">…<\/td>[\s\S]*<td align="right">28<\/td>/);
    expect(html).not.toMatch(/>(3|27)<\/td>/);
    expect(html).toContain("30 rows × 3 columns, showing the first 3 and the last 2");
    expect(html).toContain("0.3333");
    expect(html).toContain(`<th align="right">episode</th>`);
  });

  test("a table is cut only past maxRows (60 by default, as pandas): 21 rows show whole", () => {
    const html = htmlTable(rows.slice(0, 21));
    expect(html.match(/<tr>/g)).toHaveLength(1 + 21);
    expect(html).toContain("21 rows × 3 columns</small>");
    const long = Array.from({ length: 61 }, (_, i) => ({ i }));
    expect(htmlTable(long).match(/<tr>/g)).toHaveLength(1 + 5 + 1 + 5); // cut to 10, pandas' min_rows
    expect(textTable(long).split("\n")).toEqual([" i", "──", " 0", " 1", " 2", " 3", " 4", "… 51 more rows …", "56", "57", "58", "59", "60",
      "61 rows × 1 column, showing the first 5 and the last 5"]);
  });

  test("text version is aligned; the bundle carries both", () => {
    const text = textTable(rows.slice(0, 3), { columns: ["episode", "return"] });
    expect(text.split("\n")).toEqual(["episode  return", "───────  ──────", "      0       0", "      1  0.3333", "      2  0.6667"]);
    const b = table(rows);
    expect(Object.keys(b).sort()).toEqual(["text/html", "text/plain"]);
  });
});
