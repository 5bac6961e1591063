/**
 * A small WebAssembly encoder: enough of the binary format (MVP, SIMD128 and relaxed SIMD's
 * fused multiply-add) to write our compute kernels (./gemm-wasm.ts, ./elementwise-wasm.ts) as
 * TypeScript that builds wasm bytes when the library starts. No binary is committed and no
 * compiler is needed: the kernels are ordinary source, read and reviewed like the rest.
 *
 * Code is built as expressions: every helper returns the bytes of one instruction sequence, and
 * operands come first (stack order), e.g. `i32.add(get("a"), i32.const(4))`. A function declares
 * named parameters and locals; `fn.get("x")` encodes `local.get` of x's index.
 *
 * Reference: the WebAssembly core specification 2.0, §5 (binary format), and the relaxed-SIMD
 * proposal's opcode table (f32x4.relaxed_madd = 0xfd 0x105).
 */

export type ValType = "i32" | "f32" | "v128";
/** Bytes of an instruction sequence, possibly nested (flattened when the module is built). */
export type Code = number | Code[];

const TYPE_CODE: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`uleb: expected a non-negative integer, got ${n}`);
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

/** Signed LEB128 (32-bit range). */
export function sleb(n: number): number[] {
  if (!Number.isInteger(n) || n < -(2 ** 31) || n >= 2 ** 32) throw new RangeError(`sleb: expected a 32-bit integer, got ${n}`);
  n |= 0;
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function flat(code: Code, out: number[] = []): number[] {
  if (typeof code === "number") out.push(code);
  else for (const c of code) flat(c, out);
  return out;
}

const simd = (op: number, ...imm: number[]): number[] => [0xfd, ...uleb(op), ...imm];
/** memarg: alignment exponent, then the constant offset added to the address. */
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

export const i32 = {
  const: (n: number): Code => [0x41, ...sleb(n)],
  add: (a: Code, b: Code): Code => [a, b, 0x6a],
  sub: (a: Code, b: Code): Code => [a, b, 0x6b],
  mul: (a: Code, b: Code): Code => [a, b, 0x6c],
  divU: (a: Code, b: Code): Code => [a, b, 0x6e],
  remU: (a: Code, b: Code): Code => [a, b, 0x70],
  shl: (a: Code, b: Code): Code => [a, b, 0x74],
  shr: (a: Code, b: Code): Code => [a, b, 0x76],
  eqz: (a: Code): Code => [a, 0x45],
  eq: (a: Code, b: Code): Code => [a, b, 0x46],
  ne: (a: Code, b: Code): Code => [a, b, 0x47],
  ltS: (a: Code, b: Code): Code => [a, b, 0x48],
  ltU: (a: Code, b: Code): Code => [a, b, 0x49],
  gtS: (a: Code, b: Code): Code => [a, b, 0x4a],
  leS: (a: Code, b: Code): Code => [a, b, 0x4c],
  geS: (a: Code, b: Code): Code => [a, b, 0x4e],
  and: (a: Code, b: Code): Code => [a, b, 0x71],
  or: (a: Code, b: Code): Code => [a, b, 0x72],
  /** The i32 at address `addr` + offset. */
  load: (addr: Code, offset = 0): Code => [addr, 0x28, ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x36, ...memarg(2, offset)],
};

export const f32 = {
  const: (x: number): Code => { const b = new Uint8Array(new Float32Array([x]).buffer); return [0x43, ...b]; },
  load: (addr: Code, offset = 0): Code => [addr, 0x2a, ...memarg(2, offset)],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, 0x38, ...memarg(2, offset)],
  add: (a: Code, b: Code): Code => [a, b, 0x92],
  sub: (a: Code, b: Code): Code => [a, b, 0x93],
  mul: (a: Code, b: Code): Code => [a, b, 0x94],
  div: (a: Code, b: Code): Code => [a, b, 0x95],
  sqrt: (a: Code): Code => [a, 0x91],
};

export const v128 = {
  load: (addr: Code, offset = 0): Code => [addr, simd(0x00, ...memarg(4, offset))],
  store: (addr: Code, value: Code, offset = 0): Code => [addr, value, simd(0x0b, ...memarg(4, offset))],
  /** Four copies of the f32 at addr + offset. */
  load32Splat: (addr: Code, offset = 0): Code => [addr, simd(0x09, ...memarg(2, offset))],
  zero: (): Code => simd(0x0c, ...new Array<number>(16).fill(0)),
};

export const f32x4 = {
  splat: (x: Code): Code => [x, simd(0x13)],
  extractLane: (v: Code, lane: number): Code => [v, simd(0x1f, lane)],
  replaceLane: (v: Code, lane: number, x: Code): Code => [v, x, simd(0x20, lane)],
  add: (a: Code, b: Code): Code => [a, b, simd(0xe4)],
  sub: (a: Code, b: Code): Code => [a, b, simd(0xe5)],
  mul: (a: Code, b: Code): Code => [a, b, simd(0xe6)],
  div: (a: Code, b: Code): Code => [a, b, simd(0xe7)],
  sqrt: (a: Code): Code => [a, simd(0xe3)],
  /** a·b + c, fused where the CPU has FMA (relaxed SIMD; needs V8's --experimental-wasm-relaxed-simd in Node 20). */
  relaxedMadd: (a: Code, b: Code, c: Code): Code => [a, b, c, simd(0x105)],
};

