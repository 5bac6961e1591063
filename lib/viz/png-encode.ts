/**
 * Pixels → PNG bytes, written for charts and simple drawings rather than photographs.
 *
 * A chart rendered by resvg has a few hundred distinct colours (the palette plus anti-aliased
 * edges), so it is stored as an 8-bit palette image whenever that is exact or nearly so: 256 colours
 * cover all but a handful of edge pixels, which take the nearest palette colour. That makes a
 * 1254×736 learning curve about 35 KB instead of the ~100 KB of resvg's own RGBA encoder, which
 * matters because every chart in a notebook is stored in the .ipynb as base64. Pictures with many
 * colours (gradients, photos) stay lossless RGB(A).
 *
 * The same pieces (choosing a format, turning pixels into filtered scanlines) build animated PNGs
 * in apng.ts, where one palette is shared by every frame.
 */

import * as zlib from "node:zlib";
import { PNG_SIGNATURE, ihdrData, physData, pngChunk } from "./png";

/** Straight (not premultiplied) RGBA pixels, row-major, 4 bytes a pixel. */
export interface RgbaImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** A rectangle of pixels inside an image. */
export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Every colour seen in a set of images, with a small integer id and a pixel count. Images are kept
 * as arrays of colour ids — 2 bytes a pixel (4 past 65 536 colours) instead of 4 — so an animation
 * of a few hundred frames need not hold all its RGBA frames at once: index each frame as it is
 * rendered and drop its pixels.
 */
export class ColourTable {
  /** Colour of each id as native-endian RGBA bytes read as one uint32. */
  readonly keys: number[] = [];
  /** Pixels of each id, over every image indexed so far. */
  readonly counts: number[] = [];
  private readonly ids = new Map<number, number>();

  /** The image as colour ids (one per pixel), counting its colours into the table. */
  index(image: RgbaImage): Uint16Array | Uint32Array {
    checkImage(image);
    const pixels = asUint32(image.data);
    const out = this.keys.length < 0x10000 ? new Uint16Array(pixels.length) : new Uint32Array(pixels.length);
    let prevKey = -1, prevId = 0;
    for (let p = 0; p < pixels.length; p++) {
      const k = pixels[p];
      if (k !== prevKey) {
        let id = this.ids.get(k);
        if (id === undefined) {
          id = this.keys.length;
          if (id >= 0x10000 && out instanceof Uint16Array) return this.widen(out, p, pixels);
          this.ids.set(k, id);
          this.keys.push(k);
          this.counts.push(0);
        }
        prevKey = k;
        prevId = id;
      }
      out[p] = prevId;
      this.counts[prevId]++;
    }
    return out;
  }

  /** Restarts the rest of an image in 4-byte ids once the table passes 65 536 colours. */
  private widen(head: Uint16Array, from: number, pixels: Uint32Array): Uint32Array {
    const out = new Uint32Array(pixels.length);
    out.set(head.subarray(0, from));
    for (let p = from; p < pixels.length; p++) {
      let id = this.ids.get(pixels[p]);
      if (id === undefined) {
        id = this.keys.length;
        this.ids.set(pixels[p], id);
        this.keys.push(pixels[p]);
        this.counts.push(0);
      }
      out[p] = id;
      this.counts[id]++;
    }
    return out;
  }
}

/** The RGBA bytes as one uint32 per pixel (a view when aligned, else a copy). */
function asUint32(data: Uint8Array): Uint32Array {
  if (data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, data.length / 4);
  return new Uint32Array(data.slice().buffer);
}

/** The r, g, b, a bytes of a colour key. */
function rgbaOf(key: number): Uint8Array {
  return new Uint8Array(Uint32Array.of(key).buffer);
}

/** How pixels are stored in the file: palette indices (1 byte), RGB (3) or RGBA (4). */
export interface PixelFormat {
  colorType: 2 | 3 | 6;
  bytesPerPixel: 1 | 3 | 4;
  /** Palette colours as r,g,b triples (colour type 3 only). */
  palette?: Uint8Array;
  /** Alpha of each palette entry, when any is not opaque (the tRNS chunk). */
  paletteAlpha?: Uint8Array;
  /** Pixels whose colour was replaced by the nearest palette colour (0 when lossless). */
  remappedPixels: number;
  /** The stored bytes of each colour id of the table: its palette index, or its RGB(A) bytes. */
  bytesOfId: Uint8Array;
}

