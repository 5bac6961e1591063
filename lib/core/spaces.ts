/**
 * Spaces describe what an environment accepts and returns (as in Gymnasium):
 * `Discrete(n)` for a choice among n actions, `Box` for real vectors with bounds.
 */
import type { Rng } from "./rng";

// How util.inspect (the REPL, the kernel, console.log) prints an object: spaces print as Gymnasium's do.
const INSPECT: symbol = Symbol.for("nodejs.util.inspect.custom");

export interface DiscreteSpace {
  readonly kind: "discrete";
  readonly n: number;
  /** The smallest element (Gymnasium's `start`), usually 0. */
  readonly start: number;
  readonly shape: readonly number[];
  contains(x: unknown): x is number;
  sample(rng: Rng): number;
  /** "Discrete(n)", as Gymnasium prints it. */
  toString(): string;
}

export interface BoxSpace {
  readonly kind: "box";
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;
  contains(x: unknown): x is Float32Array | number[];
  sample(rng: Rng): Float32Array;
  /** "Box(low, high, shape)", as Gymnasium prints it. */
  toString(): string;
}

export type Space = DiscreteSpace | BoxSpace;

export function discrete(n: number, start = 0): DiscreteSpace {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`Discrete(n) needs a positive integer n, got ${n}`);
  return {
    kind: "discrete",
    n,
    start,
    shape: [],
    contains(x: unknown): x is number {
      return typeof x === "number" && Number.isInteger(x) && x >= start && x < start + n;
    },
    sample: (rng) => start + rng.int(n),
    toString: () => (start === 0 ? `Discrete(${n})` : `Discrete(${n}, start=${start})`),
    [INSPECT]() {
      return this.toString();
    },
  };
}

export function box(low: ArrayLike<number> | number, high: ArrayLike<number> | number, shape?: readonly number[]): BoxSpace {
  const size = shape ? shape.reduce((a, b) => a * b, 1) : typeof low === "number" ? 1 : low.length;
  const lo = Float32Array.from({ length: size }, (_, i) => (typeof low === "number" ? low : low[i]));
  const hi = Float32Array.from({ length: size }, (_, i) => (typeof high === "number" ? high : high[i]));
  for (let i = 0; i < size; i++) {
    if (!(lo[i] <= hi[i])) throw new RangeError(`Box bound ${i}: low ${lo[i]} > high ${hi[i]}`);
  }
  return {
    kind: "box",
    shape: shape ?? [size],
    low: lo,
    high: hi,
    contains(x: unknown): x is Float32Array | number[] {
      if (!(x instanceof Float32Array || Array.isArray(x)) || x.length !== size) return false;
      for (let i = 0; i < size; i++) if (!(x[i] >= lo[i] && x[i] <= hi[i])) return false;
      return true;
    },
    sample(rng) {
      // bounded dims uniform; unbounded dims normal, as Gymnasium's Box.sample does
      return Float32Array.from({ length: size }, (_, i) => {
        const a = lo[i], b = hi[i];
        if (Number.isFinite(a) && Number.isFinite(b)) return rng.uniform(a, b);
        if (Number.isFinite(a)) return a - Math.log(1 - rng.next());
        if (Number.isFinite(b)) return b + Math.log(1 - rng.next());
        return rng.normal();
      });
    },
    toString: () => `Box(${boundText(lo)}, ${boundText(hi)}, [${(shape ?? [size]).join(", ")}])`,
    [INSPECT]() {
      return this.toString();
    },
  };
}

/** Number of scalars in one element of the space (1 for Discrete). */
export function flatSize(space: Space): number {
  return space.shape.reduce((a, b) => a * b, 1);
}

function boundText(values: Float32Array): string {
  const fmt = (v: number) => (Math.abs(v) >= 3.4e38 ? (v > 0 ? "inf" : "-inf") : String(Math.round(v * 1e4) / 1e4));
  const all = Array.from(values, fmt);
  return all.every((v) => v === all[0]) ? all[0] : `[${all.join(", ")}]`;
}
