/**
 * Animated PNG (APNG) encoding: frames of RGBA pixels → one PNG file that browsers play (Chrome,
 * Firefox, Safari, Edge all do, through a plain <img>), so an animation shows in the classic
 * Notebook, in nbconvert HTML, in JupyterLab and on GitHub — unlike an animated SVG, which untrusted
 * notebooks drop. Decoders without APNG support show the default image (the IDAT).
 *
 * The file: IHDR, acTL (frame and loop count), one shared palette when it fits (png-encode.ts),
 * then per frame an fcTL (region, delay, dispose/blend) and its pixels (IDAT for a first frame
 * that doubles as the default image, fdAT after). fcTL and fdAT share one sequence counter.
 *
 * Size: each frame stores only the rectangle that changed since the previous one (dispose "none",
 * blend "source"), and frames identical to the previous one just lengthen its delay. For an
 * environment drawing (a cart moving on a white track) that is most of the saving.
 */

import * as zlib from "node:zlib";
import { PNG_SIGNATURE, ihdrData, physData, pngChunk } from "./png";
import {
  ColourTable, DEFLATE_OPTIONS, choosePixelFormat, filteredScanlines, paletteChunks,
  type FormatOptions, type Rect, type RgbaImage,
} from "./png-encode";

export interface ApngOptions extends FormatOptions {
  /** How long each frame shows, in ms: one number for every frame, or one per frame. */
  delayMs: number | readonly number[];
  /** How many times to play (default 0: forever). */
  loops?: number;
  /** Pixels per CSS pixel, written as pHYs (see `pictureMetadata`). */
  scale?: number;
}

/** Frames (and an optional poster) already indexed into one colour table; see `ColourTable`. */
export interface IndexedFrames {
  width: number;
  height: number;
  table: ColourTable;
  frames: readonly (Uint16Array | Uint32Array)[];
  /**
   * The default image, shown by decoders that do not play APNG (and not part of the animation);
   * default: the first frame.
   */
  poster?: Uint16Array | Uint32Array;
}

/** What the encoder wrote, for tests and for the text of a bundle. */
export interface ApngSummary {
  /** Frames in the file (after merging identical neighbours). */
  frames: number;
  /** Total play time of one loop, ms. */
  durationMs: number;
  /** PNG colour type used: 3 palette, 2 RGB, 6 RGBA. */
  colorType: number;
}

/**
 * The bounding rectangle of pixels whose colour differs between two images of colour ids, or
 * undefined when they are equal. (Two ids that the palette merged count as different: the
 * rectangle may be a few pixels larger than needed, never too small.)
 */
function changedRect(a: Uint16Array | Uint32Array, b: Uint16Array | Uint32Array, width: number, height: number): Rect | undefined {
  let minX = width, minY = height, maxX = -1, maxY = -1;
  for (let y = 0; y < height; y++) {
    const base = y * width;
    let first = -1, last = -1;
    for (let x = 0; x < width; x++) if (a[base + x] !== b[base + x]) { first = x; break; }
    if (first < 0) continue;
    for (let x = width - 1; x >= first; x--) if (a[base + x] !== b[base + x]) { last = x; break; }
    if (minY > y) minY = y;
    maxY = y;
    if (first < minX) minX = first;
    if (last > maxX) maxX = last;
  }
  return maxY < 0 ? undefined : { x: minX, y: minY, width: maxX - minX + 1, height: maxY - minY + 1 };
}

/** fcTL: sequence number, region, delay as a fraction of a second, dispose "none", blend "source". */
function fctlData(seq: number, rect: Rect, delayMs: number): Buffer {
  const d = Buffer.alloc(26);
  // delay_num/delay_den are 16-bit: milliseconds up to 65.5 s, centiseconds beyond
  const [num, den] = delayMs <= 0xffff ? [Math.round(delayMs), 1000] : [Math.min(0xffff, Math.round(delayMs / 10)), 100];
  d.writeUInt32BE(seq, 0);
  d.writeUInt32BE(rect.width, 4);
  d.writeUInt32BE(rect.height, 8);
  d.writeUInt32BE(rect.x, 12);
  d.writeUInt32BE(rect.y, 16);
  d.writeUInt16BE(num, 20);
  d.writeUInt16BE(den, 22);
  d[24] = 0; // APNG_DISPOSE_OP_NONE: the next frame draws over this one
  d[25] = 0; // APNG_BLEND_OP_SOURCE: the region's pixels replace the canvas's
  return d;
}

/** The file before compression: chunks around, and per image part its fcTL (if any) and raw scanlines. */
interface ApngPlan {
  head: Buffer[];
  /** `fdatSeq` is the sequence number of the part's fdAT chunk; an IDAT part has none. */
  parts: { fctl?: Buffer; raw: Buffer; fdatSeq?: number }[];
  summary: ApngSummary;
}

function delaysOf(opts: ApngOptions, n: number): number[] {
  if (typeof opts.delayMs !== "number" && opts.delayMs.length !== n) throw new Error(`encodeApng: ${opts.delayMs.length} delays for ${n} frames`);
  const delays = Array.from({ length: n }, (_, i) => (typeof opts.delayMs === "number" ? opts.delayMs : opts.delayMs[i]));
  delays.forEach((d, i) => {
    if (!(Number.isFinite(d) && d >= 0)) throw new Error(`encodeApng: delay of frame ${i} is ${d}; expected a non-negative number of ms`);
  });
  return delays;
}

