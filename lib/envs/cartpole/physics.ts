/**
 * CartPole's physics, as Gymnasium's `classic_control/cartpole.py` has them: the constants (masses,
 * lengths, force, time step, the thresholds that end an episode) and one step of the dynamics. The
 * environment (./cartpole.ts) integrates these; the drawing (./render.ts) reads the geometry.
 */

const massCart = 1.0;
const massPole = 0.1;
/** Half the pole's length, as in the original code. */
const length = 0.5;

export const CARTPOLE = {
  gravity: 9.8,
  massCart,
  massPole,
  /** Derived, as Gymnasium derives them: masspole + masscart and masspole · length. */
  totalMass: massPole + massCart,
  length,
  poleMassLength: massPole * length,
  forceMag: 10.0,
  /** Seconds between state updates. */
  tau: 0.02,
  thetaThresholdRadians: (12 * 2 * Math.PI) / 360,
  xThreshold: 2.4,
} as const;

export type CartPoleState = [x: number, xDot: number, theta: number, thetaDot: number];

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
