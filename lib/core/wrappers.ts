/** Environment wrappers: functions from an Env to an Env. */
import type { Env } from "./env";

/**
 * Truncates episodes after `maxSteps` steps (Gymnasium's TimeLimit): the step that reaches the
 * limit returns `truncated: true`; `terminated` stays whatever the environment said.
 */
export function timeLimit<O, A>(env: Env<O, A>, maxSteps: number): Env<O, A> {
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`timeLimit: maxSteps must be a positive integer, got ${maxSteps}`);
  let elapsed = 0;
  return {
    id: env.id,
    unwrapped: env.unwrapped ?? env,
    observationSpace: env.observationSpace,
    actionSpace: env.actionSpace,
    reset(args) {
      elapsed = 0;
      return env.reset(args);
    },
    step(action) {
      const r = env.step(action);
      elapsed += 1;
      return elapsed >= maxSteps ? { ...r, truncated: true } : r;
    },
    render: env.render?.bind(env),
    close: env.close?.bind(env),
  };
}
