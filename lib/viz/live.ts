/**
 * Live charts: one output that redraws in place while a loop runs.
 *
 * The first flush sends `display_data` with a display id; later flushes send
 * `update_display_data` with the same id, at most once per `throttleMs`. During the run the
 * updates carry only the vega-lite JSON and text (cheap: no SVG render on the training loop's
 * time); `close()` sends the full bundle with SVG so the saved notebook keeps a static picture.
 *
 * @example
 *   const live = liveChart((rows) => learningCurve(rows, { x: "episode", y: "return", window: 20 }));
 *   for (let ep = 0; ep < 500; ep++) {
 *     const ret = await runEpisode();
 *     live.push({ episode: ep, return: ret });      // cheap; redraws at most every 500 ms
 *   }
 *   await live.close();                                // final redraw, with the SVG
 */

import { currentDisplaySink, newDisplayId, type DisplaySink } from "./display";
import { specBundle, describeSpec, VEGA_LITE_MIME } from "./show";
import type { Row, VegaLiteSpec } from "./spec";

export interface LiveChartOptions {
  /** Minimum time between in-place updates (default 500 ms). */
  throttleMs?: number;
  /** Display id to use (default: a fresh one). */
  displayId?: string;
  /** Keep only the last `maxRows` rows (default: keep all). */
  maxRows?: number;
}

export interface LiveChart<R extends object = Row> {
  /** Adds one row or several; redraws if the last redraw is older than `throttleMs`, else schedules one. */
  push(rows: R | readonly R[]): void;
  /** Redraws now (JSON + text only). */
  update(): void;
  /** Final redraw with the SVG; later pushes are ignored. Await it (or let the kernel's `track` do it). */
  close(): Promise<void>;
  /** The rows collected so far (the same array every time; do not mutate). */
  readonly rows: readonly R[];
  readonly displayId: string;
}

/**
 * Creates a live chart drawn by `build(rows)`. Works without a sink too (rows are collected,
 * nothing is drawn), so the same training code runs in the CLI.
 */
export function liveChart<R extends object = Row>(build: (rows: readonly R[]) => VegaLiteSpec, opts: LiveChartOptions = {}): LiveChart<R> {
  const throttleMs = opts.throttleMs ?? 500;
  const displayId = opts.displayId ?? newDisplayId("tsrl-live");
  const rows: R[] = [];
  let shown = false; // has display() been sent (so the next send is an update)?
  let closed = false;
  let lastSent = -Infinity;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reported = false;

  function send(sink: DisplaySink, bundle: Record<string, unknown>): void {
    if (shown) sink.update(displayId, bundle);
    else {
      sink.display(bundle, { displayId });
      shown = true;
    }
  }

  function flush(): void {
    if (timer) { clearTimeout(timer); timer = undefined; }
    const sink = currentDisplaySink();
    if (!sink) return;
    lastSent = performance.now();
    try {
      const spec = build(rows);
      send(sink, { [VEGA_LITE_MIME]: spec, "text/plain": describeSpec(spec) });
    } catch (err) {
      // a broken chart must not kill the training loop that feeds it; say so once
      if (!reported) console.error(`liveChart: redraw failed: ${err instanceof Error ? err.message : String(err)}`);
      reported = true;
    }
  }

  function push(more: R | readonly R[]): void {
    if (closed) return;
    if (Array.isArray(more)) for (const r of more as readonly R[]) rows.push(r); // no push(...more): huge batches overflow the stack
    else rows.push(more as R);
    if (opts.maxRows !== undefined && rows.length > opts.maxRows) rows.splice(0, rows.length - opts.maxRows);
    if (!currentDisplaySink()) return;
    const wait = lastSent + throttleMs - performance.now();
    if (wait <= 0) flush();
    else if (!timer) {
      // trailing redraw so the last rows show even if pushes stop; unref so a script can still exit
      timer = setTimeout(flush, wait);
      timer.unref?.();
    }
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    if (timer) { clearTimeout(timer); timer = undefined; }
    const sink = currentDisplaySink();
    if (!sink) return;
    const work = (async () => {
      const bundle = await specBundle(build(rows)); // with SVG, for the saved notebook
      send(sink, bundle);
    })();
    sink.track?.(work);
    return work;
  }

  return { push, update: flush, close, rows, displayId };
}
