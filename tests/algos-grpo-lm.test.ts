/**
 * GRPO for language models (lib/algos/grpo-lm*.ts) against numbers worked out by hand: advantages
 * for each scale_rewards, each loss_type's normaliser on a ragged batch, the clipped objective and
 * which tokens clip (ε and ε_high), the sequence-level ratio, k3 KL, gradients; then short runs on
 * a tiny random GPT-2 with a rule reward: the reward rises, the reference stays put, seeds
 * reproduce, an interrupt keeps the model, no tensors leak.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, tokenEntropies, type Gpt2 } from "../lib/nn/gpt2";
import { createGrpoLmTrainer, grpoLmConfig, stopGradient, grpoLmUpdate, type LmRewardFn, type TextCodec } from "../lib/algos/grpo-lm";
import { ADVANTAGE_EPS, grpoLmLoss, lmGroupAdvantages, type GrpoLmLossOptions } from "../lib/algos/grpo-lm-loss";
import type { Adam } from "../lib/nn/optim";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const close = (got: ArrayLike<number>, want: number[], digits = 5) => {
  expect(got.length).toBe(want.length);
  want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, digits));
};

describe("advantages (TRL's scale_rewards)", () => {
  const rewards = [1, 2, 3, 4, 0, 0, 0, 6];
  it("group: (r − group mean) / (group sample std + 1e-4)", () => {
    const s1 = Math.sqrt(5 / 3), s2 = 3; // sample stds of [1,2,3,4] and [0,0,0,6]
    const { advantages, groupStd, fracZeroStd } = lmGroupAdvantages(rewards, 4, "group");
    close(advantages, [-1.5 / (s1 + ADVANTAGE_EPS), -0.5 / (s1 + 1e-4), 0.5 / (s1 + 1e-4), 1.5 / (s1 + 1e-4), -1.5 / 3.0001, -1.5 / 3.0001, -1.5 / 3.0001, 4.5 / 3.0001]);
    close(groupStd, [s1, s2]);
    expect(fracZeroStd).toBe(0);
  });
  it("batch: the group's mean, the batch's std", () => {
    const s = Math.sqrt(34 / 7); // sample std of all eight (mean 2)
    close(lmGroupAdvantages(rewards, 4, "batch").advantages, [-1.5, -0.5, 0.5, 1.5, -1.5, -1.5, -1.5, 4.5].map((a) => a / (s + 1e-4)));
  });
  it("none: r − group mean, unscaled", () => {
    close(lmGroupAdvantages(rewards, 4, "none").advantages, [-1.5, -0.5, 0.5, 1.5, -1.5, -1.5, -1.5, 4.5]);
  });
  it("a group that agrees gets 0 and counts in fracZeroStd; bad input is named", () => {
    const r = lmGroupAdvantages([5, 5, 1, 3], 2, "group");
    close(r.advantages, [0, 0, -1 / (Math.SQRT2 + 1e-4), 1 / (Math.SQRT2 + 1e-4)]);
    expect(r.fracZeroStd).toBe(0.5);
    expect(() => lmGroupAdvantages([1, 2, 3], 2, "group")).toThrow(/groups of numGenerations = 2/);
    expect(() => lmGroupAdvantages([1, NaN], 2, "group")).toThrow(/reward 1 is NaN/);
  });
});

/** A ragged batch: row 0 has 3 tokens, row 1 has 1; old = current (ratio 1), so ℓ = −A on real tokens. */
function raggedLoss(o: Partial<GrpoLmLossOptions>): number {
  return tf.tidy(() => {
    const logp = tf.tensor2d([[-1, -2, -0.5], [-1.5, 0, 0]]);
    const terms = grpoLmLoss({ logp, oldLogp: logp, advantages: tf.tensor1d([1, -2]), mask: tf.tensor2d([[1, 1, 1], [1, 0, 0]]) },
      { lossType: "grpo", epsilon: 0.2, beta: 0, importanceSamplingLevel: "token", maxCompletionLength: 5, ...o });
    return terms.loss.dataSync()[0];
  });
}

