/**
 * Chart builders: plain data in, a vega-lite v5 spec out. They know nothing about RL — a
 * "learning curve" is any noisy y over x that reads better with a rolling mean on top.
 *
 * Every builder computes its statistics in JavaScript (see stats.ts), drops rows whose x or y is
 * missing or non-finite (metrics rows often lack a key: loss is logged per update, return per
 * episode), and returns a complete top-level spec ready for `show`, `save` or `liveChart`.
 */

import {
  type ChartOptions, type Row, type TableData, type VegaLiteSpec,
  DEFAULT_HEIGHT, DEFAULT_WIDTH, fieldRef, finite, requireField, rowsWithFields, toRows, topLevel,
} from "./spec";
import { histogramBins, rollingMean, summarize, thinIndices } from "./stats";
import { textWidth } from "./svg-text";

export interface AxisOptions {
  /** Axis titles (default: the field names). */
  xTitle?: string;
  yTitle?: string;
  /** Logarithmic y scale (e.g. losses that fall over decades). */
  logY?: boolean;
}

export interface LearningCurveOptions extends ChartOptions, AxisOptions {
  /** Field on the x axis, e.g. "episode" or "step". */
  x: string;
  /** Noisy field on the y axis, e.g. "return". */
  y: string;
  /** Rolling-mean window in points (default 20). See `rollingMean`: trailing window, no warm-up gap. */
  window?: number;
  /** Optional field splitting the data into several curves (e.g. "algorithm"), each smoothed separately. */
  series?: string;
  /** How to draw the raw values: faint points (default), a faint line, or not at all. */
  raw?: "points" | "line" | "none";
  /**
   * At most this many points per series are sent to the chart (default 2000). The rolling mean is
   * computed on all points first, so thinning changes only what is drawn, not the statistics.
   * Keeps live charts of long runs light.
   */
  maxPoints?: number;
}

const SMOOTH = "__rolling_mean"; // derived column; the axis/legend titles hide this name

/**
 * Raw values as faint points plus their trailing rolling mean as a line.
 *
 * @example
 *   show(learningCurve(log.rows, { x: "episode", y: "return", window: 50, title: "CartPole return" }))
 */
export function learningCurve(data: TableData, opts: LearningCurveOptions): VegaLiteSpec {
  const window = opts.window ?? 20;
  const maxPoints = opts.maxPoints ?? 2000;
  const rows = rowsWithFields(data, { x: opts.x, y: opts.y, series: opts.series });

  const out: Row[] = [];
  for (const group of groupBy(rows, opts.series).values()) {
    const pts = group
      .map((r) => ({ r, x: finite(r[opts.x]), y: finite(r[opts.y]) }))
      .filter((p): p is { r: Row; x: number; y: number } => p.x !== undefined && p.y !== undefined)
      .sort((a, b) => a.x - b.x);
    const smooth = rollingMean(pts.map((p) => p.y), window);
    for (const i of thinIndices(pts.length, maxPoints)) {
      const row: Row = { [opts.x]: pts[i].x, [opts.y]: pts[i].y, [SMOOTH]: smooth[i] };
      if (opts.series) row[opts.series] = pts[i].r[opts.series];
      out.push(row);
    }
  }

  const empty = out.length === 0;
  const x = { field: fieldRef(opts.x), type: "quantitative", title: opts.xTitle ?? opts.x, scale: scaleFor(false, empty) };
  const yScale = scaleFor(opts.logY, empty);
  const color = opts.series ? { color: { field: fieldRef(opts.series), type: "nominal", title: opts.series } } : {};
  const layers: VegaLiteSpec[] = [];
  const raw = opts.raw ?? "points";
  if (raw !== "none") {
    layers.push({
      mark: raw === "points"
        ? { type: "point", filled: true, size: 14, opacity: 0.3 }
        : { type: "line", strokeWidth: 1, opacity: 0.3 },
      encoding: { x, y: { field: fieldRef(opts.y), type: "quantitative", title: opts.yTitle ?? opts.y, scale: yScale }, ...color },
    });
  }
  layers.push({
    mark: { type: "line", strokeWidth: 2.5 },
    encoding: {
      x,
      y: { field: SMOOTH, type: "quantitative", title: opts.yTitle ?? opts.y, scale: yScale },
      ...color,
      tooltip: [
        { field: fieldRef(opts.x), type: "quantitative", title: opts.x },
        { field: fieldRef(opts.y), type: "quantitative", title: opts.y, format: ".4~g" },
        { field: SMOOTH, type: "quantitative", title: `mean of last ${window}`, format: ".4~g" },
        ...(opts.series ? [{ field: fieldRef(opts.series), type: "nominal", title: opts.series }] : []),
      ],
    },
  });
  const rawText = raw === "none" ? "" : `${raw === "points" ? "dots" : "faint line"}: ${opts.y} as logged; `;
  return topLevel(
    { title: titleWith(opts.title ?? `${opts.y} per ${opts.x}`, `${rawText}line: rolling mean of the last ${window} values`), data: { values: out }, layer: layers },
    opts,
  );
}