export interface FormatOptions {
  /**
   * At most this fraction of pixels may take a nearby palette colour instead of their own (default
   * 0.005). Above it, the image is stored as RGB(A), losslessly.
   */
  maxRemappedFraction?: number;
  /** A replaced colour may be at most this far (RGBA Euclidean, 0–510) from its stand-in (default 40). */
  maxRemapDistance?: number;
}

function checkImage(image: RgbaImage): void {
  const { width, height, data } = image;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) throw new Error(`image size must be positive integers, got ${width}×${height}`);
  if (data.length !== width * height * 4) throw new Error(`image ${width}×${height} needs ${width * height * 4} RGBA bytes, got ${data.length}`);
}

function distance(a: Uint8Array, b: Uint8Array): number {
  const d0 = a[0] - b[0], d1 = a[1] - b[1], d2 = a[2] - b[2], d3 = a[3] - b[3];
  return Math.sqrt(d0 * d0 + d1 * d1 + d2 * d2 + d3 * d3);
}

/**
 * Picks the storage for every image of `table` (an APNG's frames must share it): a palette of the
 * 256 commonest colours when that is exact or within `opts`' tolerance, else RGB, or RGBA when any
 * pixel is not opaque.
 */
export function choosePixelFormat(table: ColourTable, opts: FormatOptions = {}): PixelFormat {
  const n = table.keys.length;
  if (n === 0) throw new Error("choosePixelFormat: the colour table is empty (no image indexed)");
  const colours = table.keys.map(rgbaOf);
  const opaque = colours.every((c) => c[3] === 255);
  const truecolor = (): PixelFormat => {
    const bpp = opaque ? 3 : 4;
    const bytesOfId = new Uint8Array(n * bpp);
    colours.forEach((c, id) => bytesOfId.set(c.subarray(0, bpp), id * bpp));
    return { colorType: opaque ? 2 : 6, bytesPerPixel: bpp, remappedPixels: 0, bytesOfId };
  };

  const byCount = Array.from({ length: n }, (_, id) => id).sort((a, b) => table.counts[b] - table.counts[a]);
  const kept = byCount.slice(0, 256), rest = byCount.slice(256);
  const total = table.counts.reduce((a, b) => a + b, 0);
  const remappedPixels = rest.reduce((sum, id) => sum + table.counts[id], 0);
  if (remappedPixels > (opts.maxRemappedFraction ?? 0.005) * total) return truecolor();
  const bytesOfId = new Uint8Array(n);
  kept.forEach((id, i) => (bytesOfId[id] = i));
  const maxDistance = opts.maxRemapDistance ?? 40;
  for (const id of rest) {
    let best = 0, bestD = Infinity;
    for (let i = 0; i < kept.length; i++) {
      const d = distance(colours[id], colours[kept[i]]);
      if (d < bestD) { bestD = d; best = i; }
    }
    if (bestD > maxDistance) return truecolor(); // a colour of its own (a small marker?) would change visibly
    bytesOfId[id] = best;
  }
  const palette = new Uint8Array(kept.length * 3);
  const alpha = new Uint8Array(kept.length);
  kept.forEach((id, i) => {
    palette.set(colours[id].subarray(0, 3), i * 3);
    alpha[i] = colours[id][3];
  });
  return { colorType: 3, bytesPerPixel: 1, palette, paletteAlpha: opaque ? undefined : alpha, remappedPixels, bytesOfId };
}

/**
 * The scanlines of `rect` of an image of colour ids (`width` pixels a row), as the file stores them
 * (palette indices, RGB or RGBA bytes), each prefixed by its filter type: none for palette images
 * (the PNG spec's advice), else per row the filter with the smallest sum of absolute values
 * (libpng's heuristic). Only the rectangle is converted, so an APNG frame costs its changed area.
 */