function planApng(input: IndexedFrames, opts: ApngOptions): ApngPlan {
  const { width, height, frames } = input;
  if (frames.length === 0) throw new Error("encodeApng: no frames");
  [...frames, ...(input.poster ? [input.poster] : [])].forEach((f, i) => {
    if (f.length !== width * height) throw new Error(`encodeApng: ${i === frames.length ? "the poster" : `frame ${i}`} has ${f.length} pixels, expected ${width}×${height}`);
  });
  const delays = delaysOf(opts, frames.length);
  const loops = opts.loops ?? 0;
  if (!(Number.isInteger(loops) && loops >= 0)) throw new Error(`encodeApng: loops must be a non-negative integer, got ${loops}`);

  const format = choosePixelFormat(input.table, opts);
  const full: Rect = { x: 0, y: 0, width, height };

  // frame i stores the rectangle that changed since frame i-1; an unchanged frame extends the last delay
  const plan: { ids: Uint16Array | Uint32Array; rect: Rect; delayMs: number }[] = [];
  frames.forEach((ids, i) => {
    const rect = i === 0 ? full : changedRect(frames[i - 1], ids, width, height);
    if (rect) plan.push({ ids, rect, delayMs: delays[i] });
    else plan[plan.length - 1].delayMs += delays[i];
  });

  const head: Buffer[] = [Buffer.from(PNG_SIGNATURE), pngChunk("IHDR", ihdrData(width, height, format.colorType))];
  if (opts.scale !== undefined && opts.scale !== 1) head.push(pngChunk("pHYs", physData(opts.scale)));
  const actl = Buffer.alloc(8);
  actl.writeUInt32BE(plan.length, 0);
  actl.writeUInt32BE(loops, 4);
  head.push(pngChunk("acTL", actl), ...paletteChunks(format));

  const parts: ApngPlan["parts"] = [];
  if (input.poster) parts.push({ raw: filteredScanlines(input.poster, width, format, full) });
  let seq = 0;
  plan.forEach(({ ids, rect, delayMs }, k) => {
    const fctl = pngChunk("fcTL", fctlData(seq++, rect, delayMs));
    // without a poster the first frame is also the default image (IDAT); fdAT carries a sequence number too
    const fdatSeq = k === 0 && !input.poster ? undefined : seq++;
    parts.push({ fctl, raw: filteredScanlines(ids, width, format, rect), fdatSeq });
  });
  const summary = { frames: plan.length, durationMs: plan.reduce((t, p) => t + p.delayMs, 0), colorType: format.colorType };
  return { head, parts, summary };
}

function assemble(plan: ApngPlan, compressed: readonly Buffer[]): Buffer {
  const chunks = [...plan.head];
  plan.parts.forEach((part, i) => {
    if (part.fctl) chunks.push(part.fctl);
    if (part.fdatSeq === undefined) {
      chunks.push(pngChunk("IDAT", compressed[i]));
    } else {
      const fdat = Buffer.alloc(4 + compressed[i].length);
      fdat.writeUInt32BE(part.fdatSeq, 0);
      fdat.set(compressed[i], 4);
      chunks.push(pngChunk("fdAT", fdat));
    }
  });
  chunks.push(pngChunk("IEND"));
  return Buffer.concat(chunks);
}

/**
 * Encodes frames that are already indexed (see `ColourTable`), compressing on libuv's thread pool
 * in parallel. `animationBundle` uses it so that frames are indexed as they are rendered.
 */
export async function encodeIndexedApng(input: IndexedFrames, opts: ApngOptions): Promise<{ png: Buffer; summary: ApngSummary }> {
  const plan = planApng(input, opts);
  const compressed = await Promise.all(
    plan.parts.map((p) => new Promise<Buffer>((resolve, reject) => zlib.deflate(p.raw, DEFLATE_OPTIONS, (err, out) => (err ? reject(err) : resolve(out))))),
  );
  return { png: assemble(plan, compressed), summary: plan.summary };
}

/**
 * Encodes RGBA frames (all the same size) as an APNG, on the calling thread. `poster` is the
 * default image for decoders without APNG support (default: the first frame).
 *
 * @example
 *   const { png } = encodeApng(frames.map((svg) => rasterizeSvg(svg, { scale: 1 })), { delayMs: 40 });
 */
export function encodeApng(frames: readonly RgbaImage[], opts: ApngOptions & { poster?: RgbaImage }): { png: Buffer; summary: ApngSummary } {
  if (frames.length === 0) throw new Error("encodeApng: no frames");
  const { width, height } = frames[0];
  const all = opts.poster ? [...frames, opts.poster] : frames;
  all.forEach((f, i) => {
    if (f.width !== width || f.height !== height) {
      throw new Error(`encodeApng: ${i === frames.length ? "the poster" : `frame ${i}`} is ${f.width}×${f.height}, expected ${width}×${height} like frame 0`);
    }
  });
  const table = new ColourTable();
  const input: IndexedFrames = { width, height, table, frames: frames.map((f) => table.index(f)), poster: opts.poster ? table.index(opts.poster) : undefined };
  const plan = planApng(input, opts);
  return { png: assemble(plan, plan.parts.map((p) => zlib.deflateSync(p.raw, DEFLATE_OPTIONS))), summary: plan.summary };
}
