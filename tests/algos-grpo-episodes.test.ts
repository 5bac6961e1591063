/**
 * GRPO over episodes (lib/algos/grpo-episodes.ts) and its baselines (grpo-episodes-baselines.ts,
 * grpo-episodes-value.ts): advantages by hand, GAE over turns by hand, the update's loss reaching
 * the agent's tokens only (environment-token advantages changed to anything: the same step, bit for
 * bit), reward parts logged and summing to the reward, presets, and a short run on OrderDesk-v0
 * with a random tiny GPT-2 that leaks no tensors. Whether it learns the task is measured by
 * `tsrl train grpo OrderDesk-v0` on the pretrained model (minutes), not here.
 */
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { episodeTokenBatch, rolloutConversations } from "../lib/algos/conversation-rollout";
import { createGrpoEpisodesTrainer, grpoEpisodesConfig, GRPO_EPISODE_PRESETS } from "../lib/algos/grpo-episodes";
import { episodeAdvantages, turnGae } from "../lib/algos/grpo-episodes-baselines";
import { createValueHead, turnStates, valueAdvantages } from "../lib/algos/grpo-episodes-value";
import { grpoLmConfig, grpoLmUpdate } from "../lib/algos/grpo-lm";
import { createAdam } from "../lib/nn/optim";
import { createRng } from "../lib/core/rng";
import { conversationEnvSpec } from "../lib/envs/conversation/env";
import { ORDER_DESK_ID, orderDeskRewardParts } from "../lib/envs/order-desk";
import { initBackend } from "../lib/nn/backend";
import { GPT2_TINY, createGpt2, type Gpt2 } from "../lib/nn/gpt2";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";
import { maxDiff } from "./max-diff";

beforeAll(async () => {
  await initBackend({ quiet: true });
});

const tok = loadGpt2Tokenizer();
const tinyModel = (seed: number): Gpt2 => createGpt2({ ...GPT2_TINY, nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 256 }, createRng(seed));
const close = (a: ArrayLike<number>, b: number[]) => b.forEach((x, i) => expect(a[i]).toBeCloseTo(x, 4));

describe("baselines", () => {
  const r = [1, 0, 0, 0, 1, 1, 1, 5]; // two groups of four
  it("group_mean: (r − group mean) / (group std + 1e-4); a group that agrees counts in fracZeroStd", () => {
    const a = episodeAdvantages(r, 4, "group_mean", "group");
    const s1 = Math.sqrt((0.75 ** 2 + 3 * 0.25 ** 2) / 3), s2 = Math.sqrt((3 * 1 + 9) / 3);
    close(a.advantages, [0.75 / (s1 + 1e-4), -0.25 / (s1 + 1e-4), -0.25 / (s1 + 1e-4), -0.25 / (s1 + 1e-4), -1 / (s2 + 1e-4), -1 / (s2 + 1e-4), -1 / (s2 + 1e-4), 3 / (s2 + 1e-4)]);
    expect(episodeAdvantages([1, 1, 0, 1], 2, "group_mean", "none").fracZeroStd).toBe(0.5);
  });
  it("group_median: the median, so one outlier moves nobody else's advantage", () => {
    const a = episodeAdvantages(r, 4, "group_median", "none");
    close(a.advantages, [1, 0, 0, 0, 0, 0, 0, 4]);
  });
  it("global_mean: the batch's mean and std, groups ignored", () => {
    const mean = 9 / 8, std = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / 7);
    close(episodeAdvantages(r, 4, "global_mean", "group").advantages, r.map((x) => (x - mean) / (std + 1e-4)));
  });
  it("checks its inputs", () => {
    expect(() => episodeAdvantages([1, 2, 3], 2, "group_mean", "group")).toThrow(/groups of numGenerations = 2/);
    expect(() => episodeAdvantages([1, NaN], 2, "group_mean", "group")).toThrow(/reward 1 is NaN/);
    expect(() => episodeAdvantages([1, 2], 2, "value" as never, "group")).toThrow(/baseline must be/);
  });
  it("GAE over turns, by hand: δ_k = r_k + γV_{k+1} − V_k, A_k = δ_k + γλA_{k+1}", () => {
    const g = turnGae([0, 0, 1], [0.2, 0.5, 0.7], 0, 0.9, 0.8);
    const d2 = 1 - 0.7, d1 = 0.9 * 0.7 - 0.5, d0 = 0.9 * 0.5 - 0.2;
    const a2 = d2, a1 = d1 + 0.72 * a2, a0 = d0 + 0.72 * a1;
    close(g.advantages, [a0, a1, a2]);
    close(g.returns, [a0 + 0.2, a1 + 0.5, a2 + 0.7]);
    // λ = 1, γ = 1: the advantage is the return minus the value
    close(turnGae([0, 0, 1], [0.2, 0.5, 0.7], 0, 1, 1).advantages, [0.8, 0.5, 0.3]);
  });
});