describe("loss_type normalisers on a ragged batch (token losses [[−1, −1, −1], [2]])", () => {
  it("grpo: mean over completions of each one's token mean = (−1 + 2)/2", () => expect(raggedLoss({ lossType: "grpo" })).toBeCloseTo(0.5, 6));
  it("bnpo: token sum / active tokens = −1/4", () => expect(raggedLoss({ lossType: "bnpo" })).toBeCloseTo(-0.25, 6));
  it("dr_grpo: token sum / (B · max_completion_length) = −1/(2·5)", () => expect(raggedLoss({ lossType: "dr_grpo" })).toBeCloseTo(-0.1, 6));
  it("dapo: token sum / the generation batch's active tokens (−1/10), else this batch's", () => {
    expect(raggedLoss({ lossType: "dapo", activeTokens: 10 })).toBeCloseTo(-0.1, 6);
    expect(raggedLoss({ lossType: "dapo" })).toBeCloseTo(-0.25, 6);
  });
  it("gradient accumulation over k micro-batches divides grpo, bnpo, dr_grpo by k, not dapo", () => {
    expect(raggedLoss({ lossType: "grpo", accumulationSteps: 2 })).toBeCloseTo(0.25, 6);
    expect(raggedLoss({ lossType: "bnpo", accumulationSteps: 2 })).toBeCloseTo(-0.125, 6);
    expect(raggedLoss({ lossType: "dr_grpo", accumulationSteps: 2 })).toBeCloseTo(-0.05, 6);
    expect(raggedLoss({ lossType: "dapo", activeTokens: 10, accumulationSteps: 2 })).toBeCloseTo(-0.1, 6);
  });
});

describe("the clipped objective", () => {
  // ratios: row 0 (A = +1) 0.5, 0.9, 1.5; row 1 (A = −1) 0.5, 1.1, 1.5; ε = 0.2, ε_high = 0.28
  const ratios = [[0.5, 0.9, 1.5], [0.5, 1.1, 1.5]];
  const opts: GrpoLmLossOptions = { lossType: "bnpo", epsilon: 0.2, epsilonHigh: 0.28, beta: 0, importanceSamplingLevel: "token", maxCompletionLength: 3 };
  function run() {
    return tf.tidy(() => {
      const old = tf.tensor2d([[-1, -2, -3], [-1, -2, -3]]);
      const mask = tf.ones([2, 3]) as tf.Tensor2D;
      const adv = tf.tensor1d([1, -1]);
      const logp = tf.add(old, tf.log(tf.tensor2d(ratios))) as tf.Tensor2D;
      const terms = grpoLmLoss({ logp, oldLogp: old, advantages: adv, mask }, opts);
      // d Σℓ / d log π_θ: −A·r where the unclipped term is taken, 0 where the clipped one is
      const grad = tf.grad((lp: tf.Tensor) => tf.sum(grpoLmLoss({ logp: lp as tf.Tensor2D, oldLogp: old, advantages: adv, mask }, opts).perTokenLoss))(logp);
      return { loss: terms.perTokenLoss.arraySync(), low: terms.lowClipped.arraySync(), high: terms.highClipped.arraySync(), grad: grad.arraySync() as number[][] };
    });
  }
  it("−min(r·A, clip(r, 1 − ε, 1 + ε_high)·A) per token", () => {
    const { loss } = run();
    close(loss[0], [-0.5, -0.9, -1.28]); // A > 0: r = 1.5 is capped at 1.28; r = 0.5 is not raised
    close(loss[1], [0.8, 1.1, 1.5]); //    A < 0: r = 0.5 is raised to 0.8; r = 1.5 is not capped
  });
  it("low-clipped: r < 1 − ε with A < 0; high-clipped: r > 1 + ε_high with A > 0 (and their gradients vanish)", () => {
    const { low, high, grad } = run();
    expect(low).toEqual([[0, 0, 0], [1, 0, 0]]);
    expect(high).toEqual([[0, 0, 1], [0, 0, 0]]);
    close(grad[0], [-0.5, -0.9, 0]);
    close(grad[1], [0, 1.1, 1.5]);
  });
  it("sequence level (GSPO): one ratio per completion, exp of its mean token log-ratio over real tokens", () => {
    tf.tidy(() => {
      const old = tf.tensor2d([[-1, -1, -1], [-2, -2, -2]]);
      const logp = tf.add(old, tf.log(tf.tensor2d([[0.5, 2, 7], [1.2, 1.2, 1.2]]))) as tf.Tensor2D; // row 0's third token is padding
      const mask = tf.tensor2d([[1, 1, 0], [1, 1, 1]]);
      const t = grpoLmLoss({ logp, oldLogp: old, advantages: tf.tensor1d([1, 1]), mask }, { ...opts, epsilon: 0.1, epsilonHigh: 0.1, importanceSamplingLevel: "sequence" });
      expect(t.ratio.shape).toEqual([2, 1]);
      close(t.ratio.dataSync(), [1, 1.2]); // √(0.5·2) = 1
      close(t.perTokenLoss.arraySync().flat(), [-1, -1, 0, -1.1, -1.1, -1.1]); // row 1 capped at 1 + ε
      close(t.highClipped.dataSync(), [0, 1]);
    });
  });
});

