/**
 * Tables as MIME bundles: clean HTML for the notebook (and nbconvert/GitHub), aligned plain text
 * for terminals. A table longer than `maxRows` (60) shows its first and last rows with the count
 * of the rest between them, as pandas does; a shorter one is shown whole. A table is not a chart, so this is HTML rather than a vega-lite text mark: it can
 * be selected, copied and read by screen readers.
 */

import type { MimeBundle } from "./display";
import { type TableData, toRows } from "./spec";

export interface TableOptions {
  /** Columns to show, in order (default: every key seen, in first-seen order). */
  columns?: string[];
  /**
   * A table of at most this many rows is shown whole (default 60, as pandas' `display.max_rows`);
   * a longer one is cut to its first and last rows (`cutTo`), the rest counted in between.
   */
  maxRows?: number;
  /** Rows a cut table shows: the first half of them and the last half (default 10, as pandas' `display.min_rows`). */
  cutTo?: number;
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Optional caption above the table. */
  title?: string;
  /** Optional type label per column, shown under its name (e.g. polars dtypes). */
  types?: Record<string, string>;
}

/**
 * Rows left out before the data reached the table (a DataFrame converts only the rows it shows):
 * the data holds the table's first `head` rows, then its last rows; the table has `total` in all.
 */
export interface CutRows {
  total: number;
  head: number;
}

/**
 * How a table of `total` rows is cut: undefined when it is shown whole, else how many of its
 * first and last rows are shown.
 */
export function tableCut(total: number, opts: Pick<TableOptions, "maxRows" | "cutTo"> = {}): { head: number; tail: number } | undefined {
  const maxRows = opts.maxRows ?? 60;
  if (total <= maxRows) return undefined;
  const shown = Math.max(1, Math.min(opts.cutTo ?? 10, maxRows));
  return { head: Math.ceil(shown / 2), tail: Math.floor(shown / 2) };
}

/** Formats one cell: integers exact, other numbers to `digits` significant digits, null/undefined empty. */
export function formatCell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") {
    if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    if (a !== 0 && (a < 1e-4 || a >= 1e9)) return v.toExponential(digits - 1);
    return String(Number(v.toPrecision(digits)));
  }
  if (v instanceof Date) return v.toISOString();
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

interface Prepared {
  columns: string[];
  /** Formatted cells of the first rows shown, and of the last rows shown after the gap. */
  head: string[][];
  tail: string[][];
  numeric: boolean[];
  total: number;
  /** Rows left out between head and tail. */
  skipped: number;
}

function prepare(data: TableData, opts: TableOptions, cut?: CutRows): Prepared {
  const rows = toRows(data);
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  let head = rows, tail: typeof rows = [];
  if (cut) {
    if (!(cut.head >= 0 && cut.head <= rows.length && cut.total >= rows.length)) {
      throw new Error(`table: cut rows ${JSON.stringify(cut)} do not fit ${rows.length} rows of data (expected head ≤ ${rows.length} ≤ total)`);
    }
    head = rows.slice(0, cut.head);
    tail = rows.slice(cut.head);
  } else {
    const c = tableCut(rows.length, opts);
    if (c) {
      head = rows.slice(0, c.head);
      tail = rows.slice(rows.length - c.tail);
    }
  }
  const visible = [...head, ...tail];
  const numeric = columns.map((c) => visible.every((r) => r[c] == null || typeof r[c] === "number" || typeof r[c] === "bigint"));
  const format = (r: (typeof rows)[number]) => columns.map((c) => formatCell(r[c], opts.digits ?? 4));
  const total = cut?.total ?? rows.length;
  return { columns, head: head.map(format), tail: tail.map(format), numeric, total, skipped: total - visible.length };
}

/** "30 rows × 3 columns", and what a cut table shows. */
function shapeText(p: Prepared): string {
  const rows = `${p.total} row${p.total === 1 ? "" : "s"} × ${p.columns.length} column${p.columns.length === 1 ? "" : "s"}`;
  return p.skipped > 0 ? `${rows}, showing the first ${p.head.length} and the last ${p.tail.length}` : rows;
}

/**
 * An HTML `<table>`. No inline style: a notebook opened untrusted (any notebook a new reader opens
 * in the classic Notebook) is sanitised, and every `style` becomes `style="undefined:undefined"`;
 * notebook front ends style tables themselves. Pass `cut` when `data` holds only the first and
 * last rows of a longer table, so the gap and the footer count right.
 */
export function htmlTable(data: TableData, opts: TableOptions = {}, cut?: CutRows): string {
  const p = prepare(data, opts, cut);
  const align = (i: number) => (p.numeric[i] ? "right" : "left");
  const head = p.columns
    .map((c, i) => {
      const type = opts.types?.[c];
      return `<th align="${align(i)}">${escapeHtml(c)}${type ? `<br><small>${escapeHtml(type)}</small>` : ""}</th>`;
    })
    .join("");
  const row = (cells: string[]) => `<tr>${cells.map((cell, i) => `<td align="${align(i)}">${escapeHtml(cell)}</td>`).join("")}</tr>`;
  const gap = p.skipped > 0 ? [`<tr>${p.columns.map((_, i) => `<td align="${align(i)}">…</td>`).join("")}</tr>`] : [];
  const body = [...p.head.map(row), ...gap, ...p.tail.map(row)].join("\n");
  return [
    `<div class="tsrl-table">`,
    ...(opts.title ? [`<p><b>${escapeHtml(opts.title)}</b></p>`] : []),
    `<table>`,
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body}\n</tbody>`,
    `</table>`,
    `<p><small>${shapeText(p)}</small></p>`,
    `</div>`,
  ].join("\n");
}

/** The same table as aligned plain text (terminals, `text/plain`). */
export function textTable(data: TableData, opts: TableOptions = {}, cut?: CutRows): string {
  const p = prepare(data, opts, cut);
  const shown = [...p.head, ...p.tail];
  const widths = p.columns.map((c, i) => Math.max(c.length, ...shown.map((r) => r[i].length)));
  const pad = (s: string, i: number) => (p.numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const lines = [
    ...(opts.title ? [opts.title] : []),
    p.columns.map(pad).join("  "),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...p.head.map((r) => r.map(pad).join("  ")),
    ...(p.skipped > 0 ? [`… ${p.skipped} more row${p.skipped === 1 ? "" : "s"} …`] : []),
    ...p.tail.map((r) => r.map(pad).join("  ")),
  ];
  if (p.skipped > 0) lines.push(shapeText(p));
  return lines.map((l) => l.trimEnd()).join("\n");
}

/**
 * A table as a MIME bundle for `show` / `display`.
 *
 * @example
 *   show(table(log.rows.slice(-10), { columns: ["episode", "return", "length"] }))
 */
export function table(data: TableData, opts: TableOptions = {}, cut?: CutRows): MimeBundle {
  return { "text/html": htmlTable(data, opts, cut), "text/plain": textTable(data, opts, cut) };
}
