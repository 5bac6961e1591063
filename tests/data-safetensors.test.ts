import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import {
  SafetensorsError, bf16ToNumber, decodeSafetensors, encodeSafetensors, f16ToNumber, numberToBf16, numberToF16,
  readSafetensors, readSafetensorsHeader, writeSafetensors, type TensorInput,
} from "../lib/data";

/** Builds a file by hand from a header object and data bytes — independent of our encoder. */
function rawFile(header: unknown, data: Uint8Array | number[] = [], pad = 0): Uint8Array {
  const json = Buffer.from(JSON.stringify(header) + " ".repeat(pad), "utf8");
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32bytes = (...xs: number[]) => new Uint8Array(Float32Array.from(xs).buffer);

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  let err: unknown;
  try {
    decodeSafetensors(bytes, "t.safetensors");
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SafetensorsError);
  expect((err as Error).message).toMatch(pattern);
}

describe("half precision", () => {
  test("F16 bit patterns, rounding to nearest even, subnormals, overflow", () => {
    const cases: [number, number][] = [
      [1, 0x3c00], [-2, 0xc000], [0.5, 0x3800], [65504, 0x7bff], [2 ** -14, 0x0400], [2 ** -24, 0x0001],
      [0, 0x0000], [-0, 0x8000], [Infinity, 0x7c00], [-Infinity, 0xfc00],
      [1 + 2 ** -11, 0x3c00], // halfway between 1 and the next half: ties to even (down)
      [1 + 3 * 2 ** -11, 0x3c02], // halfway above an odd mantissa: ties to even (up)
      [65520, 0x7c00], // rounds past the largest finite half → inf
      [2 ** -25, 0x0000], [3 * 2 ** -26, 0x0001],
    ];
    for (const [v, bits] of cases) expect([v, numberToF16(v)]).toEqual([v, bits]);
    expect(Number.isNaN(f16ToNumber(numberToF16(NaN)))).toBe(true);
    for (let h = 0; h < 0x7c00; h += 37) expect(numberToF16(f16ToNumber(h))).toBe(h); // every finite half survives
  });

  test("BF16 is the top half of float32, rounded to nearest even", () => {
    expect(numberToBf16(1)).toBe(0x3f80);
    expect(numberToBf16(-2)).toBe(0xc000);
    expect(bf16ToNumber(0x3f80)).toBe(1);
    expect(bf16ToNumber(numberToBf16(3.140625))).toBe(3.140625);
    expect(numberToBf16(1 + 2 ** -8)).toBe(0x3f80); // tie → even
    expect(numberToBf16(1 + 3 * 2 ** -8)).toBe(0x3f82);
  });
});

