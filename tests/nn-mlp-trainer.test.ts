import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { clipByGlobalNorm, createAdam } from "../lib/nn/optim";
import { clippedSurrogate } from "../lib/algos/surrogate";
import { createRng, type Rng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../lib/nn/categorical";
import { createFastMlp } from "../lib/nn/mlp/fast-forward";
import { createMlp, mlpWeights, type Activation, type Mlp, type MlpSpec } from "../lib/nn/mlp/mlp";
import { copyMlpToTrainer, copyTrainerToFastMlp, copyTrainerToMlp, createMlpTrainer, initMlpTrainer, mlpTrainerFrom } from "../lib/nn/mlp/trainer";
import { createPpoStepPair } from "../lib/algos/ppo-bench";
import { tanh } from "../lib/nn/mlp/gemm";
import { ppoPolicyLoss, ppoValueLoss } from "../lib/algos/ppo-loss-typed";
import { clipGradNorm, createTypedAdam, globalGradNorm } from "../lib/nn/optim-typed";

beforeAll(async () => { await initBackend({ quiet: true }); });

const randn = (rng: Rng, n: number, std = 1) => Float32Array.from({ length: n }, () => rng.normal(0, std));

/** max |a − b| / max(|b|, floor): a relative error per tensor. */
function relErr(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  expect(a.length).toBe(b.length);
  let diff = 0, scale = floor;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / scale;
}

/** tf.grad of sum(apply(X) ⊙ G) w.r.t. every variable of `mlp`, by parameter name. */
function tfjsGrads(mlp: Mlp, x: Float32Array, g: Float32Array, rows: number): Record<string, Float32Array> {
  return tf.tidy(() => {
    const names = Object.keys(mlp.params);
    const vars = names.map((k) => mlp.params[k]);
    const X = tf.tensor2d(x, [rows, mlp.spec.inputSize]), G = tf.tensor2d(g, [rows, mlp.spec.outputSize]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(mlp.apply(X), G)) as tf.Scalar, vars);
    return Object.fromEntries(names.map((k, i) => [k, Float32Array.from(grads[vars[i].name].dataSync() as Float32Array)]));
  });
}

const SHAPES: [number, number[], number][] = [[4, [64, 64], 2], [8, [64, 64], 4], [4, [64, 64], 1], [5, [7, 3], 3], [6, [], 3], [3, [9], 1]];

describe("forward", () => {
  for (const activation of ["tanh", "relu"] as Activation[]) {
    it(`${activation}: equals Mlp.apply on random inputs, 1, 7 and 64 rows, several shapes (relative error < 1e-5)`, () => {
      const rng = createRng(11);
      for (const [inputSize, hiddenSizes, outputSize] of SHAPES) {
        const mlp = createMlp("net", { inputSize, hiddenSizes, outputSize, activation }, rng, { outputGain: 1 });
        const trainer = mlpTrainerFrom(mlp);
        for (const rows of [1, 7, 64]) {
          const x = randn(rng, rows * inputSize);
          const expected = tf.tidy(() => mlp.apply(tf.tensor2d(x, [rows, inputSize])).dataSync());
          expect(relErr(trainer.forward(x, rows), expected)).toBeLessThan(1e-5);
          expect(relErr(trainer.infer(x, rows), expected)).toBeLessThan(1e-5);
        }
        mlp.dispose();
      }
    });
  }

  it("buffers: forward returns the same array for the same rows, grows on demand, and infer leaves a pending backward alone", () => {
    const rng = createRng(2);
    const spec: MlpSpec = { inputSize: 3, hiddenSizes: [5], outputSize: 2, activation: "tanh" };
    const t = initMlpTrainer("p", spec, rng);
    const x = randn(rng, 100 * 3), g = randn(rng, 4 * 2);
    const a = t.forward(x, 4);
    expect(t.forward(x, 4)).toBe(a);
    expect(t.forward(x, 100).length).toBe(200); // grown
    const ref = Float32Array.from(t.forward(x, 4));
    t.backward(g);
    const gradsRef = t.grads.map((q) => Float32Array.from(q));
    t.forward(x, 4);
    t.infer(x.subarray(60), 30); // acting in between
    expect(Array.from(t.backward(g)[0])).toEqual(Array.from(gradsRef[0]));
    expect(Array.from(t.forward(x, 4))).toEqual(Array.from(ref));
    expect(() => t.forward(x, 0)).toThrow(/rows must be a positive integer/);
    expect(() => t.forward(new Float32Array(5), 2)).toThrow(/x has 5 values, expected 2×3/);
    expect(() => initMlpTrainer("q", spec, rng).backward(g)).toThrow(/q.backward: call forward first/);
    expect(() => t.backward(new Float32Array(3))).toThrow(/dOut has 3 values, expected 4×2/);
  });

  it("tanh: the rational approximation stays within 3e-8 of Math.tanh, odd, inside [−1, 1], NaN in NaN out", () => {
    let err = 0, outside = 0, asymmetric = 0;
    for (let x = -12; x <= 12; x += 1e-3) {
      const y = tanh(x);
      err = Math.max(err, Math.abs(y - Math.tanh(x)));
      if (Math.abs(y) > 1) outside++;
      if (tanh(-x) !== -y) asymmetric++;
    }
    expect(err).toBeLessThan(3e-8);
    expect([outside, asymmetric]).toEqual([0, 0]);
    expect(tanh(Infinity)).toBeCloseTo(1, 7);
    expect(Number.isNaN(tanh(NaN))).toBe(true);
  });
});

