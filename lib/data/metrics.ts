/**
 * The metrics log a training loop writes into: one row per episode or update,
 * e.g. `{ episode: 12, step: 3400, return: 37, length: 37, loss: 0.41 }`.
 *
 * Rows stay plain JS objects in an array, so `push` costs a copy and nothing else (no polars in
 * the hot loop) and `.rows` feeds the chart builders directly. A polars DataFrame is built on
 * demand (`toDataFrame`), e.g. for group-bys, CSV and the notebook's table view.
 * Rows may miss keys (loss only on update steps); missing cells become nulls in the DataFrame.
 */

import pl from "nodejs-polars";
import { writeFileAtomic } from "./atomic";

export type MetricValue = number | string | boolean | bigint | null | undefined;
export type MetricsRow = Record<string, MetricValue>;

export interface MetricsLog {
  /**
   * Appends a copy of `row`. Values must be numbers (or strings/booleans for labels). Typed
   * `object` so interface-typed rows (e.g. an algorithm's `EpisodeStats`) pass as they are.
   */
  push(row: object): void;
  /** All rows so far, oldest first (the live array: read it, do not mutate it). */
  readonly rows: readonly MetricsRow[];
  readonly length: number;
  /** Column names in first-seen order. */
  columns(): string[];
  /** The finite numeric values of one column, in row order (rows without it are skipped). */
  values(column: string): number[];
  /** The most recent row, if any. */
  last(): MetricsRow | undefined;
  /** Per-column count/mean/min/max/last, and the mean of the last `window` values (see `summarizeMetrics`). */
  summary(window?: number): Record<string, ColumnSummary>;
  toDataFrame(): pl.DataFrame;
  /** Writes the log as CSV (atomically; parent directories created). */
  saveCsv(file: string): void;
  clear(): void;
}

/**
 * A new, empty log (or one holding `initial` rows, e.g. from `readCsv` to continue a run).
 *
 * @example
 *   const log = createMetricsLog();
 *   log.push({ episode, return: ret, length: steps });
 *   show(learningCurve(log.rows, { x: "episode", y: "return" }));
 *   log.saveCsv("runs/cartpole/metrics.csv");
 */
export function createMetricsLog(initial: readonly object[] = []): MetricsLog {
  const rows: MetricsRow[] = [];
  const cols = new Set<string>();

  function push(row: object): void {
    const copy: MetricsRow = {};
    for (const [k, v] of Object.entries(row) as [string, unknown][]) {
      if (v === undefined) continue;
      const t = typeof v;
      if (v !== null && t !== "number" && t !== "string" && t !== "boolean" && t !== "bigint") {
        throw new TypeError(`metrics column '${k}' got a ${Array.isArray(v) ? "array" : t}; log numbers (or strings/booleans for labels)`);
      }
      copy[k] = v as MetricValue;
      cols.add(k);
    }
    rows.push(copy);
  }
  initial.forEach(push);

  return {
    push,
    rows,
    get length() { return rows.length; },
    columns: () => [...cols],
    values(column) {
      const out: number[] = [];
      for (const r of rows) {
        const v = r[column];
        const x = typeof v === "bigint" ? Number(v) : v;
        if (typeof x === "number" && Number.isFinite(x)) out.push(x);
      }
      return out;
    },
    last: () => rows[rows.length - 1],
    summary: (window) => summarizeMetrics(rows, window),
    toDataFrame: () => rowsToDataFrame(rows, [...cols]),
    saveCsv: (file) => writeCsv(rowsToDataFrame(rows, [...cols]), file),
    clear() { rows.length = 0; cols.clear(); },
  };
}

/**
 * Builds a polars DataFrame column by column with explicit dtypes (polars' own record inference
 * looks at the first rows only, and rows here may miss keys): a column of integers is Int64, of
 * other numbers (incl. NaN/±Inf) Float64, of booleans Bool, anything else String. Missing → null.
 */
export function rowsToDataFrame(rows: readonly object[], columns?: string[]): pl.DataFrame {
  const names = columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const series = names.map((name) => {
    const raw = rows.map((r) => {
      const v = (r as Record<string, unknown>)[name];
      return typeof v === "bigint" ? Number(v) : v ?? null; // polars turns JS bigints into nulls
    });
    const present = raw.filter((v) => v !== null);
    if (present.length > 0 && present.every((v) => typeof v === "number")) {
      const ints = present.every((v) => Number.isSafeInteger(v));
      return pl.Series(name, raw, ints ? pl.Int64 : pl.Float64);
    }
    if (present.length > 0 && present.every((v) => typeof v === "boolean")) return pl.Series(name, raw, pl.Bool);
    if (present.length === 0) return pl.Series(name, raw, pl.Float64); // an all-missing metric is still numeric
    return pl.Series(name, raw.map((v) => (v === null ? null : String(v))), pl.Utf8);
  });
  return pl.DataFrame(series);
}

/** Writes a DataFrame (or rows) as CSV atomically. */
export function writeCsv(data: pl.DataFrame | readonly object[], file: string): void {
  writeFileAtomic(file, csvBytes(data));
}

/** A DataFrame (or rows) as the bytes of a CSV file. */
export function csvBytes(data: pl.DataFrame | readonly object[]): Buffer {
  const df = Array.isArray(data) ? rowsToDataFrame(data as readonly object[]) : (data as pl.DataFrame);
  return df.width === 0 ? Buffer.alloc(0) : (df.writeCSV() as unknown as Buffer);
}

export interface ColumnSummary {
  count: number;
  mean: number;
  min: number;
  max: number;
  last: number;
  /** Mean of the last `window` values: "where the run ended", e.g. for a checkpoint's config. */
  lastMean: number;
}

/** Summary of every numeric column (finite values only); columns with none are omitted. */
export function summarizeMetrics(rows: readonly object[], window = 100): Record<string, ColumnSummary> {
  const cols = new Map<string, number[]>();
  for (const r of rows) {
    for (const [k, v] of Object.entries(r) as [string, unknown][]) {
      const x = typeof v === "bigint" ? Number(v) : v;
      if (typeof x !== "number" || !Number.isFinite(x)) continue;
      const list = cols.get(k);
      if (list) list.push(x);
      else cols.set(k, [x]);
    }
  }
  const out: Record<string, ColumnSummary> = {};
  for (const [k, xs] of cols) {
    const tail = xs.slice(-window);
    let min = Infinity, max = -Infinity;
    for (const x of xs) { if (x < min) min = x; if (x > max) max = x; } // no Math.min(...xs): long runs overflow the stack
    out[k] = {
      count: xs.length,
      mean: xs.reduce((a, b) => a + b, 0) / xs.length,
      min,
      max,
      last: xs[xs.length - 1],
      lastMean: tail.reduce((a, b) => a + b, 0) / tail.length,
    };
  }
  return out;
}
