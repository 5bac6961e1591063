import { describe, expect, it, vi } from "vitest";
import { createRng } from "../lib/core/rng";
import { envSpec, makeEnv } from "../lib/envs/registry";
import { lunarLanderShaping, makeLunarLander, recordLunarLanderEpisode, type LunarLanderAction, type UniformSource } from "../lib/envs/lunar-lander/lunar-lander";
import { FPS, H, MAIN_ENGINE_POWER, MAIN_ENGINE_Y_LOCATION, SCALE } from "../lib/envs/lunar-lander/constants";
import { lunarLanderHeuristic } from "../lib/envs/lunar-lander/heuristic";
import { lunarLanderAnimation, renderLunarLanderSvg } from "../lib/envs/lunar-lander/render";
import { lunarLanderTerrain } from "../lib/envs/lunar-lander/terrain";
import { lunarLanderPhysicsSettings } from "../lib/envs/lunar-lander/world";

/** A generator that records every call and answers from `answer` (or a seeded tsrl Rng). */
function recordingRng(answer?: (low: number, high: number, i: number) => number, seed = 0) {
  const inner = createRng(seed);
  const calls: { low: number; high: number; value: number }[] = [];
  const rng: UniformSource = {
    uniform(low, high) {
      const value = answer ? answer(low, high, calls.length) : inner.uniform(low, high);
      calls.push({ low, high, value });
      return value;
    },
  };
  return { rng, calls };
}

/** Centre of every interval: no initial push, no engine dispersion; terrain heights 1 m. */
const centred = () => recordingRng((low, high) => (low === 0 ? 1 : (low + high) / 2)).rng;

// observation scales back to physical units
const VY = FPS / (H / 2);

function runEpisode(policy: (obs: Float32Array) => LunarLanderAction, seed: number, options = {}) {
  const env = makeLunarLander(options);
  let { obs } = env.reset({ seed });
  const trace: number[] = [...obs];
  let total = 0, steps = 0, last;
  do {
    last = env.step(policy(obs));
    obs = last.obs;
    trace.push(...obs, last.reward);
    total += last.reward;
    steps++;
  } while (!last.terminated && steps < 1000);
  return { trace, total, steps, last, env };
}

describe("LunarLander-v3: random draws in Gymnasium's order", () => {
  it("reset draws 12 terrain heights in [0, H/2], 2 force components in [-1000, 1000], then the internal step's 2 dispersions", () => {
    const { rng, calls } = recordingRng();
    const env = makeLunarLander({ rng });
    env.reset();
    expect(calls.length).toBe(16);
    calls.slice(0, 12).forEach((c) => expect([c.low, c.high]).toEqual([0, H / 2]));
    calls.slice(12, 14).forEach((c) => expect([c.low, c.high]).toEqual([-1000, 1000]));
    calls.slice(14, 16).forEach((c) => expect([c.low, c.high]).toEqual([-1, 1]));
    for (let t = 1; t <= 3; t++) {
      env.step(t % 4); // any action, engines off or on: 2 draws
      expect(calls.length).toBe(16 + 2 * t);
      calls.slice(-2).forEach((c) => expect([c.low, c.high]).toEqual([-1, 1]));
    }
  });

  it("with wind, the wind and torque indices come after the force and before the internal step", () => {
    const { rng, calls } = recordingRng((low, high, i) => (i === 14 ? 123.7 : i === 15 ? -45.2 : (low + high) / 2));
    const env = makeLunarLander({ rng, enableWind: true });
    env.reset();
    expect(calls.map((c) => `${c.low},${c.high}`)).toEqual([
      ...Array(12).fill(`0,${H / 2}`),
      "-1000,1000",
      "-1000,1000",
      "-9999,9999",
      "-9999,9999",
      "-1,1",
      "-1,1",
    ]);
    // integers like numpy's integers(-9999, 9999); the internal step already blew once (+1)
    expect(env.windIndex).toBe(124);
    expect(env.torqueIndex).toBe(-45);
    env.step(0);
    expect(env.windIndex).toBe(125);
    expect(calls.length).toBe(20);
  });

  it("wind indices: the same seed draws the same ones, other seeds others (Gymnasium's test)", () => {
    const env = makeLunarLander({ enableWind: true });
    const indices = (seed: number) => {
      env.reset({ seed });
      return [env.windIndex, env.torqueIndex];
    };
    const first = indices(10);
    expect(indices(10)).toEqual(first);
    expect(first.every((v) => Number.isInteger(v) && v! >= -9999 && v! <= 9999)).toBe(true);
    expect([11, 12, 13].map(indices).some(([w, t]) => w !== first[0] && t !== first[1])).toBe(true);
    expect(makeLunarLander().reset({ seed: 1 }) && makeLunarLander().windIndex).toBe(null);
  });

  it("replays a recorded sequence of draws exactly", () => {
    const first = recordingRng(undefined, 7);
    const a = makeLunarLander({ rng: first.rng });
    const obsA = [a.reset().obs, ...[2, 2, 1, 3, 0].map((act) => a.step(act).obs)];
    const values = first.calls.map((c) => c.value);
    const b = makeLunarLander({ rng: { uniform: () => values.shift()! } });
    const obsB = [b.reset().obs, ...[2, 2, 1, 3, 0].map((act) => b.step(act).obs)];
    expect(obsB.map((o) => Array.from(o))).toEqual(obsA.map((o) => Array.from(o)));
    expect(values.length).toBe(0);
  });
});

