import { describe, expect, test } from "vitest";
import {
  barChart, compileSpec, concat, histogram, histogramBins, layer, learningCurve, lineChart, renderSvg, rollingMean,
  ruleY, scatterChart, seedBand, seedBandStats, thinIndices, type VegaLiteSpec,
} from "../lib/viz";

/** Deterministic noise so the fixtures are the same every run. */
function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 16807) % 2147483647) / 2147483647);
}

function runs(seeds = 3, episodes = 120) {
  const rnd = lcg(7);
  const rows: Record<string, number | undefined>[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (let ep = 0; ep < episodes; ep++) {
      rows.push({ seed, episode: ep, return: 20 + ep * (1 + seed / 5) + (rnd() - 0.5) * 60, loss: ep % 4 === 0 ? 1 / (1 + ep) : undefined });
    }
  }
  return rows;
}

/** Compiles with a warning collector and renders; returns the SVG. Fails on any vega(-lite) warning. */
async function renderClean(spec: VegaLiteSpec): Promise<string> {
  const warnings: string[] = [];
  compileSpec(spec, { warnings });
  const svg = await renderSvg(spec, { warnings });
  expect(warnings).toEqual([]);
  expect(svg.startsWith("<svg")).toBe(true);
  return svg;
}

function naiveTrailingMean(ys: number[], w: number): number[] {
  return ys.map((_, i) => {
    const win = ys.slice(Math.max(0, i - w + 1), i + 1);
    return win.reduce((a, b) => a + b, 0) / win.length;
  });
}

describe("stats", () => {
  test("rollingMean is the trailing mean with a partial warm-up window", () => {
    const rnd = lcg(3);
    const ys = Array.from({ length: 57 }, () => rnd() * 10 - 5);
    const got = Array.from(rollingMean(ys, 7));
    naiveTrailingMean(ys, 7).forEach((v, i) => expect(got[i]).toBeCloseTo(v, 10));
  });

  test("rollingMean skips non-finite values instead of propagating NaN", () => {
    expect(Array.from(rollingMean([1, NaN, 3, Infinity, 5], 2))).toEqual([1, 1, 3, 3, 5]);
    expect(() => rollingMean([1], 0)).toThrow(/window/);
  });

  test("histogramBins counts every finite value once, including the maximum", () => {
    const rnd = lcg(11);
    const xs = Array.from({ length: 1001 }, () => rnd());
    xs.push(NaN);
    const bins = histogramBins(xs, 13);
    expect(bins).toHaveLength(13);
    expect(bins.reduce((a, b) => a + b.count, 0)).toBe(1001);
    expect(bins[12].end).toBe(Math.max(...xs.filter(Number.isFinite)));
    expect(histogramBins([2, 2, 2], 5)).toEqual([{ start: 1.5, end: 2.5, count: 3 }]);
  });

  test("thinIndices keeps at most maxPoints, evenly, always including the last", () => {
    const idx = thinIndices(10_000, 100);
    expect(idx).toHaveLength(100);
    expect(idx[0]).toBe(0);
    expect(idx[99]).toBe(9999);
    expect(thinIndices(5, 100)).toEqual([0, 1, 2, 3, 4]);
  });

  test("seedBandStats: mean and min/max across seeds at each x", () => {
    const rows = [
      { s: "a", x: 1, y: 1 }, { s: "b", x: 1, y: 3 }, { s: "c", x: 1, y: 8 },
      { s: "a", x: 2, y: 2 }, { s: "b", x: 2, y: 2 }, { s: "c", x: 2, y: 5 },
    ];
    const { stats } = seedBandStats(rows, { x: "x", y: "y", seed: "s" });
    expect(stats).toEqual([
      { x: 1, mean: 4, lo: 1, hi: 8, seeds: 3 },
      { x: 2, mean: 3, lo: 2, hi: 5, seeds: 3 },
    ]);
    const std = seedBandStats(rows, { x: "x", y: "y", seed: "s", band: "std" }).stats[0];
    const sd = Math.sqrt(((1 - 4) ** 2 + (3 - 4) ** 2 + (8 - 4) ** 2) / 3);
    expect(std.lo).toBeCloseTo(4 - sd, 12);
    expect(std.hi).toBeCloseTo(4 + sd, 12);
  });

  test("seedBandStats bins x when seeds log at different x", () => {
    const rows = [];
    for (let seed = 0; seed < 3; seed++) for (let i = 0; i < 50; i++) rows.push({ seed, step: i * 10 + seed, r: seed });
    const { stats } = seedBandStats(rows, { x: "step", y: "r", seed: "seed", bins: 10 });
    expect(stats).toHaveLength(10);
    for (const s of stats) expect(s).toMatchObject({ mean: 1, lo: 0, hi: 2, seeds: 3 });
  });
});

