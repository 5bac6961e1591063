/**
 * PPO's minibatch steps on two threads (lib/algos/ppo-part.ts, ppo-part-worker.ts): the gradient of
 * each minibatch is the sum of its two halves' — the whole minibatch's gradient — and computing the
 * second half in a worker gives the same parameters, bit for bit, as computing it on the calling
 * thread; a worker that dies is an error naming it, never a hang, and the steps after it go on
 * on one thread with the same numbers.
 */
import * as tf from "@tensorflow/tfjs";
import { describe, expect, it } from "vitest";
import { createRng, type Rng } from "../lib/core/rng";
import { createPpoAgent } from "../lib/algos/ppo";
import { ppoUpdateWorker, startPpoNets, syntheticPpoMinibatch, type PpoMinibatch, type PpoNets } from "../lib/algos/ppo-nets";
import { createPpoPart, splitRows } from "../lib/algos/ppo-part";
import { initMlpTrainer, mlpTrainerOn } from "../lib/nn/mlp/trainer";

const OBS = 8, ACTIONS = 4;
const netsOptions = { obsSize: OBS, nActions: ACTIONS, hiddenSizes: [64, 64], activation: "tanh" as const, lr: 3e-4, adamEps: 1e-5 };
const lossConfig = { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5 };

const start = (updateThreads: 1 | 2, minibatchRows = 64) => startPpoNets("typed", { ...netsOptions, updateThreads, minibatchRows }, createRng(7));

/** Minibatches of these row counts, drawn from one Rng (the same for every nets that replays them); every other one with action masks. */
function minibatches(nets: PpoNets, rowCounts: number[], rng: Rng): PpoMinibatch[] {
  return rowCounts.map((rows, i) => {
    const mb = syntheticPpoMinibatch(nets, OBS, ACTIONS, rows, rng);
    if (i % 2 === 1) {
      // a random illegal action per row, never the one taken
      mb.masks = new Uint8Array(rows * ACTIONS).fill(1);
      for (let t = 0; t < rows; t++) mb.masks[t * ACTIONS + ((mb.actions[t] + 1 + rng.int(ACTIONS - 1)) % ACTIONS)] = 0;
    }
    return mb;
  });
}

/** Every parameter and Adam moment as bytes: equal means equal bit for bit. */
function state(nets: PpoNets): Buffer[] {
  const adam = nets.optimizerState();
  return [...Object.values(nets.weights()).map((t) => t.data), ...adam.m, ...adam.v].map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}

describe("a minibatch's gradient from its two halves", () => {
  it("the halves' gradients add up to the whole minibatch's (within float32 rounding), and their loss terms to its loss terms", () => {
    const rng = createRng(3);
    const spec = (out: number) => ({ inputSize: OBS, hiddenSizes: [64, 64], outputSize: out, activation: "tanh" as const });
    const policy = initMlpTrainer("policy", spec(ACTIONS), rng, { outputGain: 0.01 }), critic = initMlpTrainer("value", spec(1), rng);
    const nets = { logits: (o: Float32Array, r: number) => policy.infer(o, r), values: (o: Float32Array, r: number) => Float32Array.from(critic.infer(o, r).subarray(0, r)) } as PpoNets;
    for (const rows of [64, 37]) {
      const mb = syntheticPpoMinibatch(nets, OBS, ACTIONS, rows, rng);
      const whole = createPpoPart(policy, critic).gradient(mb, 0, rows, rows, lossConfig);
      const wholeGrads = [...policy.grads, ...critic.grads].map((g) => Float32Array.from(g));
      // the halves on trainers of their own over the same parameters
      const other = (name: string, t: typeof policy) => mlpTrainerOn(name, t.spec, { params: flat(t.params) });
      const p1 = other("policy", policy), c1 = other("value", critic), p2 = other("policy", policy), c2 = other("value", critic);
      const h = splitRows(rows);
      const a = createPpoPart(p1, c1).gradient(mb, 0, h, rows, lossConfig), b = createPpoPart(p2, c2).gradient(mb, h, rows, rows, lossConfig);
      const second = [...p2.grads, ...c2.grads];
      const halves = [...p1.grads, ...c1.grads].map((g, i) => g.map((x, j) => x + second[i][j]));
      let worst = 0, scale = 0;
      halves.forEach((g, i) => g.forEach((x, j) => ((worst = Math.max(worst, Math.abs(x - wholeGrads[i][j]))), (scale = Math.max(scale, Math.abs(wholeGrads[i][j]))))));
      expect(scale).toBeGreaterThan(1e-3);
      expect(worst / scale, `${rows} rows`).toBeLessThan(1e-6);
      for (const k of ["policyLoss", "valueLoss", "entropy", "oldApproxKl", "approxKl", "clipFrac"] as const) expect(a[k] + b[k], k).toBeCloseTo(whole[k], 12);
    }
  });
});

/** A trainer's parameters as one flat array (mlpTrainerOn wants them so). */
function flat(arrays: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) (out.set(a, at), (at += a.length));
  return out;
}

