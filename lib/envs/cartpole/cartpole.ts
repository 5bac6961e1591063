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
import { InvalidActionError, type Env, type ResetArgs, type StepResult } from "../../core/env";
import { createRng, randomSeed, type Rng, type RngState } from "../../core/rng";
import { box, discrete } from "../../core/spaces";
import { CARTPOLE, cartPoleDynamics, type CartPoleState } from "./physics";
import { renderCartPoleSvg } from "./render";

const FLOAT32_MAX = 3.4028234663852886e38;

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

