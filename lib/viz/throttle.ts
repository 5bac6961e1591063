/**
 * An adaptive throttle for work that blocks the loop it reports on (redrawing a live chart while
 * training runs): the next run may start only when the last one's cost is at most `maxShare` of the
 * time between starts, and never sooner than `minIntervalMs` after the last start.
 *
 * With a render that costs c ms, the interval is max(minIntervalMs, c / maxShare): a 150 ms render
 * with maxShare 0.1 redraws every 1.5 s, so the training loop loses at most ~10% of its wall time
 * to the chart however large the chart grows. The cost is smoothed (the mean of the last run and
 * the previous estimate), so one slow render (a GC pause) does not stall the chart. The first run
 * is not counted: it pays one-time costs (loading vega and resvg, JIT warm-up) that can be ten
 * times a later run's and would hold the second redraw back for many seconds.
 */

export interface AdaptiveThrottleOptions {
  /** Never start twice within this many ms (default 500). */
  minIntervalMs?: number;
  /** Largest fraction of wall time the work may take (default 0.1). */
  maxShare?: number;
  /** Never wait longer than this many ms between starts (default 30 000, or minIntervalMs if larger), whatever the cost. */
  maxIntervalMs?: number;
}

export class AdaptiveThrottle {
  readonly minIntervalMs: number;
  readonly maxShare: number;
  readonly maxIntervalMs: number;
  /** Smoothed cost of one run, ms (0 until the second run finishes; see above). */
  costMs = 0;
  /** When the last run started (performance.now() ms), or -Infinity. */
  lastStart = -Infinity;
  /** Runs finished so far. */
  runs = 0;

  constructor(opts: AdaptiveThrottleOptions = {}) {
    this.minIntervalMs = opts.minIntervalMs ?? 500;
    this.maxShare = opts.maxShare ?? 0.1;
    this.maxIntervalMs = opts.maxIntervalMs ?? Math.max(30_000, this.minIntervalMs);
    if (!(this.minIntervalMs >= 0)) throw new Error(`minIntervalMs must be >= 0, got ${this.minIntervalMs}`);
    if (!(this.maxShare > 0 && this.maxShare <= 1)) throw new Error(`maxShare must be in (0, 1], got ${this.maxShare}`);
    if (!(this.maxIntervalMs >= this.minIntervalMs)) throw new Error(`maxIntervalMs (${this.maxIntervalMs}) must be >= minIntervalMs (${this.minIntervalMs})`);
  }

  /** The time to leave between starts, given the cost measured so far. */
  get intervalMs(): number {
    return Math.min(this.maxIntervalMs, Math.max(this.minIntervalMs, this.costMs / this.maxShare));
  }

  /** Ms to wait before the next run may start (≤ 0: now). */
  waitMs(now: number): number {
    return this.lastStart + this.intervalMs - now;
  }

  started(now: number): void {
    this.lastStart = now;
  }

  /** Records one run's cost in ms. */
  finished(costMs: number): void {
    if (this.runs === 1) this.costMs = costMs;
    else if (this.runs > 1) this.costMs = (this.costMs + costMs) / 2;
    this.runs++;
  }
}
