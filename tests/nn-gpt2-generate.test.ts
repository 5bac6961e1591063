import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./max-diff";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, decodeStep, disposeKvCache, generate, prefill, sampleToken, samplingDistribution, type Gpt2 } from "../lib/nn/gpt2";

const CONFIG = { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 32, vocabSize: 89, dropout: 0.1 };
const PROMPTS = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14]];
let model: Gpt2;

beforeAll(async () => {
  await initBackend({ quiet: true });
  model = createGpt2(CONFIG, createRng(1));
  // sharpen the untrained model a little, so sampling options make visible differences
  tf.tidy(() => model.params["wte.weight"].assign(tf.mul(model.params["wte.weight"], 20)));
});
afterAll(() => model?.dispose());

describe("KV-cache decoding", () => {
  it("equals the full forward pass at every step (within 1e-4), batched, prompts of different lengths", () => {
    const rng = createRng(3);
    const fed: number[][] = PROMPTS.map(() => []);
    let { cache, logits } = prefill(model, PROMPTS);
    for (let step = 0; step < 8; step++) {
      const full = model.forward(PROMPTS.map((p, b) => [...p, ...fed[b]]));
      const [B, T, V] = full.shape;
      const last = tf.tidy(() => tf.slice(full, [0, T - 1, 0], [B, 1, V]).dataSync());
      expect(maxDiff(logits.dataSync(), last)).toBeLessThan(1e-4);
      tf.dispose([full, logits]);
      const next = PROMPTS.map(() => rng.int(CONFIG.vocabSize));
      next.forEach((t, b) => fed[b].push(t));
      logits = decodeStep(model, cache, next);
    }
    logits.dispose();
    expect(cache.length).toBe(5 + 8);
    disposeKvCache(cache);
  });
});

describe("generate", () => {
  it("is seeded: the same seed gives the same tokens, another seed others", () => {
    const a = generate(model, PROMPTS, { maxNewTokens: 10, rng: createRng(7), eosId: null });
    const b = generate(model, PROMPTS, { maxNewTokens: 10, rng: createRng(7), eosId: null });
    const c = generate(model, PROMPTS, { maxNewTokens: 10, rng: createRng(8), eosId: null });
    expect(b.tokens).toEqual(a.tokens);
    expect(c.tokens).not.toEqual(a.tokens);
    expect(a.tokens.every((t) => t.length === 10)).toBe(true);
    expect(a.finished).toEqual([false, false, false]);
  });

  it("temperature → 0 and top-k 1 both equal greedy decoding", () => {
    const greedy = generate(model, PROMPTS, { maxNewTokens: 8, greedy: true, eosId: null });
    expect(generate(model, PROMPTS, { maxNewTokens: 8, temperature: 0, eosId: null }).tokens).toEqual(greedy.tokens);
    expect(generate(model, PROMPTS, { maxNewTokens: 8, temperature: 1e-4, rng: createRng(1), eosId: null }).tokens).toEqual(greedy.tokens);
    expect(generate(model, PROMPTS, { maxNewTokens: 8, topK: 1, temperature: 1.5, rng: createRng(2), eosId: null }).tokens).toEqual(greedy.tokens);
    // and greedy is the argmax of the full forward pass at each step
    const full = model.forward([[...PROMPTS[1], ...greedy.tokens[1].slice(0, 3)]]);
    const row = tf.tidy(() => tf.argMax(full, -1).arraySync() as number[][])[0];
    expect(row.slice(1, 5)).toEqual(greedy.tokens[1].slice(0, 4));
    full.dispose();
  });

  it("stops a row at EOS (included), the batch when all rows have stopped or at maxNewTokens", () => {
    const free = generate(model, PROMPTS, { maxNewTokens: 12, rng: createRng(5), eosId: null });
    const eos = free.tokens[0][3]; // some token row 0 produces
    const stopped = generate(model, PROMPTS, { maxNewTokens: 12, rng: createRng(5), eosId: eos });
    for (let b = 0; b < 3; b++) {
      const i = free.tokens[b].indexOf(eos);
      expect(stopped.tokens[b]).toEqual(i >= 0 ? free.tokens[b].slice(0, i + 1) : free.tokens[b]);
      expect(stopped.finished[b]).toBe(i >= 0);
      expect(stopped.logProbs[b].length).toBe(stopped.tokens[b].length);
    }
    expect(stopped.tokens[0].length).toBeLessThanOrEqual(4);
    // all rows stopped early: the batch stops
    const all = generate(model, [[9], [9]], { maxNewTokens: 12, greedy: true, eosId: generate(model, [[9]], { maxNewTokens: 1, greedy: true }).tokens[0][0] });
    expect(all.tokens.map((t) => t.length)).toEqual([1, 1]);
    expect(all.finished).toEqual([true, true]);
  });

  it("returns the log-probs model.logProbs recomputes (GRPO's old log-probs), at the sampling temperature", () => {
    for (const temperature of [1, 0.7]) {
      const g = generate(model, PROMPTS, { maxNewTokens: 6, temperature, rng: createRng(11), eosId: null });
      const lp = model.logProbs(PROMPTS, g.tokens, { temperature });
      expect(maxDiff(lp.dataSync(), g.logProbs.flat())).toBeLessThan(1e-4);
      expect(maxDiff(g.samplerLogProbs.flat(), g.logProbs.flat())).toBeLessThan(1e-9); // no truncation
      lp.dispose();
    }
    const truncated = generate(model, PROMPTS, { maxNewTokens: 6, topK: 5, rng: createRng(11), eosId: null });
    truncated.samplerLogProbs.flat().forEach((s, i) => expect(s).toBeGreaterThanOrEqual(truncated.logProbs.flat()[i] - 1e-9));
  });

  it("leaks no tensors over many generate calls", () => {
    generate(model, PROMPTS, { maxNewTokens: 3, rng: createRng(1) });
    const before = tf.memory();
    for (let i = 0; i < 12; i++) generate(model, PROMPTS, { maxNewTokens: 4, rng: createRng(i), topP: 0.9, eosId: i % 2 ? null : 3 });
    const after = tf.memory();
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);
  });

  it("checks its options", () => {
    expect(() => generate(model, PROMPTS, { maxNewTokens: 4 })).toThrow(/rng/);
    expect(() => generate(model, PROMPTS, { maxNewTokens: 40, greedy: true })).toThrow(/positions/);
    expect(() => generate(model, PROMPTS, { maxNewTokens: 4, greedy: true, topP: 0 })).toThrow(/topP/);
  });
});

