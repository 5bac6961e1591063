import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { initBackend } from "../lib/nn/backend";
import { createPpoAgent, ppoConfig } from "../lib/algos/ppo";
import { ppoLoss } from "../lib/algos/ppo-loss";
import { createRewardScaler, createRunningMeanStd, normalizeObservations } from "../lib/algos/normalize";

beforeAll(async () => { await initBackend({ quiet: true }); });

const num = (t: tf.Scalar) => t.dataSync()[0];

describe("PPO's loss, term by term by hand", () => {
  // two steps, two actions; π_old(a) = 0.5 for both; the new logits make π(a0) = σ(1) ≈ 0.7311 and π(a1) = 0.5
  const logits = tf.tensor2d([[1, 0], [0, 0]]);
  const b = {
    actions: tf.tensor1d([0, 1], "int32"),
    oldLogp: tf.tensor1d([Math.log(0.5), Math.log(0.5)]),
    adv: tf.tensor1d([1, -1]),
    ret: tf.tensor1d([1, 0]),
    oldV: tf.tensor1d([0.5, 0.5]),
  };
  const p0 = 1 / (1 + Math.exp(-1)); // 0.7311
  const r = [p0 / 0.5, 1]; // ratios 1.4621 and 1
  const config = { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5 };

  it("clipped surrogate, clipped value loss, entropy and the total", () => {
    const values = tf.tensor1d([0.9, 0.1]);
    const t = ppoLoss(logits, values, b, config);
    // policy: step 0: max(−1·1.4621, −1·1.2) = −1.2; step 1: max(1·1, 1·1) = 1 → mean −0.1
    expect(num(t.policyLoss)).toBeCloseTo(-0.1, 5);
    // value: step 0: unclipped (0.9 − 1)² = 0.01, clipped V = 0.5 + clip(0.4, ±0.2) = 0.7 → (0.7 − 1)² = 0.09 → max 0.09
    //        step 1: unclipped 0.01, clipped 0.5 + clip(−0.4) = 0.3 → 0.09 → max 0.09; ½·mean = 0.045
    expect(num(t.valueLoss)).toBeCloseTo(0.045, 6);
    const h0 = -(p0 * Math.log(p0) + (1 - p0) * Math.log(1 - p0)), h1 = Math.log(2);
    expect(num(t.entropy)).toBeCloseTo((h0 + h1) / 2, 5);
    expect(num(t.loss)).toBeCloseTo(-0.1 - 0.01 * (h0 + h1) / 2 + 0.5 * 0.045, 5);
    expect(num(t.clipFrac)).toBeCloseTo(0.5, 6); // |1.4621 − 1| > 0.2 on step 0 only
    expect(num(t.approxKl)).toBeCloseTo(((r[0] - 1) - Math.log(r[0])) / 2, 5);
    expect(num(t.oldApproxKl)).toBeCloseTo(-Math.log(r[0]) / 2, 5);
    // without value clipping: ½·mean((V − R)²) = ½·0.01
    expect(num(ppoLoss(logits, values, b, { ...config, clipVloss: false }).valueLoss)).toBeCloseTo(0.005, 6);
  });

  it("the gradient does not push a clipped ratio further: zero policy gradient through step 0 when A > 0 and r > 1 + ε", () => {
    const g = tf.grad((z: tf.Tensor) => ppoLoss(z as tf.Tensor2D, tf.tensor1d([0.5, 0.5]), b, { ...config, entCoef: 0, vfCoef: 0 }).loss)(logits);
    const rows = g.arraySync() as number[][];
    expect(rows[0][0]).toBeCloseTo(0, 7);
    expect(rows[0][1]).toBeCloseTo(0, 7);
    // step 1 is inside the range: −A·∂r/∂z / 2, with ∂r/∂z = r·(onehot − π) = (−0.5, 0.5) for action 1 → (−0.25, 0.25)
    expect(rows[1][0]).toBeCloseTo(-0.25, 5);
    expect(rows[1][1]).toBeCloseTo(0.25, 5);
  });
});

