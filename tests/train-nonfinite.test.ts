/**
 * NaN at the source: every trainer stops at the first non-finite loss (or logits) with a
 * NonFiniteError naming the update and the quantity; savers refuse non-finite weights and loaders
 * reject them by tensor name unless asked (`allowNonFinite`); `tsrl train --learning-rate 1e308` exits 1
 * without writing a checkpoint, and keeps one already there.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAgent, loadPolicy } from "../lib/algos/registry";
import { algorithmNames, algorithmSpec } from "../lib/algos/registry";
import { saveAgent } from "../lib/algos/checkpoint";
import { createGrpoLmTrainer, type TextCodec } from "../lib/algos/grpo-lm";
import { NonFiniteError } from "../lib/core/finite";
import { createRng } from "../lib/core/rng";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../lib/data";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, gpt2FromWeights, loadGpt2, saveGpt2 } from "../lib/nn/gpt2";
import { pretrainGpt2 } from "../lib/lm/pretrain";
import { generatePreferencePairs } from "../lib/lm/preferences";
import { rewardModelFromGpt2, trainRewardModel } from "../lib/lm/reward-model";
import { runProcess } from "./run-process";

const root = path.resolve(__dirname, "..");
const tsrl = path.join(root, "lib", "cli", "tsrl.cjs");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-nonfinite-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => initBackend({ quiet: true }));

const HUGE = 1e308;

async function divergence(run: () => Promise<unknown>): Promise<NonFiniteError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(NonFiniteError);
    return err as NonFiniteError;
  }
  throw new Error("training did not stop");
}

describe("every trainer stops at the first non-finite quantity, naming it", () => {
  it.each(algorithmNames())("%s: lr 1e308 → 'update N: <quantity> …', and the weights are not saved", async (name) => {
    const spec = algorithmSpec(name);
    const lrs = name === "reinforce" ? { learningRate: HUGE, valueLearningRate: HUGE } : { learningRate: HUGE };
    const agent = await createAgent(name, { ...spec.smokeConfig, ...lrs, seed: 3 });
    const err = await divergence(() => agent.train());
    expect(err.message).toMatch(/^update \d+: (\w+ is (NaN|-?Infinity)|.*logits are not finite)/);
    expect(agent.metrics.length).toBeLessThanOrEqual(3); // it stopped at once, not at the end of the budget
    const dir = path.join(tmp, `${name}-nan`);
    expect(() => saveAgent(dir, agent)).toThrow(/tensor '.+' holds (NaN|-?Infinity).*refusing to write non-finite weights/);
    expect(fs.existsSync(dir)).toBe(false);
    agent.dispose();
  });

  const codec: TextCodec = { encode: (s) => [...s].map((c) => c.charCodeAt(0) - 97), decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join("") };
  const tiny = () => createGpt2({ nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 16, vocabSize: 16, dropout: 0 }, createRng(1));

  it("GRPO on a language model", async () => {
    const model = tiny();
    const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts: ["ab", "cd"], reward: (_p, c) => c.map((x) => x.length), config: { numGenerations: 2, promptsPerStep: 2, maxCompletionLength: 4, eosId: -1, learningRate: HUGE, lrSchedule: "constant", maxSteps: 10 } });
    const err = await divergence(() => trainer.train());
    expect(err.message).toMatch(/^update \d+: /);
    expect(() => saveGpt2(model, path.join(tmp, "lm-nan"))).toThrow(/refusing to write non-finite weights/);
    trainer.dispose();
    model.dispose();
  });

  it("pretraining and the reward model", async () => {
    const corpus = Array.from({ length: 40 }, (_, i) => `review number ${i} was good and then bad`);
    const err = await divergence(() => pretrainGpt2({ config: { nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 32 }, corpus, heldout: [], steps: 20, batchSize: 2, seqLen: 16, lr: HUGE, warmupSteps: 0, evalEvery: 0 }));
    expect(err.message).toMatch(/^pretrain: step \d+: (loss|gradNorm) is/);

    const base = createGpt2({ nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 48, vocabSize: 50257, dropout: 0 }, createRng(2));
    const rm = rewardModelFromGpt2(base, createRng(1));
    const rmErr = await divergence(() => trainRewardModel(rm, { pairs: generatePreferencePairs(createRng(4), 16), batchSize: 4, epochs: 3, lr: HUGE, rng: createRng(5) }));
    expect(rmErr.message).toMatch(/^trainRewardModel: step \d+: (loss|gradNorm) is/);
    rm.dispose();
    base.dispose();
  });
});

describe("non-finite weights are refused on save and rejected on load, by tensor name", () => {
  it("saveCheckpoint / loadCheckpoint, and allowNonFinite for inspecting a diverged run", () => {
    const tensors = { "policy/l0/w": { data: Float32Array.of(1, NaN, 3, NaN), shape: [4] }, "policy/l0/b": { data: Float32Array.of(Infinity), shape: [1] } };
    const dir = path.join(tmp, "nan-ckpt");
    expect(() => saveCheckpoint(dir, { config: { algorithm: "x" }, tensors })).toThrow(/tensor 'policy\/l0\/w' holds NaN at index 1 \(2 of 4 values are not finite\)/);
    expect(fs.existsSync(dir)).toBe(false);
    saveCheckpoint(dir, { config: { algorithm: "x" }, tensors }, { allowNonFinite: true });
    let err: CheckpointError | undefined;
    try { loadCheckpoint(dir); } catch (e) { err = e as CheckpointError; }
    expect(err).toBeInstanceOf(CheckpointError);
    expect(err!.problems).toEqual([
      expect.stringMatching(/^tensor 'policy\/l0\/w' holds NaN at index 1 .*allowNonFinite/),
      expect.stringMatching(/^tensor 'policy\/l0\/b' holds Infinity at index 0/),
    ]);
    expect(Number.isNaN(loadCheckpoint(dir, { allowNonFinite: true }).tensors["policy/l0/w"].data[1])).toBe(true);
  });

  it("loadGpt2 names the tensor", () => {
    const model = createGpt2({ nLayer: 1, nHead: 2, nEmbd: 8, nPositions: 8, vocabSize: 16, dropout: 0 }, createRng(1));
    const w = model.weights();
    w["h.0.mlp.c_fc.weight"].data[5] = NaN;
    const bad = gpt2FromWeights(model.config, w);
    const dir = path.join(tmp, "nan-gpt2");
    saveGpt2(bad, dir, { allowNonFinite: true });
    expect(() => loadGpt2(dir)).toThrow(/tensor 'h\.0\.mlp\.c_fc\.weight' holds NaN at index 5/);
    const loaded = loadGpt2(dir, { allowNonFinite: true });
    loaded.dispose();
    bad.dispose();
    model.dispose();
  });
});

describe("tsrl train / eval", () => {
  it("--learning-rate 1e308 exits 1 naming the update and the quantity, keeps the checkpoint already there; eval of a NaN checkpoint exits 1 naming the tensor", async () => {
    const out = path.join(tmp, "cli-run");
    let r = await runProcess(process.execPath, [tsrl, "train", "ppo", "CartPole-v1", "--total-timesteps", "512", "--out", out, "--quiet"], { cwd: tmp, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const before = fs.readFileSync(path.join(out, "model.safetensors"));
    r = await runProcess(process.execPath, [tsrl, "train", "ppo", "CartPole-v1", "--learning-rate", "1e308", "--total-timesteps", "512", "--out", out, "--overwrite", "--quiet"], { cwd: tmp, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/tsrl train: stopped: update 1: \w+ is NaN; training diverged/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(fs.readFileSync(path.join(out, "model.safetensors")).equals(before)).toBe(true);

    // a NaN checkpoint (written on purpose): eval names the tensor, loadPolicy too
    const policy = loadPolicy(out);
    const nanDir = path.join(tmp, "cli-nan");
    const ck = loadCheckpoint(out);
    ck.tensors["policy/l1/w"].data[0] = NaN;
    saveCheckpoint(nanDir, { config: ck.config, tensors: ck.tensors }, { allowNonFinite: true });
    expect(() => loadPolicy(nanDir)).toThrow(/tensor 'policy\/l1\/w' holds NaN at index 0/);
    expect(policy.algorithm).toBe("ppo");
    r = await runProcess(process.execPath, [tsrl, "eval", nanDir, "--episodes", "2"], { cwd: tmp, timeout: 120_000 });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/^tsrl eval: checkpoint .*cli-nan: tensor 'policy\/l1\/w' holds NaN at index 0/);
  });
});
