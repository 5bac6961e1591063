/**
 * The hand-written controller of Gymnasium's lunar_lander.py (`heuristic(env, s)`), a baseline that
 * lands most episodes: tilt towards the pad, hover at a height proportional to the horizontal
 * offset, and once a leg touches only brake the fall.
 *
 * @example
 *   const env = makeEnv("LunarLander-v3");
 *   let { obs } = env.reset({ seed: 1 });
 *   for (let done = false; !done; ) {
 *     const r = env.step(lunarLanderHeuristic(obs));
 *     obs = r.obs;
 *     done = r.terminated || r.truncated;
 *   }
 */

export interface LunarLanderHeuristicOptions {
  /** Actions for the continuous env ([main, lateral] in [−1, 1]) instead of 0–3. */
  continuous?: boolean;
}

export function lunarLanderHeuristic(s: ArrayLike<number>, opts?: { continuous?: false }): number;
export function lunarLanderHeuristic(s: ArrayLike<number>, opts: { continuous: true }): Float32Array;
export function lunarLanderHeuristic(s: ArrayLike<number>, opts?: LunarLanderHeuristicOptions): number | Float32Array;
export function lunarLanderHeuristic(s: ArrayLike<number>, opts: LunarLanderHeuristicOptions = {}): number | Float32Array {
  if (s.length !== 8) throw new RangeError(`lunarLanderHeuristic: expected an observation of 8 numbers, got ${s.length}`);
  // angle should point towards the centre, but no more than 0.4 rad (22°)
  const angleTarget = Math.min(0.4, Math.max(-0.4, s[0] * 0.5 + s[2] * 1.0));
  // target height proportional to the horizontal offset
  const hoverTarget = 0.55 * Math.abs(s[0]);
  let angleTodo = (angleTarget - s[4]) * 0.5 - s[5] * 1.0;
  let hoverTodo = (hoverTarget - s[1]) * 0.5 - s[3] * 0.5;
  if (s[6] || s[7]) {
    // legs have contact: only reduce the fall speed
    angleTodo = 0;
    hoverTodo = -s[3] * 0.5;
  }
  if (opts.continuous) {
    const clip = (v: number) => Math.min(1, Math.max(-1, v));
    return Float32Array.of(clip(hoverTodo * 20 - 1), clip(-angleTodo * 20));
  }
  if (hoverTodo > Math.abs(angleTodo) && hoverTodo > 0.05) return 2; // main engine
  if (angleTodo < -0.05) return 3; // right engine
  if (angleTodo > 0.05) return 1; // left engine
  return 0;
}
