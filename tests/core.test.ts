import { describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { box, discrete } from "../lib/core/spaces";
import { makeEnv, makeVectorEnv } from "../lib/envs/registry";
import { makeCartPole, type CartPoleEnv } from "../lib/envs/cartpole/cartpole";

describe("Rng", () => {
  it("gives the same numbers for the same seed and different ones for another", () => {
    const draw = (seed: number) => {
      const r = createRng(seed);
      return [r.next(), r.uniform(-1, 1), r.normal(), r.int(10), r.categorical([0.2, 0.5, 0.3])];
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("forks reproducibly and independently of later draws of the parent", () => {
    const a = createRng(3), b = createRng(3);
    const fa = a.fork(), fb = b.fork();
    a.next(); // consuming the parent after forking must not shift the child
    expect([fa.next(), fa.next()]).toEqual([fb.next(), fb.next()]);
  });

  it("has the moments of its distributions", () => {
    const r = createRng(11);
    const n = 20000;
    let su = 0, sn = 0, sn2 = 0;
    const counts = [0, 0, 0];
    for (let i = 0; i < n; i++) {
      su += r.uniform(2, 4);
      const z = r.normal(1, 2);
      sn += z;
      sn2 += z * z;
      counts[r.categorical([1, 2, 7])]++;
    }
    expect(su / n).toBeCloseTo(3, 1);
    expect(sn / n).toBeCloseTo(1, 1);
    expect(Math.sqrt(sn2 / n - (sn / n) ** 2)).toBeCloseTo(2, 1);
    expect(counts[2] / n).toBeCloseTo(0.7, 1);
    expect(counts[0] / n).toBeCloseTo(0.1, 1);
  });

  it("rejects bad seeds and bad arguments by name", () => {
    expect(() => createRng(-1)).toThrow(/seed/);
    expect(() => createRng(1.5)).toThrow(/seed/);
    expect(() => createRng(1).int(0)).toThrow(/positive integer/);
    expect(() => createRng(1).categorical([1, NaN])).toThrow(/weight 1 is NaN/);
  });
});

describe("spaces", () => {
  it("Discrete contains exactly its integers", () => {
    const d = discrete(3);
    expect([0, 1, 2].every((a) => d.contains(a))).toBe(true);
    expect([3, -1, 1.5, NaN, "1"].some((a) => d.contains(a))).toBe(false);
  });
  it("Box samples inside its bounds", () => {
    const b = box([-1, 0], [1, 5]);
    const r = createRng(0);
    for (let i = 0; i < 100; i++) expect(b.contains(b.sample(r))).toBe(true);
    expect(b.contains(new Float32Array([2, 0]))).toBe(false);
  });
});

// Reference values: the step() of Gymnasium's cartpole.py, evaluated line for line in Python
// float64 (python3 -c with math.sin/cos), from (0.01, -0.02, 0.03, 0.04) with actions 1, 0, 1, 1.
const GYM_TRAJECTORY = [
  [0.009600000000000001, 0.17467919574755525, 0.030799999999999998, -0.2430687179600081],
  [0.013093583914951107, -0.020868848948191993, 0.025938625640799837, 0.0591679999394166],
  [0.012676206935987267, 0.1738717748734813, 0.02712198563958817, -0.22521957255967326],
  [0.016153642433456895, 0.36859581150093934, 0.022617594188394704, -0.509225318312219],
];

describe("CartPole-v1", () => {
  const start = [0.01, -0.02, 0.03, 0.04];

  it("integrates exactly as Gymnasium does (float64 state, float32 observation)", () => {
    const env = makeCartPole();
    env.reset({ options: { state: start } });
    [1, 0, 1, 1].forEach((a, i) => {
      const r = env.step(a);
      expect(env.state).toEqual(GYM_TRAJECTORY[i]); // bit-for-bit in float64
      expect(Array.from(r.obs)).toEqual(Array.from(Float32Array.from(GYM_TRAJECTORY[i])));
      expect(r.reward).toBe(1);
      expect(r.terminated).toBe(false);
    });
  });

  it("terminates on the 10th push right from that start, rewarding the terminal step, then 0", () => {
    const env = makeCartPole();
    env.reset({ options: { state: start } });
    const rewards: number[] = [];
    let terminated = false, steps = 0;
    while (!terminated) {
      const r = env.step(1);
      rewards.push(r.reward);
      terminated = r.terminated;
      steps++;
    }
    expect(steps).toBe(10); // Python reference: theta crosses -12° at step 10
    expect(rewards.every((x) => x === 1)).toBe(true);
    const warn = console.warn;
    console.warn = () => {};
    try {
      expect(env.step(1).reward).toBe(0);
    } finally {
      console.warn = warn;
    }
  });

  it("truncates (not terminates) at 500 steps when made through the registry", () => {
    const env = makeEnv("CartPole-v1");
    let obs = env.reset({ options: { state: [0, 0, 0, 0] } }).obs;
    let r;
    let n = 0;
    // a hand-made controller (push towards where the pole is falling) keeps it up for 500 steps
    do {
      r = env.step(obs[2] + 0.5 * obs[3] > 0 ? 1 : 0);
      obs = r.obs;
      n++;
    } while (!r.terminated && !r.truncated);
    expect(n).toBe(500);
    expect(r.truncated).toBe(true);
    expect(r.terminated).toBe(false);
    // the unwrapped env has no time limit: it keeps going
    const unwrapped = env.unwrapped as CartPoleEnv;
    expect(unwrapped.step(obs[2] > 0 ? 1 : 0).truncated).toBe(false);
    // reset() restarts the count
    env.reset({ options: { state: [0, 0, 0, 0] } });
    expect(env.step(1).truncated).toBe(false);
  });

  it("resets reproducibly from a seed, within ±0.05", () => {
    const a = makeCartPole().reset({ seed: 42 }).obs;
    const b = makeCartPole().reset({ seed: 42 }).obs;
    const c = makeCartPole().reset({ seed: 43 }).obs;
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect(Array.from(a).every((v) => Math.abs(v) <= 0.05)).toBe(true);
    const wide = makeCartPole().reset({ seed: 1, options: { low: 0, high: 1 } }).obs;
    expect(Array.from(wide).every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  it("names an invalid action and a bad reset state", () => {
    const env = makeCartPole();
    env.reset({ seed: 0 });
    expect(() => env.step(2)).toThrow(/invalid action 2 .*expected 0 \(push left\) or 1/);
    expect(() => env.step(0.5)).toThrow(/invalid action 0\.5/);
    expect(() => env.step("1" as unknown as number)).toThrow(/invalid action "1"/);
    expect(() => env.reset({ options: { state: [0, 0, NaN, 0] } })).toThrow(/state\[2\] is NaN/);
    expect(() => env.reset({ options: { state: [0, 0] } })).toThrow(/\[x, xDot, theta, thetaDot\]/);
    expect(() => makeCartPole().step(0)).toThrow(/reset\(\) before step/);
  });

  it("renders an SVG picture", () => {
    const env = makeCartPole();
    env.reset({ options: { state: [1, 0, 0.1, 0] } });
    const svg = env.render!();
    expect(svg).toMatch(/^<svg[^>]*width="600"/);
    expect(svg).toContain("rotate(5.729");
  });
});

describe("vector env", () => {
  it("auto-resets in the same step, keeps the final obs and reports episode stats", () => {
    const venv = makeVectorEnv("CartPole-v1", 3);
    venv.reset({ seed: 10 });
    const lengths = [0, 0, 0];
    const seen: { env: number; return: number; length: number }[] = [];
    for (let t = 0; t < 200; t++) {
      const r = venv.step([1, 1, 1]); // always right: episodes end in ~10 steps
      for (let i = 0; i < 3; i++) {
        lengths[i]++;
        if (r.terminated[i] || r.truncated[i]) {
          expect(r.finalObs[i]).toBeDefined();
          // the final observation is out of bounds; the returned one is a fresh start
          const f = r.finalObs[i]!;
          expect(Math.abs(f[2]) > 0.2094 || Math.abs(f[0]) > 2.4).toBe(true);
          expect(Array.from(r.obs[i]).every((v) => Math.abs(v) <= 0.05)).toBe(true);
          const ep = r.episodes.find((e) => e.env === i)!;
          expect(ep.length).toBe(lengths[i]);
          expect(ep.return).toBe(lengths[i]);
          seen.push(ep);
          lengths[i] = 0;
        } else {
          expect(r.finalObs[i]).toBeUndefined();
        }
      }
    }
    expect(seen.length).toBeGreaterThan(30);
  });

  it("seeds copy i with seed + i", () => {
    const venv = makeVectorEnv("CartPole-v1", 2);
    const { obs } = venv.reset({ seed: 5 });
    expect(Array.from(obs[1])).toEqual(Array.from(makeCartPole().reset({ seed: 6 }).obs));
    expect(() => venv.step([1])).toThrow(/1 actions for 2 environments/);
  });
});

describe("space printing", () => {
  it("prints spaces as Gymnasium does", async () => {
    const { inspect } = await import("node:util");
    expect(inspect(discrete(2))).toBe("Discrete(2)");
    expect(String(box([-1, 0], [1, 2]))).toBe("Box([-1, 0], [1, 2], [2])");
    expect(inspect(makeCartPole().observationSpace)).toBe("Box([-4.8, -inf, -0.4189, -inf], [4.8, inf, 0.4189, inf], [4])");
  });
});
