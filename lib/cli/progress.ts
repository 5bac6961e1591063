/**
 * A one-line progress bar on stderr: `[######......] 616/5000 ep  return 497.1  38.4k sps  ETA 1m20s`.
 * Redrawn in place on a terminal (at most every 100 ms); on a pipe or log file, one plain line every
 * few seconds instead, so logs stay readable.
 */

export interface ProgressBar {
  /** `done` of `total` units, plus labelled fields shown after the count. */
  update(done: number, fields?: Record<string, string>): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

export interface ProgressOptions {
  total: number;
  /** Unit after the count, e.g. "ep". */
  unit?: string;
  stream?: NodeJS.WriteStream;
  width?: number;
}

export function createProgressBar({ total, unit = "", stream = process.stderr, width = 24 }: ProgressOptions): ProgressBar {
  const tty = Boolean(stream.isTTY);
  const started = performance.now();
  let lastDraw = -Infinity;
  let last = { done: 0, fields: {} as Record<string, string> };
  let drawn = false;

  const line = (): string => {
    const frac = total > 0 ? Math.min(1, last.done / total) : 0;
    const filled = Math.round(frac * width);
    const elapsed = (performance.now() - started) / 1000;
    const eta = last.done > 0 && frac < 1 ? formatDuration((elapsed / last.done) * (total - last.done)) : "—";
    const fields = Object.entries(last.fields).map(([k, v]) => `${k} ${v}`).join("  ");
    return `[${"#".repeat(filled)}${".".repeat(width - filled)}] ${last.done}/${total}${unit ? ` ${unit}` : ""}  ${fields}  ${formatDuration(elapsed)} elapsed, ETA ${eta}`;
  };
  const draw = (final: boolean) => {
    if (tty) stream.write(`\r\x1b[2K${line()}${final ? "\n" : ""}`);
    else stream.write(`${line()}\n`);
    drawn = true;
  };

  return {
    update(done, fields = {}) {
      last = { done, fields };
      const now = performance.now();
      if (now - lastDraw >= (tty ? 100 : 5000)) {
        lastDraw = now;
        draw(false);
      }
    },
    finish() {
      if (drawn || last.done > 0) draw(true);
    },
  };
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "—";
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)}s`;
  const m = Math.floor(seconds / 60), s = Math.round(seconds % 60);
  if (m < 60) return `${m}m${String(s).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m`;
}

/** 38412 → "38.4k". */
export function formatRate(x: number): string {
  if (!Number.isFinite(x)) return "—";
  return x >= 1e6 ? `${(x / 1e6).toFixed(1)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}
