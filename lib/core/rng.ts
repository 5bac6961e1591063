/**
 * The one source of randomness in tsrl: a small, fast, seedable generator.
 *
 * xoshiro128** (Blackman & Vigna) on 32-bit integer arithmetic, seeded through splitmix32 so
 * that nearby seeds (1, 2, 3, …) give unrelated streams. Same seed → same numbers, on every
 * machine: nothing here touches Math.random.
 *
 * One Rng per run; `fork()` derives an independent child (one per environment, one for the
 * policy, …) so adding a consumer never shifts the numbers another consumer sees.
 */

export interface Rng {
  /** The seed this generator was created from. */
  readonly seed: number;
  /** Uniform float in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform float in [low, high). */
  uniform(low?: number, high?: number): number;
  /** Gaussian sample (Box–Muller). */
  normal(mean?: number, std?: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Index drawn with probability proportional to `weights` (need not sum to 1). */
  categorical(weights: ArrayLike<number>): number;
  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[];
  /** A new generator seeded from this one's stream. */
  fork(): Rng;
  /** Raw 32-bit unsigned output. */
  nextUint32(): number;
  /** The generator's whole state (plain JSON), to resume a run exactly where it was. */
  getState(): RngState;
  /** Puts the generator back to a state from `getState()`: the same numbers follow. */
  setState(state: RngState): void;
}

/** What `Rng.getState()` returns: xoshiro128**'s four words and the spare Gaussian of Box–Muller. */
export interface RngState {
  s: [number, number, number, number];
  spareNormal: number | null;
}

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32), got ${seed}`);
  }
}

export function createRng(seed: number): Rng {
  checkSeed(seed);
  const init = splitmix32(seed);
  let s0 = init(), s1 = init(), s2 = init(), s3 = init();
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1; // the all-zero state is a fixed point

  const nextUint32 = (): number => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result;
  };
  const next = (): number => {
    // 27 high bits + 26 high bits → a double with 53 random bits, as numpy does
    const a = nextUint32() >>> 5, b = nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };
  let spareNormal: number | undefined;

  const rng: Rng = {
    seed,
    next,
    nextUint32,
    uniform(low = 0, high = 1) {
      return low + (high - low) * next();
    },
    normal(mean = 0, std = 1) {
      if (spareNormal !== undefined) {
        const z = spareNormal;
        spareNormal = undefined;
        return mean + std * z;
      }
      let u = 0;
      while (u === 0) u = next();
      const r = Math.sqrt(-2 * Math.log(u)), phi = 2 * Math.PI * next();
      spareNormal = r * Math.sin(phi);
      return mean + std * r * Math.cos(phi);
    },
    int(n) {
      if (!Number.isInteger(n) || n <= 0) throw new RangeError(`int(n) needs a positive integer n, got ${n}`);
      // rejection sampling: no modulo bias
      const limit = Math.floor(0x100000000 / n) * n;
      let x = nextUint32();
      while (x >= limit) x = nextUint32();
      return x % n;
    },
    categorical(weights) {
      let total = 0;
      for (let i = 0; i < weights.length; i++) {
        const w = weights[i];
        if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`categorical weight ${i} is ${w}; weights must be finite and >= 0`);
        total += w;
      }
      if (total <= 0) throw new RangeError("categorical weights sum to 0");
      let u = next() * total;
      for (let i = 0; i < weights.length; i++) {
        u -= weights[i];
        if (u < 0) return i;
      }
      // rounding left u a hair above 0: return the last index with positive weight
      for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
      return weights.length - 1;
    },
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [items[i], items[j]] = [items[j], items[i]];
      }
      return items;
    },
    fork() {
      return createRng(nextUint32());
    },
    getState() {
      return { s: [s0 >>> 0, s1 >>> 0, s2 >>> 0, s3 >>> 0], spareNormal: spareNormal ?? null };
    },
    setState(state) {
      const ok = Array.isArray(state?.s) && state.s.length === 4 && state.s.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff) && !state.s.every((w) => w === 0);
      if (!ok || !(state.spareNormal === null || Number.isFinite(state.spareNormal))) {
        throw new RangeError(`Rng.setState: expected { s: four 32-bit unsigned words, not all 0; spareNormal: number | null }, got ${JSON.stringify(state)}`);
      }
      [s0, s1, s2, s3] = state.s;
      spareNormal = state.spareNormal ?? undefined;
    },
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A seed from the OS clock and Math.random, for runs where the user gave none (as Gymnasium does). */
export function randomSeed(): number {
  return (Math.floor(Math.random() * 0x100000000) ^ Date.now()) >>> 0;
}
