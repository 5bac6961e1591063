/**
 * How a progress bar reads, as pure functions of its state: tqdm's layout
 *
 *   train:   6%|█▎                  | 312/5000 [00:04<01:02, 73.1 ep/s, return=412.3]
 *
 * as one text line (terminals, text/plain) and as HTML (notebooks): a drawn bar while it runs, the
 * text line with a little colour once closed (what a saved notebook keeps; see savedProgressHtml).
 * progress.ts decides when to draw; this module only formats, so it is tested with fixed numbers.
 */

import { formatCell } from "./table";

/** Everything a drawing of the bar needs. */
export interface ProgressState {
  /** Units done. */
  n: number;
  /** Units in all, when known. */
  total?: number;
  /** Label before the bar (e.g. "train"). */
  desc?: string;
  /** Unit name (default "it", as tqdm). */
  unit?: string;
  /** Seconds since the bar started. */
  elapsed: number;
  /** Extra labelled values shown after the rate (e.g. { return: 412.3 }). */
  fields?: Record<string, unknown>;
  /** "running"; "done" once closed at or past the total (or with no total); "stopped" when closed short of it. */
  status: "running" | "done" | "stopped";
}

/** tqdm's clock: 04:07, or 1:02:03 past an hour; "?" for unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
  const mmss = `${String(m).padStart(2, "0")}:${String(sec).padStart(2, "0")}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}

/** Three significant digits with a k/M/G suffix: 73.1, 7.31, 731, 7.31k, 38.4k. */
function threeDigits(x: number): string {
  const units = ["", "k", "M", "G"];
  let u = 0;
  while (Math.abs(x) >= 999.5 && u < units.length - 1) { x /= 1000; u++; }
  const digits = Math.abs(x) >= 99.95 ? 0 : Math.abs(x) >= 9.995 ? 1 : 2;
  return `${x.toFixed(digits)}${units[u]}`;
}

/** The rate as tqdm shows it: "73.1 ep/s", or "2.50 s/ep" when slower than one unit a second. */
export function formatRate(n: number, elapsed: number, unit = "it"): string {
  if (!(elapsed > 0) || n <= 0) return `? ${unit}/s`;
  const rate = n / elapsed;
  return rate >= 1 ? `${threeDigits(rate)} ${unit}/s` : `${threeDigits(1 / rate)} s/${unit}`;
}

/** Seconds left at the current rate, or undefined when unknown (no total, nothing done yet). */
export function etaSeconds(s: Pick<ProgressState, "n" | "total" | "elapsed">): number | undefined {
  if (s.total === undefined || s.n <= 0 || !(s.elapsed > 0)) return undefined;
  return Math.max(0, ((s.total - s.n) * s.elapsed) / s.n);
}

const EIGHTHS = " ▏▎▍▌▋▊▉";

/** A bar of `width` characters filled to `fraction` in eighths of a cell. */
export function textBar(fraction: number, width = 20): string {
  const f = Math.min(1, Math.max(0, fraction));
  const eighths = Math.round(f * width * 8);
  const full = Math.floor(eighths / 8), part = eighths % 8;
  return "█".repeat(full) + (full < width ? (part > 0 ? EIGHTHS[part] : " ") + " ".repeat(width - full - 1) : "");
}

function fieldText(fields: Record<string, unknown> | undefined): string {
  return Object.entries(fields ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `, ${k}=${formatCell(v)}`)
    .join("");
}

/** The count part: "312/5000", "stopped at 312/5000", or "312 ep" with no total. */
function countText(s: ProgressState): string {
  const unit = s.unit ?? "it";
  if (s.total === undefined) return `${s.n} ${unit}`;
  return `${s.status === "stopped" ? "stopped at " : ""}${s.n}/${s.total}`;
}

/** The bracket: "[00:04<01:02, 73.1 ep/s, return=412.3]" (no ETA once closed or without a total). */
function bracketText(s: ProgressState): string {
  const eta = s.status === "running" ? etaSeconds(s) : undefined;
  const time = s.status === "running" && s.total !== undefined ? `${formatClock(s.elapsed)}<${eta === undefined ? "?" : formatClock(eta)}` : formatClock(s.elapsed);
  return `[${time}, ${formatRate(s.n, s.elapsed, s.unit ?? "it")}${fieldText(s.fields)}]`;
}