export interface SeedBandOptions extends ChartOptions, AxisOptions {
  x: string;
  y: string;
  /** Field naming the run/seed each row belongs to. */
  seed: string;
  /** Optional field splitting runs into groups (e.g. "algorithm"), one band per group. */
  series?: string;
  /**
   * Band drawn around the mean across seeds: "minmax" (default — with the 3–5 seeds a notebook can
   * afford, the envelope of all runs is more honest than a standard deviation of 3 samples) or "std" (mean ± 1 std).
   */
  band?: "minmax" | "std";
  /** Rolling-mean window applied to each seed's curve before aggregating (default 1 = none). */
  smooth?: number;
  /**
   * Align x across seeds by bucketing it into this many equal-width bins. Needed when seeds log at
   * different x (e.g. environment steps at episode ends). Default: exact x when the seeds share
   * their x values, 100 bins when they do not.
   */
  bins?: number;
  /** Also draw each seed's own curve, faint (default false). */
  showSeeds?: boolean;
}

/** The per-x aggregate rows `seedBand` plots; exported so a notebook can print or test them. */
export interface SeedBandRow { x: number; mean: number; lo: number; hi: number; seeds: number; series?: unknown }

/**
 * Mean across seeds as a line, with a min–max (or ±std) band.
 *
 * @example
 *   show(seedBand(rows, { x: "episode", y: "return", seed: "seed", smooth: 20 }))
 */
export function seedBand(data: TableData, opts: SeedBandOptions): VegaLiteSpec {
  const rows = rowsWithFields(data, { x: opts.x, y: opts.y, seed: opts.seed, series: opts.series });
  const { stats, perSeed } = seedBandStats(rows, opts);

  const s = opts.series;
  const color = s ? { color: { field: "series", type: "nominal", title: s } } : {};
  const empty = stats.length === 0;
  const x = { field: "x", type: "quantitative", title: opts.xTitle ?? opts.x, scale: scaleFor(false, empty) };
  const yScale = scaleFor(opts.logY, empty);
  const yTitle = opts.yTitle ?? opts.y;
  const layers: VegaLiteSpec[] = [
    {
      mark: { type: "area", opacity: 0.22 },
      encoding: { x, y: { field: "lo", type: "quantitative", title: yTitle, scale: yScale }, y2: { field: "hi" }, ...color },
    },
  ];
  if (opts.showSeeds) {
    layers.push({
      data: { values: perSeed },
      mark: { type: "line", strokeWidth: 1, opacity: 0.35 },
      encoding: { x, y: { field: "y", type: "quantitative", title: yTitle, scale: yScale }, detail: { field: "seed", type: "nominal" }, ...color },
    });
  }
  const bandText = (opts.band ?? "minmax") === "std" ? "mean ± 1 std" : "min–max";
  layers.push({
    mark: { type: "line", strokeWidth: 2.5 },
    encoding: {
      x,
      y: { field: "mean", type: "quantitative", title: yTitle, scale: yScale },
      ...color,
      tooltip: [
        { field: "x", type: "quantitative", title: opts.x },
        { field: "mean", type: "quantitative", title: "mean", format: ".4~g" },
        { field: "lo", type: "quantitative", title: "band low", format: ".4~g" },
        { field: "hi", type: "quantitative", title: "band high", format: ".4~g" },
        { field: "seeds", type: "quantitative", title: "seeds" },
      ],
    },
  });
  const seedCount = new Set(rows.map((r) => String(r[opts.seed]))).size;
  const smoothText = (opts.smooth ?? 1) > 1 ? `, each seed smoothed over ${opts.smooth}` : "";
  return topLevel(
    {
      title: titleWith(opts.title ?? `${opts.y} per ${opts.x}`, `line: mean of ${seedCount} seeds; band: ${bandText}${smoothText}`),
      data: { values: stats },
      layer: layers,
    },
    opts,
  );
}

