import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { randn, relErr } from "./max-diff";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../lib/nn/categorical";
import { createFastMlp } from "../lib/nn/mlp/fast-forward";
import { createMlp, mlpWeights, type Activation, type Mlp, type MlpSpec } from "../lib/nn/mlp/mlp";
import { clipGradNorm, createTypedAdam } from "../lib/nn/optim";
import { copyMlpToTrainer, copyTrainerToFastMlp, copyTrainerToMlp, createMlpTrainer, initMlpTrainer, mlpTrainerFrom } from "../lib/nn/mlp/trainer";
import { tanh } from "../lib/nn/mlp/gemm";

beforeAll(async () => { await initBackend({ quiet: true }); });


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
