/**
 * Drawings as notebook outputs: an SVG picture (an environment's `render()`) or a sequence of them
 * (an episode) becomes a bundle with a PNG — a still PNG or an animated one (APNG) — and a line of
 * text. Never image/svg+xml: untrusted notebooks in the classic Notebook drop it, and nbconvert's
 * HTML export prefers it to PNG and then empties it (see show.ts).
 *
 * @example
 *   showSvg(env.render!());                                                 // one frame
 *   display(await animationBundle(frames, { fps: 25, poster: overview }));  // an episode
 */

import { encodeIndexedApng } from "./apng";
import { currentDisplaySink, display, type MimeBundle } from "./display";
import { readPngHeader } from "./png";
import { ColourTable, type Rect, type RgbaImage } from "./png-encode";
import { rasterizeSvgAsync, svgToPng, type PngOptions } from "./render";

export const PNG_MIME = "image/png";

export interface SvgPictureOptions extends PngOptions {
  /** The text/plain line (default `<picture W×H>`). */
  text?: string;
}

/** An SVG picture as a bundle: a PNG (at `scale`, default 2) and a line of text. */
export function svgBundle(svg: string, opts: SvgPictureOptions = {}): MimeBundle {
  const png = svgToPng(svg, opts);
  const { width, height } = readPngHeader(png);
  const scale = opts.scale ?? 2;
  return { [PNG_MIME]: png.toString("base64"), "text/plain": opts.text ?? `<picture ${Math.round(width / scale)}×${Math.round(height / scale)}>` };
}

/** Shows an SVG picture as a PNG (see `svgBundle`). No-op without a display sink. */
export function showSvg(svg: string, opts: SvgPictureOptions = {}): void {
  if (currentDisplaySink()) display(svgBundle(svg, opts));
}

export interface AnimationOptions extends Omit<PngOptions, "scale"> {
  /** Frames per second (default 25). Ignored when `delayMs` is given. */
  fps?: number;
  /** How long each frame shows, ms: one number, or one per frame. */
  delayMs?: number | readonly number[];
  /** Extra time the last frame stays before the animation starts over (default 1000 ms). */
  holdLastMs?: number;
  /**
   * An SVG for the still image that viewers without APNG support show (e.g. an overview of the
   * whole episode); default: the first frame. Same size as the frames.
   */
  poster?: string;
  /** Pixels per CSS pixel (default 1: an animation has many frames, each costs bytes). */
  scale?: number;
  /** How many times to play (default 0: forever). */
  loops?: number;
  /** The text/plain line (default `<animation: N frames, T s, W×H>`). */
  text?: string;
  /**
   * The part of the picture (CSS px) that changes from frame to frame, e.g. the band a cart moves
   * in. Frames after the first are then rasterised cropped to it and pasted over the first — a few
   * times faster for a small object on a still background. Anything drawn outside it after the
   * first frame is not shown.
   */
  changingRegion?: Rect;
}