describe("GRPO over episodes", () => {
  let model: Gpt2;
  beforeAll(() => {
    model = tinyModel(1);
  });
  const spec = () => conversationEnvSpec(ORDER_DESK_ID);
  const play = (m: Gpt2, seed: number) => rolloutConversations(m, tok, () => spec().create({ split: "train" }), [{ taskIndex: 0 }, { taskIndex: 1 }], { groupSize: 2, maxTurnTokens: 8, rng: createRng(seed) });

  it("the update reaches the agent's tokens only: any advantage at an environment token gives the same step, bit for bit", () => {
    const episodes = play(model, 3);
    const batch = episodeTokenBatch(episodes);
    const rows = (flat: Float32Array) => episodes.map((_, b) => flat.subarray(b * batch.length, (b + 1) * batch.length));
    const masks = rows(batch.mask);
    const adv = (envValue: number) => masks.map((m, b) => Float32Array.from(m, (v, t) => (v ? (b % 2 ? 1 : -1) * (1 + (t % 3)) : envValue)));
    const step = (envValue: number) => {
      const m = tinyModel(1);
      const params = Object.values(m.params);
      const adam = createAdam({ lr: 1e-2 });
      grpoLmUpdate(m, undefined, adam, params, {
        prompts: batch.promptIds, completions: batch.completionIds, oldLogp: rows(batch.oldLogProbs).map((r) => Array.from(r)),
        advantages: new Float32Array(episodes.length), masks, tokenAdvantages: adv(envValue),
      }, grpoLmConfig({ lossType: "dapo", maxCompletionLength: batch.length, microBatchSize: 2, lrSchedule: "constant", maxGradNorm: 0 }), 0);
      const w = params.map((p) => p.dataSync().slice());
      adam.dispose();
      m.dispose();
      return w;
    };
    const a = step(0), b = step(1e6), w0 = Object.values(model.params).map((p) => p.dataSync());
    a.forEach((w, k) => expect(maxDiff(w, b[k])).toBe(0));
    expect(a.some((w, k) => maxDiff(w, w0[k]) > 0)).toBe(true); // and the agent's tokens did move the weights
    expect(batch.mask.reduce((s, v) => s + v, 0)).toBeLessThan(batch.mask.length / 2); // most tokens are the environment's
  });

  it("a short run: rows carry the reward, each part, success and the diagnostics; parts sum to the reward; no tensor leaks", async () => {
    const m = tinyModel(2);
    const parts = orderDeskRewardParts();
    const trainer = createGrpoEpisodesTrainer({
      model: m, tokenizer: tok, envId: ORDER_DESK_ID, rewardParts: parts,
      config: { maxSteps: 3, promptsPerStep: 2, numGenerations: 2, maxCompletionLength: 8, beta: 0.05, seed: 4 },
    });
    const counts: number[] = [];
    await trainer.train({ progress: false, onUpdate: () => counts.push(tf.memory().numTensors) });
    expect(trainer.metrics).toHaveLength(3);
    for (const row of trainer.metrics) {
      for (const k of ["reward", "rewardStd", "fracZeroStd", "success", "meanTurns", "agentTokens", "envTokens", "kl", "entropy", "gradNorm", "clipRegion"]) expect(Number.isFinite(row[k]), k).toBe(true);
      const sum = parts.reduce((s, p) => s + (p.weight ?? 1) * row[`reward${p.name[0].toUpperCase()}${p.name.slice(1)}`], 0);
      expect(sum).toBeCloseTo(row.reward, 6);
      expect(row.envTokens).toBeGreaterThan(row.agentTokens);
    }
    expect(trainer.lastEpisodes).toHaveLength(4);
    // Adam's moments and generation's cached head appear in the first update; later ones add nothing
    expect(counts[2]).toBe(counts[1]);
    trainer.dispose();
    m.dispose();
  }, 60_000);

  it("the value baseline: one value per agent turn, the head fits its targets, token advantages constant within a turn", () => {
    const episodes = play(model, 5);
    const head = createValueHead(model, { learningRate: 1e-2, seed: 1 });
    const v = head.values(episodes);
    episodes.forEach((e, i) => expect(v[i]).toHaveLength(turnStates(e).length));
    episodes.forEach((e, i) => expect(v[i]).toHaveLength(e.turnEnds.length));
    const targets = v.map((xs) => xs.map(() => 1));
    const first = head.fit(episodes, targets, 1), later = head.fit(episodes, targets, 30);
    expect(later).toBeLessThan(first);
    const batch = episodeTokenBatch(episodes);
    const r = valueAdvantages(head, episodes, [1, 0, 0, 1], { gamma: 1, lambda: 0.95, length: batch.length });
    episodes.forEach((e, i) => {
      const row = r.tokenAdvantages[i];
      for (let t = 1; t < e.tokens.length; t++) if (e.agentMask[t] === 0) expect(row[t - 1]).toBe(0);
      // the tokens of turn k all carry A_k
      let k = -1;
      for (let t = 1; t < e.tokens.length; t++) {
        if (e.agentMask[t] === 1 && e.agentMask[t - 1] === 0) k++;
        if (e.agentMask[t] === 1) expect(row[t - 1]).toBeCloseTo(r.turnAdvantages[i][k], 6);
      }
    });
    head.dispose();
  });

  it("presets change what they say; bad options are named", () => {
    expect(grpoEpisodesConfig({}, "conservative").learningRate).toBe(GRPO_EPISODE_PRESETS.conservative.learningRate);
    expect(grpoEpisodesConfig({ learningRate: 5e-4 }, "conservative").learningRate).toBe(5e-4);
    expect(grpoEpisodesConfig({}, "aggressive").epsilonHigh).toBe(0.28);
    expect(grpoEpisodesConfig().baseline).toBe("group_mean");
    expect(() => grpoEpisodesConfig({}, "wild" as never)).toThrow(/preset must be one of conservative, balanced, aggressive/);
    expect(() => grpoEpisodesConfig({ baseline: "mean" as never })).toThrow(/baseline/);
    expect(() => grpoEpisodesConfig({ numGenerations: 1 })).toThrow(/numGenerations/);
  });
});
