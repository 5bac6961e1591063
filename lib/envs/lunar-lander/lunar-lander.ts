/**
 * LunarLander-v3, a port of Gymnasium's `box2d/lunar_lander.py` on planck (a Box2D port).
 *
 * ## Description
 * Land a rocket on the pad between the two flags (Oleg Klimov's Box2D environment). The pad is
 * always at the centre, observation coordinates (0, 0); landing elsewhere is possible. Fuel is
 * infinite. By Pontryagin's maximum principle it is optimal to fire an engine at full throttle or
 * not at all, hence the discrete version; `continuous: true` gives throttles.
 *
 * ## Action space
 * Discrete(4) (default):
 * | action | meaning |
 * |---|---|
 * | 0 | do nothing |
 * | 1 | fire the left orientation engine: turns the lander counter-clockwise (angle up), pushes it left |
 * | 2 | fire the main engine |
 * | 3 | fire the right orientation engine: turns it clockwise (angle down), pushes it right |
 *
 * Box(−1, 1, [2]) with `continuous: true`, an action `[main, lateral]` (values outside [−1, 1] are
 * clipped, as Gymnasium clips them; NaN is rejected):
 * - main ≤ 0: main engine off; 0 < main ≤ 1: throttle (main + 1)/2, from 50 % to 100 % (the engine
 *   cannot run below 50 %);
 * - |lateral| ≤ 0.5: side engines off; lateral < −0.5 fires the left engine, > 0.5 the right one,
 *   throttle |lateral| from 50 % to 100 %.
 *
 * ## Observation space: Box(8,) float32
 * | index | observation | formula (planck units: m, m/s, rad) | min | max |
 * |---|---|---|---|---|
 * | 0 | x | (x − W/2) / (W/2), W = 600/30 = 20 m | −2.5 | 2.5 |
 * | 1 | y | (y − (H/4 + LEG_DOWN/SCALE)) / (H/2), H = 400/30 m | −2.5 | 2.5 |
 * | 2 | x velocity | vx · (W/2) / FPS | −10 | 10 |
 * | 3 | y velocity | vy · (H/2) / FPS | −10 | 10 |
 * | 4 | angle | θ (rad, counter-clockwise) | −2π | 2π |
 * | 5 | angular velocity | 20 · ω / FPS | −10 | 10 |
 * | 6 | left leg touches the ground | 1 or 0 | 0 | 1 |
 * | 7 | right leg touches the ground | 1 or 0 | 0 | 1 |
 * (x, y) is the hull's body origin, not its centre of mass; the velocities are the centre of
 * mass's. Values can leave the bounds in violent episodes, as in Gymnasium.
 *
 * ## Reward
 * shaping = −100·√(s0² + s1²) − 100·√(s2² + s3²) − 100·|s4| + 10·s6 + 10·s7 (closer, slower, more
 * level, legs down is better), computed from the float64 state before it is rounded to float32.
 * A step's reward is shaping − the previous step's shaping (the reset's internal step sets the
 * first one), minus 0.30 × main throttle and 0.03 × side throttle (fuel). On a crash or flying off
 * the reward is −100 instead; on coming to rest +100 instead (rest wins if both happen). An
 * episode of return ≥ 200 counts as solved (`rewardThreshold`).
 *
 * ## Starting state
 * A new world at every reset: new terrain, the lander at the top centre (x = W/2, y = H), angle 0,
 * legs at ±0.05 rad, and a random force of up to 1000 N on each axis applied during the first
 * physics step (the noop step that reset takes, as Gymnasium's reset calls `step(0)`).
 *
 * ## Episode end
 * 1. Termination, reward −100: the hull touches the ground (Gymnasium's `game_over`; the legs may).
 * 2. Termination, reward −100: |s0| ≥ 1 (the lander left the viewport sideways).
 * 3. Termination, reward +100: the lander is asleep — Box2D put it to rest (no motion beyond
 *    0.01 m/s and 2°/s for 0.5 s).
 * 4. Truncation: 1000 steps — applied by `makeEnv("LunarLander-v3")` (a time-limit wrapper).
 * Stepping after the end keeps simulating, as Gymnasium does; call reset().
 *
 * ## Options (`makeEnv("LunarLander-v3", { options })` or `makeLunarLander(options)`)
 * - `continuous` (false): the Box action space above.
 * - `gravity` (−10, m/s²): must lie in (−12, 0), else a RangeError (Gymnasium asserts).
 * - `enableWind` (false): each step the lander is not touching the ground, a horizontal force
 *   tanh(sin(0.02·t) + sin(0.01π·t)) · windPower and a torque of the same form · turbulencePower,
 *   t counting up from an index drawn at reset (one index for each).
 * - `windPower` (15) and `turbulencePower` (1.5): a console warning outside [0, 20] and [0, 2]
 *   (Gymnasium warns there too).
 * - `rng`: any object with `uniform(low, high)`, used for every random draw instead of tsrl's
 *   seeded generator — e.g. a recorded sequence of Gymnasium's draws, to compare runs step by step.
 *   It cannot be reseeded: `reset({ seed })` then throws.
 * Without `rng`, `reset({ seed })` seeds tsrl's `createRng(seed)`; a reset without a seed
 * continues the generator. Reset options are ignored, as in Gymnasium.
 *
 * ## Random draws, in Gymnasium's order (all `uniform(low, high)`)
 * reset: 12 terrain heights in [0, H/2] (CHUNKS + 1 for 11 chunks), then the initial force's x and
 * y in [−1000, 1000], then — wind on — the wind and torque indices in [−9999, 9999) (floored to
 * integers: Gymnasium's `integers(-9999, 9999)`), then the 2 dispersions of the internal step.
 * step: 2 dispersions in [−1, 1] (every step, whatever the action), which jitter the engines'
 * thrust points by up to ±1 px (×2 and ×3 for some components).
 *
 * ## Version notes
 * v3 as in Gymnasium 1.x: wind indices redrawn at every reset, a new world at every reset, the
 * observation bounds ±2.5, ±10, ±2π. Gymnasium's quirks are kept: the side engines' thrust point
 * uses 17 px where SIDE_ENGINE_HEIGHT is 14 (an angle-dependent torque), the angular velocity's
 * unit is 0.4 rad/s, the helipad lies at 0.99·H/4 (smoothing by ×0.33), and a leg's contact flag
 * goes to 0 when any of its contacts ends, even while another edge still touches it (a leg resting
 * across a chunk boundary, e.g. x = 10 in the middle of the pad, can read 0).
 *
 * ## What differs from Gymnasium
 * - Physics is planck 1.4.2 (a JavaScript port of Box2D) in float64, where Gymnasium runs Box2D
 *   2.3.10 (pybox2d) in C++ float32: same bodies, shapes, joints (their reference angles included),
 *   filters, solver settings and iteration counts. Where planck parts from Box2D 2.3 it is brought in
 *   line: new contacts in Box2D's sorted order and a box's corners numbered as Box2D numbers them
 *   (planck-box2d23.ts), planck 1.4.2's polygon centroid mended (planck-realm.ts). Box2D 2.3 built
 *   with float32 = double reproduces this port's trajectories to the float32 rounding of the
 *   observations. What is left is float32 against float64: replaying Gymnasium's draws and actions
 *   over 21 episodes (tests/envs-lunar-lander-reference.test.ts), observations agree to ≤ 1.3e-5 over
 *   the first 50 steps and ≤ 1.7e-3 over whole episodes, every episode ends on Gymnasium's step and
 *   the leg flags agree at every step. Contacts amplify the float32 rounding (up to ~7e-2 late in
 *   long hovering landings we ran), so a policy deciding on a knife edge can still act otherwise and
 *   the episodes then part.
 * - No particles take part in the physics (Gymnasium creates them only when rendering, and they
 *   touch nothing but the ground); the pictures draw a decorative exhaust instead.
 * - `render()` returns an SVG string; there is no window.
 *
 * ## Speed
 * About 45k steps/s for random-action episodes once the JIT is warm (the first ~20k steps run at a
 * third of that); the legs' joints use allocation-free copies of planck's velocity and position
 * solvers (planck-revolute-solver.ts, `lunarLanderPhysicsSettings`), bit-identical to them.
 */
