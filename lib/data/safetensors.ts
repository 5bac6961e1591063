/**
 * safetensors, from scratch: the tensor file format of Hugging Face (and of our checkpoints).
 *
 *   [8 bytes]  N, the header length, unsigned 64-bit little-endian
 *   [N bytes]  JSON header, UTF-8, padded with spaces so the data starts 8-byte aligned:
 *              { "<name>": { "dtype": "F32", "shape": [4, 64], "data_offsets": [begin, end] }, …,
 *                "__metadata__": { "<key>": "<string value>" } }        (metadata optional)
 *   [rest]     the tensor bytes, little-endian, row-major; offsets are relative to the start of
 *              this data section, and the tensors tile it exactly (no gaps, no overlap, no tail).
 *
 * Decoding is strict — a checkpoint that loads must be exactly what was written — and every
 * error names the problem and the tensor. Decoded data is copied into fresh, aligned typed arrays
 * (the file buffer may be unaligned or pooled).
 */

import * as fs from "node:fs";
import * as os from "node:os";
import { writeFileAtomic } from "./atomic";

export type Dtype = "BOOL" | "U8" | "I8" | "U16" | "I16" | "F16" | "BF16" | "U32" | "I32" | "F32" | "U64" | "I64" | "F64";

/** Bytes per element of each supported dtype. */
export const DTYPE_SIZE: Readonly<Record<Dtype, number>> = {
  BOOL: 1, U8: 1, I8: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, U64: 8, I64: 8, F64: 8,
};

export type TensorData =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

/**
 * A decoded tensor. `dtype` is the type stored in the file; `data` is its JS view:
 * F16 and BF16 are widened to Float32Array, BOOL is a Uint8Array of 0/1, I64/U64 are BigInt arrays.
 */
export interface Tensor {
  dtype: Dtype;
  shape: number[];
  data: TensorData;
}

/**
 * A tensor to encode. Without `dtype` it follows the array type (Float32Array → F32, Int32Array →
 * I32, BigInt64Array → I64, Uint8Array → U8, …). With `dtype` the values are converted: e.g.
 * `{ dtype: "F16", data: Float32Array }`, `{ dtype: "BOOL", data: [1, 0, 1] }`, `{ dtype: "I64", data: Int32Array }`.
 */
export interface TensorInput {
  data: TensorData | readonly number[] | readonly boolean[];
  shape: readonly number[];
  dtype?: Dtype;
}

export interface SafetensorsContents {
  tensors: Record<string, Tensor>;
  /** The `__metadata__` strings (empty object when absent). */
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

/** Upper bound on the JSON header, as in the reference implementation: a larger N means a corrupt file. */
export const MAX_HEADER_BYTES = 100_000_000;

function assertLittleEndian(): void {
  // typed arrays use the platform's byte order; every platform Node ships for is little-endian
  if (os.endianness() !== "LE") throw new SafetensorsError("big-endian platforms are not supported");
}

// ---------------------------------------------------------------- half-precision conversions

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE binary16 bits → number. */
export function f16ToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero / subnormal
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** number → IEEE binary16 bits, rounding to nearest, ties to even (overflow → ±Infinity). */
export function numberToF16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal: ±0
    mant |= 0x800000; // the implicit leading 1
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // a carry correctly rolls into the exponent
  return sign | half;
}

/** bfloat16 bits → number (bf16 is the top half of a float32). */
export function bf16ToNumber(h: number): number {
  u32[0] = h << 16;
  return f32[0];
}