/** The statistics behind `seedBand`: per (series, x) mean/lo/hi over seeds, plus each seed's (smoothed) curve. */
export function seedBandStats(data: TableData, opts: SeedBandOptions): { stats: SeedBandRow[]; perSeed: Row[] } {
  const rows = toRows(data);
  const smooth = opts.smooth ?? 1;
  // 1. each seed's curve, sorted by x and optionally smoothed
  type Curve = { series: unknown; seed: unknown; xs: number[]; ys: Float64Array };
  const curves: Curve[] = [];
  for (const group of groupBy(rows, opts.series).values()) {
    for (const seedRows of groupBy(group, opts.seed).values()) {
      const pts = seedRows
        .map((r) => ({ x: finite(r[opts.x]), y: finite(r[opts.y]) }))
        .filter((p): p is { x: number; y: number } => p.x !== undefined && p.y !== undefined)
        .sort((a, b) => a.x - b.x);
      if (pts.length === 0) continue;
      const series = opts.series ? seedRows[0][opts.series] : undefined;
      curves.push({ series, seed: seedRows[0][opts.seed], xs: pts.map((p) => p.x), ys: rollingMean(pts.map((p) => p.y), smooth) });
    }
  }
  // 2. x alignment: exact x when seeds share it, else equal-width bins (bin start as the x)
  const bins = opts.bins ?? (sharesX(curves) ? undefined : 100);
  let key = (x: number) => x;
  if (bins !== undefined) {
    const all = curves.flatMap((c) => c.xs);
    const lo = Math.min(...all), hi = Math.max(...all);
    const width = hi > lo ? (hi - lo) / bins : 1;
    key = (x) => lo + Math.min(bins - 1, Math.floor((x - lo) / width)) * width;
  }
  // 3. per seed, average within an x key; then across seeds per (series, x key)
  const cells = new Map<string, { series: unknown; x: number; perSeed: number[] }>();
  const perSeed: Row[] = [];
  for (const c of curves) {
    const sums = new Map<number, { sum: number; n: number }>();
    c.xs.forEach((x, i) => {
      const y = c.ys[i];
      if (!Number.isFinite(y)) return;
      const k = key(x);
      const cell = sums.get(k) ?? { sum: 0, n: 0 };
      cell.sum += y; cell.n++;
      sums.set(k, cell);
    });
    for (const [k, { sum, n }] of sums) {
      const id = `${String(c.series)}\u0000${k}`;
      const cell = cells.get(id) ?? { series: c.series, x: k, perSeed: [] };
      cell.perSeed.push(sum / n);
      cells.set(id, cell);
      perSeed.push({ x: k, y: sum / n, seed: String(c.seed), ...(opts.series ? { series: c.series } : {}) });
    }
  }
  const std = opts.band === "std";
  const stats: SeedBandRow[] = [...cells.values()]
    .map(({ series, x, perSeed: ys }) => {
      const s = summarize(ys);
      const row: SeedBandRow = { x, mean: s.mean, lo: std ? s.mean - s.std : s.min, hi: std ? s.mean + s.std : s.max, seeds: s.n };
      if (opts.series) row.series = series;
      return row;
    })
    .sort((a, b) => a.x - b.x);
  return { stats, perSeed };
}

/** True when at least half of all x values are logged by every seed of their series (i.e. x is aligned). */
function sharesX(curves: { series: unknown; xs: number[] }[]): boolean {
  const bySeries = new Map<unknown, { xs: number[] }[]>();
  for (const c of curves) bySeries.set(c.series, [...(bySeries.get(c.series) ?? []), c]);
  let shared = 0, total = 0;
  for (const group of bySeries.values()) {
    if (group.length < 2) return true;
    const counts = new Map<number, number>();
    for (const c of group) for (const x of new Set(c.xs)) counts.set(x, (counts.get(x) ?? 0) + 1);
    for (const n of counts.values()) { total++; if (n === group.length) shared++; }
  }
  return total === 0 || shared * 2 >= total;
}