import { InvalidActionError, formatValue, type Env, type Info, type ResetArgs, type StepResult } from "../../core/env";
import { createRng, randomSeed } from "../../core/rng";
import { box, discrete, type BoxSpace, type DiscreteSpace } from "../../core/spaces";
import {
  CRASH_REWARD,
  FPS,
  H,
  INITIAL_RANDOM,
  LEG_DOWN,
  MAIN_ENGINE_FUEL_COST,
  REST_REWARD,
  SCALE,
  SIDE_ENGINE_FUEL_COST,
  W,
  WIND_INDEX_RANGE,
  WIND_K,
} from "./constants";
import { ExhaustTrail, renderLunarLanderSvg, type LunarLanderFrame } from "./render";
import { lunarLanderTerrain, type LunarLanderTerrain } from "./terrain";
import { createLunarLanderWorld, fireEngines, stepWorld, type LunarLanderWorld } from "./world";

export { lunarLanderHeuristic, type LunarLanderHeuristicOptions } from "./heuristic";
export {
  lunarLanderAnimation,
  renderLunarLanderOverview,
  renderLunarLanderSvg,
  type ExhaustParticle,
  type LunarLanderAnimationOptions,
  type LunarLanderFrame,
  type LunarLanderPictureOptions,
  type LunarLanderPose,
} from "./render";
export { lunarLanderTerrain, type LunarLanderTerrain } from "./terrain";
export { lunarLanderPhysicsSettings, type EngineExhaust, type LunarLanderWorld } from "./world";

