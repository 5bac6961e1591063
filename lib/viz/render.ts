/**
 * Headless rendering in Node: vega-lite spec → vega spec → vega View (renderer "none") → SVG
 * string, and SVG → pixels with resvg → PNG (png-encode.ts). No browser, no canvas package.
 *
 * vega, vega-lite and resvg are loaded on first use, so importing the library (or a CLI verb that
 * never plots) does not pay for them.
 */

import * as fs from "node:fs";
import { encodePng, encodePngAsync, type RgbaImage } from "./png-encode";
import type { VegaLiteSpec } from "./spec";

type VegaLite = typeof import("vega-lite");
type Vega = typeof import("vega");

let vegaLite: VegaLite | undefined;
let vega: Vega | undefined;

function modules(): { vl: VegaLite; vg: Vega } {
  // require (not import()) keeps this synchronous and works both under the CJS loader and vitest
  vegaLite ??= require("vega-lite") as VegaLite;
  vega ??= require("vega") as Vega;
  return { vl: vegaLite, vg: vega };
}

export interface RenderOptions {
  /**
   * Collects vega-lite / vega warnings (e.g. "Infinite extent for field …") instead of printing
   * them with console.warn. Tests use it to insist on a clean compile.
   */
  warnings?: string[];
}

interface Collector {
  errors: string[];
  level(l?: number): any; error(...a: unknown[]): any; warn(...a: unknown[]): any; info(): any; debug(): any;
}

/** A vega-util logger that records errors (rethrown after rendering) and routes warnings. */
function collector(opts: RenderOptions): Collector {
  let lvl = 2; // vega's Warn level
  const logger: Collector = {
    errors: [],
    level(l?: number) { if (l === undefined) return lvl; lvl = l; return logger; },
    // vega reports dataflow errors through the logger instead of rejecting; remember them so
    // renderSvg can fail loudly rather than return a half-drawn chart
    error(...a: unknown[]) { logger.errors.push(a.map((x) => (x instanceof Error ? x.message : String(x))).join(" ")); return logger; },
    warn(...a: unknown[]) {
      const msg = a.map(String).join(" ");
      if (opts.warnings) opts.warnings.push(msg);
      else console.warn(`[vega] ${msg}`);
      return logger;
    },
    info() { return logger; },
    debug() { return logger; },
  };
  return logger;
}

/** Compiles a vega-lite spec to a vega spec; throws on an invalid spec. */
export function compileSpec(spec: VegaLiteSpec, opts: RenderOptions = {}): Record<string, unknown> {
  const { vl } = modules();
  const logger = collector(opts);
  const compiled = vl.compile(spec as any, { logger }).spec as Record<string, unknown>;
  if (logger.errors.length > 0) throw new Error(`vega-lite: ${logger.errors.join("; ")}`);
  return compiled;
}

/** Renders a vega-lite spec to an SVG string, headless. */
export async function renderSvg(spec: VegaLiteSpec, opts: RenderOptions = {}): Promise<string> {
  const { vg } = modules();
  const compiled = compileSpec(spec, opts);
  const logger = collector(opts);
  const view = new vg.View(vg.parse(compiled as any), { renderer: "none", logger } as any);
  try {
    const svg = await view.toSVG();
    if (logger.errors.length > 0) throw new Error(`vega: ${logger.errors.join("; ")}`);
    return svg;
  } finally {
    view.finalize(); // releases timers and listeners; a notebook renders many charts
  }
}

/** Font files resvg should use: DejaVu Sans (Debian fonts-dejavu-core) when installed. */
export function defaultFontFiles(): string[] {
  const dirs = ["/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF"];
  const names = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf"];
  for (const dir of dirs) {
    const found = names.map((n) => `${dir}/${n}`).filter((p) => fs.existsSync(p));
    if (found.length > 0) return found;
  }
  return [];
}

export interface PngOptions {
  /** Pixel density multiplier (default 2: crisp on high-DPI screens and in slides). */
  scale?: number;
  /** Background colour behind transparent areas (default white). */
  background?: string;
  /** Font files to load; default `defaultFontFiles()`, falling back to system fonts when none exist. */
  fontFiles?: string[];
}

type ResvgModule = typeof import("@resvg/resvg-js");
let resvgModule: ResvgModule | undefined;

function resvgOptions(svg: string, opts: PngOptions): import("@resvg/resvg-js").ResvgRenderOptions {
  const scale = opts.scale ?? 2;
  if (!(scale > 0 && scale <= 16)) throw new Error(`png scale must be in (0, 16], got ${scale}`);
  // parsing four DejaVu files costs a few ms; an environment frame with no text needs no font
  const fontFiles = svg.includes("<text") ? (opts.fontFiles ?? defaultFontFiles()) : [];
  return {
    background: opts.background ?? "white",
    fitTo: { mode: "zoom", value: scale },
    font: {
      fontFiles,
      // scanning system fonts is slow; only do it when we have no font of our own
      loadSystemFonts: fontFiles.length === 0 && svg.includes("<text"),
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  };
}

/** resvg's pixels are premultiplied by alpha; PNG wants them straight. Opaque pixels are the same either way. */
function toRgbaImage(rendered: { width: number; height: number; pixels: Buffer }): RgbaImage {
  const data = new Uint8Array(rendered.pixels.buffer, rendered.pixels.byteOffset, rendered.pixels.byteLength);
  for (let i = 3; i < data.length; i += 4) {
    const a = data[i];
    if (a === 255 || a === 0) continue;
    for (let c = i - 3; c < i; c++) data[c] = Math.min(255, Math.round((data[c] * 255) / a));
  }
  return { width: rendered.width, height: rendered.height, data };
}

/** Rasterises an SVG string to RGBA pixels with resvg, on the calling thread. */
export function rasterizeSvg(svg: string, opts: PngOptions = {}): RgbaImage {
  resvgModule ??= require("@resvg/resvg-js") as ResvgModule;
  return toRgbaImage(new resvgModule.Resvg(svg, resvgOptions(svg, opts)).render());
}

/** `rasterizeSvg` on libuv's thread pool, so a training loop keeps running while a chart is drawn. */
export async function rasterizeSvgAsync(svg: string, opts: PngOptions = {}): Promise<RgbaImage> {
  resvgModule ??= require("@resvg/resvg-js") as ResvgModule;
  return toRgbaImage(await resvgModule.renderAsync(svg, resvgOptions(svg, opts)));
}

/**
 * Rasterises an SVG string to PNG bytes (resvg for the pixels, png-encode.ts for the file: a
 * palette PNG about a third the size of resvg's own). The PNG records its scale (pHYs), so
 * `pictureMetadata` can tell a notebook to draw it at its CSS size.
 */
export function svgToPng(svg: string, opts: PngOptions = {}): Buffer {
  return encodePng(rasterizeSvg(svg, opts), { scale: opts.scale ?? 2 });
}

/**
 * A vega-lite spec as PNG bytes, headless. Rasterising and compressing run on the thread pool; the
 * vega layout (the SVG) runs on the main thread.
 */
export async function renderPng(spec: VegaLiteSpec, opts: PngOptions & RenderOptions = {}): Promise<Buffer> {
  const svg = await renderSvg(spec, opts);
  return encodePngAsync(await rasterizeSvgAsync(svg, opts), { scale: opts.scale ?? 2 });
}