/** `svg` cropped to the pixel rectangle `px` (at `scale`), by nesting it in an outer SVG whose viewBox is the crop. */
function cropSvg(svg: string, px: Rect, scale: number): string {
  const inner = svg.replace(/^\s*<\?xml[^>]*>\s*/, "").replace(/^\s*<!DOCTYPE[^>]*>\s*/i, "");
  const [x, y, w, h] = [px.x / scale, px.y / scale, px.width / scale, px.height / scale];
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="${x} ${y} ${w} ${h}">${inner}</svg>`;
}

/** The region in whole pixels at `scale`, grown outwards to pixel edges and clipped to the picture. */
function pixelRegion(region: Rect, scale: number, width: number, height: number): Rect {
  const x0 = Math.max(0, Math.floor(region.x * scale)), y0 = Math.max(0, Math.floor(region.y * scale));
  const x1 = Math.min(width, Math.ceil((region.x + region.width) * scale)), y1 = Math.min(height, Math.ceil((region.y + region.height) * scale));
  if (!(x1 > x0 && y1 > y0)) throw new Error(`animationBundle: changingRegion ${JSON.stringify(region)} does not overlap the ${width / scale}×${height / scale} picture`);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

/** Frames rasterised at once on the thread pool (libuv's default pool has 4 threads). */
const RASTER_CONCURRENCY = 4;

/**
 * SVG frames (all the same size) as an animated PNG bundle. Frames are rasterised on the thread
 * pool, a few at a time, and kept only as colour indices (2 bytes a pixel), so a long animation does
 * not hold every RGBA frame in memory. A 480×320 frame costs ~5 ms of rasterising; pass only the
 * frames you want shown — subsample long episodes.
 *
 * @example
 *   display(await animationBundle(states.map((s) => drawState(s)), { fps: 25 }))
 */
export async function animationBundle(frames: readonly string[], opts: AnimationOptions = {}): Promise<MimeBundle> {
  if (frames.length === 0) throw new Error("animationBundle: no frames");
  const fps = opts.fps ?? 25;
  if (opts.delayMs === undefined && !(fps > 0 && fps <= 100)) throw new Error(`animationBundle: fps must be in (0, 100], got ${fps}`);
  const base = opts.delayMs ?? 1000 / fps;
  if (typeof base !== "number" && base.length !== frames.length) throw new Error(`animationBundle: ${base.length} delays for ${frames.length} frames`);
  const delayMs = frames.map((_, i) => (typeof base === "number" ? base : base[i]) + (i === frames.length - 1 ? (opts.holdLastMs ?? 1000) : 0));
  const scale = opts.scale ?? 1;
  const raster: PngOptions = { scale, background: opts.background, fontFiles: opts.fontFiles };

  const table = new ColourTable();
  const indexed: (Uint16Array | Uint32Array)[] = new Array(frames.length);
  let size: { width: number; height: number } | undefined;
  const indexFrame = (image: RgbaImage, what: string) => {
    size ??= { width: image.width, height: image.height };
    if (image.width !== size.width || image.height !== size.height) {
      throw new Error(`animationBundle: ${what} is ${image.width}×${image.height} px, expected ${size.width}×${size.height} like frame 0`);
    }
    return table.index(image);
  };
  indexed[0] = indexFrame(await rasterizeSvgAsync(frames[0], raster), "frame 0"); // fixes the size
  const { width, height } = size!;
  const crop = opts.changingRegion && pixelRegion(opts.changingRegion, scale, width, height);
  const renderFrame = async (i: number): Promise<Uint16Array | Uint32Array> => {
    if (!crop) return indexFrame(await rasterizeSvgAsync(frames[i], raster), `frame ${i}`);
    const part = await rasterizeSvgAsync(cropSvg(frames[i], crop, scale), raster);
    if (part.width !== crop.width || part.height !== crop.height) {
      throw new Error(`animationBundle: frame ${i} cropped to the changing region is ${part.width}×${part.height} px, expected ${crop.width}×${crop.height}`);
    }
    const ids = table.index(part);
    const whole = ids instanceof Uint32Array && !(indexed[0] instanceof Uint32Array) ? Uint32Array.from(indexed[0]) : indexed[0].slice();
    for (let y = 0; y < crop.height; y++) whole.set(ids.subarray(y * crop.width, (y + 1) * crop.width), (crop.y + y) * width + crop.x);
    return whole;
  };
  let next = 1, failed = false;
  const worker = async () => {
    try {
      for (let i = next++; i < frames.length && !failed; i = next++) indexed[i] = await renderFrame(i);
    } catch (err) {
      failed = true; // the other workers stop at their next frame
      throw err;
    }
  };
  await Promise.all(Array.from({ length: RASTER_CONCURRENCY }, worker));
  const poster = opts.poster === undefined ? undefined : indexFrame(await rasterizeSvgAsync(opts.poster, raster), "the poster");
  const { png, summary } = await encodeIndexedApng({ width, height, table, frames: indexed, poster }, { delayMs, loops: opts.loops, scale });
  const w = Math.round(width / scale), h = Math.round(height / scale);
  const text = opts.text ?? `<animation: ${summary.frames} frames, ${(summary.durationMs / 1000).toFixed(1)} s, ${w}×${h}>`;
  return { [PNG_MIME]: png.toString("base64"), "text/plain": text };
}

/**
 * Shows SVG frames as an animated PNG (see `animationBundle`). Works without `await` (the kernel
 * waits for it before the cell finishes); no-op without a display sink.
 */
export function showAnimation(frames: readonly string[], opts: AnimationOptions = {}): Promise<void> {
  const sink = currentDisplaySink();
  if (!sink) return Promise.resolve();
  const work = animationBundle(frames, opts).then((bundle) => display(bundle));
  sink.track?.(work);
  return work;
}
