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
import { createRng, randomSeed, type Rng, type RngState } from "../core/rng";
import { box, discrete } from "../core/spaces";
import type { MimeBundle } from "../viz/display";
import { animationBundle } from "../viz/picture";

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

const CARTPOLE_OPTIONS = ["kinematicsIntegrator", "suttonBartoReward"];

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
  for (const k of Object.keys(options)) if (!CARTPOLE_OPTIONS.includes(k)) throw new RangeError(`CartPole-v1: unknown option '${k}'; expected one of ${CARTPOLE_OPTIONS.join(", ")}`);
  const integrator = options.kinematicsIntegrator ?? "euler";
  if (integrator !== "euler" && integrator !== "semi-implicit") throw new RangeError(`CartPole-v1: kinematicsIntegrator = ${JSON.stringify(integrator)}, expected "euler" or "semi-implicit"`);
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
    saveState() {
      return { rng: rng.getState(), state: state ? [...state] : null, stepsBeyondTerminated };
    },
    loadState(s) {
      const st = s as { rng?: RngState; state?: unknown; stepsBeyondTerminated?: unknown };
      const phys = st?.state;
      if (phys !== null && !(Array.isArray(phys) && phys.length === 4 && phys.every((v) => typeof v === "number" && Number.isFinite(v)))) {
        throw new RangeError(`CartPole-v1.loadState: state must be null or four finite numbers, got ${JSON.stringify(phys)}`);
      }
      const beyond = st.stepsBeyondTerminated;
      if (beyond !== null && !(Number.isInteger(beyond) && (beyond as number) >= 0)) throw new RangeError(`CartPole-v1.loadState: stepsBeyondTerminated must be null or an integer ≥ 0, got ${JSON.stringify(beyond)}`);
      const restored = createRng(0);
      restored.setState(st.rng as RngState);
      rng = restored;
      state = phys === null ? null : (phys as CartPoleState);
      stepsBeyondTerminated = beyond as number | null;
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

// ─── Rendering ────────────────────────────────────────────────────────────────────────────────
// Pictures are SVG strings drawn like Gymnasium's renderer (600×400 at the default width). For a
// notebook, `cartPoleAnimation` turns an episode into an animated PNG and `renderCartPoleStrip`
// lays a few moments side by side; `showSvg(env.render())` shows one frame as a PNG.

/** Where things are drawn at a given picture width (everything scales with it). */
interface CartPoleGeometry {
  width: number;
  height: number;
  /** Pixels per metre of track. */
  scale: number;
  poleLen: number;
  poleW: number;
  cartW: number;
  cartH: number;
  /** y of the track line (SVG y grows downwards). */
  trackY: number;
  /** y of the pole's pivot. */
  axleY: number;
}

function cartPoleGeometry(width: number): CartPoleGeometry {
  if (!(Number.isFinite(width) && width >= 60)) throw new RangeError(`CartPole picture width must be at least 60 px, got ${width}`);
  const height = (width * 2) / 3;
  const scale = width / (CARTPOLE.xThreshold * 2);
  const cartH = (30 * width) / 600;
  const trackY = height - (100 * width) / 600;
  return { width, height, scale, poleLen: scale * 2 * CARTPOLE.length, poleW: (10 * width) / 600, cartW: (50 * width) / 600, cartH, trackY, axleY: trackY - cartH / 4 };
}

/** The cart, pole and pivot of one state, as SVG elements. */
function cartPoleShapes(state: Readonly<CartPoleState>, g: CartPoleGeometry, opacity = 1): string {
  const [x, , theta] = state;
  const cartX = x * g.scale + g.width / 2;
  const deg = (theta * 180) / Math.PI;
  const shapes = [
    `<rect x="${cartX - g.cartW / 2}" y="${g.trackY - g.cartH / 2}" width="${g.cartW}" height="${g.cartH}" fill="black"/>`,
    `<rect x="${cartX - g.poleW / 2}" y="${g.axleY - g.poleLen + g.poleW / 2}" width="${g.poleW}" height="${g.poleLen}" fill="rgb(202,152,101)" transform="rotate(${deg} ${cartX} ${g.axleY})"/>`,
    `<circle cx="${cartX}" cy="${g.axleY}" r="${g.poleW / 2}" fill="rgb(129,132,203)"/>`,
  ].join("");
  return opacity === 1 ? shapes : `<g opacity="${opacity}">${shapes}</g>`;
}

function textAt(x: number, y: number, size: number, text: string, anchor: "start" | "middle" = "start"): string {
  return `<text x="${x}" y="${y}" font-family="DejaVu Sans, sans-serif" font-size="${size}"${anchor === "middle" ? ' text-anchor="middle"' : ""}>${escapeXml(text)}</text>`;
}

/** The label in the top-left corner: 16 px at the default 600 px width, scaled down with the picture (not below 12 px). */
function labelText(g: CartPoleGeometry, label: string): string {
  const size = 16 * Math.max(0.75, g.width / 600);
  return textAt(10, size + 6, size, label);
}

function svgOpen(width: number, height: number): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><rect width="100%" height="100%" fill="white"/>`;
}

/** A 600×400 SVG picture of the cart and pole, drawn like Gymnasium's renderer. */
export function renderCartPoleSvg(state: Readonly<CartPoleState>, opts: { width?: number; label?: string } = {}): string {
  const g = cartPoleGeometry(opts.width ?? 600);
  return [
    svgOpen(g.width, g.height),
    `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
    cartPoleShapes(state, g),
    opts.label ? labelText(g, opts.label) : "",
    `</svg>`,
  ].join("");
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;" })[c]!);
}

