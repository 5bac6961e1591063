import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { maxDiff as maxAbs, randn, relErr } from "./max-diff";
import { initBackend } from "../lib/nn/backend";
import { createRng } from "../lib/core/rng";
import { clipByGlobalNorm, clipGradNorm, createAdam, createTypedAdam, globalGradNorm, minimize } from "../lib/nn/optim";

/**
 * lib/nn/optim: Adam and global-norm clipping on tfjs tensors (checked against the update rule by
 * hand and against tf.train.adam), and the typed-array form of both checked equal to it.
 */
beforeAll(async () => { await initBackend({ quiet: true }); });


describe("Adam", () => {
  it("two steps match the update rule worked by hand", () => {
    // θ0 = 1, g = 2θ (loss θ²), lr 0.1, β1 0.9, β2 0.999, ε 1e-8
    // step 1: g = 2; m = 0.2, v = 0.004; m̂ = 2, v̂ = 4; θ1 = 1 − 0.1·2/(2 + 1e-8) = 0.9
    // step 2: g = 1.8; m = 0.18 + 0.18 = 0.36, v = 0.003996 + 0.00324 = 0.007236
    //         m̂ = 0.36/0.19, v̂ = 0.007236/0.001999; θ2 = 0.9 − 0.1·m̂/(√v̂ + 1e-8)
    const theta = tf.variable(tf.scalar(1));
    const adam = createAdam({ lr: 0.1 });
    const step = () => tf.tidy(() => minimize(() => tf.square(theta) as tf.Scalar, [theta], adam, 0));
    step();
    expect(theta.dataSync()[0]).toBeCloseTo(0.9, 6);
    step();
    const mHat = 0.36 / 0.19, vHat = 0.007236 / (1 - 0.999 ** 2);
    expect(theta.dataSync()[0]).toBeCloseTo(0.9 - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8), 5);
    expect(adam.steps).toBe(2);
    adam.dispose();
    theta.dispose();
  });

  it("agrees with tf.train.adam given the same ε, over many steps of a small regression", () => {
    const w0 = [[0.3, -0.2], [0.1, 0.4]];
    const x = tf.tensor2d([[1, 2], [3, -1], [0.5, 0.5]]), y = tf.tensor2d([[1, 0], [0, 1], [1, 1]]);
    const ours = tf.variable(tf.tensor2d(w0)), theirs = tf.variable(tf.tensor2d(w0));
    const adam = createAdam({ lr: 0.05, eps: 1e-7 }), ref = tf.train.adam(0.05, 0.9, 0.999, 1e-7);
    const loss = (w: tf.Variable) => () => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as tf.Scalar;
    for (let i = 0; i < 50; i++) {
      tf.tidy(() => void minimize(loss(ours), [ours], adam, 0));
      ref.minimize(loss(theirs), false, [theirs]);
    }
    const a = ours.dataSync(), b = theirs.dataSync();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5);
    expect(Math.abs(a[0] - w0[0][0])).toBeGreaterThan(0.1); // it moved
    adam.dispose(); ref.dispose();
  });

  it("the learning rate can change between steps (annealing)", () => {
    const a = tf.variable(tf.scalar(1)), b = tf.variable(tf.scalar(1));
    const fast = createAdam({ lr: 0.1 }), slow = createAdam({ lr: 0.1 });
    slow.lr = 0.01;
    tf.tidy(() => void minimize(() => tf.square(a) as tf.Scalar, [a], fast, 0));
    tf.tidy(() => void minimize(() => tf.square(b) as tf.Scalar, [b], slow, 0));
    expect(1 - a.dataSync()[0]).toBeCloseTo(0.1, 5); // Adam's first step moves by lr
    expect(1 - b.dataSync()[0]).toBeCloseTo(0.01, 5);
  });

  it("weight decay: L2 (added to the gradient) and decoupled (AdamW) differ as they should", () => {
    // zero loss gradient: only decay acts. L2: g = λθ = 0.5, Adam's first step moves by lr whatever g's size;
    // AdamW: θ ← θ − lr·λ·θ = 1 − 0.1·0.5 = 0.95 (the Adam part is 0 with g = 0)
    const l2 = tf.variable(tf.scalar(1)), w = tf.variable(tf.scalar(1));
    const zeroLoss = (v: tf.Variable) => () => tf.mul(0, v).sum() as tf.Scalar;
    tf.tidy(() => void minimize(zeroLoss(l2), [l2], createAdam({ lr: 0.1, weightDecay: 0.5 }), 0));
    tf.tidy(() => void minimize(zeroLoss(w), [w], createAdam({ lr: 0.1, weightDecay: 0.5, decoupled: true }), 0));
    expect(l2.dataSync()[0]).toBeCloseTo(0.9, 5);
    expect(w.dataSync()[0]).toBeCloseTo(0.95, 5);
  });

  it("does not leak tensors: moments are made once, every step tidies", () => {
    const v = tf.variable(tf.ones([3, 3]));
    const adam = createAdam({ lr: 0.01 });
    const step = () => tf.tidy(() => void minimize(() => tf.sum(tf.square(v)) as tf.Scalar, [v], adam, 1));
    step();
    const after1 = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(tf.memory().numTensors).toBe(after1);
    adam.dispose();
    expect(tf.memory().numTensors).toBe(after1 - 2);
  });

  it("decay \"matrices\": nanoGPT's groups — weights of rank ≥ 2 decay, biases and LayerNorm vectors do not", () => {
    for (const decoupled of [true, false]) {
      const w = tf.variable(tf.tensor2d([[1, 2], [3, 4]])), b = tf.variable(tf.tensor1d([1, 2]));
      const wAll = tf.variable(tf.tensor2d([[1, 2], [3, 4]])), bAll = tf.variable(tf.tensor1d([1, 2]));
      const groups = createAdam({ lr: 0.1, weightDecay: 0.5, decoupled, decay: "matrices" });
      const all = createAdam({ lr: 0.1, weightDecay: 0.5, decoupled });
      tf.tidy(() => {
        groups.apply([w, b], [tf.zerosLike(w), tf.zerosLike(b)]);
        all.apply([wAll, bAll], [tf.zerosLike(wAll), tf.zerosLike(bAll)]);
      });
      expect(Array.from(b.dataSync())).toEqual([1, 2]); // no gradient, no decay: untouched
      expect(Array.from(bAll.dataSync())).not.toEqual([1, 2]);
      expect(maxAbs(w.dataSync(), wAll.dataSync())).toBe(0); // the matrix decays as under "all"
      expect(w.dataSync()[0]).toBeLessThan(1);
      tf.dispose([w, b, wAll, bAll]);
      groups.dispose();
      all.dispose();
    }
    expect(() => createAdam({ lr: 1, decay: "biases" as never })).toThrow(/decay must be "all" or "matrices"/);
    expect(() => createTypedAdam({ lr: 1, decay: "matrices" })).toThrow(/flat arrays carry no rank/);
  });

  it("rejects bad settings, naming them", () => {
    expect(() => createAdam({ lr: 0 })).toThrow(/lr must be > 0/);
    expect(() => createAdam({ lr: 1, beta1: 1 })).toThrow(/betas/);
  });
});

