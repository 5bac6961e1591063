/**
 * Progress bars in the manner of Python's `tqdm` / `tqdm.notebook`:
 *
 *   for (const seed of progress(seeds, { desc: "seeds" })) { … }          // any iterable
 *   for await (const batch of progress(stream, { total: 100 })) { … }     // async iterables too
 *   for (const i of progress(1000)) { … }                                  // 0 … 999
 *
 *   const bar = progress({ total: 5000, desc: "train", unit: "ep" });     // driven by hand
 *   await agent.train({ onUpdate: (row) => bar.set(row.episodes, { return: row.return }) });
 *   bar.close();
 *
 * In a notebook (a display sink is installed) the bar is one output updated in place — a
 * display_data with a display id, then update_display_data at most every ~150 ms — carrying
 * text/html (a drawn bar) and text/plain (the same as one line). Without a sink it is a text line
 * on stderr: redrawn in place on a terminal, a plain line every few seconds on a pipe or log file.
 *
 * When the loop ends the bar shows its final state, also on `break`, on an exception and on an
 * interrupt: "stopped at 312/5000" when it ended short of its total. A bar driven by hand is
 * closed by `close()`, by `using bar = progress(…)`, or when the kernel's (or CLI's) interrupt
 * signal fires — put `close()` in a `finally` for other errors.
 */

import { ambientSignal } from "../core/abort";
import { currentDisplaySink, newDisplayId, type DisplaySink } from "./display";
import { progressHtml, progressLine, type ProgressState } from "./progress-format";

export interface ProgressOptions {
  /** Units in all; taken from an array's length (or a Set's size) when not given. */
  total?: number;
  /** Label before the bar, e.g. "train". */
  desc?: string;
  /** Unit name, e.g. "ep" (default "it"). */
  unit?: string;
  /** Count to start from (default 0). */
  initial?: number;
  /** Least time between redraws, ms (default: 150 in a notebook, 100 on a terminal, 5000 on a pipe). */
  minIntervalMs?: number;
  /** Where the text bar goes when there is no notebook (default process.stderr). */
  stream?: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Close the bar (as stopped) when this aborts; default: the kernel's or CLI's interrupt signal. */
  signal?: AbortSignal;
  /** Characters of the text bar (default 20). */
  barWidth?: number;
}

/** Labelled values shown after the rate; numbers get 4 significant digits. */
export type ProgressFields = Record<string, string | number | undefined>;

export interface ProgressBar {
  /** Adds `n` units (default 1), as tqdm's `update`; `fields` are merged into those shown. */
  update(n?: number, fields?: ProgressFields): void;
  /** Sets the count to `n` (e.g. the episodes a training row reports). */
  set(n: number, fields?: ProgressFields): void;
  /** Draws the final state ("stopped at …" when short of the total). Later calls do nothing. */
  close(): void;
  /** Units done. */
  readonly n: number;
  readonly total: number | undefined;
  readonly closed: boolean;
  /** The notebook output's display id (undefined on a terminal). */
  readonly displayId: string | undefined;
  /** `using bar = progress({ … })` closes the bar at the end of the block. */
  [Symbol.dispose](): void;
}

export interface ProgressIterable<T> extends ProgressBar, Iterable<T> {}
export interface ProgressAsyncIterable<T> extends ProgressBar, AsyncIterable<T> {}

/** Where a bar is drawn. */
interface ProgressView {
  readonly minIntervalMs: number;
  /** Whether a skipped redraw should be made up by a timer (not for a log, which gets a line every few seconds anyway). */
  readonly trailing: boolean;
  readonly displayId?: string;
  draw(state: ProgressState, final: boolean): void;
}

function notebookView(sink: DisplaySink, minIntervalMs = 150): ProgressView {
  const displayId = newDisplayId("tsrl-progress");
  let shown = false;
  return {
    minIntervalMs,
    trailing: true,
    displayId,
    draw(state) {
      const bundle = { "text/html": progressHtml(state), "text/plain": progressLine(state) };
      if (shown) sink.update(displayId, bundle);
      else {
        sink.display(bundle, { displayId });
        shown = true;
      }
    },
  };
}

function terminalView(stream: NonNullable<ProgressOptions["stream"]>, barWidth: number, minIntervalMs?: number): ProgressView {
  const tty = Boolean(stream.isTTY);
  return {
    minIntervalMs: minIntervalMs ?? (tty ? 100 : 5000),
    trailing: tty,
    draw(state, final) {
      let line = progressLine(state, barWidth);
      if (!tty) {
        stream.write(`${line}\n`);
        return;
      }
      // a line longer than the terminal wraps, and \r then redraws only its last part
      if (stream.columns && line.length >= stream.columns) line = line.slice(0, stream.columns - 1);
      stream.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
    },
  };
}