const ID = "LunarLander-v3";

/** The one thing LunarLander needs from a generator: tsrl's `Rng` has it, so does a replay of recorded draws. */
export interface UniformSource {
  uniform(low: number, high: number): number;
}

export interface LunarLanderOptions {
  continuous?: boolean;
  gravity?: number;
  enableWind?: boolean;
  windPower?: number;
  turbulencePower?: number;
  /** Every random draw comes from here instead of tsrl's seeded generator (see the module doc). */
  rng?: UniformSource;
}

/** A discrete action 0–3, or `[main, lateral]` for the continuous env. */
export type LunarLanderAction = number | Float32Array | Float64Array | readonly number[];

export interface LunarLanderEnv extends Env<Float32Array, LunarLanderAction> {
  readonly continuous: boolean;
  readonly gravity: number;
  readonly enableWind: boolean;
  readonly windPower: number;
  readonly turbulencePower: number;
  /** This episode's terrain; null before the first reset. */
  readonly terrain: LunarLanderTerrain | null;
  /** The wind and turbulence indices (Gymnasium's `wind_idx`, `torque_idx`), with wind on; else null. */
  readonly windIndex: number | null;
  readonly torqueIndex: number | null;
  /**
   * The planck world of this episode (bodies, contact flags, last exhaust), for tests and
   * experiments — changing it changes the episode. Null before the first reset.
   */
  readonly physics: LunarLanderWorld | null;
  /** A snapshot of what a picture of the current state needs (see `renderLunarLanderSvg`). */
  frame(): LunarLanderFrame;
}

export const LUNAR_LANDER_OPTION_DEFAULTS = {
  continuous: false,
  gravity: -10.0,
  enableWind: false,
  windPower: 15.0,
  turbulencePower: 1.5,
} as const;

const OPTION_KEYS = [...Object.keys(LUNAR_LANDER_OPTION_DEFAULTS), "rng"];

// Gymnasium's v3 bounds: positions ±2.5, velocities ±10, angle ±2π, angular velocity ±10, legs 0/1.
const OBS_LOW = [-2.5, -2.5, -10, -10, -2 * Math.PI, -10, -0, -0];
const OBS_HIGH = [2.5, 2.5, 10, 10, 2 * Math.PI, 10, 1, 1];

const DISCRETE_EXPECTED = "0 (noop), 1 (left engine), 2 (main engine) or 3 (right engine)";
const CONTINUOUS_EXPECTED = "[main, lateral]: 2 numbers (not NaN), each clipped to [-1, 1]";