describe("k3 KL to the reference", () => {
  it("exp(ref − logp) − (ref − logp) − 1: e⁻¹ at logp − ref = 1, 0 at equality, ≥ 0 everywhere, β-weighted into the loss", () => {
    tf.tidy(() => {
      const rng = createRng(5);
      const logp = tf.tensor2d([[-1, -3, ...Array.from({ length: 30 }, () => -5 * rng.next())]]);
      const ref = tf.tensor2d([[-2, -3, ...Array.from({ length: 30 }, () => -5 * rng.next())]]);
      const mask = tf.onesLike(logp) as tf.Tensor2D;
      const base = { lossType: "bnpo", epsilon: 0.2, importanceSamplingLevel: "token", maxCompletionLength: 32 } as const;
      const t0 = grpoLmLoss({ logp, oldLogp: logp, refLogp: ref, advantages: tf.tensor1d([0]), mask }, { ...base, beta: 0 });
      const kl = Array.from(t0.kl.dataSync());
      expect(kl[0]).toBeCloseTo(Math.exp(-1), 6);
      expect(kl[1]).toBe(0);
      for (const v of kl) expect(v).toBeGreaterThanOrEqual(0);
      const t1 = grpoLmLoss({ logp, oldLogp: logp, refLogp: ref, advantages: tf.tensor1d([0]), mask }, { ...base, beta: 0.5 });
      expect(t1.loss.dataSync()[0]).toBeCloseTo(0.5 * kl.reduce((a, b) => a + b, 0) / 32, 5);
      expect(() => grpoLmLoss({ logp, oldLogp: logp, advantages: tf.tensor1d([0]), mask }, { ...base, beta: 0.1 })).toThrow(/refLogp/);
    });
  });
});

describe("custom gradients and the entropy", () => {
  it("stopGradient: identity forward, no gradient (x·sg(x) has gradient x, not 2x)", () => {
    tf.tidy(() => {
      const x = tf.tensor1d([1.5, -2, 3]);
      const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(v, stopGradient(v))))(x);
      close(g.dataSync(), [1.5, -2, 3]);
      close(stopGradient(x).dataSync(), [1.5, -2, 3]);
    });
  });
  it("with old = sg(current) (μ = 1) the loss gradient is the policy gradient −A/normaliser per token", () => {
    tf.tidy(() => {
      const mask = tf.tensor2d([[1, 1, 1], [1, 0, 0]]);
      const g = tf.grad((lp: tf.Tensor) => grpoLmLoss({ logp: lp as tf.Tensor2D, oldLogp: stopGradient(lp) as tf.Tensor2D, advantages: tf.tensor1d([1, -2]), mask },
        { lossType: "grpo", epsilon: 0.2, beta: 0, importanceSamplingLevel: "token", maxCompletionLength: 3 }).loss)(tf.tensor2d([[-1, -2, -3], [-1, -5, -5]]));
      close((g.arraySync() as number[][]).flat(), [-1 / 6, -1 / 6, -1 / 6, 1, 0, 0]); // grpo: (1/B)(1/|o_i|)·(−A_i)
    });
  });
  it("tokenEntropies = −Σ p log p of each row's softmax", () => {
    tf.tidy(() => {
      const logits = tf.tensor2d([[0, 0, 0, 0], [1, 2, 3, -50], [100, 0, 0, 0]]);
      const p = tf.softmax(logits).arraySync();
      const want = p.map((row) => -row.reduce((s, q) => s + (q > 0 ? q * Math.log(q) : 0), 0));
      close(tokenEntropies(logits).dataSync(), want, 5);
      expect(tokenEntropies(logits).dataSync()[0]).toBeCloseTo(Math.log(4), 6);
    });
  });
});

