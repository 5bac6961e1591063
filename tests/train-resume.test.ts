/**
 * Resuming a run (lib/algos/resume): a run interrupted between updates, saved and loaded with
 * `resume: true` continues with the same numbers as the uninterrupted run of the same seed —
 * metrics and weights, bit for bit — for REINFORCE and GRPO (CartPole, Tic-Tac-Toe), PPO and
 * actor-critic on CartPole (whose env state is captured), and GRPO on a language model; where the
 * env state cannot be captured (self-play Tic-Tac-Toe, LunarLander) the checkpoint says so and the
 * run continues from new episodes. Periodic checkpoints come when asked.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import type { Agent, BaseRow, TrainPhase } from "../lib/algos/agent";
import { saveAgent } from "../lib/algos/checkpoint";
import { createGrpoLmTrainer, type TextCodec } from "../lib/algos/grpo-lm";
import { createAgent, loadAgent } from "../lib/algos/registry";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, gpt2FromWeights } from "../lib/nn/gpt2";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-resume-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeAll(() => initBackend({ quiet: true }));

const CLOCK = new Set(["wallTime", "sps", "rolloutTime", "updateTime", "generateSeconds", "updateSeconds"]);
const withoutClock = (rows: readonly object[]) => rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => !CLOCK.has(k))));
const sameWeights = (a: Agent<object, BaseRow>, b: Agent<object, BaseRow>) => {
  const wa = a.weights(), wb = b.weights();
  return Object.keys(wa).length === Object.keys(wb).length && Object.keys(wa).every((k) => wa[k].data.every((v, i) => Object.is(v, wb[k].data[i])));
};

/** Trains `config` whole; then again, stopped at the start of update `stopAt`, saved, loaded with resume and finished. */
async function resumeAgainstWhole(name: string, config: Record<string, unknown>, stopAt: number, phase: TrainPhase = "collect") {
  const whole = await createAgent(name, config);
  await whole.train();
  const first = await createAgent(name, config);
  const controller = new AbortController();
  const cut = await first.train({ signal: controller.signal, onAbort: "return", onPhase: (p, u) => { if (p === phase && u === stopAt) controller.abort(); } });
  expect(cut.stopped).toBe("aborted");
  const dir = path.join(tmp, `${name}-${String(config.envId)}-${stopAt}-${phase}`);
  saveAgent(dir, first, cut, { inexact: cut.interruptedIn ? `cut in ${cut.interruptedIn}` : undefined });
  first.dispose();
  const resumed = await loadAgent(dir, { resume: true });
  expect(resumed.metrics.length).toBe(cut.updates);
  const rest = await resumed.train();
  const saved = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8")).resume as { exact: boolean; note?: string };
  return { whole, resumed, rest, saved };
}

describe("resume is exact where the state is captured", () => {
  it.each([
    ["reinforce", { envId: "CartPole-v1", seed: 3, maxEpisodes: 80, episodesPerUpdate: 8, hiddenSizes: [16], targetReturn: 20, targetWindow: 8, evalEpisodes: 3, evalThreshold: 1e9 }],
    ["grpo", { envId: "TicTacToe-v0", seed: 3, numGenerations: 8, topM: 2, maxEpisodes: 80, evalEvery: 3, evalGames: 4, hiddenSizes: [16] }],
    ["grpo", { envId: "CartPole-v1", seed: 4, numGenerations: 4, topM: 1, maxEpisodes: 40, evalEvery: 4, evalGames: 3, hiddenSizes: [16] }],
    ["ppo", { envId: "CartPole-v1", seed: 3, numEnvs: 4, numSteps: 16, numMinibatches: 2, updateEpochs: 2, totalTimesteps: 640, hiddenSizes: [16], evalEpisodes: 2, evalEvery: 4, normalizeObs: true, normalizeReward: true }],
    ["actor-critic", { envId: "CartPole-v1", seed: 3, numEnvs: 4, numSteps: 8, totalTimesteps: 320, hiddenSizes: [16], evalEvery: 4, evalGames: 3 }],
  ])("%s on %o: stopped at update 5, saved, resumed → the uninterrupted run's metrics and weights", async (name, config) => {
    const { whole, resumed, rest, saved } = await resumeAgainstWhole(name, config, 5);
    expect(saved).toEqual({ exact: true });
    expect(rest.stopped).toBe("done");
    expect(resumed.metrics.length).toBe(whole.metrics.length);
    expect(withoutClock(resumed.metrics)).toEqual(withoutClock(whole.metrics));
    expect(sameWeights(resumed, whole)).toBe(true);
    whole.dispose();
    resumed.dispose();
  });

  itSlow("GRPO's warm start resumes exactly too (the demonstrations' order is part of the state)", async () => {
    const config = { envId: "EditAgent-v0", seed: 2, hiddenSizes: [16, 8], numGenerations: 4, groupsPerUpdate: 2, evalEvery: 1000, evalGames: 4, warmStartSteps: 75, warmStartBatch: 8, maxEpisodes: 16 };
    const { whole, resumed, saved } = await resumeAgainstWhole("grpo", config, 2, "update"); // a warm-start row has no collection
    expect(saved.exact).toBe(true);
    expect(withoutClock(resumed.metrics)).toEqual(withoutClock(whole.metrics));
    expect(sameWeights(resumed, whole)).toBe(true);
    whole.dispose();
    resumed.dispose();
  });

  it("GRPO on a language model: the trainer's state and the model's weights → the same rewards and weights", async () => {
    const codec: TextCodec = { encode: (s) => [...s].map((c) => c.charCodeAt(0) - 97), decode: (ids) => ids.map((i) => String.fromCharCode(97 + i)).join("") };
    const reward = (_p: string[], c: string[]) => c.map((x) => [...x].filter((ch) => ch === "d").length / Math.max(1, x.length));
    const config = { numGenerations: 4, promptsPerStep: 2, maxCompletionLength: 5, eosId: -1, learningRate: 3e-3, maxSteps: 6, beta: 0.05, numIterations: 2, seed: 5 };
    const make = () => createGpt2({ nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 16, vocabSize: 16, dropout: 0 }, createRng(1));
    const prompts = ["ab", "cd", "efg"];
    const wholeModel = make();
    const whole = createGrpoLmTrainer({ model: wholeModel, tokenizer: codec, prompts, reward, config });
    await whole.train();

    const model = make();
    const first = createGrpoLmTrainer({ model, tokenizer: codec, prompts, reward, config });
    const controller = new AbortController();
    await first.train({ signal: controller.signal, onAbort: "return", onPhase: (p, u) => { if (p === "collect" && u === 4) controller.abort(); } });
    const snapshot = first.trainingState();
    const onDisk = { ...snapshot, json: JSON.parse(JSON.stringify(snapshot.json)) }; // as train_state.json holds it
    const resumedModel = gpt2FromWeights(model.config, model.weights()); // as model.safetensors holds it
    first.dispose();
    const resumed = createGrpoLmTrainer({ model: resumedModel, tokenizer: codec, prompts, reward, config });
    resumed.restoreTrainingState(onDisk);
    expect(resumed.metrics).toHaveLength(3);
    await resumed.train();
    expect(withoutClock(resumed.metrics)).toEqual(withoutClock(whole.metrics));
    expect(Array.from(resumedModel.weights()["wte.weight"].data)).toEqual(Array.from(wholeModel.weights()["wte.weight"].data));
    for (const t of [whole, resumed]) t.dispose();
    for (const m of [wholeModel, model, resumedModel]) m.dispose();
  });
});