describe("global-norm clipping", () => {
  it("scales to the max norm, keeps the direction, returns the norm before", () => {
    tf.tidy(() => {
      const { grads, norm } = clipByGlobalNorm([tf.tensor1d([3]), tf.tensor2d([[0, 4]])], 1); // global norm 5
      expect(norm.dataSync()[0]).toBeCloseTo(5, 5);
      expect(grads[0].dataSync()[0]).toBeCloseTo(0.6, 5);
      expect(Array.from(grads[1].dataSync())).toEqual([0, expect.closeTo(0.8, 5)]);
      const small = clipByGlobalNorm([tf.tensor1d([0.3, 0.4])], 1); // norm 0.5: under the max, untouched
      expect(Array.from(small.grads[0].dataSync())).toEqual([expect.closeTo(0.3, 6), expect.closeTo(0.4, 6)]);
      const off = clipByGlobalNorm([tf.tensor1d([30, 40])], 0); // maxNorm 0: no clipping
      expect(off.norm.dataSync()[0]).toBeCloseTo(50, 4);
      expect(Array.from(off.grads[0].dataSync())).toEqual([30, 40]);
    });
  });

  it("minimize reports the norm before clipping and steps with the clipped gradient", () => {
    const v = tf.variable(tf.tensor1d([3, 4]));
    const sgdLike = createAdam({ lr: 0.1 });
    const norm = tf.tidy(() => minimize(() => tf.sum(tf.mul(v, tf.tensor1d([3, 4]))) as tf.Scalar, [v], sgdLike, 1).gradNorm.dataSync()[0]);
    expect(norm).toBeCloseTo(5, 5);
  });
});

describe("the typed-array form equals the tfjs form", () => {
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