// ---------------------------------------------------------------- short runs on a tiny random GPT-2

const VOCAB = 16, TARGET = 3;
const TINY = { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 32, vocabSize: VOCAB, dropout: 0 };
/** Letters a… as ids 0…15. */
const codec: TextCodec = {
  encode: (s) => [...s].map((c) => c.charCodeAt(0) - 97),
  decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join(""),
};
/** The share of completion tokens that are TARGET ("d"). */
const targetShare: LmRewardFn = (_p, completions) => completions.map((c) => [...c].filter((ch) => ch === "d").length / Math.max(1, c.length));
const PROMPTS = ["ab", "cd", "efg", "hij", "klmn", "op"];
const RUN = { numGenerations: 8, promptsPerStep: 2, maxCompletionLength: 8, eosId: -1, learningRate: 3e-3, lrSchedule: "constant", maxSteps: 25 } as const;

function tinyModel(seed = 1): Gpt2 {
  return createGpt2(TINY, createRng(seed));
}

async function meanReward(trainer: ReturnType<typeof createGrpoLmTrainer>): Promise<number> {
  const s = await trainer.sample(Array.from({ length: 48 }, (_, i) => PROMPTS[i % PROMPTS.length]), { seed: 11 });
  return s.rewards.reduce((a, b) => a + b, 0) / s.rewards.length;
}