describe("backward equals tfjs autograd", () => {
  for (const activation of ["tanh", "relu"] as Activation[]) {
    it(`${activation}: d sum(apply(X) ⊙ G) / dθ for every parameter, several shapes, 1, 7 and 64 rows (relative error < 1e-5)`, () => {
      const rng = createRng(5);
      for (const [inputSize, hiddenSizes, outputSize] of SHAPES) {
        const mlp = createMlp("net", { inputSize, hiddenSizes, outputSize, activation }, rng, { outputGain: 1 });
        const trainer = mlpTrainerFrom(mlp);
        for (const rows of [1, 7, 64]) {
          const x = randn(rng, rows * inputSize), g = randn(rng, rows * outputSize);
          const expected = tfjsGrads(mlp, x, g, rows);
          trainer.forward(x, rows);
          const grads = trainer.backward(g);
          trainer.names.forEach((k, i) => {
            const e = relErr(grads[i], expected[k]);
            if (!(e < 1e-5)) throw new Error(`${activation} [${inputSize}, ${hiddenSizes}, ${outputSize}] rows ${rows}: ${k} relative error ${e}`);
          });
        }
        mlp.dispose();
      }
    });
  }

  it("relu with pre-activations exactly 0: relu′(0) = 0, as tfjs", () => {
    // integer weights and inputs: many pre-activations are exactly 0
    const rng = createRng(9);
    const spec: MlpSpec = { inputSize: 3, hiddenSizes: [6, 5], outputSize: 2, activation: "relu" };
    const mlp = createMlp("r", spec, rng);
    const ints = (n: number) => Float32Array.from({ length: n }, () => rng.int(3) - 1);
    const w = mlpWeights(mlp);
    for (const k of Object.keys(w)) w[k].data = ints(w[k].data.length);
    const trainer = createMlpTrainer("r", spec, w);
    copyTrainerToMlp(trainer, mlp);
    const rows = 16;
    const x = ints(rows * 3), g = randn(rng, rows * 2);
    // count the exact zeros at the first hidden layer
    let zeros = 0;
    for (let r = 0; r < rows; r++) for (let j = 0; j < 6; j++) {
      let z = w["r/l0/b"].data[j];
      for (let i = 0; i < 3; i++) z += x[r * 3 + i] * w["r/l0/w"].data[i * 6 + j];
      if (z === 0) zeros++;
    }
    expect(zeros).toBeGreaterThan(10);
    trainer.forward(x, rows);
    const grads = trainer.backward(g);
    const expected = tfjsGrads(mlp, x, g, rows);
    trainer.names.forEach((k, i) => expect(relErr(grads[i], expected[k]), k).toBeLessThan(1e-6));

    // by hand: one unit, pre-activation 0 → no gradient reaches its weight and bias (relu′(0) = 1 would give g·x = 3 and g = 1)
    const one: MlpSpec = { inputSize: 1, hiddenSizes: [1], outputSize: 1, activation: "relu" };
    const tiny = createMlpTrainer("u", one, { "u/l0/w": { data: Float32Array.of(1), shape: [1, 1] }, "u/l0/b": { data: Float32Array.of(-3), shape: [1] }, "u/l1/w": { data: Float32Array.of(1), shape: [1, 1] }, "u/l1/b": { data: Float32Array.of(0), shape: [1] } });
    tiny.forward([3], 1);
    const [gw0, gb0, gw1] = tiny.backward([1]);
    expect([gw0[0], gb0[0], gw1[0]]).toEqual([0, 0, 0]);
    const tinyTf = createMlp("u", one, rng);
    copyTrainerToMlp(tiny, tinyTf);
    const tfTiny = tfjsGrads(tinyTf, Float32Array.of(3), Float32Array.of(1), 1);
    expect([tfTiny["u/l0/w"][0], tfTiny["u/l0/b"][0]]).toEqual([0, 0]);
    mlp.dispose();
    tinyTf.dispose();
  });

  it("accumulate adds to the gradients; zeroGrads clears them", () => {
    const rng = createRng(4);
    const t = initMlpTrainer("p", { inputSize: 4, hiddenSizes: [8, 8], outputSize: 3, activation: "tanh" }, rng, { outputGain: 1 });
    const x1 = randn(rng, 5 * 4), g1 = randn(rng, 5 * 3), x2 = randn(rng, 9 * 4), g2 = randn(rng, 9 * 3);
    t.forward(x1, 5);
    const a = t.backward(g1).map((q) => Float32Array.from(q));
    t.forward(x2, 9);
    const b = t.backward(g2).map((q) => Float32Array.from(q));
    t.zeroGrads();
    expect(t.grads.every((q) => q.every((v) => v === 0))).toBe(true);
    t.forward(x1, 5);
    t.backward(g1, { accumulate: true });
    t.forward(x2, 9);
    t.backward(g2, { accumulate: true });
    t.grads.forEach((q, i) => expect(relErr(q, a[i].map((v, j) => v + b[i][j]))).toBeLessThan(1e-6));
  });
});