export interface LineChartOptions extends ChartOptions, AxisOptions {
  x: string;
  /** One field, or several fields drawn as one line each (legend = field names). */
  y: string | string[];
  /** Field splitting rows into one line per value (only with a single y field). */
  series?: string;
  /** Draw a point at each value as well (default: only when there are ≤ 60 points per line). */
  points?: boolean;
  /** Legend title (default: the series field, or "series" for several y fields). */
  legendTitle?: string;
  /**
   * At most this many points per line are sent to the chart (default 600), evenly spaced, the last
   * always kept: the chart (and the notebook that saves it) stays light when a long run logs many rows.
   */
  maxPoints?: number;
}

/**
 * One or more lines over x: either a `series` field (long data) or several `y` fields (wide data).
 *
 * @example
 *   show(lineChart(rows, { x: "update", y: ["policy_loss", "value_loss"], yTitle: "loss" }))
 */
export function lineChart(data: TableData, opts: LineChartOptions): VegaLiteSpec {
  const rows = toRows(data);
  const ys = Array.isArray(opts.y) ? opts.y : [opts.y];
  if (ys.length > 1 && opts.series) throw new Error(`lineChart: give either several y fields or a series field, not both (y: ${ys.join(", ")}; series: ${opts.series})`);
  requireField(rows, opts.x, "x");
  for (const y of ys) requireField(rows, y, "y");
  if (opts.series) requireField(rows, opts.series, "series");

  // long format: { x, y, series } — wide y fields are folded here rather than with a vega-lite
  // fold transform so that rows missing one metric simply contribute no point to that line
  const long: Row[] = [];
  const many = ys.length > 1;
  for (const r of rows) {
    const x = finite(r[opts.x]);
    if (x === undefined) continue;
    for (const y of ys) {
      const v = finite(r[y]);
      if (v === undefined) continue;
      const row: Row = { x, y: v };
      if (many) row.series = y;
      else if (opts.series) row.series = r[opts.series];
      long.push(row);
    }
  }
  long.sort((a, b) => (a.x as number) - (b.x as number));
  const drawn = thinPerLine(long, opts.maxPoints ?? 600);
  const lines = many ? ys.length : opts.series ? new Set(drawn.map((r) => r.series)).size : 1;
  const points = opts.points ?? drawn.length / Math.max(1, lines) <= 60;
  const colored = many || !!opts.series;
  const yTitle = opts.yTitle ?? (many ? "value" : ys[0]);
  return topLevel(
    {
      ...(opts.title ? { title: opts.title } : {}),
      data: { values: drawn },
      mark: { type: "line", point: points, strokeWidth: 2 },
      encoding: {
        x: { field: "x", type: "quantitative", title: opts.xTitle ?? opts.x, scale: scaleFor(false, drawn.length === 0) },
        y: { field: "y", type: "quantitative", title: yTitle, scale: scaleFor(opts.logY, drawn.length === 0) },
        ...(colored
          ? { color: { field: "series", type: "nominal", title: opts.legendTitle ?? (many ? "series" : opts.series), sort: many ? ys : undefined } }
          : {}),
        tooltip: [
          { field: "x", type: "quantitative", title: opts.x },
          { field: "y", type: "quantitative", title: yTitle, format: ".4~g" },
          ...(colored ? [{ field: "series", type: "nominal", title: opts.legendTitle ?? (many ? "series" : opts.series) }] : []),
        ],
      },
    },
    opts,
  );
}

/** Keeps at most `maxPoints` evenly spaced points of each line (rows grouped by `series`), in x order. */
function thinPerLine(rows: Row[], maxPoints: number): Row[] {
  const byLine = new Map<unknown, Row[]>();
  for (const r of rows) {
    const line = byLine.get(r.series) ?? [];
    line.push(r);
    byLine.set(r.series, line);
  }
  if ([...byLine.values()].every((l) => l.length <= maxPoints)) return rows;
  const out: Row[] = [];
  for (const line of byLine.values()) for (const i of thinIndices(line.length, maxPoints)) out.push(line[i]);
  return out.sort((a, b) => (a.x as number) - (b.x as number));
}

export interface BarChartOptions extends ChartOptions {
  /** Category field (drawn along the x axis, or the y axis when `horizontal`). */
  x: string;
  /** Value field. */
  y: string;
  /** Optional field for grouped bars (one bar per value side by side, or stacked with `stack`). */
  color?: string;
  stack?: boolean;
  horizontal?: boolean;
  /** Category order: as in the data (default), or by value. */
  sort?: "data" | "ascending" | "descending";
  /** Print each bar's value on it (default: when there are ≤ 20 bars, no colour groups, and the labels fit; see barLabelLayout). */
  labels?: boolean;
  xTitle?: string;
  yTitle?: string;
}