export function makeLunarLander(options: LunarLanderOptions = {}): LunarLanderEnv {
  const opts = checkOptions(options);
  const { continuous, gravity, enableWind, windPower, turbulencePower } = opts;
  const observationSpace = box(OBS_LOW, OBS_HIGH, [8]);
  const actionSpace: DiscreteSpace | BoxSpace = continuous ? box(-1, 1, [2]) : discrete(4);
  const ownRng = options.rng === undefined;
  let rng: UniformSource = options.rng ?? createRng(randomSeed());
  const uniform = (low: number, high: number): number => rng.uniform(low, high);

  let terrain: LunarLanderTerrain | null = null;
  let physics: LunarLanderWorld | null = null;
  let windIndex: number | null = null;
  let torqueIndex: number | null = null;
  let prevShaping: number | null = null;
  let steps = 0;
  const trail = new ExhaustTrail();
  // the float64 state of the last step; the observation is its float32 copy
  const state = new Float64Array(8);
  const noop: LunarLanderAction = continuous ? [0, 0] : 0;

  const step = (action: LunarLanderAction): StepResult<Float32Array> => {
    const [mainPower, sideDirection, sidePower] = continuous ? continuousEngines(action) : discreteEngines(action);
    if (physics === null) throw new Error(`${ID}: call reset() before step()`);
    const w = physics;
    const lander = w.lander;

    if (enableWind && !(w.legContact[0] || w.legContact[1])) {
      // tanh(sin(2k·t) + sin(πk·t)), k = 0.01: never periodic
      const windMag = Math.tanh(Math.sin(2 * WIND_K * windIndex!) + Math.sin(Math.PI * WIND_K * windIndex!)) * windPower;
      windIndex! += 1;
      lander.applyForceToCenter({ x: windMag, y: 0 }, true);
      const torqueMag = Math.tanh(Math.sin(2 * WIND_K * torqueIndex!) + Math.sin(Math.PI * WIND_K * torqueIndex!)) * turbulencePower;
      torqueIndex! += 1;
      lander.applyTorque(torqueMag, true);
    }

    const dispersion0 = uniform(-1, 1) / SCALE;
    const dispersion1 = uniform(-1, 1) / SCALE;
    fireEngines(w, mainPower, sideDirection, sidePower, dispersion0, dispersion1);
    stepWorld(w);
    steps += 1;
    trail.advance(w, terrain!, gravity);

    const pos = lander.getPosition();
    const vel = lander.getLinearVelocity();
    state[0] = (pos.x - W / 2) / (W / 2);
    state[1] = (pos.y - (terrain!.helipadY + LEG_DOWN / SCALE)) / (H / 2);
    state[2] = (vel.x * (W / 2)) / FPS;
    state[3] = (vel.y * (H / 2)) / FPS;
    state[4] = lander.getAngle();
    state[5] = (20.0 * lander.getAngularVelocity()) / FPS;
    state[6] = w.legContact[0] ? 1 : 0;
    state[7] = w.legContact[1] ? 1 : 0;

    const shaping = lunarLanderShaping(state);
    let reward = prevShaping === null ? 0 : shaping - prevShaping;
    prevShaping = shaping;
    reward -= mainPower * MAIN_ENGINE_FUEL_COST;
    reward -= sidePower * SIDE_ENGINE_FUEL_COST;

    let terminated = false;
    if (w.gameOver || Math.abs(state[0]) >= 1.0) {
      terminated = true;
      reward = CRASH_REWARD;
    }
    if (!lander.isAwake()) {
      terminated = true;
      reward = REST_REWARD;
    }
    return { obs: Float32Array.from(state), reward, terminated, truncated: false, info: {} as Info };
  };

  const env: LunarLanderEnv = {
    id: ID,
    observationSpace,
    actionSpace,
    continuous,
    gravity,
    enableWind,
    windPower,
    turbulencePower,
    get terrain() {
      return terrain;
    },
    get windIndex() {
      return windIndex;
    },
    get torqueIndex() {
      return torqueIndex;
    },
    get physics() {
      return physics;
    },
    reset(args: ResetArgs = {}) {
      if (args.seed !== undefined) {
        if (!ownRng) throw new Error(`${ID}: reset({ seed: ${args.seed} }) cannot reseed the generator given as options.rng; reset without a seed`);
        rng = createRng(args.seed);
      }
      terrain = lunarLanderTerrain(uniform);
      const fx = uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
      const fy = uniform(-INITIAL_RANDOM, INITIAL_RANDOM);
      if (enableWind) {
        windIndex = Math.floor(uniform(-WIND_INDEX_RANGE, WIND_INDEX_RANGE));
        torqueIndex = Math.floor(uniform(-WIND_INDEX_RANGE, WIND_INDEX_RANGE));
      }
      physics = createLunarLanderWorld(terrain, gravity);
      physics.lander.applyForceToCenter({ x: fx, y: fy }, true);
      prevShaping = null;
      steps = 0;
      trail.clear();
      const first = step(noop);
      steps = 0;
      return { obs: first.obs, info: {} };
    },
    step(action: LunarLanderAction) {
      return step(action);
    },
    frame() {
      if (physics === null || terrain === null) throw new Error(`${ID}: call reset() before frame()`);
      return snapshot(physics, terrain, trail, steps);
    },
    render() {
      return physics === null ? "" : renderLunarLanderSvg(env.frame());
    },
  };
  return env;
}

