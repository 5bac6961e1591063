import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { entropy, greedyAction, logProbOf, sampleAction } from "../lib/nn/categorical";
import { fastMlpFrom, syncFastMlp } from "../lib/nn/mlp/fast-forward";
import { createMlp, mlpWeights, orthogonal, setMlpWeights, type Activation } from "../lib/nn/mlp/mlp";

beforeAll(async () => { await initBackend({ quiet: true }); });

describe("typed-array forward matches the tfjs forward", () => {
  for (const activation of ["tanh", "relu"] as Activation[]) {
    it(`${activation}, batches 1..37 (max abs diff < 1e-5)`, () => {
      const rng = createRng(7);
      const mlp = createMlp("policy", { inputSize: 4, hiddenSizes: [64, 32], outputSize: 3, activation }, rng, { outputGain: 1 });
      const fast = fastMlpFrom(mlp);
      for (const batch of [1, 2, 4, 5, 37]) {
        const x = Float32Array.from({ length: batch * 4 }, () => rng.normal());
        const expected = tf.tidy(() => mlp.apply(tf.tensor2d(x, [batch, 4])).dataSync());
        const got = fast.forward(x, batch);
        expect(got.length).toBe(expected.length);
        let diff = 0;
        for (let i = 0; i < got.length; i++) diff = Math.max(diff, Math.abs(got[i] - expected[i]));
        expect(diff).toBeLessThan(1e-5);
      }
      // after changing the tfjs weights, a sync brings the copy up to date
      tf.tidy(() => mlp.params["policy/l0/b"].assign(tf.fill([64], 0.5)));
      syncFastMlp(fast, mlp);
      const x = Float32Array.from({ length: 5 * 4 }, () => rng.normal());
      const expected = tf.tidy(() => mlp.apply(tf.tensor2d(x, [5, 4])).dataSync());
      const got = fast.forward(x, 5);
      expect(got.length).toBe(5 * 3);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected[i])).toBeLessThan(1e-5);
      mlp.dispose();
    });
  }
});

describe("MLP parameters", () => {
  it("are named by layer, seeded by our Rng (same seed, same weights), and checked on load", () => {
    const spec = { inputSize: 4, hiddenSizes: [8], outputSize: 2, activation: "tanh" as const };
    const a = createMlp("policy", spec, createRng(1)), b = createMlp("policy", spec, createRng(1)), c = createMlp("policy", spec, createRng(2));
    expect(Object.keys(a.params)).toEqual(["policy/l0/w", "policy/l0/b", "policy/l1/w", "policy/l1/b"]);
    expect(Array.from(a.params["policy/l0/w"].dataSync())).toEqual(Array.from(b.params["policy/l0/w"].dataSync()));
    expect(Array.from(a.params["policy/l0/w"].dataSync())).not.toEqual(Array.from(c.params["policy/l0/w"].dataSync()));
    const w = mlpWeights(a);
    setMlpWeights(c, w);
    expect(Array.from(c.params["policy/l1/w"].dataSync())).toEqual(Array.from(w["policy/l1/w"].data));
    expect(() => setMlpWeights(c, { ...w, "policy/l1/w": { data: new Float32Array(3), shape: [3, 1] } })).toThrow(/policy\/l1\/w.*\[3×1\].*\[8×2\]/);
    for (const m of [a, b, c]) m.dispose();
  });

  it("orthogonal init has orthonormal columns (tall) or rows (wide), times the gain", () => {
    for (const [rows, cols] of [[6, 3], [3, 6]]) {
      const w = orthogonal(rows, cols, 2, createRng(3));
      const small = Math.min(rows, cols);
      for (let p = 0; p < small; p++) for (let q = 0; q < small; q++) {
        let dot = 0;
        for (let k = 0; k < Math.max(rows, cols); k++) dot += rows >= cols ? w[k * cols + p] * w[k * cols + q] : w[p * cols + k] * w[q * cols + k];
        expect(dot).toBeCloseTo(p === q ? 4 : 0, 4);
      }
    }
  });
});

describe("categorical distribution with a mask", () => {
  it("log-probs and entropy ignore masked actions; acting never picks them", () => {
    const logits = tf.tensor2d([[1, 2, 3], [0, 0, 0]]);
    const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
    const lp = logProbOf(logits, tf.tensor1d([1, 2], "int32"), mask).arraySync();
    expect(lp[0]).toBeCloseTo(2 - Math.log(Math.exp(1) + Math.exp(2)), 5);
    expect(lp[1]).toBeCloseTo(-Math.log(3), 5);
    const h = entropy(logits, mask).arraySync();
    const p = [Math.exp(1), Math.exp(2)].map((e) => e / (Math.exp(1) + Math.exp(2)));
    expect(h[0]).toBeCloseTo(-p.reduce((s, pi) => s + pi * Math.log(pi), 0), 5);
    expect(h[1]).toBeCloseTo(Math.log(3), 5);
    const grad = tf.grad((z: tf.Tensor) => tf.sum(entropy(z as tf.Tensor2D, mask)))(logits).arraySync() as number[][];
    expect(grad.flat().every(Number.isFinite)).toBe(true);
    const flat = new Float32Array([1, 2, 30]), m = [1, 1, 0];
    const rng = createRng(0);
    for (let i = 0; i < 200; i++) expect(sampleAction(flat, 0, 3, rng, m)).not.toBe(2);
    expect(greedyAction(flat, 0, 3, m)).toBe(1);
    expect(greedyAction(flat, 0, 3)).toBe(2);
    tf.dispose([logits, mask]);
  });
});
