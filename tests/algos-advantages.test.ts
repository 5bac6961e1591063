import { describe, expect, it } from "vitest";
import { computeGae, groupAdvantages, nextValues, rankAdvantages, rewardToGo } from "../lib/algos/advantages";

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe("GAE, worked by hand", () => {
  // one env, three steps, no episode end: γ = 0.9, λ = 0.8
  //   δ0 = 1 + 0.9·0.4 − 0.5 = 0.86   δ1 = 1 + 0.9·0.3 − 0.4 = 0.87   δ2 = 1 + 0.9·0.2 − 0.3 = 0.88
  //   A2 = 0.88   A1 = 0.87 + 0.72·0.88 = 1.5036   A0 = 0.86 + 0.72·1.5036 = 1.942592
  const base = { rewards: [1, 1, 1], values: [0.5, 0.4, 0.3], nextValues: [0.4, 0.3, 0.2], numEnvs: 1, gamma: 0.9, lambda: 0.8 };

  it("a running episode: A_t = δ_t + γλ·A_{t+1}, returns = A + V", () => {
    const { advantages, returns } = computeGae({ ...base, terminated: [0, 0, 0], truncated: [0, 0, 0] });
    close(advantages, [1.942592, 1.5036, 0.88]);
    close(returns, [2.442592, 1.9036, 1.18]);
  });

  it("termination at t = 1: no future value there, and the sum restarts after it", () => {
    // δ1 = 1 − 0.4 = 0.6 (V(s2) ignored); A1 = 0.6 (episode over); A0 = 0.86 + 0.72·0.6 = 1.292
    const { advantages } = computeGae({ ...base, terminated: [0, 1, 0], truncated: [0, 0, 0] });
    close(advantages, [1.292, 0.6, 0.88]);
  });

  it("truncation at t = 1: bootstraps from V(final obs), but the sum still stops there", () => {
    // nextValues[1] = V(final observation) = 0.7: δ1 = 1 + 0.9·0.7 − 0.4 = 1.23; A1 = 1.23; A0 = 0.86 + 0.72·1.23 = 1.7456
    const { advantages } = computeGae({ ...base, nextValues: [0.4, 0.7, 0.2], terminated: [0, 0, 0], truncated: [0, 1, 0] });
    close(advantages, [1.7456, 1.23, 0.88]);
    // the same step treated as a termination loses the bootstrap: the difference is γ·V(final) = 0.63
    const asTerminal = computeGae({ ...base, nextValues: [0.4, 0.7, 0.2], terminated: [0, 1, 0], truncated: [0, 0, 0] });
    expect(advantages[1] - asTerminal.advantages[1]).toBeCloseTo(0.63, 5);
  });

  it("λ = 1 gives the discounted return minus V; λ = 0 gives the one-step TD error", () => {
    const one = computeGae({ ...base, lambda: 1, terminated: [0, 0, 1], truncated: [0, 0, 0] });
    const g = rewardToGo([1, 1, 1], [0, 0, 1], 0.9);
    close(one.advantages, [g[0] - 0.5, g[1] - 0.4, g[2] - 0.3]);
    const zero = computeGae({ ...base, lambda: 0, terminated: [0, 0, 0], truncated: [0, 0, 0] });
    close(zero.advantages, [0.86, 0.87, 0.88]);
  });

  it("envs are independent columns of a step-major layout", () => {
    // two envs interleaved: env 0 is the case above, env 1 has zero rewards and values
    const r = computeGae({
      rewards: [1, 0, 1, 0, 1, 0], values: [0.5, 0, 0.4, 0, 0.3, 0], nextValues: [0.4, 0, 0.3, 0, 0.2, 0],
      terminated: [0, 0, 0, 0, 0, 0], truncated: [0, 0, 0, 0, 0, 0], numEnvs: 2, gamma: 0.9, lambda: 0.8,
    });
    close(r.advantages, [1.942592, 0, 1.5036, 0, 0.88, 0]);
  });

  it("nextValues: the next row, the bootstrap after the last, V(final obs) where truncated", () => {
    const nv = nextValues([1, 2, 3, 4, 5, 6], [7, 8], 2, new Map([[2, 9.5]]));
    close(nv, [3, 4, 9.5, 6, 7, 8]);
    expect(() => nextValues([1, 2], [1], 2)).toThrow(/1 bootstrap values for 2 envs/);
  });

  it("rejects mismatched lengths and bad discounts, naming them", () => {
    expect(() => computeGae({ ...base, values: [1], terminated: [0, 0, 0], truncated: [0, 0, 0] })).toThrow(/values has 1 entries, rewards 3/);
    expect(() => computeGae({ ...base, lambda: 1.2, terminated: [0, 0, 0], truncated: [0, 0, 0] })).toThrow(/lambda must be in \[0, 1\]/);
    expect(() => computeGae({ ...base, numEnvs: 2, terminated: [0, 0, 0], truncated: [0, 0, 0] })).toThrow(/numEnvs = 2/);
  });
});

describe("group advantages (GRPO)", () => {
  it("group-normalised: (R − mean) / (std + ε)", () => {
    // mean 2, population std √(2/3)
    close(groupAdvantages([1, 2, 3]), [-1 / Math.sqrt(2 / 3), 0, 1 / Math.sqrt(2 / 3)]);
    close(groupAdvantages([5, 5]), [0, 0]); // no spread: no preference
  });

  it("rank: the top m are preferred (+1), the rest share −m/(K−m); ties share the average; the group sums to zero", () => {
    const { advantages, preferred } = rankAdvantages([3, 9, 1, 7], 2);
    expect(Array.from(preferred)).toEqual([0, 1, 0, 1]);
    close(advantages, [-1, 1, -1, 1]);
    const one = rankAdvantages([3, 9, 1, 7], 1);
    close(one.advantages, [-1 / 3, 1, -1 / 3, -1 / 3]);
    // ties: [5, 5] span ranks 0 and 1 with m = 1 → (1 + (−1/3)) / 2 = 1/3 each
    const tied = rankAdvantages([5, 3, 5, 1], 1);
    close(tied.advantages, [1 / 3, -1 / 3, 1 / 3, -1 / 3]);
    expect(Array.from(tied.preferred)).toEqual([1, 0, 1, 0]);
    // 3 draws and 61 losses, m = 16: the draws +1, each loss (13·1 + 48·(−1/3)) / 61 = −3/61
    const mostlyLost = rankAdvantages([...new Array(61).fill(-1), 0, 0, 0], 16);
    close(Array.from(mostlyLost.advantages).slice(60), [-3 / 61, 1, 1, 1]);
    for (const r of [one, tied, mostlyLost]) expect(Array.from(r.advantages).reduce((a, b) => a + b)).toBeCloseTo(0, 5);
    close(rankAdvantages([2, 2, 2], 1).advantages, [0, 0, 0]); // all tied: no signal
    expect(() => rankAdvantages([1, 2], 3)).toThrow(/topM must be an integer in \[1, 2\]/);
  });
});