/**
 * The shaping term of the reward from a float64 state (Gymnasium's order of operations): the
 * reward of a step is the difference of two consecutive values, less the fuel.
 */
export function lunarLanderShaping(s: ArrayLike<number>): number {
  return (
    -100 * Math.sqrt(s[0] * s[0] + s[1] * s[1]) -
    100 * Math.sqrt(s[2] * s[2] + s[3] * s[3]) -
    100 * Math.abs(s[4]) +
    10 * s[6] +
    10 * s[7]
  );
}

/** [mainPower, sideDirection, sidePower] of a discrete action; throws for anything but 0–3. */
function discreteEngines(action: LunarLanderAction): [number, number, number] {
  if (typeof action !== "number" || !Number.isInteger(action) || action < 0 || action > 3) {
    throw new InvalidActionError(ID, action, DISCRETE_EXPECTED);
  }
  const main = action === 2 ? 1 : 0;
  const side = action === 1 || action === 3 ? 1 : 0;
  return [main, action - 2, side]; // action 1 is the left engine (direction −1), 3 the right (+1)
}

/** [mainPower, sideDirection, sidePower] of a continuous action, clipped to [−1, 1] as Gymnasium does. */
function continuousEngines(action: LunarLanderAction): [number, number, number] {
  const ok =
    (Array.isArray(action) || action instanceof Float32Array || action instanceof Float64Array) &&
    action.length === 2 &&
    typeof action[0] === "number" &&
    typeof action[1] === "number" &&
    !Number.isNaN(action[0]) &&
    !Number.isNaN(action[1]);
  if (!ok) throw new InvalidActionError(ID, action, `${CONTINUOUS_EXPECTED} (the action space is Box(-1, 1, [2]))`);
  const a = action as ArrayLike<number>;
  const main = Math.min(1, Math.max(-1, a[0]));
  const lateral = Math.min(1, Math.max(-1, a[1]));
  // main engine only above 0, from 50 % to 100 %; side engines only beyond ±0.5
  const mainPower = main > 0 ? (Math.min(1, Math.max(0, main)) + 1) * 0.5 : 0;
  const sideOn = Math.abs(lateral) > 0.5;
  return [mainPower, sideOn ? Math.sign(lateral) : 0, sideOn ? Math.min(1, Math.max(0.5, Math.abs(lateral))) : 0];
}

type CheckedOptions = { -readonly [K in keyof typeof LUNAR_LANDER_OPTION_DEFAULTS]: (typeof LUNAR_LANDER_OPTION_DEFAULTS)[K] extends boolean ? boolean : number };