describe("PPO config and normalisation", () => {
  it("presets: CleanRL's settings by name, rl-zoo's for CartPole and LunarLander; a batch that does not split is named", () => {
    expect(ppoConfig({ preset: "cleanrl" })).toMatchObject({ numEnvs: 4, numSteps: 128, numMinibatches: 4, updateEpochs: 4, learningRate: 2.5e-4, clipCoef: 0.2, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5, gamma: 0.99, gaeLambda: 0.95, clipVloss: true, totalTimesteps: 500_000 });
    expect(ppoConfig()).toMatchObject({ envId: "CartPole-v1", numEnvs: 8, numSteps: 32, numMinibatches: 1, updateEpochs: 20, gamma: 0.98, gaeLambda: 0.8, entCoef: 0, learningRate: 1e-3, totalTimesteps: 100_000 });
    expect(ppoConfig({ learningRate: 5e-4 }).learningRate).toBe(5e-4); // what you pass wins over the preset
    expect(ppoConfig({ envId: "LunarLander-v3" })).toMatchObject({ numEnvs: 16, numSteps: 1024, numMinibatches: 256, updateEpochs: 4, gamma: 0.999, gaeLambda: 0.98, entCoef: 0.01, normalizeObs: true });
    expect(ppoConfig({ envId: "LunarLander-v3" }).numEnvs * ppoConfig({ envId: "LunarLander-v3" }).numSteps / 256).toBe(64); // batch 64
    expect(() => ppoConfig({ numMinibatches: 3 })).toThrow(/numMinibatches = 3, expected a divisor of the batch numEnvs × numSteps = 256/);
  });

  it("running mean/std: the batch update equals the statistics of everything seen", () => {
    const s = createRunningMeanStd(2, 0);
    const a = [1, 10, 2, 20, 3, 30], bb = [4, 40, 5, 50];
    s.update(a, 3);
    s.update(bb, 2);
    const xs = [1, 2, 3, 4, 5], ys = xs.map((x) => x * 10);
    const mean = (v: number[]) => v.reduce((p, q) => p + q) / v.length;
    const variance = (v: number[]) => mean(v.map((x) => (x - mean(v)) ** 2));
    expect(s.mean[0]).toBeCloseTo(mean(xs), 9);
    expect(s.var[1]).toBeCloseTo(variance(ys), 6);
    const x = Float32Array.of(3, 1000);
    normalizeObservations(s, x, 1);
    expect(x[0]).toBeCloseTo(0, 5);
    expect(x[1]).toBe(10); // clipped at 10
  });

  it("reward scaling divides by the std of the running discounted return and keeps the sign", () => {
    const scaler = createRewardScaler(1, 0.9);
    const out: number[] = [];
    for (let t = 0; t < 50; t++) out.push(scaler.scale(Float32Array.of(t % 2 ? 2 : -1), [t % 10 === 9])[0]);
    expect(out.filter((r, t) => Math.sign(r) !== (t % 2 ? 1 : -1))).toEqual([]);
    expect(Math.abs(out[49])).toBeLessThan(2); // scaled down: the discounted returns vary by more than 1
  });
});

describe("PPO learns", () => {
  itSlow("CartPole's return rises within 25k steps, observations normalised or not", async () => {
    for (const normalizeObs of [false, true]) {
      const agent = await createPpoAgent({ seed: 3, totalTimesteps: 25_600, normalizeObs });
      const r = await agent.train();
      const first = agent.metrics.slice(0, 5).map((m) => m.trainReturn), last = agent.metrics.at(-1)!.trainReturn;
      expect(last, `normalizeObs ${normalizeObs}: ${first.join(", ")} → ${last}`).toBeGreaterThan(2 * first[0]);
      expect(r.envSteps).toBe(25_600);
      agent.dispose();
    }
  });
});

describe("PPO's two engines", () => {
  it("typed arrays and tfjs run the same training: the same weights and metrics after several updates", async () => {
    const run = async (engine: "typed" | "tfjs") => {
      const agent = await createPpoAgent({ seed: 4, engine, numEnvs: 2, numSteps: 64, numMinibatches: 4, totalTimesteps: 2 * 64 * 3 });
      await agent.train();
      const out = { weights: agent.weights(), rows: agent.metrics.map(({ wallTime, sps, ...r }) => (void wallTime, void sps, r)) };
      agent.dispose();
      return out;
    };
    const typed = await run("typed"), reference = await run("tfjs");
    for (const [name, t] of Object.entries(reference.weights)) {
      const u = typed.weights[name];
      let worst = 0;
      for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(t.data[i] - u.data[i]));
      expect(worst, name).toBeLessThan(1e-4);
    }
    expect(typed.rows.map((r) => r.episodes)).toEqual(reference.rows.map((r) => r.episodes)); // the same actions were taken
    typed.rows.forEach((r, i) => expect(r.policyLoss).toBeCloseTo(reference.rows[i].policyLoss, 4));
  });
});