/**
 * Bars for categories (win/draw/loss counts, returns per algorithm, …).
 *
 * @example
 *   show(barChart([{ outcome: "win", n: 71 }, { outcome: "draw", n: 20 }], { x: "outcome", y: "n" }))
 */
export function barChart(data: TableData, opts: BarChartOptions): VegaLiteSpec {
  const rows = rowsWithFields(data, { x: opts.x, y: opts.y, color: opts.color });
  const values = rows
    .filter((r) => finite(r[opts.y]) !== undefined)
    .map((r) => ({ cat: String(r[opts.x]), value: finite(r[opts.y]), ...(opts.color ? { group: String(r[opts.color]) } : {}) }));
  const sort = opts.sort === "ascending" ? (opts.horizontal ? "-x" : "y") : opts.sort === "descending" ? (opts.horizontal ? "x" : "-y") : null;
  const catAxis = opts.horizontal ? "y" : "x";
  const valAxis = opts.horizontal ? "x" : "y";
  const encoding: Record<string, unknown> = {
    [catAxis]: { field: "cat", type: "nominal", title: opts.xTitle ?? opts.x, sort, axis: opts.horizontal ? {} : { labelAngle: 0 } },
    [valAxis]: { field: "value", type: "quantitative", title: opts.yTitle ?? opts.y, ...(opts.color && opts.stack ? {} : { stack: null }) },
    tooltip: [
      { field: "cat", type: "nominal", title: opts.x },
      { field: "value", type: "quantitative", title: opts.y, format: ".4~g" },
      ...(opts.color ? [{ field: "group", type: "nominal", title: opts.color }] : []),
    ],
  };
  if (opts.color) {
    encoding.color = { field: "group", type: "nominal", title: opts.color, sort: null };
    if (!opts.stack) encoding[opts.horizontal ? "yOffset" : "xOffset"] = { field: "group", type: "nominal", sort: null };
  }
  const layout = opts.color || opts.labels === false ? undefined : barLabelLayout(values, opts);
  const bar = { mark: { type: "bar", cornerRadiusEnd: 2 }, encoding };
  if (layout?.headroom !== undefined) encoding[valAxis] = { ...(encoding[valAxis] as object), scale: { domainMax: layout.headroom } };
  const body: VegaLiteSpec = layout
    ? {
      layer: [
        bar,
        {
          mark: opts.horizontal
            ? { type: "text", align: "left", dx: 3, fontSize: BAR_LABEL_FONT, color: "#333" }
            : layout.upright
              ? { type: "text", angle: 270, align: "left", baseline: "middle", dx: 3, fontSize: BAR_LABEL_FONT, color: "#333" }
              : { type: "text", baseline: "bottom", dy: -3, fontSize: BAR_LABEL_FONT, color: "#333" },
          encoding: { ...encoding, tooltip: undefined, text: { field: "label", type: "nominal" } },
        },
      ],
    }
    : bar;
  const drawn = layout ? values.map((v, i) => ({ ...v, label: layout.labels[i] })) : values;
  return topLevel({ ...(opts.title ? { title: opts.title } : {}), data: { values: drawn }, ...body }, opts);
}

const BAR_LABEL_FONT = 11;

/** A value as a bar label: `digits` significant digits, trailing zeros dropped (d3's "~g"). */
function barLabel(v: number, digits: number): string {
  return String(Number(v.toPrecision(digits)));
}

/**
 * How the bars' values are printed so that no label runs into its neighbour: across, above each
 * bar, with 4 significant digits, or with 2 when those are too wide for a bar's slot; failing
 * that (many narrow bars) turned upright, with the value axis stretched so the tallest bar's label
 * stays inside the plot; and not at all when even upright text does not fit a slot, or past 20
 * bars, unless `labels: true`. Widths are measured in the chart's font (svg-text.ts).
 */