function checkOptions(options: LunarLanderOptions): CheckedOptions {
  if (options === null || typeof options !== "object") throw new TypeError(`${ID}: options must be an object, got ${formatValue(options)}`);
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new RangeError(`${ID}: unknown option '${key}'; known: ${OPTION_KEYS.join(", ")}`);
  }
  const pick = <K extends keyof typeof LUNAR_LANDER_OPTION_DEFAULTS>(key: K, kind: "boolean" | "number") => {
    const v = (options as Record<string, unknown>)[key] ?? LUNAR_LANDER_OPTION_DEFAULTS[key];
    if (typeof v !== kind || (kind === "number" && !Number.isFinite(v))) {
      throw new TypeError(`${ID}: option ${key} must be ${kind === "number" ? "a finite number" : "true or false"}, got ${formatValue(v)}`);
    }
    return v as never;
  };
  const checked: CheckedOptions = {
    continuous: pick("continuous", "boolean"),
    gravity: pick("gravity", "number"),
    enableWind: pick("enableWind", "boolean"),
    windPower: pick("windPower", "number"),
    turbulencePower: pick("turbulencePower", "number"),
  };
  if (!(checked.gravity > -12 && checked.gravity < 0)) {
    throw new RangeError(`${ID}: gravity (current value: ${checked.gravity}) must be between -12 and 0`);
  }
  if (checked.windPower < 0 || checked.windPower > 20) {
    console.warn(`${ID}: windPower value is recommended to be between 0.0 and 20.0, (current value: ${checked.windPower})`);
  }
  if (checked.turbulencePower < 0 || checked.turbulencePower > 2) {
    console.warn(`${ID}: turbulencePower value is recommended to be between 0.0 and 2.0, (current value: ${checked.turbulencePower})`);
  }
  if (options.rng !== undefined && typeof (options.rng as Partial<UniformSource> | null)?.uniform !== "function") {
    throw new TypeError(`${ID}: option rng must have a uniform(low, high) method, got ${formatValue(options.rng)}`);
  }
  return checked;
}

function snapshot(w: LunarLanderWorld, terrain: LunarLanderTerrain, trail: ExhaustTrail, step: number): LunarLanderFrame {
  const pose = (b: LunarLanderWorld["lander"]) => {
    const p = b.getPosition();
    return { x: p.x, y: p.y, angle: b.getAngle() };
  };
  return {
    terrain,
    step,
    lander: pose(w.lander),
    legs: [pose(w.legs[0]), pose(w.legs[1])],
    legContact: [w.legContact[0], w.legContact[1]],
    particles: trail.particles(),
  };
}

export interface LunarLanderEpisode {
  /** One frame after reset and one after every step (length steps + 1). */
  frames: LunarLanderFrame[];
  rewards: number[];
  totalReward: number;
  steps: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Runs one episode of `policy` and keeps every frame, to draw it later (`lunarLanderAnimation`,
 * `renderLunarLanderSvg`). Truncates at `maxSteps` (1000, the registry's limit).
 *
 * @example
 *   const ep = recordLunarLanderEpisode((obs) => lunarLanderHeuristic(obs), { seed: 1 });
 *   display(await lunarLanderAnimation(ep.frames, { label: `heuristic: ${ep.totalReward.toFixed(0)}` }))
 */
export function recordLunarLanderEpisode(
  policy: (obs: Float32Array) => LunarLanderAction,
  opts: { seed?: number; maxSteps?: number; env?: LunarLanderEnv; options?: LunarLanderOptions } = {},
): LunarLanderEpisode {
  const env = opts.env ?? makeLunarLander(opts.options);
  const maxSteps = opts.maxSteps ?? 1000;
  let { obs } = env.reset({ seed: opts.seed });
  const frames = [env.frame()];
  const rewards: number[] = [];
  let terminated = false, truncated = false;
  while (!terminated && !truncated) {
    const r = env.step(policy(obs));
    obs = r.obs;
    rewards.push(r.reward);
    frames.push(env.frame());
    terminated = r.terminated;
    truncated = r.truncated || rewards.length >= maxSteps;
  }
  return { frames, rewards, totalReward: rewards.reduce((a, b) => a + b, 0), steps: rewards.length, terminated, truncated: truncated && !terminated };
}