describe("round trips", () => {
  const inputs: Record<string, TensorInput> = {
    f32: { data: Float32Array.from([1.5, -2.25, 3e-8, 1e30, 0, -0]), shape: [2, 3] },
    f64: { data: Float64Array.from([Math.PI, -Math.E, 1e-300]), shape: [3] },
    i32: { data: Int32Array.from([-2147483648, 0, 2147483647, 7]), shape: [2, 2] },
    i64: { data: BigInt64Array.from([-(2n ** 63n), 0n, 2n ** 63n - 1n]), shape: [3] },
    u64: { data: BigUint64Array.from([0n, 2n ** 64n - 1n]), shape: [2] },
    u8: { data: Uint8Array.from([0, 127, 255]), shape: [3] },
    i8: { data: Int8Array.from([-128, 127]), shape: [2] },
    i16: { data: Int16Array.from([-32768, 32767]), shape: [2] },
    u16: { data: Uint16Array.from([0, 65535]), shape: [1, 2] },
    u32: { data: Uint32Array.from([0, 4294967295]), shape: [2] },
    bool: { data: [true, false, true], shape: [3], dtype: "BOOL" },
    f16: { data: Float32Array.from([1, -2, 0.5, 65504, 2 ** -24, Infinity]), shape: [6], dtype: "F16" },
    bf16: { data: [1, -2, 3.140625, 2 ** 100], shape: [2, 2], dtype: "BF16" },
    i64FromNumbers: { data: [1, -5, 2 ** 53 - 1], shape: [3], dtype: "I64" },
    scalar: { data: Float32Array.from([42]), shape: [] },
    empty: { data: new Float32Array(0), shape: [0, 4] },
  };
  const expected: Record<string, { dtype: string; values: unknown[]; ctor: string }> = {
    f32: { dtype: "F32", values: [1.5, -2.25, Math.fround(3e-8), Math.fround(1e30), 0, -0], ctor: "Float32Array" },
    f64: { dtype: "F64", values: [Math.PI, -Math.E, 1e-300], ctor: "Float64Array" },
    i32: { dtype: "I32", values: [-2147483648, 0, 2147483647, 7], ctor: "Int32Array" },
    i64: { dtype: "I64", values: [-(2n ** 63n), 0n, 2n ** 63n - 1n], ctor: "BigInt64Array" },
    u64: { dtype: "U64", values: [0n, 2n ** 64n - 1n], ctor: "BigUint64Array" },
    u8: { dtype: "U8", values: [0, 127, 255], ctor: "Uint8Array" },
    i8: { dtype: "I8", values: [-128, 127], ctor: "Int8Array" },
    i16: { dtype: "I16", values: [-32768, 32767], ctor: "Int16Array" },
    u16: { dtype: "U16", values: [0, 65535], ctor: "Uint16Array" },
    u32: { dtype: "U32", values: [0, 4294967295], ctor: "Uint32Array" },
    bool: { dtype: "BOOL", values: [1, 0, 1], ctor: "Uint8Array" },
    f16: { dtype: "F16", values: [1, -2, 0.5, 65504, 2 ** -24, Infinity], ctor: "Float32Array" },
    bf16: { dtype: "BF16", values: [1, -2, 3.140625, 2 ** 100], ctor: "Float32Array" },
    i64FromNumbers: { dtype: "I64", values: [1n, -5n, 2n ** 53n - 1n], ctor: "BigInt64Array" },
    scalar: { dtype: "F32", values: [42], ctor: "Float32Array" },
    empty: { dtype: "F32", values: [], ctor: "Float32Array" },
  };

  test("every dtype survives encode → decode with its shape and metadata", () => {
    const bytes = encodeSafetensors(inputs, { format: "tsrl", note: "ünïcode ✓" });
    const { tensors, metadata } = decodeSafetensors(bytes);
    expect(metadata).toEqual({ format: "tsrl", note: "ünïcode ✓" });
    expect(Object.keys(tensors)).toEqual(Object.keys(inputs));
    for (const [name, want] of Object.entries(expected)) {
      const t = tensors[name];
      expect([name, t.dtype, t.shape]).toEqual([name, want.dtype, [...inputs[name].shape]]);
      expect([name, t.data.constructor.name]).toEqual([name, want.ctor]);
      expect([name, Array.from(t.data as ArrayLike<unknown>)]).toEqual([name, want.values]);
    }
  });

  test("layout: 8-byte aligned data, offsets contiguous, little-endian header length", () => {
    const bytes = encodeSafetensors(inputs);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + n) % 8).toBe(0);
    const { entries, dataStart } = readSafetensorsHeader(bytes);
    expect(dataStart).toBe(8 + n);
    let at = 0;
    for (const e of entries) { expect(e.begin).toBe(at); at = e.end; }
    expect(at).toBe(bytes.length - dataStart);
  });

  test("reads a hand-made file (reference layout, unpadded header) and a Buffer at an odd offset", () => {
    const file = rawFile({ __metadata__: { format: "pt" }, w: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32bytes(1, 2));
    const { tensors, metadata } = decodeSafetensors(file);
    expect(Array.from(tensors.w.data as Float32Array)).toEqual([1, 2]);
    expect(metadata).toEqual({ format: "pt" });
    const shifted = Buffer.alloc(file.length + 3);
    shifted.set(file, 3);
    expect(Array.from(decodeSafetensors(shifted.subarray(3)).tensors.w.data as Float32Array)).toEqual([1, 2]);
  });

  test("file write/read (atomic, parent dirs created)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-st-"));
    const file = path.join(dir, "a", "b.safetensors");
    writeSafetensors(file, { x: { data: Float32Array.from([1, 2, 3]), shape: [3] } });
    expect(Array.from(readSafetensors(file).tensors.x.data as Float32Array)).toEqual([1, 2, 3]);
    expect(fs.readdirSync(path.dirname(file))).toEqual(["b.safetensors"]);
  });

  test("encoding rejects wrong lengths, bad names, out-of-range values", () => {
    expect(() => encodeSafetensors({ w: { data: new Float32Array(5), shape: [2, 3] } })).toThrow(/tensor 'w' has 5 values but shape \[2,3\] needs 6/);
    expect(() => encodeSafetensors({ __metadata__: { data: new Float32Array(1), shape: [1] } })).toThrow(/invalid tensor name/);
    expect(() => encodeSafetensors({ b: { data: [2], shape: [1], dtype: "BOOL" } })).toThrow(/BOOL value 2/);
    expect(() => encodeSafetensors({ u: { data: [300], shape: [1], dtype: "U8" } })).toThrow(/300 .* does not fit U8/);
    expect(() => encodeSafetensors({ i: { data: [1.5], shape: [1], dtype: "I64" } })).toThrow(/not an integer/);
    expect(() => encodeSafetensors({ q: { data: [1], shape: [1], dtype: "Q4" as never } })).toThrow(/unknown dtype 'Q4'/);
  });
});

