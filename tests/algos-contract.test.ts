/**
 * The contract every registered algorithm keeps (lib/algos/registry.ts), run over all of them:
 * adding an algorithm adds it to these tests with no new test code.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { isAbortError } from "../lib/core/abort";
import { makeEnv } from "../lib/envs/registry";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import type { BaseRow } from "../lib/algos/agent";
import { loadMetrics, renameMetricsColumns, saveAgent } from "../lib/algos/checkpoint";
import { algorithmNames, algorithmSpec, createAgent, loadAgent, loadPolicy, trainerFor } from "../lib/algos/registry";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-contract-"));
beforeAll(async () => { await initBackend({ quiet: true }); });
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Rows without the clock columns, which differ from run to run. */
// clock readings differ between identical runs: wallTime, sps and any other *Time field (PPO's rolloutTime, updateTime)
const isClock = (key: string) => key === "sps" || /Time$/.test(key);
const unclocked = (rows: readonly BaseRow[]) =>
  rows.map((row) => Object.fromEntries(Object.entries(row).filter(([key]) => !isClock(key))));

describe.each(algorithmNames())("algorithm %s", (name) => {
  const spec = algorithmSpec(name);
  const smoke = (extra: Record<string, unknown> = {}) => ({ ...spec.smokeConfig, ...extra });

  it("has a valid smoke config and rejects a bad field by name", () => {
    expect(() => spec.schema.parse(spec.smokeConfig as Record<string, unknown>)).not.toThrow();
    expect(() => spec.schema.parse({ seed: -1 })).toThrow(/seed = -1/);
    expect(() => spec.schema.parse({ notAField: 1 })).toThrow(/unknown field 'notAField'/);
  });

  it("does not leak tensors over many updates, and dispose() frees all it made", async () => {
    // a first agent warms up tfjs's one-time caches (kernels' constants), so they are not counted
    const warm = await createAgent(name, smoke({ seed: 1 }));
    await warm.train();
    warm.dispose();
    const base = tf.memory().numTensors;
    const agent = await createAgent(name, smoke({ seed: 2 }));
    const counts: number[] = [];
    await agent.train({ onUpdate: () => counts.push(tf.memory().numTensors) });
    await agent.train(); // a second call (resume) makes no new tensors either
    counts.push(tf.memory().numTensors);
    expect(counts.length).toBeGreaterThanOrEqual(4);
    expect(new Set(counts.slice(1)).size, `tensors per update: ${counts.join(", ")}`).toBe(1);
    agent.dispose();
    expect(tf.memory().numTensors).toBe(base);
  });

  it("is reproducible: same seed, identical metrics and weights; another seed differs", async () => {
    const run = async (seed: number) => {
      const agent = await createAgent(name, smoke({ seed }));
      await agent.train();
      const out = { rows: unclocked(agent.metrics), weights: agent.weights() };
      agent.dispose();
      return out;
    };
    const a = await run(3), b = await run(3), c = await run(4);
    expect(a.rows.length).toBeGreaterThan(0);
    expect(b.rows).toEqual(a.rows);
    expect(b.weights).toEqual(a.weights);
    expect(c.rows).not.toEqual(a.rows);
  });

  it("an interrupt keeps the metrics and weights; train() continues from there", async () => {
    const agent = await createAgent(name, smoke({ seed: 5 }));
    const controller = new AbortController();
    const err = await agent.train({ signal: controller.signal, onUpdate: (row) => { if (row.update === 2) controller.abort(); } }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(agent.metrics.map((r) => r.update)).toEqual([1, 2]);
    const weightsAtStop = agent.weights();
    const resumed = await agent.train();
    expect(resumed.stopped).not.toBe("aborted");
    expect(agent.metrics.length).toBeGreaterThan(2);
    expect(agent.metrics[2].update).toBe(3);
    expect(agent.metrics[2].wallTime).toBeGreaterThanOrEqual(agent.metrics[1].wallTime); // the clock runs on
    expect(agent.weights()).not.toEqual(weightsAtStop);
    // with onAbort "return", the result says so instead of throwing
    const again = await createAgent(name, smoke({ seed: 5 }));
    const c2 = new AbortController();
    c2.abort();
    const r = await again.train({ signal: c2.signal, onAbort: "return" });
    expect(r.stopped).toBe("aborted");
    agent.dispose();
    again.dispose();
  });

  it("a checkpoint round trip acts identically", async () => {
    const agent = await createAgent(name, smoke({ seed: 6 }));
    const result = await agent.train();
    const dir = saveAgent(path.join(tmp, `${name}-roundtrip`), agent, result);
    const policy = loadPolicy(dir);
    expect(policy.algorithm).toBe(name);
    expect(policy.config).toEqual(agent.config);
    expect(policy.metrics?.length).toBe(agent.metrics.length);
    // the checkpoint holds checkpointWeights(); compare with an agent holding exactly those
    const reloaded = await loadAgent(dir);
    expect(reloaded.weights()).toEqual(agent.checkpointWeights());
    const env = makeEnv(agent.envId);
    const rngA = createRng(9), rngB = createRng(9);
    let { obs, info } = env.reset({ seed: 11 });
    for (let t = 0; t < 200; t++) {
      const greedy = t % 2 === 0;
      const a = reloaded.act(obs, { greedy, rng: rngA, mask: info.actionMask });
      expect(policy.act(obs, { greedy, rng: rngB, mask: info.actionMask })).toBe(a);
      const step = env.step(a);
      ({ obs, info } = step.terminated || step.truncated ? env.reset() : step);
    }
    agent.dispose();
    reloaded.dispose();
  });
});

describe("checkpoints written under the old names (one release of aliases)", () => {
  it("a PPO checkpoint whose config.json and metrics.csv use the old names loads, under the new ones, with one warning", async () => {
    const dir = path.join(tmp, "old-names");
    const agent = await createAgent("ppo", { ...algorithmSpec("ppo").smokeConfig, seed: 4 });
    await agent.train();
    saveAgent(dir, agent);
    const probs = agent.probs(new Float32Array([0.01, 0.02, 0.03, 0.04]));
    agent.dispose();
    // rewrite the checkpoint as the previous release wrote it
    const file = path.join(dir, "config.json");
    const config = JSON.parse(fs.readFileSync(file, "utf8"));
    const { learningRate, totalTimesteps, ...rest } = config.hyperparameters;
    config.hyperparameters = { ...rest, lr: learningRate, totalSteps: totalTimesteps };
    fs.writeFileSync(file, JSON.stringify(config));
    const csv = path.join(dir, "metrics.csv");
    fs.writeFileSync(csv, fs.readFileSync(csv, "utf8").replace(/(^|,)learningRate(,|\n)/, "$1lr$2"));
    expect(fs.readFileSync(csv, "utf8").split("\n")[0].split(",")).toContain("lr");

    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const policy = loadPolicy(dir);
      expect(policy.config).toMatchObject({ learningRate, totalTimesteps });
      expect(policy.config).not.toHaveProperty("lr");
      expect(Array.from(policy.probs(new Float32Array([0.01, 0.02, 0.03, 0.04])))).toEqual(Array.from(probs));
      expect(policy.metrics![0]).toHaveProperty("learningRate");
      expect(loadMetrics(dir)[0].learningRate).toBe(policy.metrics![0].learningRate);
      const again = await loadAgent(dir);
      expect(again.config).toMatchObject({ learningRate, totalTimesteps });
      again.dispose();
      expect(warn.mock.calls.map((c) => c[0])).toEqual(["tsrl: ppo config: renamed lr → learningRate, totalSteps → totalTimesteps; the old names are accepted until the next release"]);
    } finally {
      warn.mockRestore();
    }
  });

  it("renamed report-card columns read under their new names", () => {
    const rows = renameMetricsColumns([{ update: 1, win_random: 0.5, win_random_as_x: 0.6, exhaustive_losses_o: 2, exact_match: 0.9, exact_typo: 1, mean_minimal_steps: 1.5, lr: 0.1, exactMatch: 0.7 }]);
    expect(rows).toEqual([{ update: 1, winRandom: 0.5, winRandomAsX: 0.6, exhaustiveLossesO: 2, evalExactMatch: 0.9, evalExactTypo: 1, evalMeanMinimalSteps: 1.5, learningRate: 0.1, exactMatch: 0.7 }]);
  });
});

describe("the registry resolves algorithm/env pairs (tsrl train's one path)", () => {
  it("grpo on GPT2 is GRPO for language models; grpo on an environment is the episodic agent; an unknown pair is named", () => {
    const lm = trainerFor("grpo", "GPT2"), episodic = trainerFor("grpo", "TicTacToe-v0");
    expect(lm).not.toBe(episodic);
    expect(lm.schema.fields).toHaveProperty("lossType"); // TRL's options
    expect(episodic.schema.fields).toHaveProperty("topM");
    expect(lm.unit).toBe("step");
    expect(trainerFor("ppo", "LunarLander-v3").algorithm).toBe("ppo");
    expect(() => trainerFor("ppo2", "CartPole-v1")).toThrow(/unknown algorithm "ppo2"; expected one of reinforce, actor-critic, ppo, grpo/);
    expect(() => lm.config({ envId: "GPT2", reward: "rules:length" })).toThrow(/give --model DIR/);
    expect(lm.config({ envId: "GPT2", model: "tiny", reward: "rules:length", beta: 0.1 })).toMatchObject({ envId: "GPT2", model: "tiny", beta: 0.1, numGenerations: 8 });
  });
});
