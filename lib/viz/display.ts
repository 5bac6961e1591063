/**
 * The display contract between the library and whoever shows output (the Jupyter kernel in
 * lib/kernel). The kernel installs a `DisplaySink` at `globalThis[Symbol.for("tsrl.displaySink")]`;
 * a global symbol rather than a module variable so that two copies of this module (e.g. one loaded
 * by the kernel, one by a notebook through `require("tsrl")`) still share the same sink.
 *
 * With no sink (CLI, scripts, tests) every call here is a silent no-op: plotting inside a training
 * function must never break the training run.
 */

import { pngDisplaySize } from "./png";

/** mime type → payload: a string, or a JSON object for `*+json` types (never a JSON string). */
export type MimeBundle = Record<string, unknown>;

export interface DisplaySink {
  display(bundle: MimeBundle, opts?: { displayId?: string; metadata?: Record<string, unknown> }): void;
  update(displayId: string, bundle: MimeBundle, opts?: { metadata?: Record<string, unknown> }): void;
  clear?(wait?: boolean): void;
  /** The kernel waits for tracked work before replying to the cell, so un-awaited `show()` still lands. */
  track?(work: Promise<unknown>): void;
}

const SINK = Symbol.for("tsrl.displaySink");

/** Installs (or with `undefined`, removes) the sink. The kernel calls this; tests pass a fake. */
export function setDisplaySink(sink: DisplaySink | undefined): void {
  (globalThis as Record<symbol, unknown>)[SINK] = sink;
}

/** The installed sink, if any. */
export function currentDisplaySink(): DisplaySink | undefined {
  return (globalThis as Record<symbol, unknown>)[SINK] as DisplaySink | undefined;
}

/**
 * The display metadata a bundle's picture needs: `{ "image/png": { width, height } }` in CSS pixels,
 * read from the PNG itself (its size divided by the density in its pHYs chunk). A chart rendered at
 * scale 2 is then drawn at its layout size, sharp on high-DPI screens, instead of twice as large.
 * Undefined when the bundle has no readable PNG.
 */
export function pictureMetadata(bundle: MimeBundle): Record<string, unknown> | undefined {
  const png = bundle["image/png"];
  if (png === undefined) return undefined;
  try {
    const bytes = typeof png === "string" ? Buffer.from(png, "base64") : png instanceof Uint8Array ? png : undefined;
    if (!bytes) return undefined;
    const { width, height } = pngDisplaySize(bytes);
    return { "image/png": { width, height } };
  } catch {
    return undefined; // not a PNG we can read: show it without a size
  }
}

/** `opts` with the picture's metadata filled in when the caller gave none. */
function withPictureMetadata<O extends { metadata?: Record<string, unknown> }>(bundle: MimeBundle, opts: O | undefined): O | undefined {
  if (opts?.metadata !== undefined) return opts;
  const metadata = pictureMetadata(bundle);
  return metadata ? ({ ...opts, metadata } as O) : opts;
}

/**
 * Throws unless every key of `bundle` is a MIME type: whatever else rides along would be written
 * into the notebook file as display data that no front end knows (nbformat allows only MIME keys).
 */
function requireMimeKeys(bundle: MimeBundle, caller: string): void {
  const bad = Object.keys(bundle ?? {}).filter((k) => !isMimeType(k));
  if (bad.length > 0) {
    throw new TypeError(`${caller}: ${bad.map((k) => JSON.stringify(k)).join(", ")} ${bad.length > 1 ? "are not MIME types" : "is not a MIME type"}; ` +
      `a bundle's keys are MIME types such as "text/html" or "image/png" (keep other data out of the bundle)`);
  }
}

/**
 * Shows a bundle (a new output); a PNG in it gets its display size (see `pictureMetadata`). Every
 * key must be a MIME type (else a TypeError names the others). No-op without a sink.
 */
export function display(bundle: MimeBundle, opts?: { displayId?: string; metadata?: Record<string, unknown> }): void {
  requireMimeKeys(bundle, "display");
  currentDisplaySink()?.display(bundle, withPictureMetadata(bundle, opts));
}

/** Replaces the output shown earlier with `displayId`, in place (MIME keys only, as `display`). No-op without a sink. */
export function updateDisplay(displayId: string, bundle: MimeBundle, opts?: { metadata?: Record<string, unknown> }): void {
  requireMimeKeys(bundle, "updateDisplay");
  currentDisplaySink()?.update(displayId, bundle, withPictureMetadata(bundle, opts));
}

/** Hands un-awaited work to the sink so the cell does not finish before it. */
export function trackWork<T>(work: Promise<T>): Promise<T> {
  currentDisplaySink()?.track?.(work);
  return work;
}

let counter = 0;

/** A fresh id for `display(..., { displayId })` / `updateDisplay`. */
export function newDisplayId(prefix = "tsrl"): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** True when `key` looks like a MIME type ("text/plain", "image/svg+xml", "application/vnd.vegalite.v5+json"). */
export function isMimeType(key: string): boolean {
  return /^[a-z]+\/[\w.+-]+$/i.test(key);
}

/** True when every key looks like a MIME type ("text/plain", "image/svg+xml", …). */
export function isMimeBundle(x: unknown): x is MimeBundle {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return false;
  const keys = Object.keys(x);
  return keys.length > 0 && keys.every(isMimeType);
}