describe("sampling", () => {
  // a hand-made distribution, shuffled over ids
  const probs = [0.05, 0.5, 0.1, 0.2, 0.15];
  const logits = Float32Array.from(probs, Math.log);

  it("top-p keeps the smallest most-probable set reaching p, renormalised", () => {
    const kept = (topP: number) => Array.from(samplingDistribution(logits, { topP }).ids);
    expect(kept(0.5)).toEqual([1]);
    expect(kept(0.6)).toEqual([1, 3]);
    expect(kept(0.7)).toEqual([1, 3]);
    expect(kept(0.71)).toEqual([1, 3, 4]);
    expect(kept(0.96)).toEqual([1, 3, 4, 2, 0]);
    expect(kept(1)).toEqual([0, 1, 2, 3, 4]);
    const d = samplingDistribution(logits, { topP: 0.8 });
    expect(Array.from(d.probs)).toEqual([0.5 / 0.85, 0.2 / 0.85, 0.15 / 0.85].map((x) => expect.closeTo(x, 6)));
    // with top-k first: top-p applies to what top-k kept
    expect(Array.from(samplingDistribution(logits, { topK: 2, topP: 0.7 }).ids)).toEqual([1]);
    expect(Array.from(samplingDistribution(logits, { topK: 2, topP: 0.75 }).ids)).toEqual([1, 3]);
  });

  it("draws with the renormalised frequencies, and reports both log-probs", () => {
    const rng = createRng(4);
    const counts = new Array(5).fill(0);
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const s = sampleToken(logits, { topP: 0.8 }, rng);
      counts[s.token]++;
      expect(s.logProb).toBeCloseTo(Math.log(probs[s.token]), 5);
      expect(s.samplerLogProb).toBeCloseTo(Math.log(probs[s.token] / 0.85), 5);
    }
    expect(counts[0] + counts[2]).toBe(0);
    expect(counts[1] / n).toBeCloseTo(0.5 / 0.85, 1);
    expect(counts[3] / n).toBeCloseTo(0.2 / 0.85, 1);
    expect(counts[4] / n).toBeCloseTo(0.15 / 0.85, 1);
  });

  it("temperature sharpens and flattens; ties in top-k go to the lower id", () => {
    const hot = samplingDistribution(logits, { temperature: 2 }).probs, cold = samplingDistribution(logits, { temperature: 0.5 }).probs;
    expect(hot[1]).toBeLessThan(0.5);
    expect(cold[1]).toBeGreaterThan(0.5);
    expect(Array.from(samplingDistribution(Float32Array.of(1, 3, 3, 0), { topK: 1 }).ids)).toEqual([1]);
    expect(sampleToken(Float32Array.of(1, 3, 3, 0), { greedy: true }, undefined).token).toBe(1);
  });
});
