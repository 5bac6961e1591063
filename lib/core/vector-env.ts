/**
 * Several copies of an environment stepped together, so a policy can act for all of them in one
 * batched forward pass.
 *
 * Auto-reset happens in the same step (Gymnasium's "same-step" mode, as CleanRL uses): when copy i
 * ends, `obs[i]` and `infos[i]` are already the first observation and reset info of its next
 * episode (so `infos[i].actionMask` is the mask for `obs[i]`), and the observation and info the
 * episode ended on are kept in `finalObs[i]` and `finalInfos[i]` (a truncated episode's value
 * target needs the observation).
 * Finished episodes are reported in `episodes` with their return and length.
 */
import type { Env, Info, ResetArgs } from "./env";
import type { Space } from "./spaces";

export interface EpisodeStats {
  /** Which copy finished. */
  env: number;
  /** Undiscounted sum of rewards. */
  return: number;
  length: number;
  terminated: boolean;
  truncated: boolean;
}

export interface VectorStepResult<O> {
  obs: O[];
  rewards: Float64Array;
  terminated: boolean[];
  truncated: boolean[];
  /** The observation an episode ended on, for copies that ended this step; else undefined. */
  finalObs: (O | undefined)[];
  /** Info of the step the next observation belongs to: the reset's, for copies that ended this step. */
  infos: Info[];
  /** The info of the step an episode ended on, for copies that ended this step; else undefined. */
  finalInfos: (Info | undefined)[];
  /** Episodes that ended on this step. */
  episodes: EpisodeStats[];
}

export interface VectorEnv<O = Float32Array, A = number> {
  readonly numEnvs: number;
  readonly envs: readonly Env<O, A>[];
  readonly singleObservationSpace: Space;
  readonly singleActionSpace: Space;
  /** With a seed, copy i is seeded `seed + i` (Gymnasium's convention), wrapped to 32 bits. */
  reset(args?: ResetArgs): { obs: O[]; infos: Info[] };
  step(actions: ArrayLike<A> | A[]): VectorStepResult<O>;
  close(): void;
  /** Every copy's state and the running episode returns and lengths; present only when every copy can save its state (Env.saveState). */
  saveState?(): unknown;
  loadState?(state: unknown): void;
}

export function vectorEnv<O, A>(envs: Env<O, A>[]): VectorEnv<O, A> {
  if (envs.length === 0) throw new RangeError("vectorEnv needs at least one environment");
  const n = envs.length;
  const returns = new Float64Array(n);
  const lengths = new Int32Array(n);
  let started = false;

  const venv: VectorEnv<O, A> = {
    numEnvs: n,
    envs,
    singleObservationSpace: envs[0].observationSpace,
    singleActionSpace: envs[0].actionSpace,
    reset(args = {}) {
      started = true;
      returns.fill(0);
      lengths.fill(0);
      const results = envs.map((env, i) =>
        env.reset({ seed: args.seed === undefined ? undefined : (args.seed + i) >>> 0, options: args.options }),
      );
      return { obs: results.map((r) => r.obs), infos: results.map((r) => r.info) };
    },
    step(actions) {
      if (!started) throw new Error("vectorEnv.step called before reset()");
      if (actions.length !== n) throw new RangeError(`vectorEnv.step: got ${actions.length} actions for ${n} environments`);
      const obs = new Array<O>(n);
      const rewards = new Float64Array(n);
      const terminated = new Array<boolean>(n);
      const truncated = new Array<boolean>(n);
      const finalObs = new Array<O | undefined>(n);
      const infos = new Array<Info>(n);
      const finalInfos = new Array<Info | undefined>(n);
      const episodes: EpisodeStats[] = [];
      for (let i = 0; i < n; i++) {
        const r = envs[i].step(actions[i] as A);
        rewards[i] = r.reward;
        terminated[i] = r.terminated;
        truncated[i] = r.truncated;
        returns[i] += r.reward;
        lengths[i] += 1;
        if (r.terminated || r.truncated) {
          episodes.push({ env: i, return: returns[i], length: lengths[i], terminated: r.terminated, truncated: r.truncated });
          returns[i] = 0;
          lengths[i] = 0;
          finalObs[i] = r.obs;
          finalInfos[i] = r.info;
          ({ obs: obs[i], info: infos[i] } = envs[i].reset());
        } else {
          obs[i] = r.obs;
          infos[i] = r.info;
        }
      }
      return { obs, rewards, terminated, truncated, finalObs, infos, finalInfos, episodes };
    },
    close() {
      for (const env of envs) env.close?.();
    },
  };
  if (envs.every((e) => e.saveState && e.loadState)) {
    venv.saveState = () => ({ started, returns: Array.from(returns), lengths: Array.from(lengths), envs: envs.map((e) => e.saveState!()) });
    venv.loadState = (s) => {
      const st = s as { started?: unknown; returns?: unknown; lengths?: unknown; envs?: unknown };
      const numbers = (x: unknown) => Array.isArray(x) && x.length === n && x.every((v) => typeof v === "number" && Number.isFinite(v));
      if (typeof st?.started !== "boolean" || !numbers(st.returns) || !numbers(st.lengths) || !Array.isArray(st.envs) || st.envs.length !== n) {
        throw new RangeError(`vectorEnv.loadState: expected the state of ${n} copies (started, returns, lengths, envs)`);
      }
      (st.envs as unknown[]).forEach((e, i) => envs[i].loadState!(e));
      started = st.started;
      returns.set(st.returns as number[]);
      lengths.set(st.lengths as number[]);
    };
  }
  return venv;
}
