/**
 * `show(spec)`: put a chart in the notebook.
 *
 * The bundle carries the chart twice: as vega-lite JSON (JupyterLab renders it interactively) and
 * as a PNG rendered here in Node (the classic Notebook, nbconvert HTML and GitHub's notebook viewer
 * show that), plus a one-line text/plain description.
 *
 * Why PNG and never SVG: the classic Notebook drops image/svg+xml from untrusted notebooks (every
 * notebook you open from disk or git is untrusted) and nbconvert's HTML export prefers SVG over PNG
 * and then strips the SVG's content, leaving an empty box — so a bundle that carried SVG would show
 * blank there even with a PNG beside it. A PNG shows everywhere.
 */

import { currentDisplaySink, display, isMimeBundle, type MimeBundle } from "./display";
import { renderPngIsolated } from "./render-process";
import type { VegaLiteSpec } from "./spec";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/**
 * Pixels per CSS pixel of chart PNGs (default 2). At 2 a default 560×280 chart is a ~1250×740 PNG
 * of 25–40 KB (palette PNG; 35–55 KB as base64 in the .ipynb): sharp on high-DPI screens, small
 * enough for a notebook with a dozen charts. The PNG records its scale, so it is drawn at CSS size.
 */
export const CHART_PNG_SCALE = 2;

export interface BundleOptions {
  /** Include the PNG rendering (default true). */
  png?: boolean;
  /** Pixels per CSS pixel of the PNG (default `CHART_PNG_SCALE`). */
  scale?: number;
}

/**
 * The MIME bundle for a chart. Never rejects: if rendering the PNG fails, the bundle keeps the
 * vega-lite JSON (JupyterLab will show vega's own error) and the text says what went wrong.
 */
export async function specBundle(spec: VegaLiteSpec, opts: BundleOptions = {}): Promise<MimeBundle> {
  const bundle: MimeBundle = { [VEGA_LITE_MIME]: spec };
  let text = describeSpec(spec);
  if (opts.png ?? true) {
    try {
      bundle["image/png"] = (await renderPngIsolated(spec, { scale: opts.scale ?? CHART_PNG_SCALE })).toString("base64");
    } catch (err) {
      text += ` — PNG rendering failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  }
  bundle["text/plain"] = text;
  return bundle;
}

/** A short human description, e.g. `<chart "return per episode": layer of point, line; 500 rows>`. */
export function describeSpec(spec: VegaLiteSpec): string {
  const title = typeof spec.title === "string" ? spec.title : (spec.title as { text?: unknown } | undefined)?.text;
  const marks = new Set<string>();
  let rows = 0;
  const walk = (s: unknown): void => {
    if (typeof s !== "object" || s === null) return;
    const o = s as Record<string, unknown>;
    if (o.mark !== undefined) marks.add(typeof o.mark === "string" ? o.mark : String((o.mark as { type?: unknown }).type));
    const values = (o.data as { values?: unknown } | undefined)?.values;
    if (Array.isArray(values)) rows += values.length;
    for (const key of ["layer", "hconcat", "vconcat", "concat"]) if (Array.isArray(o[key])) (o[key] as unknown[]).forEach(walk);
    if (o.spec) walk(o.spec);
  };
  walk(spec);
  const parts = [title ? `chart "${String(title)}"` : "chart", marks.size ? [...marks].join(", ") : "", `${rows} rows`].filter(Boolean);
  return `<${parts.join(": ").replace(/: (\d+ rows)$/, "; $1")}>`;
}

// Displays happen in call order even though PNG rendering is async: `show(a); show(b)` without
// awaits must not put b above a because b rendered faster.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Displays a chart (a vega-lite spec) or a ready MIME bundle (e.g. from `table`). Works without
 * `await`: the work is handed to the sink's `track`, so it lands before the cell finishes. Without
 * a sink (CLI, tests) it does nothing and renders nothing.
 *
 * @example
 *   show(learningCurve(log.rows, { x: "episode", y: "return" }))
 */
export function show(item: VegaLiteSpec | MimeBundle, opts: { displayId?: string } = {}): Promise<void> {
  const sink = currentDisplaySink();
  if (!sink) return Promise.resolve();
  const bundle = isMimeBundle(item) ? Promise.resolve(item) : specBundle(item);
  const work = queue.then(() => bundle).then((b) => display(b, opts.displayId ? { displayId: opts.displayId } : undefined));
  queue = work.catch(() => undefined); // one failed display must not block later ones
  sink.track?.(work);
  return work;
}
