import { describe, expect, it } from "vitest";
import type { Env } from "../lib/core/env";
import { createRng } from "../lib/core/rng";
import { box, discrete } from "../lib/core/spaces";
import { vectorEnv } from "../lib/core/vector-env";
import { timeLimit } from "../lib/core/wrappers";
import { collectEpisodes, collectSteps, startRollout, type DiscreteActor } from "../lib/algos/rollout";

/**
 * A corridor of cells 0..4: actions 0 left, 1 stay, 2 right; moving left from 0 is illegal (masked).
 * Reaching cell 4 terminates with reward 1; every other step pays −0.1. Observation: [cell / 4, step].
 */
function corridor(): Env<Float32Array, number> {
  let cell = 0, steps = 0;
  const obs = () => Float32Array.of(cell / 4, steps);
  const mask = () => Uint8Array.of(cell > 0 ? 1 : 0, 1, 1);
  return {
    id: "Corridor-v0",
    observationSpace: box(0, 1000, [2]),
    actionSpace: discrete(3),
    reset: () => { cell = 0; steps = 0; return { obs: obs(), info: { actionMask: mask() } }; },
    step(a) {
      if (a === 0 && cell === 0) throw new RangeError("illegal move left from cell 0");
      cell += a - 1;
      steps += 1;
      return { obs: obs(), reward: cell === 4 ? 1 : -0.1, terminated: cell === 4, truncated: false, info: { actionMask: mask() } };
    },
  };
}

/** Logits that prefer "left" strongly: masking is what keeps the agent legal at cell 0. */
const leftLover: DiscreteActor = {
  obsSize: 2,
  nActions: 3,
  logits: (_obs, rows) => Float32Array.from({ length: rows * 3 }, (_, k) => (k % 3 === 0 ? 3 : 0)),
};

describe("collectSteps (T steps of a vector env)", () => {
  it("acts only among legal actions, records masks and log-probabilities of the masked softmax", () => {
    const venv = vectorEnv([timeLimit(corridor(), 6), timeLimit(corridor(), 6)]);
    const state = startRollout(venv, 3, 0);
    const batch = collectSteps(venv, state, leftLover, 10, createRng(1));
    expect(batch.masks).toBeDefined();
    for (let k = 0; k < 20; k++) {
      const cellZero = batch.obs[k * 2] === 0;
      expect(batch.masks![k * 3]).toBe(cellZero ? 0 : 1);
      if (cellZero) expect(batch.actions[k]).not.toBe(0);
      // log π(a|s): softmax over the legal logits only
      const legal = cellZero ? [0, 0] : [3, 0, 0];
      const z = Math.log(legal.reduce((s, l) => s + Math.exp(l), 0));
      const logit = batch.actions[k] === 0 ? 3 : 0;
      expect(batch.logProbs[k]).toBeCloseTo(logit - z, 5);
    }
  });

  it("keeps the observation each truncated episode ended on, and the state carries over", () => {
    const venv = vectorEnv([timeLimit(corridor(), 3), timeLimit(corridor(), 5)]);
    const state = startRollout(venv, 3, 0);
    const stay: DiscreteActor = { obsSize: 2, nActions: 3, logits: (_o, rows) => Float32Array.from({ length: rows * 3 }, (_, k) => (k % 3 === 1 ? 50 : 0)) };
    const first = collectSteps(venv, state, stay, 4, createRng(2));
    // env 0 truncates at its 3rd step (t = 2 → flat index 4), env 1 runs on
    expect([...first.finalObs.keys()]).toEqual([4]);
    expect(Array.from(first.finalObs.get(4)!)).toEqual([0, 3]); // the last observation of that episode: step counter 3
    expect(Array.from(first.truncated)).toEqual([0, 0, 0, 0, 1, 0, 0, 0]);
    expect(Array.from(first.terminated)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // after the auto-reset env 0 acted on a fresh observation at t = 3
    expect(Array.from(first.obs.subarray(6 * 2, 6 * 2 + 2))).toEqual([0, 0]);
    expect(Array.from(first.lastObs)).toEqual([0, 1, 0, 4]);
    expect(first.episodes).toEqual([{ env: 0, return: expect.closeTo(-0.3, 6), length: 3, terminated: false, truncated: true }]);
    const second = collectSteps(venv, state, stay, 1, createRng(2));
    expect(Array.from(second.obs)).toEqual([0, 1, 0, 4]); // continues where the first stopped
    expect([...second.finalObs.keys()]).toEqual([1]); // env 1 truncates at its 5th step
  });

  it("names a bad observation or reward", () => {
    const bad: Env<Float32Array, number> = { ...corridor(), step: () => ({ obs: Float32Array.of(0, 0), reward: NaN, terminated: false, truncated: false, info: {} }) };
    const venv = vectorEnv([bad]);
    expect(() => collectSteps(venv, startRollout(venv, 3), leftLover, 1, createRng(0))).toThrow(/Corridor-v0: reward NaN is not a finite number/);
  });
});

describe("collectEpisodes (whole episodes)", () => {
  it("lays episodes back to back with their ends, returns and masks", () => {
    const envs = [corridor(), corridor()];
    const right: DiscreteActor = { obsSize: 2, nActions: 3, logits: (_o, rows) => Float32Array.from({ length: rows * 3 }, (_, k) => (k % 3 === 2 ? 50 : 0)) };
    const batch = collectEpisodes(envs, right, createRng(0), { seed: 0 });
    expect(batch.lengths).toEqual([4, 4]);
    expect(Array.from(batch.episodeEnds)).toEqual([0, 0, 0, 1, 0, 0, 0, 1]);
    expect(batch.returns.map((r) => +r.toFixed(6))).toEqual([0.7, 0.7]);
    expect(batch.terminated).toEqual([true, true]);
    expect(Array.from(batch.masks!.subarray(0, 6))).toEqual([0, 1, 1, 1, 1, 1]);
    expect(Array.from(batch.actions)).toEqual([2, 2, 2, 2, 2, 2, 2, 2]);
  });

  it("greedy picks the best legal action", () => {
    const batch = collectEpisodes([timeLimit(corridor(), 3)], leftLover, createRng(0), { greedy: true });
    expect(Array.from(batch.actions)).toEqual([1, 1, 1]); // left is illegal at cell 0: "stay" (index 1) ties with "right" and wins by index
  });
});
