/**
 * `show(spec)`: put a chart in the notebook.
 *
 * The bundle carries the chart twice: as vega-lite JSON (JupyterLab renders it interactively) and
 * as a static SVG rendered here in Node (nbconvert HTML, GitHub's notebook viewer and any frontend
 * without a vega-lite renderer fall back to it), plus a one-line text/plain description.
 */

import { currentDisplaySink, display, isMimeBundle, type MimeBundle } from "./display";
import { renderSvg } from "./render";
import type { VegaLiteSpec } from "./spec";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

export interface BundleOptions {
  /** Include the SVG rendering (default true). Live updates skip it: SVG is the expensive part. */
  svg?: boolean;
}

/**
 * The MIME bundle for a chart. Never rejects: if rendering the SVG fails, the bundle keeps the
 * vega-lite JSON (JupyterLab will show vega's own error) and the text says what went wrong.
 */
export async function specBundle(spec: VegaLiteSpec, opts: BundleOptions = {}): Promise<MimeBundle> {
  const bundle: MimeBundle = { [VEGA_LITE_MIME]: spec };
  let text = describeSpec(spec);
  if (opts.svg ?? true) {
    try {
      bundle["image/svg+xml"] = await renderSvg(spec);
    } catch (err) {
      text += ` — SVG rendering failed: ${err instanceof Error ? err.message : String(err)}`;
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

// Displays happen in call order even though SVG rendering is async: `show(a); show(b)` without
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
