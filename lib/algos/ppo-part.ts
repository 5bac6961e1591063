/**
 * PPO's loss gradient from one part of a minibatch, for the typed engine (./ppo-nets.ts).
 *
 * The loss is a mean over the minibatch's rows, so its gradient is a sum over rows, and the sum
 * over rows [0, h) plus the sum over rows [h, rows) is the whole minibatch's gradient. A minibatch
 * step therefore splits its minibatch in two fixed halves (`splitRows`), computes each half's
 * gradient — its share of the mean: divided by the minibatch's rows, not the half's — and adds the
 * second half's to the first's before clipping and Adam. The halves can be computed one after the
 * other on this thread (`inThreadPart`) or at the same time on two (./ppo-part-worker.ts); either
 * way each half is the same computation on the same parameters and the sum is the same float32
 * addition, so 1 thread and 2 give the same parameters bit for bit (tests/algos-ppo-threads.test.ts).
 *
 * What the split changes against one pass over all rows: the float64 dot products over rows of the
 * weight gradients (dW = Hᵀ·dZ, db = Σ dZ) are rounded to float32 per half and then added, so the
 * gradient differs in its last bits; the per-row quantities (forward, dL/dlogits, dL/dV) do not.
 */
import { logProbOfAction } from "../nn/categorical";
import { mlpTrainerOn, type MlpTrainer } from "../nn/mlp/trainer";
import type { MlpSpec } from "../nn/mlp/mlp";
import { ppoPolicyLoss, ppoValueLoss } from "./ppo-loss";
import type { PpoLossConfig, PpoMinibatch, PpoStepStats } from "./ppo-nets";

/** A part's share of a minibatch's loss terms and diagnostics (divided by the minibatch's rows): the parts' add up to the whole's. */
export type PpoPartStats = Omit<PpoStepStats, "gradNorm">;

/** Rows of the first half of a minibatch of `rows` (the second half has the rest; a 1-row minibatch has no second half). */
export const splitRows = (rows: number): number => rows - (rows >> 1);

/** The parts' shares added up, the first part's on the left. */
export function addPartStats(a: PpoPartStats, b: PpoPartStats): PpoPartStats {
  return {
    policyLoss: a.policyLoss + b.policyLoss, valueLoss: a.valueLoss + b.valueLoss, entropy: a.entropy + b.entropy,
    oldApproxKl: a.oldApproxKl + b.oldApproxKl, approxKl: a.approxKl + b.approxKl, clipFrac: a.clipFrac + b.clipFrac,
  };
}

export interface PpoPart {
  /**
   * dL/dθ of rows [from, to) of `mb` into the trainers' gradients (overwritten), as their share of
   * the mean over `meanOver` rows (the minibatch's), and the part's share of the loss terms.
   */
  gradient(mb: PpoMinibatch, from: number, to: number, meanOver: number, config: PpoLossConfig): PpoPartStats;
}

/** The part gradient on an actor and a critic trainer (their own gradient arrays; any parameters). */
export function createPpoPart(policy: MlpTrainer, critic: MlpTrainer): PpoPart {
  const n = policy.spec.outputSize, obsSize = policy.spec.inputSize;
  let dLogits = new Float32Array(0), dValues = new Float32Array(0);
  return {
    gradient(mb, from, to, meanOver, config) {
      const rows = to - from;
      if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && rows >= 1 && to <= mb.actions.length)) throw new RangeError(`PPO part gradient: rows [${from}, ${to}) of a minibatch of ${mb.actions.length}`);
      if (dLogits.length < rows * n) dLogits = new Float32Array(rows * n);
      if (dValues.length < rows) dValues = new Float32Array(rows);
      const obs = mb.obs.subarray(from * obsSize, to * obsSize);
      const actions = mb.actions.subarray(from, to), oldLogp = mb.oldLogp.subarray(from, to);
      const masks = mb.masks?.subarray(from * n, to * n);
      const z = policy.forward(obs, rows);
      let oldKl = 0;
      for (let t = 0; t < rows; t++) oldKl -= logProbOfAction(z, t, n, actions[t], masks) - oldLogp[t];
      const pl = ppoPolicyLoss(z, rows, n, { actions, oldLogProbs: oldLogp, advantages: mb.adv.subarray(from, to), mask: masks }, { clipCoef: config.clipCoef, entCoef: config.entCoef, meanOver }, dLogits);
      policy.backward(dLogits.subarray(0, rows * n));
      const v = critic.forward(obs, rows);
      const valueLoss = ppoValueLoss(v, rows, { returns: mb.ret.subarray(from, to), oldValues: mb.oldV.subarray(from, to) }, { clipCoef: config.clipVloss ? config.clipCoef : 0, coef: config.vfCoef, meanOver }, dValues);
      critic.backward(dValues.subarray(0, rows));
      return { policyLoss: pl.policyLoss, valueLoss, entropy: pl.entropy, oldApproxKl: oldKl / meanOver, approxKl: pl.approxKl, clipFrac: pl.clipFrac };
    },
  };
}

/**
 * Where a minibatch step's second half is computed: started before the first half and finished
 * after it, so that a worker thread can compute it meanwhile.
 */
export interface PpoSecondHalf {
  /** Threads this half runs on besides the caller's (0: this thread; 1: a worker). */
  readonly workers: number;
  /** Starts the gradient of rows [from, rows) of `mb`, a minibatch of `rows` rows, over the current parameters. */
  start(mb: PpoMinibatch, from: number, config: PpoLossConfig): void;
  /** Waits for it: its gradient (flat, in the parameters' storage order: actor's layers, then the critic's) and its shares of the loss terms. */
  finish(): { grads: Float32Array; stats: PpoPartStats };
  dispose(): void;
}

/**
 * The second half on this thread: trainers of its own (gradients and buffers) over the same
 * parameters, `params` (flat: the actor's, then the critic's).
 */
export function inThreadPart(policySpec: MlpSpec, valueSpec: MlpSpec, params: Float32Array, policySize: number): PpoSecondHalf {
  const grads = new Float32Array(params.length);
  const part = createPpoPart(
    mlpTrainerOn("policy", policySpec, { params: params.subarray(0, policySize), grads: grads.subarray(0, policySize) }),
    mlpTrainerOn("value", valueSpec, { params: params.subarray(policySize), grads: grads.subarray(policySize) }),
  );
  let stats: PpoPartStats | undefined;
  return {
    workers: 0,
    start(mb, from, config) {
      stats = part.gradient(mb, from, mb.actions.length, mb.actions.length, config);
    },
    finish() {
      if (!stats) throw new Error("PPO second half: finish() without start()");
      const s = stats;
      stats = undefined;
      return { grads, stats: s };
    },
    dispose() {},
  };
}