describe("weights", () => {
  it("by name and shape: round trip, checked on load (naming the tensor), extra names ignored", () => {
    const rng = createRng(1);
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [8], outputSize: 2, activation: "tanh" };
    const a = initMlpTrainer("policy", spec, rng), b = initMlpTrainer("policy", spec, rng);
    expect(a.names).toEqual(["policy/l0/w", "policy/l0/b", "policy/l1/w", "policy/l1/b"]);
    expect(a.shapes).toEqual([[4, 8], [8], [8, 2], [2]]);
    expect(a.size).toBe(4 * 8 + 8 + 8 * 2 + 2);
    const w = a.weights();
    b.setWeights({ ...w, "value/l0/w": { data: new Float32Array(1), shape: [1] } });
    expect(Array.from(b.params[2])).toEqual(Array.from(a.params[2]));
    w["policy/l0/w"].data[0] = 123; // weights() copies
    expect(a.params[0][0]).not.toBe(123);
    expect(() => b.setWeights({ ...w, "policy/l1/w": { data: new Float32Array(3), shape: [3, 1] } })).toThrow(/policy\/l1\/w.*\[3×1\].*\[8×2\]/);
    const { ["policy/l1/b"]: _, ...missing } = w;
    expect(() => b.setWeights(missing)).toThrow(/missing weight 'policy\/l1\/b'/);
    expect(() => b.setWeights({ ...w, "policy/l1/b": { data: new Float32Array(3), shape: [2] } })).toThrow(/policy\/l1\/b' has 3 values/);
    expect(() => initMlpTrainer("x", { ...spec, hiddenSizes: [0] }, rng)).toThrow(/positive integers/);
  });

  it("initMlpTrainer draws the same weights as createMlp; syncs to and from tfjs and to a FastMlp", () => {
    const spec: MlpSpec = { inputSize: 4, hiddenSizes: [16, 8], outputSize: 3, activation: "relu" };
    const mlp = createMlp("pi", spec, createRng(3), { outputGain: 0.01 });
    const trainer = initMlpTrainer("pi", spec, createRng(3), { outputGain: 0.01 });
    const tfw = mlpWeights(mlp);
    trainer.names.forEach((k, i) => expect(Array.from(trainer.params[i])).toEqual(Array.from(tfw[k].data)));
    // trainer → tfjs
    trainer.params[0][3] = 0.75;
    copyTrainerToMlp(trainer, mlp);
    expect(mlp.params["pi/l0/w"].dataSync()[3]).toBeCloseTo(0.75, 7);
    // tfjs → trainer
    tf.tidy(() => mlp.params["pi/l1/b"].assign(tf.fill([8], 0.25)));
    copyMlpToTrainer(mlp, trainer);
    expect(Array.from(trainer.params[3])).toEqual(new Array(8).fill(0.25));
    // trainer → FastMlp: same outputs
    const fast = createFastMlp(spec);
    copyTrainerToFastMlp(trainer, fast);
    const x = randn(createRng(8), 6 * 4);
    expect(relErr(fast.forward(x, 6), trainer.forward(x, 6))).toBeLessThan(1e-6);
    expect(() => copyMlpToTrainer(createMlp("other", spec, createRng(1)), trainer)).toThrow(/does not match MLP 'other'/);
    mlp.dispose();
  });
});

