/** Environment wrappers: functions from an Env to an Env. */
import type { Env } from "./env";

/**
 * Truncates episodes after `maxSteps` steps (Gymnasium's TimeLimit): the step that reaches the
 * limit returns `truncated: true`; `terminated` stays whatever the environment said.
 */
export function timeLimit<O, A>(env: Env<O, A>, maxSteps: number): Env<O, A> {
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`timeLimit: maxSteps must be a positive integer, got ${maxSteps}`);
  let elapsed = 0;
  const wrapped: Env<O, A> = {
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
  // the step count travels with the inner env's state, when that can be captured
  if (env.saveState && env.loadState) {
    const inner = env as Required<Pick<Env<O, A>, "saveState" | "loadState">>;
    wrapped.saveState = () => ({ elapsed, inner: inner.saveState() });
    wrapped.loadState = (s) => {
      const st = s as { elapsed?: unknown; inner?: unknown };
      if (!Number.isInteger(st?.elapsed) || (st.elapsed as number) < 0) throw new RangeError(`timeLimit.loadState: elapsed must be an integer ≥ 0, got ${JSON.stringify(st?.elapsed)}`);
      inner.loadState(st.inner);
      elapsed = st.elapsed as number;
    };
  }
  return wrapped;
}

/**
 * The env with every observation passed through `f` (Gymnasium's TransformObservation): e.g. an
 * env with structured observations seen as the flat vectors a network reads.
 */
export function mapObservation<O, P, A>(env: Env<O, A>, f: (obs: O) => P, observationSpace: Env<P, A>["observationSpace"] = env.observationSpace): Env<P, A> {
  return {
    ...(env.saveState && env.loadState ? { saveState: env.saveState.bind(env), loadState: env.loadState.bind(env) } : {}),
    id: env.id,
    unwrapped: (env.unwrapped ?? env) as unknown as Env<P, A>,
    observationSpace,
    actionSpace: env.actionSpace,
    reset(args) {
      const r = env.reset(args);
      return { ...r, obs: f(r.obs) };
    },
    step(action) {
      const r = env.step(action);
      return { ...r, obs: f(r.obs) };
    },
    render: env.render?.bind(env),
    close: env.close?.bind(env),
  };
}
