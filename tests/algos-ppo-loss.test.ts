/**
 * PPO's loss has one equation (lib/algos/ppo-loss.ts) in two forms: `ppoLoss` on tfjs tensors (the
 * taught form; autograd differentiates it) and the typed engine's `ppoPolicyLoss`/`ppoValueLoss`
 * with hand-written gradients. Here the typed form is held to the taught one: the same values, and
 * its gradients equal autograd's of `ppoLoss`; then one real minibatch step of each engine
 * (lib/algos/ppo-nets) leaves the same weights.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { randn, relErr } from "./max-diff";
import { createPpoNets, syntheticPpoMinibatch, type PpoEngine } from "../lib/algos/ppo-nets";
import { ppoLoss, ppoPolicyLoss, ppoValueLoss } from "../lib/algos/ppo-loss";
import { createRng, type Rng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { logProbOfAction } from "../lib/nn/categorical";

beforeAll(async () => { await initBackend({ quiet: true }); });


/** ppoLoss and autograd's gradients of its total with respect to the logits and the values. */
function taught(logits: Float32Array, values: Float32Array, rows: number, n: number, b: { actions: Int32Array; oldLogp: Float32Array; adv: Float32Array; ret: Float32Array; oldV: Float32Array; mask?: Float32Array }, config: { clipCoef: number; clipVloss: boolean; entCoef: number; vfCoef: number }) {
  return tf.tidy(() => {
    const batch = {
      actions: tf.tensor1d(b.actions, "int32"), oldLogp: tf.tensor1d(b.oldLogp), adv: tf.tensor1d(b.adv), ret: tf.tensor1d(b.ret), oldV: tf.tensor1d(b.oldV),
      mask: b.mask ? tf.tensor2d(b.mask, [rows, n]) : undefined,
    };
    const z = tf.tensor2d(logits, [rows, n]), v = tf.tensor1d(values);
    const terms = ppoLoss(z, v, batch, config);
    const [dz, dv] = tf.grads((zz: tf.Tensor, vv: tf.Tensor) => ppoLoss(zz as tf.Tensor2D, vv as tf.Tensor1D, batch, config).loss)([z, v]);
    const read = (t: tf.Tensor) => t.dataSync()[0];
    return {
      loss: read(terms.loss), policyLoss: read(terms.policyLoss), valueLoss: read(terms.valueLoss), entropy: read(terms.entropy),
      approxKl: read(terms.approxKl), clipFrac: read(terms.clipFrac), dLogits: Float32Array.from(dz.dataSync()), dValues: Float32Array.from(dv.dataSync()),
    };
  });
}

/** A minibatch whose old log-probs sit near the logits' own, so ratios fall inside and outside the clip range. */
function batchOf(rng: Rng, rows: number, n: number, masked: boolean) {
  const logits = randn(rng, rows * n), values = randn(rng, rows);
  const actions = Int32Array.from({ length: rows }, () => rng.int(n));
  const mask = masked ? Float32Array.from({ length: rows * n }, (_, i) => (i % n === actions[Math.floor(i / n)] || rng.next() < 0.6 ? 1 : 0)) : undefined;
  const mask8 = mask ? Uint8Array.from(mask) : undefined;
  const oldLogp = Float32Array.from({ length: rows }, (_, t) => logProbOfAction(logits, t, n, actions[t], mask8) + rng.normal(0, 0.4));
  const oldV = Float32Array.from(values, (v) => v + rng.normal(0, 0.4));
  return { logits, values, actions, mask, oldLogp, oldV, adv: randn(rng, rows), ret: randn(rng, rows) };
}

