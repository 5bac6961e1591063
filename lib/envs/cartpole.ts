/**
 * CartPole-v1, a faithful port of Gymnasium's `classic_control/cartpole.py`.
 *
 * ## Description
 * A pole is attached by an un-actuated joint to a cart on a frictionless track (Barto, Sutton &
 * Anderson, 1983). Push the cart left or right to keep the pole upright.
 *
 * ## Action space: Discrete(2)
 * | action | meaning |
 * |---|---|
 * | 0 | push the cart left (force −10 N) |
 * | 1 | push the cart right (force +10 N) |
 *
 * ## Observation space: Box(4,) float32
 * | index | observation           | min            | max           |
 * |-------|-----------------------|----------------|---------------|
 * | 0     | cart position x (m)   | −4.8           | 4.8           |
 * | 1     | cart velocity         | −3.4e38        | 3.4e38        |
 * | 2     | pole angle θ (rad)    | ≈ −0.418 (24°) | ≈ 0.418 (24°) |
 * | 3     | pole angular velocity | −3.4e38        | 3.4e38        |
 * The episode terminates long before the bounds: |x| > 2.4 or |θ| > 12°.
 *
 * ## Reward
 * +1 for every step taken, including the step on which the pole falls. Stepping again after
 * termination gives 0 (and is a bug in the caller).
 *
 * ## Starting state
 * Each of the four state variables uniform in (−0.05, 0.05), drawn from the env's seeded Rng.
 * `reset({ options: { low, high } })` changes the bounds (as in Gymnasium);
 * `reset({ options: { state: [x, xDot, theta, thetaDot] } })` starts from exactly that state.
 *
 * ## Episode end
 * 1. Termination: |θ| > 12° (0.2094 rad).
 * 2. Termination: |x| > 2.4.
 * 3. Truncation: 500 steps — applied by `makeEnv("CartPole-v1")` (a time-limit wrapper), as in Gymnasium.
 *
 * ## Dynamics
 * The state is kept in float64 and integrated with explicit Euler (tau = 0.02 s); the observation
 * is its float32 copy — exactly as Gymnasium does, so trajectories match step for step.
 */
import { InvalidActionError, type Env, type ResetArgs, type StepResult } from "../core/env";
import { createRng, randomSeed, type Rng } from "../core/rng";
import { box, discrete } from "../core/spaces";

export const CARTPOLE = {
  gravity: 9.8,
  massCart: 1.0,
  massPole: 0.1,
  totalMass: 1.1,
  /** Half the pole's length, as in the original code. */
  length: 0.5,
  poleMassLength: 0.05,
  forceMag: 10.0,
  /** Seconds between state updates. */
  tau: 0.02,
  thetaThresholdRadians: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
} as const;

const FLOAT32_MAX = 3.4028234663852886e38;

export type CartPoleState = [x: number, xDot: number, theta: number, thetaDot: number];

export interface CartPoleEnv extends Env<Float32Array, number> {
  /** The float64 physical state [x, xDot, theta, thetaDot]; null before the first reset. */
  readonly state: Readonly<CartPoleState> | null;
}

export interface CartPoleOptions {
  /** "euler" (Gymnasium's default) or "semi-implicit" Euler. */
  kinematicsIntegrator?: "euler" | "semi-implicit";
  /** Sutton & Barto's reward: 0 per step, −1 on termination (Gymnasium's `sutton_barto_reward`). */
  suttonBartoReward?: boolean;
}

/** One step of the cart-pole dynamics (pure: returns the next state). */
export function cartPoleDynamics(state: Readonly<CartPoleState>, action: number, integrator: "euler" | "semi-implicit" = "euler"): CartPoleState {
  const { gravity, totalMass, length, poleMassLength, massPole, forceMag, tau } = CARTPOLE;
  let [x, xDot, theta, thetaDot] = state;
  const force = action === 1 ? forceMag : -forceMag;
  const cosTheta = Math.cos(theta);
  const sinTheta = Math.sin(theta);
  // Florian (2007), "Correct equations for the dynamics of the cart-pole system"
  const temp = (force + poleMassLength * thetaDot ** 2 * sinTheta) / totalMass;
  const thetaAcc = (gravity * sinTheta - cosTheta * temp) / (length * (4.0 / 3.0 - (massPole * cosTheta ** 2) / totalMass));
  const xAcc = temp - (poleMassLength * thetaAcc * cosTheta) / totalMass;
  if (integrator === "euler") {
    x = x + tau * xDot;
    xDot = xDot + tau * xAcc;
    theta = theta + tau * thetaDot;
    thetaDot = thetaDot + tau * thetaAcc;
  } else {
    xDot = xDot + tau * xAcc;
    x = x + tau * xDot;
    thetaDot = thetaDot + tau * thetaAcc;
    theta = theta + tau * thetaDot;
  }
  return [x, xDot, theta, thetaDot];
}