describe("clipping and Adam match lib/nn/optim", () => {
  it("clipGradNorm gives clipByGlobalNorm's norm and clipped gradients (over and under the max, and 0 = off)", () => {
    const rng = createRng(6);
    for (const maxNorm of [0.5, 100, 0]) {
      const grads = [randn(rng, 12), randn(rng, 7, 3), randn(rng, 1)];
      const copy = grads.map((g) => Float32Array.from(g));
      const norm = clipGradNorm(copy, maxNorm);
      tf.tidy(() => {
        const ref = clipByGlobalNorm(grads.map((g) => tf.tensor1d(g)), maxNorm);
        expect(norm).toBeCloseTo(ref.norm.dataSync()[0], 5);
        ref.grads.forEach((g, i) => expect(relErr(copy[i], g.dataSync())).toBeLessThan(1e-6));
      });
      if (maxNorm === 0.5) expect(globalGradNorm(copy)).toBeCloseTo(0.5, 5);
      if (maxNorm !== 0.5) expect(copy).toEqual(grads); // untouched
    }
    expect(() => clipGradNorm([], -1)).toThrow(/maxGradNorm must be ≥ 0/);
  });

  const cases = [
    { label: "plain", opts: { lr: 0.01 } },
    { label: "L2 weight decay", opts: { lr: 0.01, weightDecay: 0.1 } },
    { label: "decoupled weight decay (AdamW), ε 1e-5, betas 0.8/0.99", opts: { lr: 0.01, weightDecay: 0.1, decoupled: true, eps: 1e-5, beta1: 0.8, beta2: 0.99 } },
  ];
  for (const { label, opts } of cases) {
    it(`Adam, ${label}: 8 steps with the same gradients and an lr change after 4 give createAdam's parameters (within 1e-6)`, () => {
      const rng = createRng(12);
      const shapes = [[5, 3], [3], [7]];
      const start = shapes.map((s) => randn(rng, s.reduce((a, b) => a * b, 1)));
      const ours = start.map((p) => Float32Array.from(p));
      const vars = start.map((p, i) => tf.variable(tf.tensor(p, shapes[i])));
      const adam = createTypedAdam(opts), ref = createAdam(opts);
      for (let step = 0; step < 8; step++) {
        if (step === 4) adam.lr = ref.lr = opts.lr / 10;
        const grads = start.map((p) => randn(rng, p.length, step % 2 ? 0.01 : 1));
        adam.apply(ours, grads);
        tf.tidy(() => ref.apply(vars, grads.map((g, i) => tf.tensor(g, shapes[i]))));
      }
      expect(adam.steps).toBe(8);
      vars.forEach((v, i) => {
        const theirs = v.dataSync();
        let diff = 0;
        for (let j = 0; j < theirs.length; j++) diff = Math.max(diff, Math.abs(ours[i][j] - theirs[j]));
        expect(diff).toBeLessThan(1e-6);
        expect(relErr(ours[i], start[i])).toBeGreaterThan(1e-3); // it moved
      });
      ref.dispose();
      tf.dispose(vars);
    });
  }

  it("Adam rejects bad settings and mismatched arrays, naming them; reset forgets the moments", () => {
    expect(() => createTypedAdam({ lr: 0 })).toThrow(/lr must be > 0/);
    expect(() => createTypedAdam({ lr: 1, beta2: 1 })).toThrow(/betas/);
    const adam = createTypedAdam({ lr: 0.1 });
    expect(() => adam.apply([new Float32Array(2)], [])).toThrow(/1 parameters but 0 gradients/);
    expect(() => adam.apply([new Float32Array(2)], [new Float32Array(3)])).toThrow(/parameter 0 has 2 values but its gradient 3/);
    const p = Float32Array.of(1);
    adam.apply([p], [Float32Array.of(5)]);
    expect(p[0]).toBeCloseTo(0.9, 6); // Adam's first step moves by lr
    adam.reset();
    expect(adam.steps).toBe(0);
    adam.apply([p], [Float32Array.of(-0.001)]);
    expect(p[0]).toBeCloseTo(1.0, 5);
  });
});