/** `count` indices spread evenly over 0..n-1, always including the first and the last. */
function evenIndices(n: number, count: number): number[] {
  if (n <= count) return Array.from({ length: n }, (_, i) => i);
  return Array.from({ length: count }, (_, j) => Math.round((j * (n - 1)) / (count - 1)));
}

/**
 * One still picture of a whole episode: `count` moments drawn over each other, faint to solid (the
 * last state solid). It is the default image of `cartPoleAnimation` — what a viewer without APNG
 * support shows — so it should tell the story on its own: how far the cart travelled and how far
 * the pole swung.
 */
export function renderCartPoleOverview(states: readonly Readonly<CartPoleState>[], opts: { width?: number; label?: string; count?: number } = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleOverview: no states to draw");
  const g = cartPoleGeometry(opts.width ?? 600);
  const picks = evenIndices(states.length, opts.count ?? 8);
  const ghosts = picks.map((i, k) => cartPoleShapes(states[i], g, k === picks.length - 1 ? 1 : 0.12 + (0.5 * k) / picks.length));
  const caption = `${picks.length} moments of ${states.length} steps, faint to solid`;
  return [
    svgOpen(g.width, g.height),
    `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
    ...ghosts,
    opts.label ? labelText(g, opts.label) : "",
    textAt(10, g.height - 10, 12, caption),
    `</svg>`,
  ].join("");
}

export interface CartPoleStripOptions {
  /** Pictures side by side (default 6): the first state, the last, and evenly spaced ones between. */
  frames?: number;
  /** Width of each picture in px (default 200). */
  frameWidth?: number;
  /** A title above the strip. */
  label?: string;
}

/**
 * A static strip of an episode: `frames` small pictures side by side, each captioned with its step.
 * For printouts and PDF exports, and next to `cartPoleAnimation` to read the episode at a glance.
 *
 * @example
 *   showSvg(renderCartPoleStrip(states, { frames: 6, label: "greedy policy, seed 10001" }))
 */
export function renderCartPoleStrip(states: readonly Readonly<CartPoleState>[], opts: CartPoleStripOptions = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleStrip: no states to draw");
  const count = opts.frames ?? 6;
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`renderCartPoleStrip: frames must be a positive integer, got ${count}`);
  const g = cartPoleGeometry(opts.frameWidth ?? 200);
  const picks = evenIndices(states.length, count);
  const gap = 8, title = opts.label ? 26 : 0, caption = 18;
  const width = picks.length * g.width + (picks.length - 1) * gap;
  const height = title + g.height + caption;
  const panels = picks.map((i, k) => {
    const x0 = k * (g.width + gap);
    return [
      `<g transform="translate(${x0} ${title})">`,
      `<rect width="${g.width}" height="${g.height}" fill="none" stroke="#ddd"/>`,
      `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
      cartPoleShapes(states[i], g),
      `</g>`,
      textAt(x0 + g.width / 2, title + g.height + 14, 12, `step ${i + 1} of ${states.length}`, "middle"),
    ].join("");
  });
  return [svgOpen(width, height), opts.label ? textAt(0, 18, 15, opts.label) : "", ...panels, `</svg>`].join("");
}

export interface CartPoleAnimationOptions {
  /**
   * Frames per second of the animation (default 25). The simulation runs at 50 steps a second
   * (tau = 0.02 s), so 25 fps draws every 2nd state and plays in real time.
   */
  fps?: number;
  /** At most this many frames (default 250); a longer episode is subsampled further (and still plays in real time). */
  maxFrames?: number;
  /** Picture width in px (default 480). */
  width?: number;
  /** A line of text in the corner of every frame. */
  label?: string;
}

