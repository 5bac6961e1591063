/**
 * The PNG container format: the signature, chunks (length, type, data, CRC-32) and the few chunks
 * this library writes or reads (IHDR, pHYs). Pixels are encoded in png-encode.ts; animation chunks
 * (acTL, fcTL, fdAT) are assembled in apng.ts. Reading is here too, for tests and for
 * `pictureMetadata`, which takes a picture's display size from its own bytes.
 *
 * Spec: https://www.w3.org/TR/png-3/ (which also defines APNG).
 */

import * as zlib from "node:zlib";

export const PNG_SIGNATURE: Uint8Array = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** CSS pixels per metre at 96 dpi: a pHYs density of `scale * CSS_PX_PER_METRE` means "draw me `scale`× smaller". */
const CSS_PX_PER_METRE = 96 / 0.0254;

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, the one PNG uses). node:zlib's native crc32 when present (Node ≥ 20.15), else `tableCrc32`. */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const native = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;
  return native ? native(bytes, crc) : tableCrc32(bytes, crc);
}

/** CRC-32 in plain JavaScript, byte by byte from a 256-entry table. */
export function tableCrc32(bytes: Uint8Array, crc = 0): number {
  crcTable ??= makeCrcTable();
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function makeCrcTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/** One chunk: 4-byte length, 4-letter type, data, CRC over type + data. */
export function pngChunk(type: string, data: Uint8Array = new Uint8Array(0)): Buffer {
  if (!/^[A-Za-z]{4}$/.test(type)) throw new Error(`png chunk type must be 4 ASCII letters, got '${type}'`);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

export interface PngHeader {
  width: number;
  height: number;
  bitDepth: number;
  /** 0 grey, 2 RGB, 3 palette, 4 grey+alpha, 6 RGBA. */
  colorType: number;
}

/** IHDR data: size, bit depth 8, colour type, deflate, adaptive filtering, no interlace. */
export function ihdrData(width: number, height: number, colorType: 2 | 3 | 6): Buffer {
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw new Error(`png size must be positive integers, got ${width}×${height}`);
  }
  const d = Buffer.alloc(13);
  d.writeUInt32BE(width, 0);
  d.writeUInt32BE(height, 4);
  d[8] = 8;
  d[9] = colorType;
  return d; // compression, filter and interlace methods are all 0
}

/** pHYs data saying the image holds `scale` pixels per CSS pixel (e.g. 2 for a "retina" picture). */
export function physData(scale: number): Buffer {
  const d = Buffer.alloc(9);
  const ppm = Math.round(scale * CSS_PX_PER_METRE);
  d.writeUInt32BE(ppm, 0);
  d.writeUInt32BE(ppm, 4);
  d[8] = 1; // unit: metre
  return d;
}

export interface PngChunkRecord {
  type: string;
  data: Buffer;
  /** True when the stored CRC matches the type and data. */
  crcOk: boolean;
}

/** Splits PNG bytes into chunks; throws on a wrong signature or a chunk running past the end. */
export function readPngChunks(bytes: Uint8Array): PngChunkRecord[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !PNG_SIGNATURE.every((b, i) => buf[i] === b)) {
    throw new Error(`not a PNG: the first bytes are ${[...buf.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join(" ")}`);
  }
  const chunks: PngChunkRecord[] = [];
  let at = 8;
  while (at < buf.length) {
    if (at + 12 > buf.length) throw new Error(`PNG truncated: ${buf.length - at} stray bytes at offset ${at}`);
    const length = buf.readUInt32BE(at);
    const end = at + 12 + length;
    if (end > buf.length) throw new Error(`PNG truncated: chunk at offset ${at} says ${length} bytes, ${buf.length - at - 12} left`);
    const type = buf.toString("latin1", at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + length);
    chunks.push({ type, data, crcOk: crc32(buf.subarray(at + 4, at + 8 + length)) === buf.readUInt32BE(at + 8 + length) });
    at = end;
    if (type === "IEND") break;
  }
  return chunks;
}

/** Width, height, bit depth and colour type from the IHDR chunk. */
export function readPngHeader(bytes: Uint8Array): PngHeader {
  const ihdr = readPngChunks(bytes.subarray(0, Math.min(bytes.length, 33)))[0];
  if (ihdr?.type !== "IHDR") throw new Error(`PNG has no IHDR first (found ${ihdr?.type ?? "nothing"})`);
  return { width: ihdr.data.readUInt32BE(0), height: ihdr.data.readUInt32BE(4), bitDepth: ihdr.data[8], colorType: ihdr.data[9] };
}

/**
 * The size a PNG should be drawn at, in CSS pixels: its pixel size divided by the density its pHYs
 * chunk records (1 when it has none, or when the density is not in pixels per metre).
 */
export function pngDisplaySize(bytes: Uint8Array): { width: number; height: number; scale: number } {
  const { width, height } = readPngHeader(bytes);
  let scale = 1;
  for (const c of readPngChunks(bytes)) {
    if (c.type === "IDAT") break; // pHYs must come before the image data
    if (c.type === "pHYs" && c.data.length === 9 && c.data[8] === 1) {
      const s = c.data.readUInt32BE(0) / CSS_PX_PER_METRE;
      if (s > 0.01 && s < 100) scale = Math.round(s * 1000) / 1000;
    }
  }
  return { width: Math.round(width / scale), height: Math.round(height / scale), scale };
}