describe("PPO losses and their gradients equal tfjs autograd", () => {
  it("policy: clipped surrogate (ratios inside and outside the clip range) and entropy, with and without a mask", () => {
    const rng = createRng(21);
    const rows = 40, n = 4;
    for (const masked of [false, true]) {
      const logits = randn(rng, rows * n);
      const actions = Int32Array.from({ length: rows }, () => rng.int(n));
      const mask = masked ? Float32Array.from({ length: rows * n }, (_, i) => (i % n === actions[Math.floor(i / n)] || rng.next() < 0.6 ? 1 : 0)) : undefined;
      const oldLogProbs = Float32Array.from({ length: rows }, (_, t) => {
        let max = -Infinity, total = 0;
        for (let k = 0; k < n; k++) if (!mask || mask[t * n + k]) max = Math.max(max, logits[t * n + k]);
        for (let k = 0; k < n; k++) if (!mask || mask[t * n + k]) total += Math.exp(logits[t * n + k] - max);
        return logits[t * n + actions[t]] - max - Math.log(total) + rng.normal(0, 0.4);
      });
      const advantages = randn(rng, rows);
      const dLogits = new Float32Array(rows * n);
      const opts = { clipCoef: 0.2, clipHigh: 0.28, entropyCoef: 0.05, scale: 0.5 };
      const got = ppoPolicyLoss(logits, rows, n, { actions, oldLogProbs, advantages, mask }, opts, dLogits);
      const ref = tf.tidy(() => {
        const z = tf.tensor2d(logits, [rows, n]);
        const m = mask ? tf.tensor2d(mask, [rows, n]) : undefined;
        const parts = (zz: tf.Tensor2D) => {
          const logp = logSoftmax(zz, m);
          const s = clippedSurrogate(pickLogProb(logp, tf.tensor1d(actions, "int32")), tf.tensor1d(oldLogProbs), tf.tensor1d(advantages), 0.2, 0.28);
          return { s, entropy: tf.mean(entropyOfLogProbs(logp)) };
        };
        const lossOf = (zz: tf.Tensor) => {
          const { s, entropy } = parts(zz as tf.Tensor2D);
          return tf.mul(0.5, tf.sub(tf.mean(s.loss), tf.mul(0.05, entropy))) as tf.Scalar;
        };
        const { s, entropy } = parts(z);
        return {
          grad: tf.grad(lossOf)(z).dataSync(),
          loss: lossOf(z).dataSync()[0],
          entropy: entropy.dataSync()[0],
          clipFrac: tf.mean(s.clipped).dataSync()[0],
          approxKl: tf.mean(s.approxKl).dataSync()[0],
        };
      });
      expect(ref.clipFrac).toBeGreaterThan(0.1); // both branches of the clip are exercised
      expect(ref.clipFrac).toBeLessThan(0.9);
      expect(relErr(dLogits, ref.grad)).toBeLessThan(1e-5);
      expect(got.loss).toBeCloseTo(ref.loss, 5);
      expect(got.entropy).toBeCloseTo(ref.entropy, 5);
      expect(got.clipFrac).toBeCloseTo(ref.clipFrac, 6);
      expect(got.approxKl).toBeCloseTo(ref.approxKl, 5);
      if (mask) for (let i = 0; i < mask.length; i++) if (!mask[i]) expect(dLogits[i]).toBe(0);
    }
    expect(() => ppoPolicyLoss(new Float32Array(4), 2, 2, { actions: [0, 2], oldLogProbs: [0, 0], advantages: [0, 0] }, { clipCoef: 0.2 }, new Float32Array(4))).toThrow(/action 2 at row 1/);
  });

  it("value: plain and clipped squared error", () => {
    const rng = createRng(22);
    const rows = 50;
    const values = randn(rng, rows), returns = randn(rng, rows), oldValues = Float32Array.from(values, (v) => v + rng.normal(0, 0.4));
    for (const clip of [0, 0.2]) {
      const dValues = new Float32Array(rows);
      const loss = ppoValueLoss(values, rows, { returns, oldValues }, { clipCoef: clip, coef: 0.5 }, dValues);
      const ref = tf.tidy(() => {
        const R = tf.tensor1d(returns), old = tf.tensor1d(oldValues);
        const lossOf = (v: tf.Tensor) => {
          const unclipped = tf.square(tf.sub(v, R));
          if (clip === 0) return tf.mul(0.5, tf.mean(unclipped)) as tf.Scalar;
          const vc = tf.add(old, tf.clipByValue(tf.sub(v, old), -clip, clip));
          return tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(vc, R))))) as tf.Scalar;
        };
        const v = tf.tensor1d(values);
        return { loss: lossOf(v).dataSync()[0], grad: tf.grad(lossOf)(v).dataSync() };
      });
      expect(loss).toBeCloseTo(ref.loss, 5);
      expect(relErr(dValues, Float32Array.from(ref.grad, (g) => 0.5 * g))).toBeLessThan(1e-5);
      if (clip > 0) expect(dValues.some((d) => d === 0)).toBe(true); // some steps were clipped away
    }
    expect(() => ppoValueLoss(values, rows, { returns }, { clipCoef: 0.2 }, new Float32Array(rows))).toThrow(/needs oldValues/);
  });

  it("a whole PPO minibatch step (both nets, clip, Adam) leaves the same weights as the tfjs step, 5 steps (within 1e-6)", () => {
    for (const [obs, actions] of [[4, 2], [8, 4]]) {
      const pair = createPpoStepPair(obs, actions, 64, 3);
      for (let i = 0; i < 5; i++) expect(pair.typedStep()).toBeCloseTo(pair.tfjsStep(), 5);
      const a = pair.typedWeights(), b = pair.tfjsWeights(), start = createPpoStepPair(obs, actions, 64, 3);
      const w0 = start.typedWeights();
      for (const k of Object.keys(b)) {
        let diff = 0, moved = 0;
        for (let i = 0; i < b[k].data.length; i++) {
          diff = Math.max(diff, Math.abs(a[k].data[i] - b[k].data[i]));
          moved = Math.max(moved, Math.abs(b[k].data[i] - w0[k].data[i]));
        }
        expect(diff, k).toBeLessThan(1e-6);
        expect(moved, k).toBeGreaterThan(5e-4); // 5 steps of lr 2.5e-4 moved every tensor
      }
      pair.dispose();
      start.dispose();
    }
  });
});

