import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../lib/nn/backend";
import { grpoConfig, joinGroups } from "../lib/algos/grpo";
import { clippedSurrogate, klK3 } from "../lib/algos/surrogate";
import type { EpisodeBatch } from "../lib/algos/rollout";

beforeAll(async () => { await initBackend({ quiet: true }); });

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe("the clipped surrogate, by hand", () => {
  it("−min(r·A, clip(r)·A): clipping bites only in the direction the advantage pushes", () => {
    // ratios 1.5, 0.5, 1.5, 0.5, 1.1 for advantages +1, −1, −1, +1, +1, ε = 0.2
    //  r=1.5, A=+1: min(1.5, 1.2) = 1.2 → loss −1.2 (clipped: no gain for pushing further)
    //  r=0.5, A=−1: min(−0.5, −0.8) = −0.8 → loss 0.8 (clipped)
    //  r=1.5, A=−1: min(−1.5, −1.2) = −1.5 → loss 1.5 (unclipped: a bad move made likelier is fully penalised)
    //  r=0.5, A=+1: min(0.5, 0.8) = 0.5 → loss −0.5 (unclipped)
    //  r=1.1, A=+1: inside the range → loss −1.1
    const r = [1.5, 0.5, 1.5, 0.5, 1.1];
    const oldLogp = tf.zeros([5]) as tf.Tensor1D;
    const logp = tf.tensor1d(r.map(Math.log));
    const out = clippedSurrogate(logp, oldLogp, tf.tensor1d([1, -1, -1, 1, 1]), 0.2);
    values(out.loss).forEach((v, i) => expect(v).toBeCloseTo([-1.2, 0.8, 1.5, -0.5, -1.1][i], 5));
    expect(values(out.clipped)).toEqual([1, 1, 1, 1, 0]); // outside [0.8, 1.2] (CleanRL's clipfrac)
    // approx KL per step: (r − 1) − log r
    values(out.approxKl).forEach((v, i) => expect(v).toBeCloseTo(r[i] - 1 - Math.log(r[i]), 5));
    // asymmetric range (DAPO's clip-higher): ε_high = 0.5 lets r = 1.5 count in full for A > 0
    expect(values(clippedSurrogate(logp, oldLogp, tf.tensor1d([1, -1, -1, 1, 1]), 0.2, 0.5).loss)[0]).toBeCloseTo(-1.5, 5);
  });

  it("k3 KL: zero when the policies agree, positive otherwise, = e^d − d − 1", () => {
    const kl = values(klK3(tf.tensor1d([-1, -1, -2]), tf.tensor1d([-1, -2, -1])));
    expect(kl[0]).toBeCloseTo(0, 6);
    expect(kl[1]).toBeCloseTo(Math.exp(-1) + 1 - 1, 6);
    expect(kl[2]).toBeCloseTo(Math.exp(1) - 1 - 1, 6);
  });
});

describe("GRPO batches", () => {
  const episodeBatch = (lengths: number[], returns: number[]): EpisodeBatch => {
    const T = lengths.reduce((a, b) => a + b);
    return {
      obs: Float32Array.from({ length: T * 2 }, (_, i) => i),
      actions: Int32Array.from({ length: T }, (_, i) => i % 3),
      logProbs: new Float32Array(T).fill(-1),
      rewards: new Float32Array(T),
      episodeEnds: new Uint8Array(T),
      returns,
      lengths,
      terminated: returns.map(() => true),
    };
  };

  it("every step carries its episode's advantage and weight 1/(|τ|·N): each episode counts once", () => {
    const a = episodeBatch([2, 1], [1, -1]), b = episodeBatch([3, 1], [0, 0]);
    const batch = joinGroups([a, b], 2, 3, (returns) => Float32Array.from(returns, (r) => r * 10));
    expect(Array.from(batch.advantages)).toEqual([10, 10, -10, 0, 0, 0, 0]);
    const w = Array.from(batch.weights);
    [1 / 8, 1 / 8, 1 / 4, 1 / 12, 1 / 12, 1 / 12, 1 / 4].forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
    expect(w.reduce((s, x) => s + x)).toBeCloseTo(4 / 4, 6); // N = 4 episodes, each weighing 1/N
    expect(Array.from(batch.obs.subarray(6 * 2))).toEqual([6, 7]); // b's steps follow a's
  });

  it("config: presets per env, and topM below the group size", () => {
    expect(grpoConfig().envOptions).toMatchObject({ opponent: { random: 2, greedy: 1, minimax: 1 } });
    expect(grpoConfig({ envId: "CartPole-v1" }).envOptions).toEqual({});
    expect(grpoConfig({ envOptions: { opponent: "minimax" } }).envOptions).toEqual({ opponent: "minimax" });
    expect(() => grpoConfig({ numGenerations: 8, topM: 8 })).toThrow(/topM = 8, expected fewer than numGenerations \(8\)/);
  });
});