/**
 * An episode as an animated PNG bundle (show it with `display(await …)`, or end a cell with it): the cart and pole move
 * through `states` in real time and the animation loops. The default image — what a viewer that
 * cannot play APNG shows — is `renderCartPoleOverview`. A 500-step episode at the defaults is
 * about 100–200 KB.
 *
 * @example
 *   display(await cartPoleAnimation(states, { label: `trained policy: ${states.length} steps` }))
 */
export function cartPoleAnimation(states: readonly Readonly<CartPoleState>[], opts: CartPoleAnimationOptions = {}): Promise<MimeBundle> {
  if (states.length === 0) throw new RangeError("cartPoleAnimation: no states to draw");
  const stepsPerSecond = 1 / CARTPOLE.tau;
  const fps = opts.fps ?? 25;
  if (!(fps > 0 && fps <= stepsPerSecond)) throw new RangeError(`cartPoleAnimation: fps must be in (0, ${stepsPerSecond}], got ${fps}`);
  const maxFrames = opts.maxFrames ?? 250;
  const stride = Math.max(Math.round(stepsPerSecond / fps), Math.ceil(states.length / maxFrames));
  const picks: number[] = [];
  for (let i = 0; i < states.length; i += stride) picks.push(i);
  if (picks[picks.length - 1] !== states.length - 1) picks.push(states.length - 1); // always end on the final state
  const width = opts.width ?? 480;
  const frames = picks.map((i) => renderCartPoleSvg(states[i], { width, label: opts.label }));
  const delayMs = picks.map((i, k) => ((k + 1 < picks.length ? picks[k + 1] : i + 1) - i) * CARTPOLE.tau * 1000);
  const seconds = states.length * CARTPOLE.tau;
  // the cart and pole stay in a band over the track (the pole is at its tallest upright): only it is redrawn
  const g = cartPoleGeometry(width);
  const top = Math.max(0, g.axleY - g.poleLen - g.poleW - 2), bottom = Math.min(g.height, g.trackY + g.cartH / 2 + 2);
  return animationBundle(frames, {
    delayMs,
    changingRegion: { x: 0, y: top, width: g.width, height: bottom - top },
    poster: renderCartPoleOverview(states, { width, label: opts.label }),
    text: `<CartPole episode: ${states.length} steps (${seconds.toFixed(1)} s), animated PNG of ${frames.length} frames>`,
  });
}

/**
 * An animated SVG of a whole episode (SMIL): the cart slides and the pole turns through `states`,
 * `fps` frames a second. It plays in a browser and in JupyterLab, but the classic Notebook drops
 * SVG from untrusted notebooks and nbconvert's HTML export empties it — in a notebook use
 * `cartPoleAnimation` (an animated PNG) instead.
 */
export function renderCartPoleAnimation(states: readonly Readonly<CartPoleState>[], opts: { width?: number; fps?: number; label?: string } = {}): string {
  if (states.length === 0) throw new RangeError("renderCartPoleAnimation: no states to draw");
  const g = cartPoleGeometry(opts.width ?? 600);
  const fps = opts.fps ?? 50;
  const dur = `${(states.length / fps).toFixed(3)}s`;
  const round = (v: number) => Math.round(v * 100) / 100;
  const translate = states.map(([x]) => `${round(x * g.scale + g.width / 2)} ${round(g.axleY)}`).join(";");
  const rotate = states.map(([, , theta]) => `${round((theta * 180) / Math.PI)}`).join(";");
  const anim = (type: string, values: string) =>
    `<animateTransform attributeName="transform" type="${type}" values="${values}" dur="${dur}" calcMode="discrete" repeatCount="indefinite"/>`;
  const [x0, , theta0] = states[0];
  return [
    svgOpen(g.width, g.height),
    `<line x1="0" y1="${g.trackY}" x2="${g.width}" y2="${g.trackY}" stroke="black"/>`,
    `<g transform="translate(${round(x0 * g.scale + g.width / 2)} ${round(g.axleY)})">${anim("translate", translate)}`,
    `<rect x="${-g.cartW / 2}" y="${-g.cartH / 4}" width="${g.cartW}" height="${g.cartH}" fill="black"/>`,
    `<g transform="rotate(${round((theta0 * 180) / Math.PI)})">${anim("rotate", rotate)}`,
    `<rect x="${-g.poleW / 2}" y="${-g.poleLen + g.poleW / 2}" width="${g.poleW}" height="${g.poleLen}" fill="rgb(202,152,101)"/>`,
    `</g>`,
    `<circle cx="0" cy="0" r="${g.poleW / 2}" fill="rgb(129,132,203)"/>`,
    `</g>`,
    opts.label ? labelText(g, opts.label) : "",
    `</svg>`,
  ].join("");
}