describe("strict decoding names each corruption", () => {
  const good = encodeSafetensors({
    a: { data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] },
    b: { data: Float32Array.from([5, 6]), shape: [2] },
  });

  test("truncated files", () => {
    expectError(good.subarray(0, 5), /^t\.safetensors: truncated: 5 bytes, shorter than the 8-byte header length/);
    expectError(good.subarray(0, 20), /truncated: header length is \d+ bytes but only 12 bytes follow/);
    expectError(good.subarray(0, good.length - 1), /tensor 'b': data_offsets \[16, 24\] out of range; the data section has 23 bytes \(truncated file\?\)/);
  });

  test("bad header length", () => {
    const bad = good.slice();
    new DataView(bad.buffer).setBigUint64(0, 2n ** 40n, true);
    expectError(bad, /bad header length 1099511627776/);
  });

  test("invalid JSON and wrong JSON shapes", () => {
    const flipped = good.slice();
    flipped[8] = "x".charCodeAt(0); // the opening brace
    expectError(flipped, /invalid JSON header/);
    expectError(rawFile([1, 2]), /JSON must be an object/);
    const badUtf8 = rawFile({ a: 1 });
    badUtf8[10] = 0xff;
    expectError(badUtf8, /not valid UTF-8/);
    expectError(rawFile({ __metadata__: { n: 3 } }), /__metadata__ 'n' must be a string/);
  });

  test("unknown dtype", () => {
    expectError(rawFile({ w: { dtype: "F8_E4M3", shape: [1], data_offsets: [0, 1] } }, [0]), /tensor 'w': unknown dtype "F8_E4M3"; supported: .*F32/);
  });

  test("shape × dtype size ≠ byte length", () => {
    expectError(rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32bytes(1, 2)),
      /tensor 'w': shape \[3\] × F32 \(4 bytes\) = 12 bytes, but data_offsets \[0, 8\] hold 8/);
    expectError(rawFile({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32bytes(1)), /shape must be an array of non-negative integers/);
  });

  test("offsets out of range, reversed, overlapping, gaps, trailing bytes", () => {
    expectError(rawFile({ w: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32bytes(1, 2)), /data_offsets \[4, 12\] out of range/);
    expectError(rawFile({ w: { dtype: "F32", shape: [0], data_offsets: [8, 4] } }, f32bytes(1, 2)), /data_offsets must be \[begin, end\]/);
    expectError(
      rawFile({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32bytes(1, 2, 3)),
      /tensors 'a' \[0, 8\] and 'b' \[4, 12\] overlap/,
    );
    expectError(
      rawFile({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32bytes(1, 2, 3)),
      /4 bytes before tensor 'b' belong to no tensor/,
    );
    const tail = new Uint8Array(good.length + 4);
    tail.set(good);
    expectError(tail, /4 trailing bytes after the last tensor/);
  });

  test("BOOL bytes other than 0/1", () => {
    expectError(rawFile({ m: { dtype: "BOOL", shape: [2], data_offsets: [0, 2] } }, [1, 2]), /BOOL byte 2 at index 1/);
  });
});