/** Structured control flow: `block`/`loop` of no result; `br`/`brIf` count enclosing labels outward from 0. */
export const ctl = {
  block: (...body: Code[]): Code => [0x02, 0x40, body, 0x0b],
  loop: (...body: Code[]): Code => [0x03, 0x40, body, 0x0b],
  if: (cond: Code, then: Code[], otherwise?: Code[]): Code => (otherwise ? [cond, 0x04, 0x40, then, 0x05, otherwise, 0x0b] : [cond, 0x04, 0x40, then, 0x0b]),
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (cond: Code, depth: number): Code => [cond, 0x0d, ...uleb(depth)],
  call: (index: number, ...args: Code[]): Code => [args, 0x10, ...uleb(index)],
  drop: (x: Code): Code => [x, 0x1a],
  /** `cond ? a : b` for numbers and vectors alike. */
  select: (a: Code, b: Code, cond: Code): Code => [a, b, cond, 0x1b],
};

export interface WasmFunction {
  name: string;
  /** Exported under its name. */
  exported: boolean;
  params: ValType[];
  results: ValType[];
  locals: ValType[];
  body: Code;
}

/**
 * A function under construction: named parameters and locals, and `get`/`set`/`tee` by name.
 * `build` receives it and returns the body.
 */
export interface FunctionScope {
  get(name: string): Code;
  set(name: string, value: Code): Code;
  tee(name: string, value: Code): Code;
  /** Declares a local (named once; a second declaration of the same name is an error). */
  local(name: string, type: ValType): void;
}

export function defineFunction(
  name: string,
  params: [string, ValType][],
  results: ValType[],
  build: (scope: FunctionScope) => Code,
  opts: { exported?: boolean } = {},
): WasmFunction {
  const index = new Map<string, number>();
  const locals: ValType[] = [];
  params.forEach(([n], i) => {
    if (index.has(n)) throw new Error(`${name}: parameter ${n} declared twice`);
    index.set(n, i);
  });
  const at = (n: string): number => {
    const i = index.get(n);
    if (i === undefined) throw new Error(`${name}: no local or parameter named ${n}`);
    return i;
  };
  const scope: FunctionScope = {
    get: (n) => [0x20, ...uleb(at(n))],
    set: (n, value) => [value, 0x21, ...uleb(at(n))],
    tee: (n, value) => [value, 0x22, ...uleb(at(n))],
    local: (n, type) => {
      if (index.has(n)) throw new Error(`${name}: local ${n} declared twice`);
      index.set(n, params.length + locals.length);
      locals.push(type);
    },
  };
  const body = build(scope);
  return { name, exported: opts.exported ?? true, params: params.map(([, t]) => t), results, locals, body };
}

export interface MemoryImport {
  /** A shared memory (threads) or not; must match the memory given at instantiation. */
  shared: boolean;
  /** Pages of 64 KiB; a shared memory's maximum must not exceed it (an unshared one's is left open). */
  maximumPages: number;
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (text: string): number[] => { const b = [...Buffer.from(text, "utf8")]; return [...uleb(b.length), ...b]; };
const section = (id: number, bytes: number[]): number[] => [id, ...uleb(bytes.length), ...bytes];

/**
 * A module importing one memory as env.memory, with `functions` in order (a function's index in
 * `ctl.call` is its position here) and the exported ones exported by name.
 */
export function encodeModule(functions: WasmFunction[], memory: MemoryImport): Uint8Array {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [TYPE_CODE[t]])), ...vec(f.results.map((t) => [TYPE_CODE[t]]))]);
  // a shared memory must declare a maximum; an unshared one declares none, so any maximum matches
  const limits = memory.shared ? [0x03, ...uleb(1), ...uleb(memory.maximumPages)] : [0x00, ...uleb(1)];
  const imports = [[...name("env"), ...name("memory"), 0x02, ...limits]];
  const exports = functions.flatMap((f, i) => (f.exported ? [[...name(f.name), 0x00, ...uleb(i)]] : []));
  const bodies = functions.map((f) => {
    // locals run-length encoded by type, in declaration order
    const groups: number[][] = [];
    for (const t of f.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === TYPE_CODE[t]) last[0]++;
      else groups.push([1, TYPE_CODE[t]]);
    }
    const code = [...vec(groups.map(([n, t]) => [...uleb(n), t])), ...flat(f.body), 0x0b];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec(imports)),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(exports)),
    ...section(10, vec(bodies)),
  ]);
}