describe("LunarLander-v3: determinism", () => {
  const random = (seed: number) => {
    const r = createRng(seed);
    return () => r.int(4);
  };
  it("same seed, same trajectory; another seed, another", () => {
    const a = runEpisode(random(1), 42).trace;
    const b = runEpisode(random(1), 42).trace;
    const c = runEpisode(random(1), 43).trace;
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("a new world at each reset: the same seed twice on one env gives the same episode", () => {
    const env = makeLunarLander();
    const once = () => {
      let { obs } = env.reset({ seed: 5 });
      const out = [...obs];
      for (let t = 0; t < 60; t++) out.push(...(obs = env.step(lunarLanderHeuristic(obs)).obs));
      return out;
    };
    expect(once()).toEqual(once());
  });

  it("planck's joint solver and the allocation-free one give bit-identical episodes", () => {
    const both = (seed: number) =>
      [true, false].map((fast) => {
        lunarLanderPhysicsSettings.allocationFreeJoints = fast;
        try {
          return runEpisode((obs) => lunarLanderHeuristic(obs), seed).trace;
        } finally {
          lunarLanderPhysicsSettings.allocationFreeJoints = true;
        }
      });
    for (const seed of [0, 1, 2]) {
      const [fast, stock] = both(seed);
      expect(fast.length).toBe(stock.length);
      expect(fast.every((v, i) => Object.is(v, stock[i]))).toBe(true);
    }
  });
});

describe("LunarLander-v3: terrain", () => {
  // heights 0, 0.5, 1, …, 5.5 (all inside [0, H/2 = 6.67]); the helipad overwrites indices 3..7 with H/4
  const h = Array.from({ length: 12 }, (_, i) => i * 0.5);
  const pad = H / 4;

  it("11 chunks every 2 m, the helipad between chunks 4 and 6 at H/4, smoothing 0.33·(left + self + right) wrapping to height[11]", () => {
    let i = 0;
    const t = lunarLanderTerrain(() => h[i++]);
    expect(i).toBe(12);
    expect(t.chunkX).toEqual([0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20]);
    expect([t.helipadX1, t.helipadX2, t.helipadY]).toEqual([8, 12, 400 / 30 / 4]);
    // worked out by hand from the formula
    const expected = [
      0.33 * (5.5 + 0 + 0.5), // point 0's left neighbour is height[-1] = height[11]
      0.33 * (0 + 0.5 + 1),
      0.33 * (0.5 + 1 + pad),
      0.33 * (1 + pad + pad),
      0.33 * (pad + pad + pad),
      0.33 * (pad + pad + pad),
      0.33 * (pad + pad + pad),
      0.33 * (pad + pad + 4),
      0.33 * (pad + 4 + 4.5),
      0.33 * (4 + 4.5 + 5),
      0.33 * (4.5 + 5 + 5.5),
    ];
    expect(t.smoothY).toEqual(expected);
    expect(t.smoothY[4]).toBeCloseTo(0.99 * pad, 12); // the pad is flat a hair below H/4
    expect(t.smoothY[5]).toBe(t.smoothY[4]);
    expect(t.smoothY[6]).toBe(t.smoothY[4]);
  });

  it("the env builds its moon from those draws: a flat edge at y = 0 and one edge per chunk", () => {
    let i = 0;
    const env = makeLunarLander({ rng: { uniform: (low, high) => (i++ < 12 ? h[i - 1] : (low + high) / 2) } });
    env.reset();
    const edges: number[][] = [];
    for (let f = env.physics!.moon.getFixtureList(); f; f = f.getNext()) {
      const s = f.getShape() as unknown as { m_vertex1: { x: number; y: number }; m_vertex2: { x: number; y: number } };
      edges.push([s.m_vertex1.x, s.m_vertex1.y, s.m_vertex2.x, s.m_vertex2.y]);
    }
    edges.reverse(); // planck lists fixtures newest first
    expect(edges.length).toBe(11);
    expect(edges[0]).toEqual([0, 0, 20, 0]);
    const t = env.terrain!;
    for (let k = 0; k < 10; k++) expect(edges[k + 1]).toEqual([t.chunkX[k], t.smoothY[k], t.chunkX[k + 1], t.smoothY[k + 1]]);
  });
});

describe("LunarLander-v3: physics against known facts", () => {
  it("free fall: with no push and no engine, the centre of mass's y velocity grows by g·t", () => {
    // The legs swing in on their motors until they reach their joint limits (step 24 here, as in
    // Gymnasium), trading momentum with the hull: the hull alone falls 0.0075 m/s slower until then.
    // The three bodies' centre of mass feels gravity only.
    const centreOfMassVy = (env: ReturnType<typeof makeLunarLander>) => {
      const bodies = [env.physics!.lander, ...env.physics!.legs];
      const mass = bodies.reduce((m, b) => m + b.getMass(), 0);
      return bodies.reduce((p, b) => p + b.getMass() * b.getLinearVelocity().y, 0) / mass;
    };
    for (const gravity of [-10, -1.62]) {
      const env = makeLunarLander({ rng: centred(), gravity });
      let obs = env.reset().obs; // one physics step already
      for (let t = 1; t <= 30; t++) {
        obs = env.step(0).obs;
        expect(centreOfMassVy(env)).toBeCloseTo((gravity * (t + 1)) / FPS, 9);
      }
      // legs at rest against their limits: the hull falls with the rest
      expect(obs[3] * VY).toBeCloseTo((gravity * 31) / FPS, 4);
      expect(Math.abs(obs[2])).toBeLessThan(1e-6);
    }
  });

  it("the main engine decelerates by its impulse over the lander's mass, each step", () => {
    const fall = makeLunarLander({ rng: centred() });
    const burn = makeLunarLander({ rng: centred() });
    fall.reset();
    burn.reset();
    let a = fall.step(0).obs, b = burn.step(2).obs;
    for (let t = 1; t < 10; t++) {
      a = fall.step(0).obs;
      b = burn.step(2).obs;
    }
    const p = burn.physics!;
    const mass = p.lander.getMass() + p.legs[0].getMass() + p.legs[1].getMass();
    const perStep = (MAIN_ENGINE_POWER * MAIN_ENGINE_Y_LOCATION) / SCALE / mass; // no dispersion
    expect((b[3] - a[3]) * VY).toBeCloseTo(10 * perStep, 3);
    expect(b[1]).toBeGreaterThan(a[1]);
  });

  it("side engines turn the lander: left (1) counter-clockwise and leftwards, right (3) the mirror image", () => {
    const turn = (action: number) => {
      const env = makeLunarLander({ rng: centred() });
      env.reset();
      let obs = env.step(action).obs;
      for (let t = 0; t < 5; t++) obs = env.step(action).obs;
      return obs;
    };
    const left = turn(1), right = turn(3);
    expect(left[5]).toBeGreaterThan(0); // angular velocity
    expect(left[2]).toBeLessThan(0); // x velocity
    // mirror images, up to the asymmetry of the legs' start (±0.05 rad, joint limits)
    expect(right[5]).toBeCloseTo(-left[5], 4);
    expect(right[2]).toBeCloseTo(-left[2], 4);
  });

  it("the heuristic lands seed 1: legs down, asleep, terminated with +100", () => {
    const { last, env, steps } = runEpisode((obs) => lunarLanderHeuristic(obs), 1);
    expect(last.terminated).toBe(true);
    expect(last.reward).toBe(100);
    expect(env.physics!.lander.isAwake()).toBe(false);
    expect(env.physics!.gameOver).toBe(false);
    // both legs rest on the moon; the flags need not say so (the left one straddles a chunk
    // boundary here, and Gymnasium's flag drops when either of its two contacts ends)
    const touching = [false, false];
    for (let c = env.physics!.world.getContactList(); c; c = c.getNext()) {
      if (!c.isTouching()) continue;
      env.physics!.legs.forEach((leg, i) => (touching[i] ||= c.getFixtureA().getBody() === leg || c.getFixtureB().getBody() === leg));
    }
    expect(touching).toEqual([true, true]);
    expect(last.obs[7]).toBe(1);
    expect(Math.abs(last.obs[0])).toBeLessThan(0.2); // on the pad
    expect(steps).toBeLessThan(1000);
  });

  it("doing nothing crashes: the hull touches the ground, terminated with -100", () => {
    const { last, env } = runEpisode(() => 0, 3);
    expect(last.terminated).toBe(true);
    expect(last.reward).toBe(-100);
    expect(env.physics!.gameOver).toBe(true);
  });

  it("flying off sideways (|x| >= 1) terminates with -100", () => {
    const env = makeLunarLander({ rng: centred() });
    env.reset();
    const p = env.physics!;
    for (const b of [p.lander, ...p.legs]) b.setLinearVelocity({ x: 25, y: 5 });
    let r;
    let n = 0;
    do {
      r = env.step(0);
      n++;
    } while (!r.terminated && n < 100);
    expect(r.obs[0]).toBeGreaterThanOrEqual(1);
    expect(r.reward).toBe(-100);
    expect(p.gameOver).toBe(false);
  });

  it("wind pushes with tanh(sin(0.02 t) + sin(0.01 pi t)) * windPower from the drawn index", () => {
    const idx = 100;
    const rng = { uniform: (low: number, high: number) => (low === -9999 ? idx : low === 0 ? 1 : (low + high) / 2) };
    const env = makeLunarLander({ rng, enableWind: true, windPower: 15, turbulencePower: 0 });
    const obs = env.reset().obs;
    const p = env.physics!;
    const mass = p.lander.getMass() + p.legs[0].getMass() + p.legs[1].getMass();
    const force = Math.tanh(Math.sin(0.02 * idx) + Math.sin(Math.PI * 0.01 * idx)) * 15;
    const vx = (obs[2] * FPS) / 10;
    expect(vx).toBeGreaterThan(0);
    expect(vx).toBeCloseTo(force / FPS / mass, 2); // the legs follow through the joints
  });
});

describe("LunarLander-v3: reward", () => {
  it("is the difference of shaping minus 0.3 for a main-engine frame and 0.03 for a side-engine frame", () => {
    const env = makeLunarLander();
    let prev = env.reset({ seed: 11 }).obs;
    for (const [action, fuel] of [[2, 0.3], [1, 0.03], [3, 0.03], [0, 0], [2, 0.3]] as const) {
      const r = env.step(action);
      const expected = lunarLanderShaping(r.obs) - lunarLanderShaping(prev) - fuel;
      expect(r.reward).toBeCloseTo(expected, 4); // observations are float32 copies of the state
      prev = r.obs;
    }
  });

  it("shaping: -100 per unit of distance, of speed and of angle, +10 per leg down", () => {
    expect(lunarLanderShaping([3, 4, 0, 0, 0, 0, 0, 0])).toBe(-500);
    expect(lunarLanderShaping([0, 0, 0.6, 0.8, 0, 0, 0, 0])).toBe(-100);
    expect(lunarLanderShaping([0, 0, 0, 0, -0.5, 3, 1, 1])).toBe(-50 + 20);
  });

  it("continuous fuel: main throttle (a0 + 1)/2 when a0 > 0, side throttle |a1| when |a1| > 0.5", () => {
    const env = makeLunarLander({ continuous: true });
    let prev = env.reset({ seed: 3 }).obs;
    const cases: [number[], number][] = [
      [[0.5, 0], 0.3 * 0.75],
      [[0.2, 0.7], 0.3 * 0.6 + 0.03 * 0.7],
      [[-0.5, -0.9], 0.03 * 0.9],
      [[0, 0.5], 0],
      [[1, -1], 0.3 + 0.03],
    ];
    for (const [action, fuel] of cases) {
      const r = env.step(action);
      expect(r.reward).toBeCloseTo(lunarLanderShaping(r.obs) - lunarLanderShaping(prev) - fuel, 4);
      prev = r.obs;
    }
  });
});

describe("LunarLander-v3: spaces and actions", () => {
  it("has Gymnasium's v3 observation bounds and action spaces", () => {
    const env = makeLunarLander();
    expect(Array.from((env.observationSpace as { low: Float32Array }).low)).toEqual(Array.from(Float32Array.from([-2.5, -2.5, -10, -10, -2 * Math.PI, -10, -0, -0])));
    expect(Array.from((env.observationSpace as { high: Float32Array }).high)).toEqual(Array.from(Float32Array.from([2.5, 2.5, 10, 10, 2 * Math.PI, 10, 1, 1])));
    expect(env.actionSpace.toString()).toBe("Discrete(4)");
    expect(makeLunarLander({ continuous: true }).actionSpace.toString()).toBe("Box(-1, 1, [2])");
  });

  it("observations are float32, inside the bounds during a landing, legs 0 or 1", () => {
    const env = makeLunarLander();
    let { obs } = env.reset({ seed: 2 });
    for (let t = 0; t < 400; t++) {
      expect(obs).toBeInstanceOf(Float32Array);
      expect(obs.length).toBe(8);
      expect(env.observationSpace.contains(obs)).toBe(true);
      const r = env.step(lunarLanderHeuristic(obs));
      obs = r.obs;
      if (r.terminated) break;
    }
  });

  it("rejects invalid actions by name, and step before reset", () => {
    expect(() => makeLunarLander().step(0)).toThrow(/LunarLander-v3: call reset\(\) before step\(\)/);
    const env = makeLunarLander();
    env.reset({ seed: 0 });
    expect(() => env.step(4)).toThrow(/invalid action 4 .*expected 0 \(noop\), 1 \(left engine\), 2 \(main engine\) or 3 \(right engine\)/);
    expect(() => env.step(-1)).toThrow(/invalid action -1/);
    expect(() => env.step(1.5)).toThrow(/invalid action 1\.5/);
    expect(() => env.step(NaN)).toThrow(/invalid action null \(number\)|invalid action NaN/);
    expect(() => env.step("2" as unknown as number)).toThrow(/invalid action "2"/);
    expect(() => env.step([1, 0])).toThrow(/invalid action \[1,0\]/);
    const c = makeLunarLander({ continuous: true });
    c.reset({ seed: 0 });
    expect(() => c.step([NaN, 0])).toThrow(/invalid action .*expected \[main, lateral\].*Box\(-1, 1, \[2\]\)/);
    expect(() => c.step([0.5])).toThrow(/invalid action \[0\.5\]/);
    expect(() => c.step(2)).toThrow(/invalid action 2 \(number\)/);
    expect(() => c.step(["1", 0] as unknown as number[])).toThrow(/invalid action/);
    expect(() => c.step(Float32Array.of(0.5, 0.5))).not.toThrow();
  });

  it("continuous: main <= 0 and |lateral| <= 0.5 fire nothing; values beyond ±1 are clipped", () => {
    const trajectory = (actions: number[][]) => {
      const env = makeLunarLander({ continuous: true, rng: recordingRng(undefined, 9).rng });
      env.reset();
      return actions.map((a) => Array.from(env.step(a).obs));
    };
    const off = trajectory([[0, 0], [0, 0], [0, 0]]);
    expect(trajectory([[-0.7, 0.5], [-1, -0.5], [0, 0.3]])).toEqual(off);
    expect(trajectory([[0.3, 0], [0.3, 0]])).toEqual(trajectory([[0.3, 0.4], [0.3, -0.2]]));
    expect(trajectory([[3, -7], [1.5, 2]])).toEqual(trajectory([[1, -1], [1, 1]]));
    expect(trajectory([[0.01, 0]])).not.toEqual(off.slice(0, 1)); // just above 0: already 50 % throttle
  });
});

describe("LunarLander-v3: options and registry", () => {
  it("validates its options as Gymnasium does", () => {
    expect(() => makeLunarLander({ gravity: -12 })).toThrow(/gravity \(current value: -12\) must be between -12 and 0/);
    expect(() => makeLunarLander({ gravity: 0 })).toThrow(/gravity/);
    expect(() => makeLunarLander({ gravity: 3 })).toThrow(/gravity/);
    expect(() => makeLunarLander({ enable_wind: true } as never)).toThrow(/unknown option 'enable_wind'; known: .*enableWind/);
    expect(() => makeLunarLander({ continuous: "yes" } as never)).toThrow(/continuous must be true or false/);
    expect(() => makeLunarLander({ rng: {} as never })).toThrow(/uniform\(low, high\)/);
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      makeLunarLander({ windPower: 25, turbulencePower: -1 });
      expect(warn).toHaveBeenCalledTimes(2);
      expect(String(warn.mock.calls[0][0])).toMatch(/windPower .*25/);
      expect(String(warn.mock.calls[1][0])).toMatch(/turbulencePower .*-1/);
    } finally {
      warn.mockRestore();
    }
    expect(() => makeLunarLander({ rng: createRng(1) }).reset({ seed: 1 })).toThrow(/cannot reseed/);
  });

  it("is registered with a 1000-step time limit (truncation) and a threshold of 200", () => {
    const spec = envSpec("LunarLander-v3");
    expect([spec.maxEpisodeSteps, spec.rewardThreshold]).toEqual([1000, 200]);
    const env = makeEnv<Float32Array, LunarLanderAction>("LunarLander-v3", { maxEpisodeSteps: 3, options: { continuous: true } });
    env.reset({ seed: 0 });
    expect(env.step([1, 0]).truncated).toBe(false);
    expect(env.step([1, 0]).truncated).toBe(false);
    const r = env.step([1, 0]);
    expect([r.truncated, r.terminated]).toEqual([true, false]);
  });
});

describe("LunarLander-v3: heuristic baseline", () => {
  it("scores a mean above 150 over 20 seeded episodes (discrete) and 10 (continuous)", () => {
    const mean = (continuous: boolean, n: number) => {
      let sum = 0;
      for (let seed = 0; seed < n; seed++) sum += runEpisode((obs) => lunarLanderHeuristic(obs, { continuous }), seed, { continuous }).total;
      return sum / n;
    };
    expect(mean(false, 20)).toBeGreaterThan(150);
    expect(mean(true, 10)).toBeGreaterThan(150);
  });

  it("follows Gymnasium's decision rule", () => {
    expect(lunarLanderHeuristic([0, 0.2, 0, -0.5, 0, 0, 0, 0])).toBe(2); // falling fast: main engine
    expect(lunarLanderHeuristic([0, 1, 0, 0, 0.3, 0, 0, 0])).toBe(3); // tilted left: right engine
    expect(lunarLanderHeuristic([0, 1, 0, 0, -0.3, 0, 0, 0])).toBe(1);
    expect(lunarLanderHeuristic([0, 1, 0, 0, 0, 0, 0, 0])).toBe(0);
    expect(lunarLanderHeuristic([0, 0, 0, 0.1, 0.3, 0, 1, 0])).toBe(0); // a leg down: only brake
    expect(Array.from(lunarLanderHeuristic([0, 0.2, 0, -0.5, 0, 0, 0, 0], { continuous: true }), (v) => v + 0)).toEqual([1, 0]);
  });
});

describe("LunarLander-v3: pictures", () => {
  it("render() draws a 600×400 SVG in Gymnasium's colours", () => {
    const env = makeLunarLander();
    expect(env.render!()).toBe("");
    env.reset({ seed: 4 });
    for (let t = 0; t < 5; t++) env.step(2);
    const svg = env.render!();
    expect(svg).toMatch(/^<svg [^>]*width="600" height="400"/);
    expect(svg).toContain('fill="rgb(0,0,0)"'); // sky
    expect(svg).toContain('fill="rgb(128,102,230)" stroke="rgb(77,77,128)"'); // hull and legs
    expect(svg.match(/fill="rgb\(204,204,0\)"/g)?.length).toBe(2); // two flags
    expect(svg).toMatch(/<circle [^>]*fill="rgb\(255,/); // exhaust
    expect(svg.endsWith("</svg>")).toBe(true);
    expect(renderLunarLanderSvg(env.frame(), { width: 300 })).toMatch(/width="300" height="200"/);
  });

  it("records an episode's frames and animates them as a PNG", async () => {
    const ep = recordLunarLanderEpisode((obs) => lunarLanderHeuristic(obs), { seed: 1 });
    expect(ep.frames.length).toBe(ep.steps + 1);
    expect(ep.terminated).toBe(true);
    expect(ep.totalReward).toBeCloseTo(ep.rewards.reduce((a, b) => a + b, 0), 9);
    const bundle = await lunarLanderAnimation(ep.frames, { width: 120, maxFrames: 4 });
    const png = Buffer.from(bundle["image/png"] as string, "base64");
    expect(png.subarray(1, 4).toString()).toBe("PNG");
    expect(png.includes(Buffer.from("acTL"))).toBe(true); // animated
    expect(String(bundle["text/plain"])).toMatch(/LunarLander episode: \d+ steps/);
  });
});