describe("where resume cannot be exact, the checkpoint says so and the run goes on", () => {
  it("self-play Tic-Tac-Toe (opponents are functions) and LunarLander (a Box2D world)", async () => {
    const ac = await resumeAgainstWhole("actor-critic", { envId: "TicTacToe-v0", seed: 3, numEnvs: 4, numSteps: 4, totalTimesteps: 160, hiddenSizes: [16], evalEvery: 4, evalGames: 3, snapshotEvery: 2 }, 5);
    expect(ac.saved).toMatchObject({ exact: false, note: expect.stringMatching(/TicTacToe-v0's state cannot be captured/) });
    expect(ac.resumed.metrics.length).toBe(ac.whole.metrics.length);
    const ll = await resumeAgainstWhole("ppo", { envId: "LunarLander-v3", seed: 3, numEnvs: 2, numSteps: 32, numMinibatches: 2, updateEpochs: 1, totalTimesteps: 256, hiddenSizes: [16], evalEpisodes: 1 }, 2);
    expect(ll.saved).toMatchObject({ exact: false, note: expect.stringMatching(/LunarLander-v3's state cannot be captured/) });
    expect(ll.rest.stopped).toBe("done");
    for (const r of [ac, ll]) { r.whole.dispose(); r.resumed.dispose(); }
  });

  it("a save made while an update was under way is marked inexact", async () => {
    const r = await resumeAgainstWhole("reinforce", { envId: "CartPole-v1", seed: 3, maxEpisodes: 48, hiddenSizes: [16], targetReturn: 0, evalThreshold: 0 }, 3, "update");
    expect(r.saved).toMatchObject({ exact: false, note: "cut in collect" });
    r.whole.dispose();
    r.resumed.dispose();
  });

  it("a checkpoint without training state is named, not half-resumed", async () => {
    const agent = await createAgent("reinforce", { seed: 1, maxEpisodes: 8, hiddenSizes: [8], targetReturn: 0, evalThreshold: 0 });
    await agent.train();
    const dir = path.join(tmp, "no-state");
    saveAgent(dir, agent, undefined, { trainingState: false });
    await expect(loadAgent(dir, { resume: true })).rejects.toThrow(/holds no training state \(train_state\.json, train_state\.safetensors\)/);
    agent.dispose();
  });
});

describe("periodic checkpoints", () => {
  it("every N updates (and by training time), the signal honoured after each", async () => {
    const agent = await createAgent("reinforce", { seed: 1, maxEpisodes: 56, episodesPerUpdate: 8, hiddenSizes: [8], targetReturn: 0, evalThreshold: 0 });
    const saves: number[] = [];
    await agent.train({ checkpoint: { every: { updates: 3 }, save: () => void saves.push(agent.metrics.length) } });
    expect(saves).toEqual([3, 6]);
    const timed: number[] = [];
    await agent.train({ checkpoint: { every: { seconds: 0 }, save: () => void timed.push(1) } }); // 0 = off
    expect(timed).toEqual([]);
    const more = await createAgent("reinforce", { seed: 1, maxEpisodes: 40, episodesPerUpdate: 8, hiddenSizes: [8], targetReturn: 0, evalThreshold: 0 });
    const t: number[] = [];
    await more.train({ checkpoint: { every: { seconds: 1e-9 }, save: () => void t.push(more.metrics.length) } });
    expect(t).toEqual([1, 2, 3, 4, 5]);
    agent.dispose();
    more.dispose();
  });
});
