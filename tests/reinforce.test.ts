import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { isAbortError } from "../lib/core/abort";
import { makeEnv, registerEnv } from "../lib/envs/registry";
import { standardize } from "../lib/core/stats";
import { initBackend } from "../lib/nn/backend";
import { baselineAdvantages, rewardToGo } from "../lib/algos/advantages";
import { evaluatePolicy } from "../lib/algos/evaluate";
import { createReinforceAgent, reinforceConfig, reinforceLoss, type ReinforceConfig, type ReinforceRow } from "../lib/algos/reinforce";

/** Creates an agent and trains it to the end of its budget. */
async function trainReinforce(config: Partial<ReinforceConfig>, opts: Parameters<Awaited<ReturnType<typeof createReinforceAgent>>["train"]>[0] = {}) {
  const agent = await createReinforceAgent(config);
  return { agent, result: await agent.train(opts) };
}

beforeAll(async () => { await initBackend({ quiet: true }); });

describe("reward-to-go", () => {
  it("sums discounted future rewards within each episode", () => {
    const g = rewardToGo([1, 1, 1, 1, 2], [false, false, true, false, true], 0.9);
    const expected = [1 + 0.9 + 0.81, 1 + 0.9, 1, 1 + 0.9 * 2, 2];
    expected.forEach((e, i) => expect(g[i]).toBeCloseTo(e, 5));
  });
  it("γ = 1 is the plain sum; γ = 0 is the immediate reward", () => {
    expect(Array.from(rewardToGo([3, 2, 1], [0, 0, 1], 1))).toEqual([6, 3, 1]);
    expect(Array.from(rewardToGo([3, 2, 1], [0, 0, 1], 0))).toEqual([3, 2, 1]);
  });
  it("standardize gives mean 0, std 1", () => {
    const z = standardize(Float32Array.from([1, 2, 3, 4]));
    expect(z.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(0, 6);
    expect(Math.sqrt(z.reduce((a: number, b: number) => a + b * b, 0) / 4)).toBeCloseTo(1, 5);
  });
});

describe("reinforceLoss on a hand-computed case", () => {
  // two steps, two actions: logits z0 = [0, 0], z1 = [1, 0]; actions [0, 1]; advantages [1, −2]; β = 0.1
  const e = Math.E;
  const p1 = [e / (1 + e), 1 / (1 + e)]; // softmax of z1
  const logp = [Math.log(0.5), Math.log(p1[1])]; // log π(a_t|s_t)
  const H = [Math.log(2), -(p1[0] * Math.log(p1[0]) + p1[1] * Math.log(p1[1]))];
  const policyLoss = -(logp[0] * 1 + logp[1] * -2) / 2;
  const meanH = (H[0] + H[1]) / 2;
  const loss = policyLoss - 0.1 * meanH;

  it("value: −mean(log π · A) − β·mean(H)", () => {
    const out = reinforceLoss(tf.tensor2d([[0, 0], [1, 0]]), tf.tensor1d([0, 1], "int32"), tf.tensor1d([1, -2]), 0.1);
    expect(policyLoss).toBeCloseTo(-0.96669, 4); // the numbers written out once, by hand
    expect(out.policyLoss.dataSync()[0]).toBeCloseTo(policyLoss, 5);
    expect(out.entropy.dataSync()[0]).toBeCloseTo(meanH, 5);
    expect(out.loss.dataSync()[0]).toBeCloseTo(loss, 5);
  });

  it("gradient w.r.t. logits: −A_t/T·(onehot − p) − β/T·(−p_i(log p_i + H))", () => {
    const grad = tf.grad((z: tf.Tensor) => reinforceLoss(z as tf.Tensor2D, tf.tensor1d([0, 1], "int32"), tf.tensor1d([1, -2]), 0.1).loss)(tf.tensor2d([[0, 0], [1, 0]]));
    const g = grad.arraySync() as number[][];
    const probs = [[0.5, 0.5], p1], onehot = [[1, 0], [0, 1]], adv = [1, -2];
    for (let t = 0; t < 2; t++) {
      for (let i = 0; i < 2; i++) {
        const pg = (-adv[t] / 2) * (onehot[t][i] - probs[t][i]);
        const dH = -probs[t][i] * (Math.log(probs[t][i]) + H[t]);
        expect(g[t][i]).toBeCloseTo(pg - (0.1 / 2) * dH, 5);
      }
    }
    expect(g[1][0]).toBeCloseTo(-0.72123, 4);
  });
});

describe("evaluatePolicy", () => {
  it("wraps episode seeds to 32 bits and closes an env it built from an id, also on error", async () => {
    let closed = 0;
    registerEnv({ id: "ClosingCartPole-v1", create: () => ({ ...makeEnv("CartPole-v1"), close: () => void closed++ }) });
    const lean = (obs: Float32Array) => (obs[2] + obs[3] > 0 ? 1 : 0); // push towards the lean: lengths vary by seed
    // the last seeds are 2^32 − 1, then 0 and 1: the same episodes as seeds 0 and 1
    const wrapped = await evaluatePolicy("ClosingCartPole-v1", lean, { episodes: 3, seed: 0xffffffff });
    const low = await evaluatePolicy("CartPole-v1", lean, { episodes: 2, seed: 0 });
    expect(wrapped.lengths.slice(1)).toEqual(low.lengths);
    expect(low.lengths[0]).not.toBe(low.lengths[1]);
    expect(closed).toBe(1);
    await expect(evaluatePolicy("ClosingCartPole-v1", () => { throw new Error("policy failed"); }, { episodes: 1 })).rejects.toThrow(/policy failed/);
    expect(closed).toBe(2);
  });
});

describe("baseline advantages", () => {
  const G = [1, 2, 3, 6], V = [0.5, 2, 1, 4];
  const adv = (baseline: "none" | "mean" | "value", normalize: boolean): number[] => {
    const t = baselineAdvantages(tf.tensor1d(G), baseline, tf.tensor1d(V), normalize);
    const out = Array.from(t.dataSync());
    t.dispose();
    return out;
  };

  it("A = G − b for b = 0, mean G, V(s); standardised to mean 0, std 1", () => {
    expect(adv("none", false)).toEqual(G);
    expect(adv("mean", false)).toEqual([-2, -1, 0, 3]);
    expect(adv("value", false)).toEqual([0.5, 0, 2, 2]);
    const z = adv("value", true); // (A − 1.125) / std, std = √0.796875
    z.forEach((zi, i) => expect(zi).toBeCloseTo(([0.5, 0, 2, 2][i] - 1.125) / Math.sqrt(0.796875), 5));
    // standardising removes any constant: with it, the mean baseline changes nothing
    adv("mean", true).forEach((zi, i) => expect(zi).toBeCloseTo(adv("none", true)[i], 6));
    expect(() => baselineAdvantages(tf.tensor1d(G), "value", undefined, false)).toThrow(/needs the values/);
  });
});

const strip = (rows: ReinforceRow[]) => rows.map(({ wallTime, sps, ...rest }) => (void wallTime, void sps, rest));

describe("REINFORCE training", () => {
  itSlow("does not leak tensors over many updates", async () => {
    const counts: number[] = [];
    const { agent } = await trainReinforce({ seed: 5, maxEpisodes: 8 * 40, targetReturn: 0, evalThreshold: 0 }, { onUpdate: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBe(40);
    expect(counts[counts.length - 1]).toBe(counts[1]);
    const before = tf.memory().numTensors;
    agent.dispose();
    expect(tf.memory().numTensors).toBeLessThan(before);
  });

  it("is reproducible: same seed, identical metrics; another seed differs", async () => {
    const cfg = { seed: 3, maxEpisodes: 80, targetReturn: 0, evalThreshold: 0 };
    const a = await trainReinforce(cfg), b = await trainReinforce(cfg), c = await trainReinforce({ ...cfg, seed: 4 });
    expect(strip(a.result.metrics)).toEqual(strip(b.result.metrics));
    expect(strip(c.result.metrics)).not.toEqual(strip(a.result.metrics));
    for (const r of [a, b, c]) r.agent.dispose();
  });

  itSlow("improves the return on a small budget", async () => {
    const { agent, result } = await trainReinforce({ seed: 2, maxEpisodes: 320, targetReturn: 0, evalThreshold: 0 });
    const first = result.metrics.slice(0, 3).reduce((s, r) => s + r.return, 0) / 3;
    const last = result.metrics.slice(-3).reduce((s, r) => s + r.return, 0) / 3;
    expect(last).toBeGreaterThan(2 * first);
    expect(last).toBeGreaterThan(80);
    const ev = await evaluatePolicy("CartPole-v1", agent.act, { episodes: 10, seed: 0 });
    expect(ev.returns).toEqual(ev.lengths); // CartPole pays 1 per step
    expect(ev.mean).toBeGreaterThan(2 * first); // the greedy trained policy beats the untrained one
    expect(ev.mean).toBeCloseTo(ev.returns.reduce((a, b) => a + b, 0) / 10, 10);
    agent.dispose();
  });

  it("on interrupt: rethrows AbortError by default, and the agent keeps what it learned", async () => {
    const agent = await createReinforceAgent({ seed: 1, maxEpisodes: 10_000 });
    const controller = new AbortController();
    const err = await agent.train({ signal: controller.signal, onUpdate: (row) => { if (row.update === 5) controller.abort(); } }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(agent.metrics).toHaveLength(5);
    // training resumes where it stopped; with onAbort "return" the result says "aborted"
    const c2 = new AbortController();
    const result = await agent.train({ signal: c2.signal, onAbort: "return", onUpdate: (row) => { if (row.update === 7) c2.abort(); } });
    expect(result.stopped).toBe("aborted");
    expect(result.episodes).toBe(7 * 8);
    agent.dispose();
  });

  it("stops on the target: the greedy evaluation reached evalThreshold", async () => {
    const { agent, result } = await trainReinforce({ seed: 1, maxEpisodes: 400, targetReturn: 10, targetWindow: 8, evalEpisodes: 5, evalThreshold: 5 });
    expect(result.stopped).toBe("target");
    expect(result.episodes).toBe(8); // the first update's episodes already average ≥ 10
    expect(result.evalReturn).toBeGreaterThanOrEqual(5);
    expect(result.metrics.at(-1)!.evalReturn).toBe(result.evalReturn);
    agent.dispose();
  });

  it("an interrupt during the evaluation keeps the update's metrics row", async () => {
    const agent = await createReinforceAgent({ seed: 1, maxEpisodes: 400, targetReturn: 1, targetWindow: 8 });
    // aborted as the first evaluation begins (after the update logged its row)
    const controller = new AbortController();
    const result = await agent.train({ signal: controller.signal, onAbort: "return", onPhase: (phase) => { if (phase === "evaluate") controller.abort(); } });
    expect(result.stopped).toBe("aborted");
    expect(result.interruptedIn).toBe("update");
    expect(agent.metrics).toHaveLength(1);
    expect(agent.metrics[0]).toMatchObject({ update: 1, episodes: 8 });
    expect(agent.metrics[0].evalReturn).toBeNaN();
    agent.dispose();
  });

  it("steps only the env copies still running: env steps counted = steps taken", async () => {
    let steps = 0;
    registerEnv({
      id: "CountingCartPole-v1",
      maxEpisodeSteps: 500,
      create: () => {
        const env = makeEnv("CartPole-v1", { maxEpisodeSteps: Infinity });
        return { ...env, step: (a: number) => (steps++, env.step(a)) };
      },
    });
    const { agent, result } = await trainReinforce({ envId: "CountingCartPole-v1", seed: 4, maxEpisodes: 40, targetReturn: 0, evalThreshold: 0 });
    expect(steps).toBe(result.envSteps);
    expect(result.metrics.map((r) => r.length * 8).reduce((a, b) => a + b)).toBe(result.envSteps);
    agent.dispose();
  });

  for (const baseline of ["none", "mean"] as const) {
    it(`baseline "${baseline}" trains without a value net`, async () => {
      const { agent, result } = await trainReinforce({ seed: 2, baseline, normAdv: false, maxEpisodes: 80, targetReturn: 0, evalThreshold: 0 });
      expect(agent.value).toBeUndefined();
      expect(Object.keys(agent.weights()).every((k) => k.startsWith("policy/"))).toBe(true);
      expect(result.metrics).toHaveLength(10);
      for (const row of result.metrics) {
        expect(row.valueLoss).toBeNaN();
        for (const k of ["loss", "policyLoss", "entropy", "gradNorm"] as const) expect(Number.isFinite(row[k])).toBe(true);
      }
      agent.dispose();
    });
  }

  it("rejects bad config values, naming the field", () => {
    expect(() => reinforceConfig({ gamma: 1.5 })).toThrow(/gamma = 1\.5, expected a number in \[0, 1\]/);
    expect(() => reinforceConfig({ baseline: "median" as never })).toThrow(/baseline/);
    expect(() => reinforceConfig({ hiddenSizes: [] })).toThrow(/hiddenSizes/);
  });
});
