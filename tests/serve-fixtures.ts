/**
 * Checkpoints for the server tests, written in seconds (untrained: a server's contract does not
 * depend on how well its agent plays): a Tic-Tac-Toe actor-critic, a CartPole REINFORCE, an edit
 * agent (GRPO's edit network), a small GPT-2 with GPT-2's vocabulary, and an "overflow" copy of the
 * Tic-Tac-Toe one whose finite weights (±3e38) overflow to NaN in the forward pass.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "vitest";
import { saveAgent } from "../lib/algos/checkpoint";
import { createAgent, loadPolicy } from "../lib/algos/registry";
import { createRng } from "../lib/core/rng";
import { MODEL_FILE } from "../lib/data/checkpoint";
import { readSafetensors, writeSafetensors } from "../lib/data/safetensors";
import { createGpt2, saveGpt2 } from "../lib/nn/gpt2";
import { initBackend } from "../lib/nn/backend";

export interface ServeFixtures {
  ticTacToe: string;
  cartPole: string;
  edit: string;
  gpt2: string;
  overflow: string;
}

/** A GPT-2 small enough to load and answer in well under a second. */
export const SERVE_GPT2 = { nLayer: 1, nHead: 2, nEmbd: 16, nPositions: 64, vocabSize: 50257, layerNormEps: 1e-5, dropout: 0 };

export async function writeServeFixtures(dir: string): Promise<ServeFixtures> {
  await initBackend({ quiet: true });
  const out = {
    ticTacToe: path.join(dir, "ttt"),
    cartPole: path.join(dir, "cartpole"),
    edit: path.join(dir, "edit"),
    gpt2: path.join(dir, "gpt2"),
    overflow: path.join(dir, "overflow"),
  };
  for (const [algorithm, config, where] of [
    ["actor-critic", { envId: "TicTacToe-v0", seed: 1 }, out.ticTacToe],
    ["reinforce", { envId: "CartPole-v1", seed: 1 }, out.cartPole],
    ["grpo", { envId: "EditAgent-v0", seed: 2, hiddenSizes: [16, 8], warmStartSteps: 0 }, out.edit],
  ] as const) {
    const agent = await createAgent(algorithm, config);
    saveAgent(where, agent);
    agent.dispose();
  }
  const agent = await createAgent("actor-critic", { envId: "TicTacToe-v0", seed: 1 });
  saveAgent(out.overflow, agent);
  agent.dispose();
  const weights = readSafetensors(path.join(out.overflow, MODEL_FILE)).tensors;
  const huge = Object.fromEntries(Object.entries(weights).map(([name, t]) => [name, { shape: t.shape, data: Float32Array.from(t.data as Float32Array, (v) => (v < 0 ? -3e38 : 3e38)) }]));
  writeSafetensors(path.join(out.overflow, MODEL_FILE), huge);
  loadPolicy(out.overflow); // still a valid checkpoint: every weight is finite
  const model = createGpt2(SERVE_GPT2, createRng(7));
  saveGpt2(model, out.gpt2);
  model.dispose();
  return out;
}

/** Writes the fixtures into a temporary folder before the file's tests (removed after them); its fields are set from then on. */
export function useServeFixtures(name: string): { dir: string; fx: ServeFixtures } {
  const state = {} as { dir: string; fx: ServeFixtures };
  beforeAll(async () => {
    state.dir = fs.mkdtempSync(path.join(os.tmpdir(), `tsrl-serve-${name}-`));
    state.fx = await writeServeFixtures(state.dir);
  }, 60_000);
  afterAll(() => {
    if (state.dir) fs.rmSync(state.dir, { recursive: true, force: true });
  });
  return state;
}