/** number → bfloat16 bits, rounding to nearest, ties to even. */
export function numberToBf16(value: number): number {
  f32[0] = value;
  const x = u32[0];
  if (Number.isNaN(value)) return ((x >>> 16) & 0x8000) | 0x7fc0;
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

// ---------------------------------------------------------------- encode

function defaultDtype(data: TensorInput["data"]): Dtype {
  if (data instanceof Float32Array) return "F32";
  if (data instanceof Float64Array) return "F64";
  if (data instanceof Int32Array) return "I32";
  if (data instanceof Uint32Array) return "U32";
  if (data instanceof Int16Array) return "I16";
  if (data instanceof Uint16Array) return "U16";
  if (data instanceof Int8Array) return "I8";
  if (data instanceof Uint8Array) return "U8";
  if (data instanceof BigInt64Array) return "I64";
  if (data instanceof BigUint64Array) return "U64";
  if (Array.isArray(data) && data.every((v) => typeof v === "boolean")) return "BOOL";
  return "F32"; // plain number arrays: the dtype everything in tsrl computes in
}

function checkShape(name: string, shape: readonly number[]): number {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(shape)}`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

/** The bytes of one tensor in `dtype`, converting values where needed. */
function tensorBytes(name: string, input: TensorInput, dtype: Dtype): Uint8Array {
  const numel = checkShape(name, input.shape);
  const src = input.data;
  if (src.length !== numel) {
    throw new SafetensorsError(`tensor '${name}' has ${src.length} values but shape ${JSON.stringify(input.shape)} needs ${numel}`);
  }
  const asNumber = (i: number): number => {
    const v = src[i] as number | bigint | boolean;
    return typeof v === "number" ? v : Number(v);
  };
  const asBigInt = (i: number): bigint => {
    const v = src[i] as number | bigint | boolean;
    if (typeof v === "bigint") return v;
    const n = Number(v);
    if (!Number.isSafeInteger(n)) throw new SafetensorsError(`tensor '${name}': value ${String(v)} at index ${i} is not an integer, cannot store as ${dtype}`);
    return BigInt(n);
  };
  let out: TensorData;
  switch (dtype) {
    case "F32": out = Float32Array.from({ length: numel }, (_, i) => asNumber(i)); break;
    case "F64": out = Float64Array.from({ length: numel }, (_, i) => asNumber(i)); break;
    case "F16": out = Uint16Array.from({ length: numel }, (_, i) => numberToF16(asNumber(i))); break;
    case "BF16": out = Uint16Array.from({ length: numel }, (_, i) => numberToBf16(asNumber(i))); break;
    case "I64": out = BigInt64Array.from({ length: numel }, (_, i) => asBigInt(i)); break;
    case "U64": out = BigUint64Array.from({ length: numel }, (_, i) => asBigInt(i)); break;
    case "BOOL": {
      out = new Uint8Array(numel);
      for (let i = 0; i < numel; i++) {
        const v = asNumber(i);
        if (v !== 0 && v !== 1) throw new SafetensorsError(`tensor '${name}': BOOL value ${v} at index ${i} is not 0/1/true/false`);
        out[i] = v;
      }
      break;
    }
    default: {
      const Ctor = { U8: Uint8Array, I8: Int8Array, U16: Uint16Array, I16: Int16Array, U32: Uint32Array, I32: Int32Array }[dtype];
      const arr = new Ctor(numel);
      for (let i = 0; i < numel; i++) {
        const v = asNumber(i);
        arr[i] = v;
        if (arr[i] !== v) throw new SafetensorsError(`tensor '${name}': value ${v} at index ${i} does not fit ${dtype}`);
      }
      out = arr;
    }
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Serialises tensors (in the given key order) and optional string metadata to safetensors bytes. */
export function encodeSafetensors(tensors: Record<string, TensorInput>, metadata?: Record<string, string>): Uint8Array {
  assertLittleEndian();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== "string") throw new SafetensorsError(`metadata '${k}' must be a string, got ${typeof v}`);
    }
    header.__metadata__ = metadata;
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, input] of Object.entries(tensors)) {
    if (name === "" || name === "__metadata__") throw new SafetensorsError(`invalid tensor name ${JSON.stringify(name)}`);
    const dtype = input.dtype ?? defaultDtype(input.data);
    if (!(dtype in DTYPE_SIZE)) throw new SafetensorsError(`tensor '${name}': unknown dtype '${dtype}'; supported: ${Object.keys(DTYPE_SIZE).join(", ")}`);
    const bytes = tensorBytes(name, input, dtype);
    header[name] = { dtype, shape: [...input.shape], data_offsets: [offset, offset + bytes.byteLength] };
    chunks.push(bytes);
    offset += bytes.byteLength;
  }
  let json = Buffer.from(JSON.stringify(header), "utf8");
  const pad = (8 - (json.length % 8)) % 8; // 8 + N ≡ 0 (mod 8): data starts aligned
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}

// ---------------------------------------------------------------- decode

interface HeaderEntry { name: string; dtype: Dtype; shape: number[]; begin: number; end: number }

/**
 * Parses and validates the header only (no tensor data copied): the tensor list with dtypes,
 * shapes and offsets, the metadata, and where the data section starts.
 */
export function readHeader(bytes: Uint8Array, source = "safetensors data"): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const fail = (msg: string): never => { throw new SafetensorsError(`${source}: ${msg}`); };
  if (bytes.byteLength < 8) fail(`truncated: ${bytes.byteLength} bytes, shorter than the 8-byte header length`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) fail(`bad header length ${n64} (more than ${MAX_HEADER_BYTES} bytes; not a safetensors file?)`);
  const n = Number(n64);
  if (n < 2) fail(`bad header length ${n} (a JSON object needs at least 2 bytes)`);
  if (8 + n > bytes.byteLength) fail(`truncated: header length is ${n} bytes but only ${bytes.byteLength - 8} bytes follow`);
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    fail("invalid header: not valid UTF-8");
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (err) {
    fail(`invalid JSON header: ${(err as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("invalid header: JSON must be an object of tensors");
  const dataLen = bytes.byteLength - 8 - n;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__ '${k}' must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v as string;
      }
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== "object" || t === null) fail(`tensor '${name}': entry must be an object`);
    if (typeof t.dtype !== "string" || !(t.dtype in DTYPE_SIZE)) {
      fail(`tensor '${name}': unknown dtype ${JSON.stringify(t.dtype)}; supported: ${Object.keys(DTYPE_SIZE).join(", ")}`);
    }
    const dtype = t.dtype as Dtype;
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
    }
    const shape = t.shape as number[];
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0) || off[0] > off[1]) {
      fail(`tensor '${name}': data_offsets must be [begin, end] with 0 <= begin <= end, got ${JSON.stringify(off)}`);
    }
    const [begin, end] = off as [number, number];
    if (end > dataLen) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] out of range; the data section has ${dataLen} bytes (truncated file?)`);
    }
    const want = shape.reduce((a, b) => a * b, 1) * DTYPE_SIZE[dtype];
    if (end - begin !== want) {
      fail(`tensor '${name}': shape ${JSON.stringify(shape)} × ${dtype} (${DTYPE_SIZE[dtype]} bytes) = ${want} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  // the tensors must tile the data section exactly
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let prev: HeaderEntry | undefined;
  for (const e of sorted) {
    if (e.begin < covered) fail(`tensors '${prev!.name}' [${prev!.begin}, ${prev!.end}] and '${e.name}' [${e.begin}, ${e.end}] overlap`);
    if (e.begin > covered) fail(`${e.begin - covered} bytes before tensor '${e.name}' belong to no tensor (gap at offset ${covered})`);
    covered = e.end;
    prev = e;
  }
  if (covered !== dataLen) fail(`${dataLen - covered} trailing bytes after the last tensor (data section is ${dataLen} bytes, tensors cover ${covered})`);
  return { entries, metadata, dataStart: 8 + n };
}

