/**
 * Tables as MIME bundles: clean HTML for the notebook (and nbconvert/GitHub), aligned plain text
 * for terminals. A table is not a chart, so this is HTML rather than a vega-lite text mark: it can
 * be selected, copied and read by screen readers.
 */

import type { MimeBundle } from "./display";
import { type TableData, toRows } from "./spec";

export interface TableOptions {
  /** Columns to show, in order (default: every key seen, in first-seen order). */
  columns?: string[];
  /** Show at most this many rows (default 20); the rest is summarised in a footer. */
  maxRows?: number;
  /** Significant digits for non-integer numbers (default 4). */
  digits?: number;
  /** Optional caption above the table. */
  title?: string;
  /** Optional type label per column, shown under its name (e.g. polars dtypes). */
  types?: Record<string, string>;
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

interface Prepared { columns: string[]; cells: string[][]; numeric: boolean[]; total: number; shown: number }

function prepare(data: TableData, opts: TableOptions, totalRows?: number): Prepared {
  const rows = toRows(data);
  const columns = opts.columns ?? [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const maxRows = opts.maxRows ?? 20;
  const visible = rows.slice(0, maxRows);
  const numeric = columns.map((c) => visible.every((r) => r[c] == null || typeof r[c] === "number" || typeof r[c] === "bigint"));
  const cells = visible.map((r) => columns.map((c) => formatCell(r[c], opts.digits ?? 4)));
  return { columns, cells, numeric, total: totalRows ?? rows.length, shown: visible.length };
}

/**
 * An HTML `<table>` with a small inline style (notebook frontends differ in table CSS). Pass
 * `totalRows` when `data` is already a head of a larger table, so the footer counts correctly.
 */
export function htmlTable(data: TableData, opts: TableOptions = {}, totalRows?: number): string {
  const p = prepare(data, opts, totalRows);
  const th = "padding:4px 10px;border-bottom:1px solid #999;font-weight:600";
  const td = "padding:3px 10px;border-bottom:1px solid #eee";
  const align = (i: number) => (p.numeric[i] ? "right" : "left");
  const head = p.columns
    .map((c, i) => {
      const type = opts.types?.[c];
      const sub = type ? `<br><span style="font-weight:400;color:#888;font-size:0.85em">${escapeHtml(type)}</span>` : "";
      return `<th style="${th};text-align:${align(i)}">${escapeHtml(c)}${sub}</th>`;
    })
    .join("");
  const body = p.cells
    .map((row) => `<tr>${row.map((cell, i) => `<td style="${td};text-align:${align(i)}">${escapeHtml(cell)}</td>`).join("")}</tr>`)
    .join("\n");
  const caption = opts.title ? `<caption style="caption-side:top;text-align:left;font-weight:600;padding:4px 0">${escapeHtml(opts.title)}</caption>` : "";
  const more = p.total > p.shown ? `, showing the first ${p.shown}` : "";
  const footer = `<div style="color:#666;font-size:0.85em;margin-top:4px">${p.total} rows × ${p.columns.length} columns${more}</div>`;
  return [
    `<div class="tsrl-table">`,
    `<table style="border-collapse:collapse;font-family:inherit;font-size:0.9em;font-variant-numeric:tabular-nums">`,
    caption,
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body}\n</tbody>`,
    `</table>`,
    footer,
    `</div>`,
  ].join("\n");
}

/** The same table as aligned plain text (terminals, `text/plain`). */
export function textTable(data: TableData, opts: TableOptions = {}, totalRows?: number): string {
  const p = prepare(data, opts, totalRows);
  const widths = p.columns.map((c, i) => Math.max(c.length, ...p.cells.map((r) => r[i].length)));
  const pad = (s: string, i: number) => (p.numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const lines = [
    ...(opts.title ? [opts.title] : []),
    p.columns.map(pad).join("  "),
    widths.map((w) => "─".repeat(w)).join("  "),
    ...p.cells.map((r) => r.map(pad).join("  ")),
  ];
  if (p.total > p.shown) lines.push(`… ${p.total - p.shown} more rows`);
  return lines.map((l) => l.trimEnd()).join("\n");
}

/**
 * A table as a MIME bundle for `show` / `display`.
 *
 * @example
 *   show(table(log.rows.slice(-10), { columns: ["episode", "return", "length"] }))
 */
export function table(data: TableData, opts: TableOptions = {}, totalRows?: number): MimeBundle {
  return { "text/html": htmlTable(data, opts, totalRows), "text/plain": textTable(data, opts, totalRows) };
}