describe("PPO's minibatch steps on two threads", () => {
  it("the second halves in a worker leave the same weights, Adam moments and step statistics as on one thread, bit for bit", async () => {
    const one = await start(1), two = await start(2);
    try {
      expect(one.updateThreads).toBe(1);
      expect(two.updateThreads).toBe(2);
      // 64-row minibatches (the LunarLander preset's), odd ones, one larger than the worker takes, a 1-row one (no second half)
      const rows = [...Array.from({ length: 40 }, () => 64), 63, 17, 65, 200, 1, 2, 64];
      const data = minibatches(one, rows, createRng(11));
      for (const [i, mb] of data.entries()) {
        const a = one.step(mb, lossConfig), b = two.step(mb, lossConfig);
        expect(b, `step ${i} (${mb.actions.length} rows)`).toEqual(a);
      }
      expect(state(two)).toEqual(state(one));
      // the worker did compute halves (not all taken back by this thread), so the comparison covered it
      expect(ppoUpdateWorker(two)!.halvesInWorker).toBeGreaterThan(0);
      expect(ppoUpdateWorker(one)).toBeUndefined();
    } finally {
      one.dispose();
      two.dispose();
    }
  });

  it("PPO on LunarLander learns the same numbers with updateThreads 2 as with 1 (metrics and weights), no tensors left behind", async () => {
    const config = { envId: "LunarLander-v3", seed: 2, numEnvs: 4, numSteps: 128, numMinibatches: 8, updateEpochs: 2, totalTimesteps: 3 * 4 * 128, evalEpisodes: 1 };
    const run = async (updateThreads: number) => {
      const tensors = tf.memory().numTensors;
      const agent = await createPpoAgent({ ...config, updateThreads });
      try {
        expect(agent.updateThreads).toBe(updateThreads);
        await agent.train();
        return { rows: agent.metrics.map(({ wallTime: _w, rolloutTime: _r, updateTime: _u, sps: _s, ...rest }) => rest), weights: Object.values(agent.weights()).map((t) => Array.from(t.data)) };
      } finally {
        agent.dispose();
        expect(tf.memory().numTensors).toBe(tensors);
      }
    };
    const a = await run(1), b = await run(2);
    expect(a.rows.length).toBe(3);
    expect(b.rows).toEqual(a.rows);
    expect(b.weights).toEqual(a.weights);
  });

  it("updateThreads 2 needs the typed engine; 0 and 3 are refused", async () => {
    await expect(createPpoAgent({ engine: "tfjs", updateThreads: 2 })).rejects.toThrow(/updateThreads = 2 needs engine "typed"/);
    await expect(createPpoAgent({ updateThreads: 3 })).rejects.toThrow(/updateThreads/);
    await expect(createPpoAgent({ updateThreads: 0 })).rejects.toThrow(/updateThreads/);
  });
});

describe("failures are errors, never hangs", () => {
  it("a worker that stops mid-update is an error naming it; the next steps run on one thread with the same numbers", async () => {
    const two = await start(2), one = await start(1);
    try {
      const data = minibatches(two, Array.from({ length: 64 }, () => 64), createRng(5));
      ppoUpdateWorker(two)!.killWorker(30);
      const t0 = Date.now();
      let error: Error | undefined, taken = 0;
      while (!error && Date.now() - t0 < 20_000) {
        try {
          two.step(data[taken % data.length], lossConfig);
          taken++;
        } catch (e) {
          error = e as Error;
        }
      }
      expect(error?.message).toMatch(/PPO update worker: worker 1 stopped \(exit code 1\).*this minibatch step was not taken/);
      expect(two.updateThreads).toBe(1);
      // the failed step left nothing behind: the same steps on one thread, then more on both, agree bit for bit
      for (let i = 0; i < taken; i++) one.step(data[i % data.length], lossConfig);
      for (let i = 0; i < 5; i++) expect(two.step(data[i], lossConfig)).toEqual(one.step(data[i], lossConfig));
      expect(state(two)).toEqual(state(one));
    } finally {
      two.dispose();
      one.dispose();
    }
  });

  it("an exception computing either half is thrown by the step, with its message; the next step runs", async () => {
    const two = await start(2);
    try {
      const [mb] = minibatches(two, [64], createRng(6));
      mb.actions[50] = 9; // in the second half
      expect(() => two.step(mb, lossConfig)).toThrow(/action 9 at row 18 is not in \[0, 4\)/);
      mb.actions[50] = 1;
      expect(Number.isFinite(two.step(mb, lossConfig).policyLoss)).toBe(true);
      // in the first half (this thread's, while the worker has the second): that error, and the next step runs
      mb.actions[3] = -1;
      expect(() => two.step(mb, lossConfig)).toThrow(/action -1 at row 3 is not in \[0, 4\)/);
      mb.actions[3] = 0;
      expect(Number.isFinite(two.step(mb, lossConfig).policyLoss)).toBe(true);
      expect(two.updateThreads).toBe(2);
    } finally {
      two.dispose();
    }
  });
});