export function makeCartPole(options: CartPoleOptions = {}): CartPoleEnv {
  const integrator = options.kinematicsIntegrator ?? "euler";
  const high = [CARTPOLE.xThreshold * 2, FLOAT32_MAX, CARTPOLE.thetaThresholdRadians * 2, FLOAT32_MAX];
  const observationSpace = box(high.map((h) => -h), high, [4]);
  const actionSpace = discrete(2);
  let rng: Rng = createRng(randomSeed());
  let state: CartPoleState | null = null;
  let stepsBeyondTerminated: number | null = null;

  const observe = (): Float32Array => Float32Array.from(state!);

  const env: CartPoleEnv = {
    id: "CartPole-v1",
    observationSpace,
    actionSpace,
    get state() {
      return state;
    },
    reset(args: ResetArgs = {}) {
      if (args.seed !== undefined) rng = createRng(args.seed);
      state = initialState(rng, args.options);
      stepsBeyondTerminated = null;
      return { obs: observe(), info: {} };
    },
    step(action: number): StepResult<Float32Array> {
      if (!actionSpace.contains(action)) throw new InvalidActionError("CartPole-v1", action, "0 (push left) or 1 (push right)");
      if (state === null) throw new Error("CartPole-v1: call reset() before step()");
      state = cartPoleDynamics(state, action, integrator);
      const [x, , theta] = state;
      const terminated =
        x < -CARTPOLE.xThreshold || x > CARTPOLE.xThreshold || theta < -CARTPOLE.thetaThresholdRadians || theta > CARTPOLE.thetaThresholdRadians;
      let reward: number;
      if (!terminated) {
        reward = options.suttonBartoReward ? 0 : 1;
      } else if (stepsBeyondTerminated === null) {
        stepsBeyondTerminated = 0; // the pole just fell: this step still counts
        reward = options.suttonBartoReward ? -1 : 1;
      } else {
        if (stepsBeyondTerminated === 0) {
          console.warn("CartPole-v1: step() called after the episode terminated; call reset(). Further steps are undefined behaviour.");
        }
        stepsBeyondTerminated += 1;
        reward = options.suttonBartoReward ? -1 : 0;
      }
      return { obs: observe(), reward, terminated, truncated: false, info: {} };
    },
    render() {
      return state ? renderCartPoleSvg(state) : "";
    },
  };
  return env;
}

function initialState(rng: Rng, options: Record<string, unknown> = {}): CartPoleState {
  if (options.state !== undefined) {
    const s = options.state;
    if (!(Array.isArray(s) || ArrayBuffer.isView(s)) || (s as ArrayLike<number>).length !== 4) {
      throw new RangeError(`CartPole-v1: options.state must be [x, xDot, theta, thetaDot], got ${JSON.stringify(s)}`);
    }
    const values = Array.from(s as ArrayLike<number>);
    values.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`CartPole-v1: options.state[${i}] is ${v}; expected a finite number`);
    });
    return values as CartPoleState;
  }
  const low = boundOption(options, "low", -0.05);
  const high = boundOption(options, "high", 0.05);
  if (!(low <= high)) throw new RangeError(`CartPole-v1: reset bounds low=${low} > high=${high}`);
  return [rng.uniform(low, high), rng.uniform(low, high), rng.uniform(low, high), rng.uniform(low, high)];
}

function boundOption(options: Record<string, unknown>, key: string, fallback: number): number {
  const v = options[key];
  if (v === undefined) return fallback;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`CartPole-v1: options.${key} must be a finite number, got ${String(v)}`);
  return v;
}