function barLabelLayout(values: readonly { cat: string; value: number | undefined }[], opts: BarChartOptions): { labels: string[]; upright: boolean; headroom?: number } | undefined {
  const nums = values.map((v) => v.value ?? 0);
  const categories = new Set(values.map((v) => v.cat)).size;
  if (categories === 0 || (opts.labels === undefined && categories > 20)) return undefined;
  const slot = (opts.horizontal ? (opts.height ?? DEFAULT_HEIGHT) : (opts.width ?? DEFAULT_WIDTH)) / categories;
  const widest = (labels: string[]) => Math.max(...labels.map((l) => textWidth(l, BAR_LABEL_FONT)));
  if (opts.horizontal) return slot >= BAR_LABEL_FONT + 2 || opts.labels ? { labels: nums.map((v) => barLabel(v, 4)), upright: false } : undefined;
  for (const digits of [4, 2]) {
    const labels = nums.map((v) => barLabel(v, digits));
    if (widest(labels) + 4 <= slot * 0.9) return { labels, upright: false };
  }
  if ((slot < BAR_LABEL_FONT + 2 || nums.some((v) => v < 0)) && !opts.labels) return undefined;
  const labels = nums.map((v) => barLabel(v, 2));
  // upright labels stand on their bars: the value axis must reach past each bar by its label's length
  const height = opts.height ?? DEFAULT_HEIGHT;
  let headroom = Math.max(0, ...nums);
  nums.forEach((v, i) => {
    const room = height - textWidth(labels[i], BAR_LABEL_FONT) - 6;
    if (v > 0 && room > 0) headroom = Math.max(headroom, (v * height) / room);
  });
  return { labels, upright: true, headroom };
}

export interface HistogramOptions extends ChartOptions {
  /** Field to bin when `data` is records or columns (not needed for a plain number array). */
  field?: string;
  /** Number of equal-width bins (default 30). */
  bins?: number;
  xTitle?: string;
  yTitle?: string;
}

/**
 * Histogram with equal-width bins computed in JS (so 10⁵ values become `bins` rows in the spec).
 *
 * @example
 *   show(histogram(weights, { title: "dense0 kernel", bins: 40 }))          // Float32Array or number[]
 *   show(histogram(log.rows, { field: "length" }))
 */
export function histogram(data: ArrayLike<number> | TableData, opts: HistogramOptions = {}): VegaLiteSpec {
  let values: ArrayLike<number>;
  if (isNumberArray(data)) values = data;
  else {
    if (!opts.field) throw new Error("histogram: `field` is required when data is records or columns");
    const rows = toRows(data as TableData);
    requireField(rows, opts.field, "histogram");
    values = rows.map((r) => finite(r[opts.field!]) ?? NaN);
  }
  const bins = histogramBins(values, opts.bins ?? 30);
  const name = opts.field ?? "value";
  return topLevel(
    {
      ...(opts.title ? { title: opts.title } : {}),
      data: { values: bins },
      mark: { type: "bar", binSpacing: 1 },
      encoding: {
        x: { field: "start", type: "quantitative", bin: { binned: true }, title: opts.xTitle ?? name, ...(bins.length === 0 ? { scale: { domain: [0, 1] } } : {}) },
        x2: { field: "end" },
        y: { field: "count", type: "quantitative", title: opts.yTitle ?? "count" },
        tooltip: [
          { field: "start", type: "quantitative", title: "from", format: ".4~g" },
          { field: "end", type: "quantitative", title: "to", format: ".4~g" },
          { field: "count", type: "quantitative", title: "count" },
        ],
      },
    },
    opts,
  );
}

export interface ScatterOptions extends ChartOptions, AxisOptions {
  x: string;
  y: string;
  /** Optional nominal field for colour. */
  color?: string;
}

/** Points of y against x, optionally coloured by a category. */
export function scatterChart(data: TableData, opts: ScatterOptions): VegaLiteSpec {
  const rows = rowsWithFields(data, { x: opts.x, y: opts.y, color: opts.color });
  const values = rows.filter((r) => finite(r[opts.x]) !== undefined && finite(r[opts.y]) !== undefined);
  return topLevel(
    {
      ...(opts.title ? { title: opts.title } : {}),
      data: { values },
      mark: { type: "point", filled: true, size: 30, opacity: 0.7 },
      encoding: {
        x: { field: fieldRef(opts.x), type: "quantitative", title: opts.xTitle ?? opts.x, scale: scaleFor(false, values.length === 0) },
        y: { field: fieldRef(opts.y), type: "quantitative", title: opts.yTitle ?? opts.y, scale: scaleFor(opts.logY, values.length === 0) },
        ...(opts.color ? { color: { field: fieldRef(opts.color), type: "nominal", title: opts.color } } : {}),
      },
    },
    opts,
  );
}