describe("GRPO on a tiny random GPT-2 with a rule reward", () => {
  itSlow("raises the reward (share of 'd' tokens), logs every column, keeps the reference frozen", async () => {
    const model = tinyModel();
    const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts: PROMPTS, reward: targetShare, config: { ...RUN, beta: 0.02 } });
    const refBefore = trainer.reference!.weights();
    const before = await meanReward(trainer);
    const result = await trainer.train();
    const after = await meanReward(trainer);
    expect(result.stopped).toBe("done");
    expect(trainer.metrics).toHaveLength(RUN.maxSteps);
    expect(after - before, `reward ${before.toFixed(3)} → ${after.toFixed(3)}`).toBeGreaterThan(0.25);
    const last = trainer.metrics.at(-1)!;
    for (const k of ["reward", "rewardStd", "kl", "clipLow", "clipHigh", "completionLength", "entropy", "learningRate", "gradNorm", "wallTime"] as const) {
      expect(Number.isFinite(last[k]), k).toBe(true);
    }
    expect(last.kl).toBeGreaterThan(0);
    expect(last.completionLength).toBe(RUN.maxCompletionLength);
    expect(last.entropy).toBeGreaterThan(0);
    expect(last.entropy).toBeLessThan(Math.log(VOCAB) + 1e-4);
    const refAfter = trainer.reference!.weights();
    for (const [name, w] of Object.entries(refBefore)) expect(refAfter[name].data, name).toEqual(w.data);
    expect(model.weights()["h.0.attn.c_attn.weight"].data).not.toEqual(refBefore["h.0.attn.c_attn.weight"].data);
    trainer.dispose();
    model.dispose();
  });

  it("same seed, same run (rewards and weights); an interrupt keeps the model and the rows", async () => {
    const runOnce = async (steps: number, abortAfter?: number) => {
      const model = tinyModel(2);
      const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts: PROMPTS, reward: targetShare, config: { ...RUN, maxSteps: steps, numIterations: 2, lossType: "grpo", importanceSamplingLevel: "sequence", seed: 7 } });
      const controller = new AbortController();
      const result = await trainer.train({ signal: controller.signal, onAbort: "return", onUpdate: (row) => { if (row.update === abortAfter) controller.abort(); } });
      const out = { result, rewards: trainer.metrics.map((r) => r.reward), w: model.weights()["wte.weight"].data };
      trainer.dispose();
      model.dispose();
      return out;
    };
    const a = await runOnce(4), b = await runOnce(4);
    expect(a.rewards).toEqual(b.rewards);
    expect(a.w).toEqual(b.w);
    const c = await runOnce(4, 2);
    expect(c.result.stopped).toBe("aborted");
    expect(c.rewards).toEqual(a.rewards.slice(0, 2));
    expect(c.w).not.toEqual(tinyModel(2).weights()["wte.weight"].data);
  });

  it("micro-batches sum to the whole batch's gradient (dapo always; grpo with equal-size chunks)", () => {
    const model = tinyModel(3);
    const rng = createRng(4);
    const prompts = [[0, 1], [2], [3, 4, 5], [6]];
    const completions = [[1, 2, 3], [4], [5, 6], [7, 8, 9, 10]];
    const batch = { prompts, completions, oldLogp: completions.map((c) => c.map(() => -2)), advantages: Float32Array.from({ length: 4 }, () => rng.normal()) };
    const gradsOf = (cfg: Partial<ReturnType<typeof grpoLmConfig>>): Float32Array[] => {
      let captured: Float32Array[] = [];
      const fake = { lr: 1, steps: 0, apply: (_p: readonly tf.Variable[], g: readonly tf.Tensor[]) => { captured = g.map((x) => x.dataSync() as Float32Array); }, dispose() {} } as unknown as Adam;
      grpoLmUpdate(model, undefined, fake, Object.values(model.params), batch, grpoLmConfig({ maxGradNorm: 0, lrSchedule: "constant", maxCompletionLength: 4, ...cfg }), 0);
      return captured;
    };
    const maxDiff = (a: Float32Array[], b: Float32Array[]) => Math.max(...a.map((x, i) => Math.max(...x.map((v, j) => Math.abs(v - b[i][j])))));
    const scale = (a: Float32Array[]) => Math.max(...a.map((x) => Math.max(...x.map(Math.abs))));
    for (const lossType of ["dapo", "grpo", "dr_grpo"] as const) {
      const whole = gradsOf({ lossType }), split = gradsOf({ lossType, microBatchSize: 2 });
      expect(maxDiff(whole, split) / scale(whole), lossType).toBeLessThan(1e-4);
    }
    // bnpo normalises per micro-batch: ragged chunks (4 vs 6 tokens) change the weights
    expect(maxDiff(gradsOf({ lossType: "bnpo" }), gradsOf({ lossType: "bnpo", microBatchSize: 2 }))).toBeGreaterThan(1e-6);
    model.dispose();
  });

  it("leaks no tensors over several steps (reference, μ = 2, micro-batches)", async () => {
    const model = tinyModel(4);
    const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts: PROMPTS, reward: targetShare, config: { ...RUN, maxSteps: 6, beta: 0.1, numIterations: 2, microBatchSize: 6 } });
    const counts: number[] = [];
    await trainer.train({ onUpdate: () => counts.push(tf.memory().numTensors) });
    expect(counts.slice(1)).toEqual(counts.slice(1).map(() => counts[1])); // after the first step made Adam's moments
    trainer.dispose();
    model.dispose();
  });

  it("names a bad reward, an empty prompt and a bad config field", async () => {
    const model = tinyModel(5);
    const bad = createGrpoLmTrainer({ model, tokenizer: codec, prompts: PROMPTS, reward: (_p, c) => c.map(() => NaN), config: RUN });
    await expect(bad.train()).rejects.toThrow(/reward NaN, expected a finite number/);
    bad.dispose();
    expect(() => createGrpoLmTrainer({ model, tokenizer: codec, prompts: [""], reward: targetShare })).toThrow(/prompt 0 .* encodes to no tokens/);
    expect(() => grpoLmConfig({ lossType: "ppo" as never })).toThrow(/lossType/);
    model.dispose();
  });
});