describe("the typed PPO loss is the taught ppoLoss", () => {
  it("policy: the clipped surrogate and entropy, values and dL/dlogits equal ppoLoss's under autograd, with and without a mask", () => {
    const rng = createRng(21);
    const rows = 40, n = 4;
    for (const masked of [false, true]) {
      const b = batchOf(rng, rows, n, masked);
      const config = { clipCoef: 0.2, clipVloss: false, entCoef: 0.05, vfCoef: 0 };
      const ref = taught(b.logits, b.values, rows, n, b, config);
      const dLogits = new Float32Array(rows * n);
      const got = ppoPolicyLoss(b.logits, rows, n, { actions: b.actions, oldLogProbs: b.oldLogp, advantages: b.adv, mask: b.mask }, { clipCoef: 0.2, entCoef: 0.05 }, dLogits);
      expect(ref.clipFrac).toBeGreaterThan(0.1); // both branches of the clip are exercised
      expect(ref.clipFrac).toBeLessThan(0.9);
      expect(got.loss).toBeCloseTo(ref.loss, 5);
      expect(got.policyLoss).toBeCloseTo(ref.policyLoss, 5);
      expect(got.entropy).toBeCloseTo(ref.entropy, 5);
      expect(got.clipFrac).toBeCloseTo(ref.clipFrac, 6);
      expect(got.approxKl).toBeCloseTo(ref.approxKl, 5);
      expect(relErr(dLogits, ref.dLogits)).toBeLessThan(1e-5);
      if (b.mask) for (let i = 0; i < b.mask.length; i++) if (!b.mask[i]) expect(dLogits[i]).toBe(0);
    }
    expect(() => ppoPolicyLoss(new Float32Array(4), 2, 2, { actions: [0, 2], oldLogProbs: [0, 0], advantages: [0, 0] }, { clipCoef: 0.2 }, new Float32Array(4))).toThrow(/action 2 at row 1/);
  });

  it("value: plain and clipped, values and c_V·dL/dV equal ppoLoss's under autograd", () => {
    const rng = createRng(22);
    const rows = 50, n = 3;
    const b = batchOf(rng, rows, n, false);
    for (const clipVloss of [false, true]) {
      const config = { clipCoef: 0.2, clipVloss, entCoef: 0, vfCoef: 0.5 };
      const ref = taught(b.logits, b.values, rows, n, b, config);
      const dValues = new Float32Array(rows);
      const loss = ppoValueLoss(b.values, rows, { returns: b.ret, oldValues: b.oldV }, { clipCoef: clipVloss ? 0.2 : 0, coef: 0.5 }, dValues);
      expect(loss).toBeCloseTo(ref.valueLoss, 5);
      expect(relErr(dValues, ref.dValues)).toBeLessThan(1e-5);
      if (clipVloss) expect(dValues.some((d) => d === 0)).toBe(true); // some steps were clipped away
    }
    expect(() => ppoValueLoss(b.values, rows, { returns: b.ret }, { clipCoef: 0.2 }, new Float32Array(rows))).toThrow(/needs oldValues/);
  });

  it("a whole minibatch step of each engine (both nets, the loss, clipping, Adam) leaves the same weights, 5 steps (within 1e-6)", () => {
    const loss = { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5 };
    for (const [obsSize, nActions] of [[4, 2], [8, 4]]) {
      const opts = { obsSize, nActions, hiddenSizes: [64, 64], activation: "tanh" as const, lr: 2.5e-4, adamEps: 1e-5 };
      const make = (engine: PpoEngine) => createPpoNets(engine, opts, createRng(3));
      const typed = make("typed"), tfjs = make("tfjs");
      const w0 = typed.weights();
      const mb = syntheticPpoMinibatch(typed, obsSize, nActions, 64, createRng(4));
      for (let i = 0; i < 5; i++) {
        const a = typed.step(mb, loss), b = tfjs.step(mb, loss);
        expect(a.policyLoss).toBeCloseTo(b.policyLoss, 5);
        expect(a.valueLoss).toBeCloseTo(b.valueLoss, 5);
        expect(a.gradNorm).toBeCloseTo(b.gradNorm, 4);
        expect(a.clipFrac).toBe(b.clipFrac);
      }
      const a = typed.weights(), b = tfjs.weights();
      for (const k of Object.keys(b)) {
        let diff = 0, moved = 0;
        for (let i = 0; i < b[k].data.length; i++) {
          diff = Math.max(diff, Math.abs(a[k].data[i] - b[k].data[i]));
          moved = Math.max(moved, Math.abs(b[k].data[i] - w0[k].data[i]));
        }
        expect(diff, k).toBeLessThan(1e-6);
        expect(moved, k).toBeGreaterThan(5e-4); // 5 steps of lr 2.5e-4 moved every tensor
      }
      typed.dispose();
      tfjs.dispose();
    }
  });
});