/** The percentage (4 characters, right-aligned) and the text bar, or undefined without a total. */
function percentAndBar(s: ProgressState, barWidth: number): { pct: string; bar: string } | undefined {
  if (s.total === undefined || s.total <= 0) return undefined;
  const fraction = s.n / s.total;
  return { pct: `${Math.floor(Math.min(1, fraction) * 100)}%`.padStart(4), bar: textBar(fraction, barWidth) };
}

/** The whole bar as one line of text, tqdm's layout. */
export function progressLine(s: ProgressState, barWidth = 20): string {
  const desc = s.desc ? `${s.desc}: ` : "";
  const drawn = percentAndBar(s, barWidth);
  return `${desc}${drawn ? `${drawn.pct}|${drawn.bar}| ` : ""}${countText(s)} ${bracketText(s)}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const COLOURS = { running: "#4c78a8", done: "#54a24b", stopped: "#e45756" } as const;

/**
 * The bar as HTML for a notebook. While it runs: a drawn bar (inline styles) beside the
 * percentage and the count/clock/rate/fields text — the output is live, and the classic Notebook
 * trusts what a cell produces in the session. Once closed: `savedProgressHtml`, because that
 * last drawing is what the notebook file keeps.
 */
export function progressHtml(s: ProgressState): string {
  if (s.status !== "running") return savedProgressHtml(s);
  const known = s.total !== undefined && s.total > 0;
  const fraction = known ? Math.min(1, s.n / s.total!) : 0;
  const bar = known
    ? `<span style="display:inline-block;width:22em;height:1em;background:#e8e8e8;border-radius:3px;overflow:hidden;vertical-align:middle">` +
      `<span style="display:block;height:100%;width:${(fraction * 100).toFixed(1)}%;background:${COLOURS.running}"></span></span>`
    : "";
  const parts = [
    s.desc ? `<span>${escapeHtml(s.desc)}:</span>` : "",
    known ? `<span style="min-width:3em;text-align:right">${Math.floor(fraction * 100)}%</span>` : "",
    bar,
    `<span>${escapeHtml(`${countText(s)} ${bracketText(s)}`)}</span>`,
  ].filter(Boolean);
  return `<div class="tsrl-progress" style="display:flex;align-items:center;gap:0.6em;font-family:monospace;font-size:0.9em;font-variant-numeric:tabular-nums">${parts.join("")}</div>`;
}

/**
 * The closed bar as a notebook file keeps it: tqdm's text line (the bar drawn in block
 * characters, as `progressLine`) in a <pre>, the filled part and the status coloured with
 * <font color> (green done, red stopped short) and "stopped at" in bold. No inline style: every
 * notebook a new reader opens in the classic Notebook is untrusted, and its sanitiser turns each
 * style into `style="undefined:undefined"` — a styled bar would be lost, leaving
 * "train:9%stopped at 488/5000". These tags pass it, and the line reads the same without colour.
 */
export function savedProgressHtml(s: ProgressState, barWidth = 20): string {
  const colour = COLOURS[s.status];
  const desc = s.desc ? `${escapeHtml(s.desc)}: ` : "";
  const count = s.status === "stopped" && s.total !== undefined
    ? `<b><font color="${colour}">stopped at</font></b> ${s.n}/${s.total}`
    : escapeHtml(countText(s));
  const tail = `${count} ${escapeHtml(bracketText(s))}`;
  const drawn = percentAndBar(s, barWidth);
  if (!drawn) return `<pre class="tsrl-progress">${desc}${tail}</pre>`;
  const filled = drawn.bar.trimEnd(), empty = drawn.bar.slice(filled.length);
  return `<pre class="tsrl-progress">${desc}${drawn.pct}|<font color="${colour}">${filled}</font>${empty}| ${tail}</pre>`;
}
