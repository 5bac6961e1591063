import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { initBackend } from "../lib/nn/backend";
import { clipByGlobalNorm, createAdam, minimize } from "../lib/nn/optim";

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