function createBar(opts: ProgressOptions): ProgressBar {
  const total = opts.total;
  if (total !== undefined && !(Number.isFinite(total) && total >= 0)) throw new Error(`progress: total must be a non-negative number, got ${total}`);
  const sink = currentDisplaySink();
  const view = sink ? notebookView(sink, opts.minIntervalMs) : terminalView(opts.stream ?? process.stderr, opts.barWidth ?? 20, opts.minIntervalMs);
  const started = performance.now();
  let n = opts.initial ?? 0;
  let fields: ProgressFields = {};
  let closed = false;
  let status: ProgressState["status"] = "running";
  let lastDraw = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const state = (): ProgressState => ({ n, total, desc: opts.desc, unit: opts.unit, elapsed: (performance.now() - started) / 1000, fields, status });

  function draw(final = false): void {
    if (timer) { clearTimeout(timer); timer = undefined; }
    lastDraw = performance.now();
    try {
      view.draw(state(), final);
    } catch {
      // a progress bar must never break the loop it reports on
    }
  }

  function maybeDraw(): void {
    const wait = lastDraw + view.minIntervalMs - performance.now();
    if (wait <= 0) draw();
    else if (view.trailing && !timer) {
      timer = setTimeout(() => { timer = undefined; if (!closed) draw(); }, wait);
      timer.unref?.();
    }
  }

  const signal = opts.signal ?? ambientSignal();
  const onAbort = () => bar.close();

  const bar: ProgressBar = {
    update(k = 1, more) {
      if (closed) return;
      n += k;
      if (more) fields = { ...fields, ...more };
      maybeDraw();
    },
    set(value, more) {
      if (closed) return;
      n = value;
      if (more) fields = { ...fields, ...more };
      maybeDraw();
    },
    close() {
      if (closed) return;
      closed = true;
      signal?.removeEventListener("abort", onAbort);
      status = total !== undefined && n < total ? "stopped" : "done";
      draw(true);
    },
    get n() { return n; },
    get total() { return total; },
    get closed() { return closed; },
    get displayId() { return view.displayId; },
    [Symbol.dispose]() { bar.close(); },
  };

  if (signal?.aborted) {
    // an interrupt already happened: show the bar once, stopped
    draw();
    bar.close();
  } else {
    signal?.addEventListener("abort", onAbort, { once: true });
    if (sink || view.trailing) draw(); // the notebook output (or terminal line) appears at 0 at once, as tqdm's
  }
  return bar;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === "string" || (typeof x === "object" && x !== null && typeof (x as Iterable<unknown>)[Symbol.iterator] === "function");
}

function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return typeof x === "object" && x !== null && typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function";
}

/** The length of arrays, typed arrays, strings, Sets and Maps; undefined for other iterables. */
function knownLength(items: unknown): number | undefined {
  if (typeof items === "string" || Array.isArray(items) || ArrayBuffer.isView(items)) return (items as ArrayLike<unknown>).length;
  if (items instanceof Set || items instanceof Map) return items.size;
  return undefined;
}

function* range(count: number): Generator<number> {
  for (let i = 0; i < count; i++) yield i;
}

/** Counts one unit after each item's loop body (as tqdm does), and closes the bar however the loop ends. */
function* counted<T>(items: Iterable<T>, bar: ProgressBar): Generator<T> {
  try {
    for (const item of items) {
      yield item;
      bar.update(1);
    }
  } finally {
    bar.close();
  }
}

async function* countedAsync<T>(items: AsyncIterable<T>, bar: ProgressBar): AsyncGenerator<T> {
  try {
    for await (const item of items) {
      yield item;
      bar.update(1);
    }
  } finally {
    bar.close();
  }
}

/** A progress bar over 0 … count-1 (Python's `trange`). */
export function progress(count: number, opts?: ProgressOptions): ProgressIterable<number>;
/** A progress bar over an iterable's items; the total is its length when it has one. */
export function progress<T>(items: Iterable<T>, opts?: ProgressOptions): ProgressIterable<T>;
/** A progress bar over an async iterable (`for await`); give `total` to get a percentage and an ETA. */
export function progress<T>(items: AsyncIterable<T>, opts?: ProgressOptions): ProgressAsyncIterable<T>;
/** A progress bar driven by hand: `bar.update(k)` / `bar.set(n)`, then `bar.close()`. */
export function progress(opts: ProgressOptions): ProgressBar;
export function progress<T>(source: number | Iterable<T> | AsyncIterable<T> | ProgressOptions, opts: ProgressOptions = {}): ProgressBar {
  if (typeof source === "number") {
    if (!(Number.isInteger(source) && source >= 0)) throw new Error(`progress: a count must be a non-negative integer, got ${source}`);
    const bar = createBar({ ...opts, total: opts.total ?? source });
    const items = counted(range(source), bar);
    return Object.assign(bar, { [Symbol.iterator]: () => items });
  }
  if (isAsyncIterable(source)) {
    const bar = createBar({ ...opts, total: opts.total ?? knownLength(source) });
    const items = countedAsync(source as AsyncIterable<T>, bar);
    return Object.assign(bar, { [Symbol.asyncIterator]: () => items });
  }
  if (isIterable(source)) {
    const bar = createBar({ ...opts, total: opts.total ?? knownLength(source) });
    const items = counted(source as Iterable<T>, bar);
    return Object.assign(bar, { [Symbol.iterator]: () => items });
  }
  if (typeof source === "object" && source !== null) return createBar({ ...(source as ProgressOptions), ...opts });
  throw new Error(`progress: expected a count, an iterable or options, got ${String(source)}`);
}