describe("training", () => {
  it("fits a small regression (sanity check: the loss falls by 50× or more)", () => {
    const rng = createRng(30);
    const net = initMlpTrainer("f", { inputSize: 2, hiddenSizes: [32, 32], outputSize: 1, activation: "tanh" }, rng);
    const adam = createTypedAdam({ lr: 3e-3 });
    const rows = 64, x = new Float32Array(rows * 2), y = new Float32Array(rows), d = new Float32Array(rows);
    const target = (a: number, b: number) => Math.sin(2 * a) * Math.cos(b);
    const loss = () => {
      const probe = createRng(99);
      let s = 0;
      for (let i = 0; i < 256; i++) {
        const a = probe.uniform(-1.5, 1.5), b = probe.uniform(-1.5, 1.5);
        s += (net.infer([a, b], 1)[0] - target(a, b)) ** 2;
      }
      return s / 256;
    };
    const before = loss();
    for (let step = 0; step < 1500; step++) {
      for (let r = 0; r < rows; r++) {
        x[2 * r] = rng.uniform(-1.5, 1.5);
        x[2 * r + 1] = rng.uniform(-1.5, 1.5);
        y[r] = target(x[2 * r], x[2 * r + 1]);
      }
      const out = net.forward(x, rows);
      for (let r = 0; r < rows; r++) d[r] = (2 * (out[r] - y[r])) / rows;
      net.backward(d);
      clipGradNorm(net.grads, 1);
      adam.apply(net.params, net.grads);
    }
    const after = loss();
    expect(after).toBeLessThan(before / 50);
  });
});
