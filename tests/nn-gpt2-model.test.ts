import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./max-diff";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, gpt2ParamCount, lmLoss, GPT2_124M, GPT2_TINY, type Gpt2 } from "../lib/nn/gpt2";
import { batchMatMul, linear, swapLastTwo, tiedHead } from "../lib/nn/gpt2/kernels";

const CONFIG = { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 24, vocabSize: 97, dropout: 0.1 };
let model: Gpt2;

beforeAll(async () => {
  await initBackend({ quiet: true });
  model = createGpt2(CONFIG, createRng(1));
});
afterAll(() => model?.dispose());

/** logits[b, t, :] of a [B, T, V] tensor as plain arrays. */
function rowsOf(logits: tf.Tensor3D): Float32Array[][] {
  const [B, T, V] = logits.shape;
  const data = logits.dataSync() as Float32Array;
  return Array.from({ length: B }, (_, b) => Array.from({ length: T }, (__, t) => data.slice((b * T + t) * V, (b * T + t + 1) * V)));
}

function logSoftmax(row: Float32Array): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0));
  return Array.from(row, (x) => x - lse);
}

describe("GPT-2 model", () => {
  it("has Hugging Face's parameter names and shapes, and the configs' parameter counts", () => {
    const names = Object.keys(model.params);
    expect(names.slice(0, 6)).toEqual(["wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight", "h.0.attn.c_attn.bias"]);
    expect(names).toContain("h.1.mlp.c_proj.weight");
    expect(names.slice(-2)).toEqual(["ln_f.weight", "ln_f.bias"]);
    expect(model.params["h.0.attn.c_attn.weight"].shape).toEqual([32, 96]);
    expect(model.params["h.0.mlp.c_fc.weight"].shape).toEqual([32, 128]);
    expect(model.params["h.0.mlp.c_proj.weight"].shape).toEqual([128, 32]);
    const total = Object.values(model.params).reduce((s, v) => s + v.size, 0);
    expect(total).toBe(gpt2ParamCount(model.config));
    expect(gpt2ParamCount(GPT2_124M)).toBe(124_439_808); // Hugging Face's gpt2: 124,439,808
    expect(gpt2ParamCount(GPT2_TINY)).toBeLessThan(8e6);
  });

  it("is initialised from our Rng: same seed, same weights; std 0.02, residual projections scaled by 1/√(2·nLayer)", () => {
    const again = createGpt2(CONFIG, createRng(1)), other = createGpt2(CONFIG, createRng(2));
    expect(maxDiff(again.params["h.1.attn.c_attn.weight"].dataSync(), model.params["h.1.attn.c_attn.weight"].dataSync())).toBe(0);
    expect(maxDiff(other.params["h.1.attn.c_attn.weight"].dataSync(), model.params["h.1.attn.c_attn.weight"].dataSync())).toBeGreaterThan(0);
    const std = (v: tf.Variable) => tf.tidy(() => Math.sqrt(tf.moments(v).variance.dataSync()[0]));
    const big = createGpt2({ ...CONFIG, nEmbd: 128, nHead: 4 }, createRng(3));
    expect(std(big.params["h.0.mlp.c_fc.weight"])).toBeCloseTo(0.02, 3);
    expect(std(big.params["h.0.mlp.c_proj.weight"])).toBeCloseTo(0.02 / Math.sqrt(4), 3);
    expect(Array.from(big.params["h.0.ln_1.weight"].dataSync()).every((x) => x === 1)).toBe(true);
    expect(Array.from(big.params["h.0.attn.c_attn.bias"].dataSync()).every((x) => x === 0)).toBe(true);
    for (const m of [again, other, big]) m.dispose();
  });

  it("forward gives logits [batch, seq, vocab]", () => {
    const logits = model.forward([[1, 2, 3], [4, 5, 6]]);
    expect(logits.shape).toEqual([2, 3, 97]);
    expect(Array.from(logits.dataSync()).every(Number.isFinite)).toBe(true);
    logits.dispose();
  });

  it("is causal: changing a later token leaves every earlier position's logits unchanged", () => {
    const a = [5, 17, 3, 88, 42, 9, 60], b = [...a];
    b[4] = 11;
    const la = model.forward([a]), lb = model.forward([b]);
    const ra = rowsOf(la)[0], rb = rowsOf(lb)[0];
    for (let t = 0; t < 4; t++) expect(maxDiff(ra[t], rb[t])).toBeLessThan(1e-6);
    for (let t = 4; t < 7; t++) expect(maxDiff(ra[t], rb[t])).toBeGreaterThan(1e-4);
    tf.dispose([la, lb]);
  });

  it("left padding is invisible: a short row batched with a long one gives its unpadded logits", () => {
    const short = [7, 8, 9], long = [1, 2, 3, 4, 5, 6];
    const alone = model.forward([short]), together = model.forward([long, short]);
    expect(together.shape).toEqual([2, 6, 97]);
    const ra = rowsOf(alone)[0], rt = rowsOf(together)[1];
    for (let t = 0; t < 3; t++) expect(maxDiff(ra[t], rt[3 + t])).toBeLessThan(1e-5);
    const longAlone = model.forward([long]);
    expect(maxDiff(rowsOf(longAlone)[0].flatMap((r) => Array.from(r)), rowsOf(together)[0].flatMap((r) => Array.from(r)))).toBeLessThan(1e-5);
    tf.dispose([alone, together, longAlone]);
  });

  it("apply takes an attention mask and position ids as tensors (right padding too)", () => {
    const ids = tf.tensor2d([[4, 5, 6, 0, 0]], undefined, "int32");
    const padded = model.apply(ids, { attentionMask: [[1, 1, 1, 0, 0]] });
    const plain = model.forward([[4, 5, 6]]);
    const rp = rowsOf(padded)[0], rq = rowsOf(plain)[0];
    for (let t = 0; t < 3; t++) expect(maxDiff(rp[t], rq[t])).toBeLessThan(1e-5);
    const shifted = model.apply(tf.tensor2d([[4, 5, 6]], undefined, "int32"), { positionIds: [[1, 2, 3]] });
    expect(maxDiff(rowsOf(shifted)[0][0], rq[0])).toBeGreaterThan(1e-4);
    tf.dispose([ids, padded, plain, shifted]);
  });

  it("logProbs equal the log-softmax picked from the full forward, per row; padding is 0 and ignored", () => {
    const prompts = [[3, 4, 5, 6], [7], [8, 9]];
    const completions = [[10, 11], [12, 13, 14, 15], []];
    const lp = model.logProbs(prompts, completions);
    expect(lp.shape).toEqual([3, 4]);
    const got = lp.arraySync();
    prompts.forEach((p, b) => {
      const c = completions[b];
      const logits = model.forward([[...p, ...c]]);
      const rows = rowsOf(logits)[0];
      for (let j = 0; j < 4; j++) {
        if (j < c.length) expect(got[b][j]).toBeCloseTo(logSoftmax(rows[p.length - 1 + j])[c[j]], 4);
        else expect(Math.abs(got[b][j])).toBe(0);
      }
      logits.dispose();
    });
    // a row's log-probs do not depend on what else is in the batch
    const alone = model.logProbs([prompts[1]], [completions[1]]);
    expect(maxDiff(alone.dataSync(), got[1])).toBeLessThan(1e-5);
    // temperature divides the logits
    const hot = model.logProbs([prompts[0]], [completions[0]], { temperature: 2 });
    const rows0 = rowsOf(model.forward([[...prompts[0], ...completions[0]]]))[0];
    expect(hot.dataSync()[0]).toBeCloseTo(logSoftmax(rows0[3].map((x) => x / 2))[10], 4);
    tf.dispose([lp, alone, hot]);
  });

  it("logProbs are differentiable, and padding adds nothing to the gradient", () => {
    const params = Object.values(model.params);
    const gradOf = (prompts: number[][], completions: number[][]) => {
      const { value, grads } = tf.variableGrads(() => tf.sum(model.logProbs(prompts, completions)) as tf.Scalar, params);
      const out = params.map((p) => Array.from(grads[p.name].dataSync()));
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    // rows padded to a common shape (prompt [3] left-padded, completion [6] right-padded) give the
    // sum of the gradients each row gives alone
    const both = gradOf([[1, 2], [3]], [[4, 5], [6]]);
    const first = gradOf([[1, 2]], [[4, 5]]), second = gradOf([[3]], [[6]]);
    expect(both[0].some((x) => x !== 0)).toBe(true);
    for (let i = 0; i < params.length; i++) expect(maxDiff(both[i], first[i].map((x, j) => x + second[i][j]))).toBeLessThan(1e-5);
  });

  it("training mode applies dropout reproducibly from the seed; eval mode is deterministic", () => {
    const ids = tf.tensor2d([[1, 2, 3, 4]], undefined, "int32");
    const a = model.apply(ids, { training: true, dropoutSeed: 5 }), b = model.apply(ids, { training: true, dropoutSeed: 5 });
    const c = model.apply(ids, { training: true, dropoutSeed: 6 }), d = model.apply(ids);
    expect(maxDiff(a.dataSync(), b.dataSync())).toBe(0);
    expect(maxDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(1e-4);
    expect(maxDiff(a.dataSync(), d.dataSync())).toBeGreaterThan(1e-4);
    tf.dispose([ids, a, b, c, d]);
  });

  it("lmLoss starts near ln(vocab) and a few train steps on one batch lower it", async () => {
    const { createAdam, minimize } = await import("../lib/nn/optim");
    const m = createGpt2({ ...CONFIG, dropout: 0 }, createRng(4));
    const batch = [[1, 2, 3, 4, 5, 6, 7, 8], [8, 7, 6, 5, 4, 3, 2, 1]];
    const first = lmLoss(m, batch);
    expect(first.dataSync()[0]).toBeGreaterThan(Math.log(97) - 0.3);
    expect(first.dataSync()[0]).toBeLessThan(Math.log(97) + 0.3);
    const adam = createAdam({ lr: 3e-3 });
    let last = Infinity;
    const params = Object.values(m.params);
    for (let i = 0; i < 15; i++) last = tf.tidy(() => minimize(() => lmLoss(m, batch, { training: true }), params, adam, 1).loss.dataSync()[0]);
    expect(last).toBeLessThan(first.dataSync()[0] - 1);
    first.dispose();
    adam.dispose();
    m.dispose();
  });

  it("does not leak tensors over many forward/backward steps", () => {
    const params = Object.values(model.params);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.add(lmLoss(model, [[1, 2, 3, 4, 5]], { training: true, dropoutSeed: 1 }), tf.neg(tf.sum(model.logProbs([[1], [2, 3]], [[4, 5], [6]])))) as tf.Scalar, params);
      tf.dispose([value, ...Object.values(grads)]);
      tf.tidy(() => void model.forward([[1, 2], [3]]).dataSync());
    };
    step();
    const before = tf.memory();
    for (let i = 0; i < 10; i++) step();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });
});