export function filteredScanlines(ids: Uint16Array | Uint32Array, width: number, format: PixelFormat, rect: Rect): Buffer {
  const bpp = format.bytesPerPixel, lut = format.bytesOfId;
  const rowBytes = rect.width * bpp;
  const out = Buffer.alloc((rowBytes + 1) * rect.height);
  if (bpp === 1) {
    for (let y = 0; y < rect.height; y++) {
      const from = (rect.y + y) * width + rect.x, to = y * (rowBytes + 1) + 1;
      for (let i = 0; i < rect.width; i++) out[to + i] = lut[ids[from + i]];
    }
    return out;
  }
  const rows = [new Uint8Array(rowBytes), new Uint8Array(rowBytes)]; // this row and the one above, unfiltered
  const candidates = [0, 1, 2, 3, 4].map(() => new Uint8Array(rowBytes));
  for (let y = 0; y < rect.height; y++) {
    const row = rows[y % 2], prev = y > 0 ? rows[(y + 1) % 2] : undefined;
    const from = (rect.y + y) * width + rect.x;
    for (let i = 0, o = 0; i < rect.width; i++) {
      const at = ids[from + i] * bpp;
      for (let b = 0; b < bpp; b++) row[o++] = lut[at + b];
    }
    let best = 0, bestSum = Infinity;
    for (let type = 0; type < 5; type++) {
      const f = candidates[type];
      let sum = 0;
      for (let i = 0; i < rowBytes; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, b = prev ? prev[i] : 0, c = prev && i >= bpp ? prev[i - bpp] : 0;
        const v = (row[i] - predictor(type, a, b, c)) & 0xff;
        f[i] = v;
        sum += v < 128 ? v : 256 - v;
      }
      if (sum < bestSum) { bestSum = sum; best = type; }
    }
    out[y * (rowBytes + 1)] = best;
    out.set(candidates[best], y * (rowBytes + 1) + 1);
  }
  return out;
}

function predictor(type: number, a: number, b: number, c: number): number {
  switch (type) {
    case 0: return 0;
    case 1: return a;
    case 2: return b;
    case 3: return (a + b) >> 1;
    default: {
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }
  }
}

/** The palette chunks (PLTE, and tRNS when a palette colour is not opaque); none for truecolour. */
export function paletteChunks(format: PixelFormat): Buffer[] {
  if (format.colorType !== 3) return [];
  const chunks = [pngChunk("PLTE", format.palette!)];
  if (format.paletteAlpha) chunks.push(pngChunk("tRNS", format.paletteAlpha));
  return chunks;
}

/** Level 9: ~10% smaller than the default 6 on charts; the cost (tens of ms) is on the thread pool in the async paths. */
export const DEFLATE_OPTIONS: zlib.ZlibOptions = { level: 9 };

export interface EncodePngOptions extends FormatOptions {
  /** Pixels per CSS pixel, written as pHYs so a notebook can draw the picture at its intended size. */
  scale?: number;
}

function header(image: RgbaImage, opts: EncodePngOptions): { format: PixelFormat; head: Buffer[]; raw: Buffer } {
  const table = new ColourTable();
  const ids = table.index(image);
  const format = choosePixelFormat(table, opts);
  const head = [Buffer.from(PNG_SIGNATURE), pngChunk("IHDR", ihdrData(image.width, image.height, format.colorType))];
  if (opts.scale !== undefined && opts.scale !== 1) head.push(pngChunk("pHYs", physData(opts.scale)));
  head.push(...paletteChunks(format));
  const raw = filteredScanlines(ids, image.width, format, { x: 0, y: 0, width: image.width, height: image.height });
  return { format, head, raw };
}

/** Encodes RGBA pixels as a PNG (palette when exact or nearly so, else RGB/RGBA). */
export function encodePng(image: RgbaImage, opts: EncodePngOptions = {}): Buffer {
  const { head, raw } = header(image, opts);
  return Buffer.concat([...head, pngChunk("IDAT", zlib.deflateSync(raw, DEFLATE_OPTIONS)), pngChunk("IEND")]);
}

/** `encodePng` with the compression (most of the time) on libuv's thread pool, off the main thread. */
export async function encodePngAsync(image: RgbaImage, opts: EncodePngOptions = {}): Promise<Buffer> {
  const { head, raw } = header(image, opts);
  const compressed = await new Promise<Buffer>((resolve, reject) => zlib.deflate(raw, DEFLATE_OPTIONS, (err, out) => (err ? reject(err) : resolve(out))));
  return Buffer.concat([...head, pngChunk("IDAT", compressed), pngChunk("IEND")]);
}