/** A 600×400 SVG picture of the cart and pole, drawn like Gymnasium's renderer. */
export function renderCartPoleSvg(state: Readonly<CartPoleState>, opts: { width?: number; label?: string } = {}): string {
  const width = opts.width ?? 600, height = (width * 2) / 3;
  const scale = width / (CARTPOLE.xThreshold * 2);
  const poleLen = scale * 2 * CARTPOLE.length, poleW = (10 * width) / 600;
  const cartW = (50 * width) / 600, cartH = (30 * width) / 600;
  const [x, , theta] = state;
  const cartX = x * scale + width / 2;
  const trackY = height - (100 * width) / 600; // SVG y grows downwards
  const axleY = trackY - cartH / 4;
  const deg = (theta * 180) / Math.PI;
  const label = opts.label ? `<text x="10" y="22" font-family="DejaVu Sans, sans-serif" font-size="16">${escapeXml(opts.label)}</text>` : "";
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<line x1="0" y1="${trackY}" x2="${width}" y2="${trackY}" stroke="black"/>`,
    `<rect x="${cartX - cartW / 2}" y="${trackY - cartH / 2}" width="${cartW}" height="${cartH}" fill="black"/>`,
    `<rect x="${cartX - poleW / 2}" y="${axleY - poleLen + poleW / 2}" width="${poleW}" height="${poleLen}" fill="rgb(202,152,101)" transform="rotate(${deg} ${cartX} ${axleY})"/>`,
    `<circle cx="${cartX}" cy="${axleY}" r="${poleW / 2}" fill="rgb(129,132,203)"/>`,
    label,
    `</svg>`,
  ].join("");
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/**
 * An animated SVG of a whole episode (SMIL, so it plays in JupyterLab, in nbconvert HTML and in
 * any browser with no script): the cart slides and the pole turns through `states`, `fps` frames a second.
 */
export function renderCartPoleAnimation(states: readonly Readonly<CartPoleState>[], opts: { width?: number; fps?: number; label?: string } = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleAnimation: no states to draw");
  const width = opts.width ?? 600, height = (width * 2) / 3, fps = opts.fps ?? 50;
  const scale = width / (CARTPOLE.xThreshold * 2);
  const poleLen = scale * 2 * CARTPOLE.length, poleW = (10 * width) / 600;
  const cartW = (50 * width) / 600, cartH = (30 * width) / 600;
  const trackY = height - (100 * width) / 600;
  const axleY = trackY - cartH / 4;
  const dur = `${(states.length / fps).toFixed(3)}s`;
  const round = (v: number) => Math.round(v * 100) / 100;
  const translate = states.map(([x]) => `${round(x * scale + width / 2)} ${round(axleY)}`).join(";");
  const rotate = states.map(([, , theta]) => `${round((theta * 180) / Math.PI)}`).join(";");
  const anim = (type: string, values: string) =>
    `<animateTransform attributeName="transform" type="${type}" values="${values}" dur="${dur}" calcMode="discrete" repeatCount="indefinite"/>`;
  const label = opts.label ? `<text x="10" y="22" font-family="DejaVu Sans, sans-serif" font-size="16">${escapeXml(opts.label)}</text>` : "";
  const [x0, , theta0] = states[0];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<line x1="0" y1="${trackY}" x2="${width}" y2="${trackY}" stroke="black"/>`,
    `<g transform="translate(${round(x0 * scale + width / 2)} ${round(axleY)})">${anim("translate", translate)}`,
    `<rect x="${-cartW / 2}" y="${-cartH / 4}" width="${cartW}" height="${cartH}" fill="black"/>`,
    `<g transform="rotate(${round((theta0 * 180) / Math.PI)})">${anim("rotate", rotate)}`,
    `<rect x="${-poleW / 2}" y="${-poleLen + poleW / 2}" width="${poleW}" height="${poleLen}" fill="rgb(202,152,101)"/>`,
    `</g>`,
    `<circle cx="0" cy="0" r="${poleW / 2}" fill="rgb(129,132,203)"/>`,
    `</g>`,
    label,
    `</svg>`,
  ].join("");
}