/**
 * Overlays charts on shared axes (e.g. a learning curve plus a horizontal "solved" rule).
 * Children keep their own data and marks; the result gets one schema, theme and size.
 */
export function layer(specs: VegaLiteSpec[], opts: ChartOptions = {}): VegaLiteSpec {
  if (specs.length === 0) throw new Error("layer: need at least one spec");
  const first = specs[0];
  const children = specs.map((s) => child(s, true));
  const title = opts.title ?? first.title;
  return topLevel(
    { ...(title !== undefined ? { title } : {}), layer: children },
    { width: (first.width as number | undefined), height: (first.height as number | undefined), ...opts },
  );
}

export interface ConcatOptions extends ChartOptions {
  /** Side by side (default), stacked, or wrapped into `columns` columns. */
  direction?: "horizontal" | "vertical" | "wrap";
  columns?: number;
}

/** Places charts next to each other; each keeps its own title, size, scales and colour legend. */
export function concat(specs: VegaLiteSpec[], opts: ConcatOptions = {}): VegaLiteSpec {
  if (specs.length === 0) throw new Error("concat: need at least one spec");
  const children = specs.map((s) => child(s, false));
  const dir = opts.direction ?? "horizontal";
  const key = dir === "horizontal" ? "hconcat" : dir === "vertical" ? "vconcat" : "concat";
  const body: VegaLiteSpec = {
    ...(opts.title ? { title: opts.title } : {}),
    [key]: children,
    ...(dir === "wrap" ? { columns: opts.columns ?? 2 } : {}),
    // each panel shows different quantities, so colours/scales are not shared between panels
    resolve: { scale: { color: "independent", x: "independent", y: "independent" } },
  };
  return topLevel(body, opts, false);
}

/** A top-level spec turned into a sub-spec: no schema/config (only allowed at the top), no title inside a layer. */
function child(spec: VegaLiteSpec, inLayer: boolean): VegaLiteSpec {
  const { $schema: _schema, config: _config, ...rest } = spec;
  if (inLayer) {
    delete rest.title;
    delete rest.width;
    delete rest.height;
  }
  return rest;
}

/** A horizontal reference line at `y` (e.g. the "solved" threshold), to `layer` over a chart. */
export function ruleY(y: number, opts: { label?: string; color?: string } = {}): VegaLiteSpec {
  const color = opts.color ?? "#888";
  const rule = { mark: { type: "rule", strokeDash: [5, 4], color, strokeWidth: 1.5 }, encoding: { y: { datum: y, type: "quantitative" } } };
  // one dummy row: a layer without data of its own draws nothing when the parent has no top-level data
  const data = { values: [{}] };
  if (!opts.label) return { data, layer: [rule] };
  return {
    data,
    layer: [
      rule,
      {
        mark: { type: "text", align: "right", baseline: "bottom", dy: -3, fontSize: 11, color },
        encoding: { y: { datum: y, type: "quantitative" }, x: { value: { expr: "width - 4" } }, text: { value: opts.label } },
      },
    ],
  };
}

/**
 * Quantitative scale: not forced to include zero (returns and losses live far from it), log when
 * asked. With no data at all (a live chart before its first row) a fixed [0, 1] domain avoids
 * vega's "infinite extent" warnings and draws empty axes.
 */
function scaleFor(log: boolean | undefined, empty: boolean): Record<string, unknown> {
  const scale: Record<string, unknown> = log ? { type: "log" } : { zero: false };
  if (empty) scale.domain = log ? [1, 10] : [0, 1];
  return scale;
}

function titleWith(text: string, subtitle: string | undefined): unknown {
  return subtitle ? { text, subtitle, subtitleFontSize: 11, subtitleColor: "#666" } : text;
}

function groupBy(rows: Row[], field: string | undefined): Map<unknown, Row[]> {
  const groups = new Map<unknown, Row[]>();
  for (const r of rows) {
    const k = field ? r[field] : undefined;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  return groups;
}

function isNumberArray(data: unknown): data is ArrayLike<number> {
  if (ArrayBuffer.isView(data)) return true;
  return Array.isArray(data) && (data.length === 0 || typeof data[0] === "number");
}
