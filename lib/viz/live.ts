/**
 * Live charts: one output that redraws in place while a loop runs.
 *
 * The first redraw sends `display_data` with a display id; later ones send `update_display_data`
 * with the same id. Every redraw carries the whole bundle — vega-lite JSON, a fresh PNG and text —
 * so the curve is a picture in every front end while the run goes on (the classic Notebook and
 * nbconvert show the PNG, JupyterLab the interactive chart), and if the run is interrupted the last
 * thing shown is still a PNG of the rows pushed so far.
 *
 * Rendering a PNG takes the training loop's time (the vega layout runs on the main thread; resvg
 * and compression on the thread pool), so redraws are throttled adaptively (throttle.ts): at most
 * one per `throttleMs`, and rarer when a redraw costs more, so that redrawing takes at most
 * `maxRenderShare` of wall time. Rows pushed meanwhile are drawn by a trailing redraw.
 *
 * @example
 *   const live = liveChart((rows) => learningCurve(rows, { x: "episode", y: "return", window: 20 }));
 *   for (let ep = 0; ep < 500; ep++) {
 *     const ret = await runEpisode();
 *     live.push({ episode: ep, return: ret });      // cheap; redraws when the throttle allows
 *   }
 *   await live.close();                                // final redraw with every row
 */

import { currentDisplaySink, newDisplayId, pictureMetadata, type DisplaySink, type MimeBundle } from "./display";
import { CHART_PNG_SCALE, specBundle } from "./show";
import type { Row, VegaLiteSpec } from "./spec";
import { AdaptiveThrottle } from "./throttle";

export interface LiveChartOptions<R extends object = Row> {
  /** Minimum time between in-place updates, ms (default 500). */
  throttleMs?: number;
  /** Largest fraction of wall time redrawing may take (default 0.1); slow redraws are spaced out to keep it. */
  maxRenderShare?: number;
  /** Display id to use (default: a fresh one). */
  displayId?: string;
  /** Keep only the last `maxRows` rows (default: keep all). */
  maxRows?: number;
  /** Rows to start with (e.g. the history of a resumed run); drawn at once. */
  initialRows?: readonly R[];
  /** Pixels per CSS pixel of the PNG (default `CHART_PNG_SCALE`). */
  scale?: number;
}

/** How redrawing has gone so far. */
export interface LiveChartStats {
  /** Bundles sent (the first display and the updates). */
  redraws: number;
  /** Smoothed wall time of one redraw (build, layout, PNG), ms. */
  renderMs: number;
  /** The time the throttle now leaves between redraws, ms. */
  intervalMs: number;
}

export interface LiveChart<R extends object = Row> {
  /** Adds one row or several; redraws when the throttle allows, else schedules a trailing redraw. */
  push(rows: R | readonly R[]): void;
  /** Redraws now, whatever the throttle says (after a redraw in progress). */
  update(): Promise<void>;
  /**
   * Final redraw (skipped when the last one already showed every row); later pushes are ignored.
   * Await it, or let the kernel's `track` do it. Calling it again returns the same promise.
   */
  close(): Promise<void>;
  /** The rows collected so far (the same array every time; do not mutate). */
  readonly rows: readonly R[];
  readonly displayId: string;
  readonly stats: LiveChartStats;
}

/**
 * Creates a live chart drawn by `build(rows)`. Works without a sink too (rows are collected,
 * nothing is drawn), so the same training code runs in the CLI.
 */
export function liveChart<R extends object = Row>(build: (rows: readonly R[]) => VegaLiteSpec, opts: LiveChartOptions<R> = {}): LiveChart<R> {
  const throttle = new AdaptiveThrottle({ minIntervalMs: opts.throttleMs ?? 500, maxShare: opts.maxRenderShare ?? 0.1 });
  const scale = opts.scale ?? CHART_PNG_SCALE;
  const displayId = opts.displayId ?? newDisplayId("tsrl-live");
  const rows: R[] = [];
  let version = 0; // bumped by every push; a redraw shows the rows of one version
  let drawnVersion = -1;
  let shown = false; // has display() been sent (so the next send is an update)?
  let redraws = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let drawing: Promise<void> | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let reported = false;

  function report(err: unknown): void {
    // a broken chart must not kill the training loop that feeds it; say so once
    if (!reported) console.error(`liveChart: redraw failed: ${err instanceof Error ? err.message : String(err)}`);
    reported = true;
  }

  function send(sink: DisplaySink, bundle: MimeBundle): void {
    const metadata = pictureMetadata(bundle);
    if (shown) sink.update(displayId, bundle, metadata ? { metadata } : undefined);
    else {
      sink.display(bundle, metadata ? { displayId, metadata } : { displayId });
      shown = true;
    }
    redraws++;
  }

  function cancelTimer(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }

  /** Redraws now (or right after the redraw in progress). */
  function draw(): Promise<void> {
    cancelTimer();
    const sink = currentDisplaySink();
    if (!sink) return Promise.resolve();
    if (drawing) return drawing.then(draw);
    const shows = version;
    const t0 = performance.now();
    throttle.started(t0);
    let spec: VegaLiteSpec;
    try {
      spec = build(rows);
    } catch (err) {
      report(err);
      drawnVersion = shows;
      return Promise.resolve();
    }
    const work = specBundle(spec, { scale })
      .then((bundle) => send(sink, bundle))
      .catch(report)
      .finally(() => {
        throttle.finished(performance.now() - t0);
        drawnVersion = shows;
        drawing = undefined;
        if (version !== drawnVersion) request(); // rows arrived while drawing
      });
    drawing = work;
    sink.track?.(work);
    return work;
  }

  /** Redraws when the throttle allows, else makes sure a trailing redraw is scheduled. */
  function request(): void {
    if (closed || drawing || !currentDisplaySink()) return; // a redraw in progress re-requests when done
    const wait = throttle.waitMs(performance.now());
    if (wait <= 0) void draw();
    else if (!timer) {
      // unref so a script can still exit; in the kernel the process lives on, so the trailing
      // redraw lands even after an interrupted cell
      timer = setTimeout(() => { timer = undefined; if (!drawing && !closed) void draw(); }, wait);
      timer.unref?.();
    }
  }

  function push(more: R | readonly R[]): void {
    if (closed) return;
    if (Array.isArray(more)) for (const r of more as readonly R[]) rows.push(r); // no push(...more): huge batches overflow the stack
    else rows.push(more as R);
    if (opts.maxRows !== undefined && rows.length > opts.maxRows) rows.splice(0, rows.length - opts.maxRows);
    version++;
    request();
  }

  function close(): Promise<void> {
    closing ??= (async () => {
      closed = true;
      cancelTimer();
      if (!currentDisplaySink()) return;
      if (drawing) await drawing;
      if (version !== drawnVersion || !shown) await draw();
    })();
    currentDisplaySink()?.track?.(closing);
    return closing;
  }

  if (opts.initialRows && opts.initialRows.length > 0) push(opts.initialRows);

  return {
    push,
    update: () => (closed ? (closing ?? Promise.resolve()) : draw()),
    close,
    rows,
    displayId,
    get stats() {
      return { redraws, renderMs: throttle.costMs, intervalMs: throttle.intervalMs };
    },
  };
}
