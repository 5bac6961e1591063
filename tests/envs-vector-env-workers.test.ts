/**
 * Vector environments in worker threads (lib/envs/vector-env-workers.ts): the same rollouts as the
 * in-thread vector env, bit for bit (observations, rewards, flags, final observations, infos,
 * episode statistics), PPO learning the same numbers with and without them, and failures that are
 * errors, never hangs.
 */
import { describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { makeEnv } from "../lib/core/registry";
import { vectorEnv, type VectorEnv } from "../lib/core/vector-env";
import { startVectorEnvWorkers } from "../lib/envs/vector-env-workers";
import { createPpoAgent } from "../lib/algos/ppo";

/** Every step's results, with random legal actions from a seeded Rng (the same for both envs). */
function rollout(venv: VectorEnv<Float32Array, number>, steps: number, seed: number, nActions: number) {
  const rng = createRng(seed);
  const first = venv.reset({ seed });
  const record: unknown[] = [first.obs.map((o) => Array.from(o)), first.infos];
  let infos = first.infos;
  for (let t = 0; t < steps; t++) {
    const actions = infos.map((info) => {
      const legal = Array.from({ length: nActions }, (_, a) => a).filter((a) => !info.actionMask || info.actionMask[a]);
      return legal[rng.int(legal.length)];
    });
    const r = venv.step(actions);
    infos = r.infos;
    record.push({
      obs: r.obs.map((o) => Array.from(o)),
      rewards: Array.from(r.rewards),
      terminated: r.terminated,
      truncated: r.truncated,
      finalObs: r.finalObs.map((o) => (o ? Array.from(o) : null)),
      infos: r.infos,
      finalInfos: r.finalInfos.map((i) => i ?? null),
      episodes: r.episodes,
    });
  }
  return record;
}

describe("a vector env in worker threads", () => {
  it("steps LunarLander exactly as the in-thread vector env (seeds, auto-resets, episodes)", async () => {
    const n = 6;
    const inThread = vectorEnv(Array.from({ length: n }, () => makeEnv<Float32Array, number>("LunarLander-v3")));
    const inWorkers = await startVectorEnvWorkers("LunarLander-v3", n, { workers: 2 });
    try {
      const a = rollout(inThread, 400, 3, 4), b = rollout(inWorkers, 400, 3, 4);
      expect(b).toEqual(a);
      const ended = a.slice(2).reduce((k: number, s) => k + (s as { episodes: unknown[] }).episodes.length, 0);
      expect(ended).toBeGreaterThan(3); // the comparison covered auto-resets
      // a second reset without a seed continues each copy's generator, in both
      expect(rollout(inWorkers, 50, 9, 4).slice(2)).toEqual(rollout(inThread, 50, 9, 4).slice(2));
    } finally {
      inThread.close();
      inWorkers.close();
    }
  });

  it("carries infos (Tic-Tac-Toe's action masks and boards) and reset options, one worker per copy or several copies each", async () => {
    for (const workers of [3, 2]) {
      const n = 3;
      const options = { opponent: "random" };
      const inThread = vectorEnv(Array.from({ length: n }, () => makeEnv<Float32Array, number>("TicTacToe-v0", { options })));
      const inWorkers = await startVectorEnvWorkers("TicTacToe-v0", n, { workers, options });
      try {
        const a = rollout(inThread, 60, 5, 9), b = rollout(inWorkers, 60, 5, 9);
        expect(b).toEqual(a);
        expect((a[1] as { actionMask: Uint8Array }[])[0].actionMask).toBeInstanceOf(Uint8Array);
        expect((b[1] as { actionMask: Uint8Array }[])[0].actionMask).toBeInstanceOf(Uint8Array);
      } finally {
        inThread.close();
        inWorkers.close();
      }
    }
  });

  it("an exception in a worker's env is an error naming it; its stand-ins refuse to be stepped", async () => {
    const venv = await startVectorEnvWorkers("LunarLander-v3", 4, { workers: 2 });
    try {
      venv.reset({ seed: 1 });
      expect(() => venv.step([0, 1, 7, 2])).toThrow(/invalid action 7/);
      expect(() => venv.envs[0].step(0)).toThrow(/runs in a worker thread/);
      expect(venv.step([0, 1, 2, 3]).obs).toHaveLength(4); // the workers serve on
    } finally {
      venv.close();
    }
  });

  it("a worker that stops is an error, not a hang", async () => {
    const venv = await startVectorEnvWorkers("LunarLander-v3", 8, { workers: 2 });
    venv.reset({ seed: 1 });
    venv.killWorker(1, 50);
    const t0 = Date.now();
    let error: Error | undefined;
    try {
      while (Date.now() - t0 < 20_000) venv.step([0, 1, 2, 3, 0, 1, 2, 3]);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).toMatch(/worker 2 stopped \(exit code 1\)/);
    expect(() => venv.step([0, 1, 2, 3, 0, 1, 2, 3])).toThrow(/closed/);
    venv.close();
  });
});

describe("PPO with env workers", () => {
  it("learns exactly the same numbers as without (same seed)", async () => {
    const config = { envId: "LunarLander-v3", seed: 2, numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 2, totalSteps: 3 * 4 * 128, evalEpisodes: 1 };
    const run = async (envWorkers: number) => {
      const agent = await createPpoAgent({ ...config, envWorkers });
      try {
        await agent.train();
        return { rows: agent.metrics.map(({ wallTime: _w, rolloutTime: _r, updateTime: _u, sps: _s, ...rest }) => rest), weights: Object.values(agent.weights()).map((t) => Array.from(t.data)) };
      } finally {
        agent.dispose();
      }
    };
    const a = await run(0), b = await run(2);
    expect(a.rows.length).toBe(3);
    expect(b.rows).toEqual(a.rows);
    expect(b.weights).toEqual(a.weights);
  });
});