describe("GPT-2 kernels (wasm fast paths) match tfjs's own ops, values and gradients", () => {
  const rng = createRng(9);
  const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

  it("batchMatMul with every transpose combination, batched and shared operands", () => {
    for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      for (const [na, nb, M] of [[3, 3, 16], [3, 1, 16], [1, 3, 16], [4, 4, 2]]) {
        const K = 5, N = 12;
        const a = rand(tA ? [na, K, M] : [na, M, K]) as tf.Tensor3D, b = rand(tB ? [nb, N, K] : [nb, K, N]) as tf.Tensor3D;
        // tfjs's own BatchMatMul gradient does not sum over a broadcast batch: the reference tiles shared operands
        const n = Math.max(na, nb);
        const full = (t: tf.Tensor) => (t.shape[0] === n ? t : tf.tile(t, [n, 1, 1])) as tf.Tensor3D;
        const ours = batchMatMul(a, b, tA, tB), ref = tf.matMul(full(a), full(b), tA, tB);
        expect(ours.shape).toEqual(ref.shape);
        expect(maxDiff(ours.dataSync(), ref.dataSync())).toBeLessThan(1e-4);
        const w = rand(ref.shape);
        const g1 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(batchMatMul(x as tf.Tensor3D, y as tf.Tensor3D, tA, tB), w)))([a, b]);
        const g2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(full(x), full(y), tA, tB), w)))([a, b]);
        expect(maxDiff(g1[0].dataSync(), g2[0].dataSync())).toBeLessThan(1e-4);
        expect(maxDiff(g1[1].dataSync(), g2[1].dataSync())).toBeLessThan(1e-4);
        tf.dispose([a, b, ours, ref, w, ...g1, ...g2]);
      }
    }
  });

  it("swapLastTwo, linear (both gradient orientations) and the tied head", () => {
    const x = rand([3, 37, 45]);
    const s = swapLastTwo(x), ref = tf.transpose(x, [0, 2, 1]);
    expect(maxDiff(s.dataSync(), ref.dataSync())).toBe(0);
    tf.dispose([x, s, ref]);
    for (const [n, k, m] of [[9, 6, 4], [2, 16, 24]]) {
      const a = rand([n, k]) as tf.Tensor2D, w = rand([k, m]) as tf.Tensor2D, b = rand([m]) as tf.Tensor1D, dy = rand([n, m]);
      const g1 = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(linear(p as tf.Tensor2D, q as tf.Tensor2D, r as tf.Tensor1D), dy)))([a, w, b]);
      const g2 = tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) => tf.sum(tf.mul(tf.add(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D), r), dy)))([a, w, b]);
      for (let i = 0; i < 3; i++) expect(maxDiff(g1[i].dataSync(), g2[i].dataSync())).toBeLessThan(1e-4);
      tf.dispose([a, w, b, dy, ...g1, ...g2]);
    }
    const h = rand([5, 8]) as tf.Tensor2D, wte = rand([30, 8]) as tf.Tensor2D, dy = rand([5, 30]);
    expect(maxDiff(tiedHead(h, wte).dataSync(), tf.matMul(h, wte, false, true).dataSync())).toBeLessThan(1e-5);
    const g1 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tiedHead(p as tf.Tensor2D, q as tf.Tensor2D), dy)))([h, wte]);
    const g2 = tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.mul(tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, false, true), dy)))([h, wte]);
    for (let i = 0; i < 2; i++) expect(maxDiff(g1[i].dataSync(), g2[i].dataSync())).toBeLessThan(1e-4);
  });

  it("tokenLogProbs: log-softmax picked, its gradient onehot − softmax, no underflow far from the max", () => {
    const { tokenLogProbs } = require("../lib/nn/gpt2/model") as typeof import("../lib/nn/gpt2/model");
    const logits = tf.tensor2d([[0, 1, 2, 3], [100, 0, -50, 1]]), targets = tf.tensor1d([1, 2], "int32");
    const lp = tokenLogProbs(logits, targets).arraySync() as number[];
    const lse0 = Math.log(1 + Math.E + Math.E ** 2 + Math.E ** 3);
    expect(lp[0]).toBeCloseTo(1 - lse0, 5);
    expect(lp[1]).toBeCloseTo(-150, 3); // softmax would underflow to 0 there
    const g = tf.grad((l: tf.Tensor) => tf.sum(tokenLogProbs(l as tf.Tensor2D, targets)))(logits).arraySync() as number[][];
    const ref = tf.grad((l: tf.Tensor) => tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(targets, 4))))(logits).arraySync() as number[][];
    expect(maxDiff(g.flat(), ref.flat())).toBeLessThan(1e-5);
  });
});