describe("chart builders compile cleanly and render their marks", () => {
  const rows = runs();
  const one = rows.filter((r) => r.seed === 0);

  test("learningCurve: faint points + rolling-mean line computed in JS", async () => {
    const spec = learningCurve(one, { x: "episode", y: "return", window: 10, title: "Return per episode" });
    expect(spec.$schema).toBe("https://vega.github.io/schema/vega-lite/v5.json");
    const values = (spec.data as { values: Record<string, number>[] }).values;
    const expected = naiveTrailingMean(one.map((r) => r.return as number), 10);
    values.forEach((v, i) => expect(v.__rolling_mean).toBeCloseTo(expected[i], 10));
    const svg = await renderClean(spec);
    expect(svg).toContain("Return per episode");
    expect(svg).toContain("mark-symbol"); // raw points
    expect(svg).toContain("mark-line"); // rolling mean
  });

  test("learningCurve drops rows missing y, handles dotted field names and series", async () => {
    const dotted = one.map((r) => ({ step: r.episode, "loss.policy": r.loss }));
    const spec = learningCurve(dotted, { x: "step", y: "loss.policy", window: 3 });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(one.filter((r) => r.loss !== undefined).length);
    await renderClean(spec); // an unescaped "." would read row.loss.policy → "infinite extent" warnings
    const multi = learningCurve(rows, { x: "episode", y: "return", series: "seed", raw: "line" });
    expect(await renderClean(multi)).toContain("mark-line");
  });

  test("learningCurve thins drawn points but not the statistics", () => {
    const many = Array.from({ length: 5000 }, (_, i) => ({ i, y: i % 2 }));
    const values = (learningCurve(many, { x: "i", y: "y", window: 2, maxPoints: 500 }).data as { values: Record<string, number>[] }).values;
    expect(values).toHaveLength(500);
    expect(values.every((v) => v.__rolling_mean === 0.5 || v.i === 0)).toBe(true);
  });

  test("learningCurve of no rows is an empty chart without warnings", async () => {
    await renderClean(learningCurve([], { x: "episode", y: "return" }));
  });

  test("arrays of interface-typed rows are accepted as they are (type-level check by tsc)", () => {
    interface EpisodeStats { episode: number; return: number; length: number }
    const stats: EpisodeStats[] = [{ episode: 0, return: 3, length: 3 }, { episode: 1, return: 5, length: 5 }];
    const values = (learningCurve(stats, { x: "episode", y: "return", window: 2 }).data as { values: Record<string, number>[] }).values;
    expect(values.map((v) => v.__rolling_mean)).toEqual([3, 4]);
  });

  test("unknown fields are reported with the available columns", () => {
    expect(() => learningCurve(one, { x: "episode", y: "retrun" })).toThrow(/y field 'retrun' is not in the data; columns are: seed, episode, return/);
  });

  test("seedBand: area band + mean line, optional per-seed lines", async () => {
    const svg = await renderClean(seedBand(rows, { x: "episode", y: "return", seed: "seed", smooth: 5, showSeeds: true, title: "Three seeds" }));
    expect(svg).toContain("Three seeds");
    expect(svg).toContain("mark-area");
    expect(svg).toContain("mark-line");
  });

  test("lineChart: several y columns, and column-array input", async () => {
    const svg = await renderClean(lineChart(one, { x: "episode", y: ["return", "loss"], title: "Two metrics" }));
    expect(svg).toContain("Two metrics");
    expect(svg).toContain("loss"); // legend entry
    const cols = { t: Float32Array.from([0, 1, 2, 3]), v: [1, 4, 9, 16] };
    const spec = lineChart(cols, { x: "t", y: "v" });
    expect((spec.data as { values: unknown[] }).values).toEqual([{ x: 0, y: 1 }, { x: 1, y: 4 }, { x: 2, y: 9 }, { x: 3, y: 16 }]);
    await renderClean(spec);
  });

  test("barChart: simple with value labels, grouped and horizontal", async () => {
    const simple = await renderClean(barChart([{ o: "win", n: 71 }, { o: "draw", n: 20 }], { x: "o", y: "n", title: "Outcomes" }));
    expect(simple).toContain("mark-rect");
    expect(simple).toContain(">71<");
    const grouped = [{ o: "win", n: 7, a: "ppo" }, { o: "win", n: 5, a: "pg" }, { o: "loss", n: 3, a: "ppo" }];
    await renderClean(barChart(grouped, { x: "o", y: "n", color: "a" }));
    await renderClean(barChart(grouped, { x: "o", y: "n", color: "a", stack: true, horizontal: true, sort: "descending" }));
  });

  test("barChart: value labels never run into each other — fewer digits, then upright with room above, then none", async () => {
    const labelMark = (spec: Record<string, unknown>) => ((spec.layer as { mark: Record<string, unknown> }[] | undefined)?.[1]?.mark);
    const labelsOf = (spec: Record<string, unknown>) => ((spec.data as { values: { label?: string }[] }).values.map((v) => v.label));
    const probs = [0.4367, 0.2648, 0.1606, 0.0591, 0.03584, 0.02174, 0.01319, 0.007998].map((p, i) => ({ token: `t${i}`, p }));
    // wide slots: 4 significant digits, across
    const wide = barChart(probs, { x: "token", y: "p", width: 560 });
    expect(labelsOf(wide)).toEqual(["0.4367", "0.2648", "0.1606", "0.0591", "0.03584", "0.02174", "0.01319", "0.007998"]);
    expect(labelMark(wide)?.angle).toBeUndefined();
    // 8 bars in 150 px (as notebook 06's sampler chart): 19 px a bar, too narrow for "0.036" across
    const narrow = barChart(probs, { x: "token", y: "p", width: 150, height: 140 });
    expect(labelsOf(narrow)).toEqual(["0.44", "0.26", "0.16", "0.059", "0.036", "0.022", "0.013", "0.008"]);
    expect(labelMark(narrow)?.angle).toBe(270);
    // the value axis reaches past the tallest bar by its label's length (plus a margin)
    const bars = (narrow.layer as { encoding: { y: { scale?: { domainMax?: number } } } }[])[0];
    const domainMax = bars.encoding.y.scale?.domainMax;
    expect(domainMax).toBeGreaterThan(0.4367 * 140 / (140 - 30));
    await renderClean(narrow);
    // too many bars for even upright text: none (unless asked)
    const crowded = Array.from({ length: 18 }, (_, i) => ({ k: `k${i}`, v: i / 7 }));
    expect(labelMark(barChart(crowded, { x: "k", y: "v", width: 150 }))).toBeUndefined();
    expect(labelMark(barChart(crowded, { x: "k", y: "v", width: 150, labels: true }))?.angle).toBe(270);
  });

  test("histogram of a typed array ships bins, not values", async () => {
    const rnd = lcg(5);
    const w = Float32Array.from({ length: 20_000 }, () => rnd() - 0.5);
    const spec = histogram(w, { bins: 25, title: "Weights" });
    expect((spec.data as { values: unknown[] }).values).toHaveLength(25);
    const svg = await renderClean(spec);
    expect(svg).toContain("Weights");
    expect(svg).toContain("mark-rect");
    await renderClean(histogram(one, { field: "return" }));
    expect(() => histogram(one)).toThrow(/field/);
  });

  test("scatter, layer with a rule, concat", async () => {
    await renderClean(scatterChart(rows, { x: "episode", y: "return", color: "seed" }));
    const layered = layer([learningCurve(one, { x: "episode", y: "return", title: "With target" }), ruleY(150, { label: "solved" })]);
    const svg = await renderClean(layered);
    expect(svg).toContain("With target");
    expect(svg).toContain("mark-rule");
    expect(svg).toContain("solved");
    const both = concat([barChart([{ k: "a", v: 1 }], { x: "k", y: "v", title: "Left" }), histogram([1, 2, 2, 3], { title: "Right" })], { title: "Both" });
    const svg2 = await renderClean(both);
    for (const t of ["Left", "Right", "Both"]) expect(svg2).toContain(t);
  });
  test("lineChart thins long lines to maxPoints per line, keeping each line's last point", () => {
    const rows = Array.from({ length: 5000 }, (_, i) => ({ step: i, a: Math.sin(i), b: Math.cos(i) }));
    const spec = lineChart(rows, { x: "step", y: ["a", "b"] }) as { data: { values: { x: number; series: string }[] } };
    const values = spec.data.values;
    expect(values.filter((v) => v.series === "a")).toHaveLength(600);
    expect(values.filter((v) => v.series === "b").at(-1)!.x).toBe(4999);
    const few = lineChart(rows.slice(0, 50), { x: "step", y: "a", maxPoints: 10 }) as { data: { values: unknown[] } };
    expect(few.data.values).toHaveLength(10);
  });
});