function decodeTensor(e: HeaderEntry, raw: Uint8Array, source: string): TensorData {
  // copy into a fresh ArrayBuffer: aligned for the typed array, and independent of the file buffer
  const copy = new Uint8Array(raw.byteLength);
  copy.set(raw);
  const buf = copy.buffer;
  switch (e.dtype) {
    case "F32": return new Float32Array(buf);
    case "F64": return new Float64Array(buf);
    case "I32": return new Int32Array(buf);
    case "U32": return new Uint32Array(buf);
    case "I16": return new Int16Array(buf);
    case "U16": return new Uint16Array(buf);
    case "I8": return new Int8Array(buf);
    case "U8": return copy;
    case "I64": return new BigInt64Array(buf);
    case "U64": return new BigUint64Array(buf);
    case "BOOL": {
      const bad = copy.findIndex((v) => v > 1);
      if (bad >= 0) throw new SafetensorsError(`${source}: tensor '${e.name}': BOOL byte ${copy[bad]} at index ${bad} is not 0 or 1`);
      return copy;
    }
    case "F16":
    case "BF16": {
      const bits = new Uint16Array(buf);
      const conv = e.dtype === "F16" ? f16ToNumber : bf16ToNumber;
      const out = new Float32Array(bits.length);
      for (let i = 0; i < bits.length; i++) out[i] = conv(bits[i]);
      return out;
    }
  }
}

/** Parses safetensors bytes, validating everything (see the module comment). */
export function decodeSafetensors(bytes: Uint8Array, source = "safetensors data"): SafetensorsContents {
  assertLittleEndian();
  const { entries, metadata, dataStart } = readHeader(bytes, source);
  const tensors: Record<string, Tensor> = {};
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors[e.name] = { dtype: e.dtype, shape: e.shape, data: decodeTensor(e, raw, source) };
  }
  return { tensors, metadata };
}

/** Reads and validates a .safetensors file; errors name the file. */
export function readSafetensors(file: string): SafetensorsContents {
  return decodeSafetensors(fs.readFileSync(file), file);
}

/** Writes a .safetensors file atomically (temp file + fsync + rename), creating parent directories. */
export function writeSafetensors(file: string, tensors: Record<string, TensorInput>, metadata?: Record<string, string>): void {
  const bytes = encodeSafetensors(tensors, metadata);
  writeFileAtomic(file, bytes);
}
