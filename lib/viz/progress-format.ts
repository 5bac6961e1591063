/**
 * How a progress bar reads, as pure functions of its state: tqdm's layout
 *
 *   train:   6%|█▎                  | 312/5000 [00:04<01:02, 73.1 ep/s, return=412.3]
 *
 * as one text line (terminals, text/plain) and as a small HTML bar (notebooks). progress.ts
 * decides when to draw; this module only formats, so it is tested with fixed numbers.
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

/** The whole bar as one line of text, tqdm's layout. */
export function progressLine(s: ProgressState, barWidth = 20): string {
  const desc = s.desc ? `${s.desc}: ` : "";
  if (s.total === undefined || s.total <= 0) return `${desc}${countText(s)} ${bracketText(s)}`;
  const fraction = s.n / s.total;
  const pct = `${Math.floor(Math.min(1, fraction) * 100)}%`.padStart(4);
  return `${desc}${pct}|${textBar(fraction, barWidth)}| ${countText(s)} ${bracketText(s)}`;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const COLOURS = { running: "#4c78a8", done: "#54a24b", stopped: "#e45756" } as const;

/**
 * The bar as HTML for a notebook: the description, a filled bar (blue running, green done, red
 * stopped short), the percentage, and the same count/clock/rate/fields text as the text line.
 * Inline styles only: notebook front ends differ in CSS, and a sanitiser that drops styles still
 * leaves the text readable.
 */
export function progressHtml(s: ProgressState): string {
  const known = s.total !== undefined && s.total > 0;
  const fraction = known ? Math.min(1, s.n / s.total!) : s.status === "running" ? 0 : 1;
  const pct = known ? `${Math.floor(fraction * 100)}%` : "";
  const colour = COLOURS[s.status];
  const bar = known || s.status !== "running"
    ? `<span style="display:inline-block;width:22em;height:1em;background:#e8e8e8;border-radius:3px;overflow:hidden;vertical-align:middle">` +
      `<span style="display:block;height:100%;width:${(fraction * 100).toFixed(1)}%;background:${colour}"></span></span>`
    : "";
  const parts = [
    s.desc ? `<span>${escapeHtml(s.desc)}:</span>` : "",
    pct ? `<span style="min-width:3em;text-align:right">${pct}</span>` : "",
    bar,
    `<span>${escapeHtml(`${countText(s)} ${bracketText(s)}`)}</span>`,
  ].filter(Boolean);
  return `<div class="tsrl-progress" style="display:flex;align-items:center;gap:0.6em;font-family:monospace;font-size:0.9em;font-variant-numeric:tabular-nums">${parts.join("")}</div>`;
}
