/**
 * PPO's actor and critic and one minibatch step on them, two ways that compute the same thing:
 *
 *   "tfjs"   tfjs variables, the loss as a pure tensor function (ppoLoss), autograd, our Adam —
 *            the reference, readable form
 *   "typed"  the same MLPs on Float32Arrays (lib/nn/mlp/trainer): forward, backprop by hand, the
 *            loss gradients by hand (ppoPolicyLoss, ppoValueLoss in ./ppo-loss.ts) summed over
 *            the minibatch's two halves (./ppo-part.ts; the second in a worker thread with
 *            `startPpoNets(…, { updateThreads: 2 })`, the same numbers), Adam and clipping on
 *            typed arrays (lib/nn/optim) —
 *            ~1 ms per 64-row minibatch step against ~3.5-4.5 ms for tfjs-wasm (figs/bench.json),
 *            because small steps are priced by tfjs's per-op overhead, not by arithmetic
 *
 * tests/algos-ppo-loss.test.ts checks the typed loss and its gradients against ppoLoss under tfjs
 * autograd, and that one minibatch step of each engine leaves the same weights; tests/algos-ppo.test.ts
 * runs both engines through whole updates side by side. Both start from the same weights (the
 * same Rng draws), so the engine changes the speed, not the run.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { greedyAction, logProbOfAction, sampleAction, softmaxRow } from "../nn/categorical";
import { createFastMlp, syncFastMlp } from "../nn/mlp/fast-forward";
import { createMlp, mlpWeights, setMlpWeights, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { initMlpTrainer, mlpParamCount } from "../nn/mlp/trainer";
import type { ActContext } from "./evaluate";
import { clipGradNorm, createAdam, createTypedAdam, minimize, type AdamState } from "../nn/optim";
import { ppoLoss, type PpoLossTerms } from "./ppo-loss";
import { addPartStats, createPpoPart, inThreadPart, splitRows, type PpoPartStats, type PpoSecondHalf } from "./ppo-part";
import { startPpoPartWorker, type PpoPartWorker } from "./ppo-part-worker";

export type PpoEngine = "typed" | "tfjs";

/** One minibatch: observations [rows, obsSize] and per-step data; advantages already standardised if wanted. */
export interface PpoMinibatch {
  obs: Float32Array;
  actions: Int32Array;
  oldLogp: Float32Array;
  adv: Float32Array;
  ret: Float32Array;
  oldV: Float32Array;
  masks?: Uint8Array;
}

export interface PpoLossConfig {
  clipCoef: number;
  clipVloss: boolean;
  entCoef: number;
  vfCoef: number;
  maxGradNorm: number;
}

/** What one minibatch step measured. */
export interface PpoStepStats {
  policyLoss: number;
  valueLoss: number;
  entropy: number;
  /** −mean log r and mean((r − 1) − log r) (CleanRL's old_approx_kl, approx_kl). */
  oldApproxKl: number;
  approxKl: number;
  /** Share of steps whose ratio left [1 − ε, 1 + ε]. */
  clipFrac: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
}

export interface PpoNets {
  readonly engine: PpoEngine;
  /** Policy logits for acting, typed-array forward: [rows, nActions], a buffer reused by the next call. */
  logits(obs: Float32Array, rows: number): Float32Array;
  /** V(s) for `rows` observations (a fresh array). */
  values(obs: Float32Array, rows: number): Float32Array;
  act(obs: Float32Array, ctx: ActContext): number;
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  /** One optimiser step on PPO's loss for a minibatch. */
  step(mb: PpoMinibatch, config: PpoLossConfig): PpoStepStats;
  /** Threads that compute a minibatch step's gradient now (2: the typed engine's halves on two; see startPpoNets). */
  readonly updateThreads: number;
  /** The learning rate of the next step (anneal it). */
  lr: number;
  weights(): NamedTensors;
  setWeights(t: NamedTensors): void;
  /** Adam's step count, learning rate and moments (actor's parameters, then the critic's): what a resumed run needs. */
  optimizerState(): AdamState;
  setOptimizerState(state: AdamState): void;
  dispose(): void;
}

export interface PpoNetsOptions {
  obsSize: number;
  nActions: number;
  hiddenSizes: number[];
  activation: "tanh" | "relu";
  lr: number;
  adamEps: number;
}

/** The nets, their minibatch steps on this thread (see `startPpoNets` for two). */
export function createPpoNets(engine: PpoEngine, opts: PpoNetsOptions, rng: Rng): PpoNets {
  const net = (out: number): MlpSpec => ({ inputSize: opts.obsSize, hiddenSizes: opts.hiddenSizes, outputSize: out, activation: opts.activation });
  return engine === "typed" ? typedNets(net(opts.nActions), net(1), opts, rng) : tfjsNets(net(opts.nActions), net(1), opts, rng);
}

/** The typed engine's nets, with the hook that moves the second halves to a worker. */
interface TypedPpoNets extends PpoNets {
  useWorker(maxRows: number): Promise<PpoPartWorker>;
}

/**
 * The nets with their minibatch steps on `updateThreads` threads: 2 computes each step's second
 * half in a worker thread (typed engine only; minibatches of up to `minibatchRows` rows go there),
 * with the same numbers as 1. Draws the same weights from `rng` as createPpoNets.
 */
export async function startPpoNets(engine: PpoEngine, opts: PpoNetsOptions & { updateThreads: 1 | 2; minibatchRows: number }, rng: Rng): Promise<PpoNets> {
  if (opts.updateThreads === 2 && engine !== "typed") throw new RangeError(`updateThreads = 2 needs the typed engine, got engine "${engine}"`);
  const nets = createPpoNets(engine, opts, rng);
  if (opts.updateThreads === 2) workerOf.set(nets, await (nets as TypedPpoNets).useWorker(Math.max(1, opts.minibatchRows >> 1)));
  return nets;
}

const workerOf = new WeakMap<PpoNets, PpoPartWorker>();

/** The update worker of nets made by startPpoNets with 2 threads (undefined otherwise): how many halves it took, and a way for tests to kill it. */
export const ppoUpdateWorker = (nets: PpoNets): PpoPartWorker | undefined => workerOf.get(nets);

/** What both engines share: acting on the typed-array logits, and the optimiser's learning rate. */
function ppoNets(engine: PpoEngine, logits: (obs: Float32Array, rows: number) => Float32Array, n: number, optimizer: { lr: number }, rest: Pick<PpoNets, "values" | "step" | "weights" | "setWeights" | "optimizerState" | "setOptimizerState" | "dispose">, threads = () => 1): PpoNets {
  return {
    engine,
    get updateThreads() {
      return threads();
    },
    logits,
    act: (obs, { greedy, rng, mask }) => {
      const z = logits(obs, 1);
      return greedy ? greedyAction(z, 0, n, mask) : sampleAction(z, 0, n, rng, mask);
    },
    probs: (obs, mask) => softmaxRow(logits(obs, 1), mask),
    get lr() {
      return optimizer.lr;
    },
    set lr(v: number) {
      optimizer.lr = v;
    },
    ...rest,
  };
}

/**
 * The typed-array engine: parameters live in Float32Arrays that acting reads directly (no sync) —
 * one flat array on a SharedArrayBuffer (the actor's, then the critic's), so that a worker thread
 * can compute gradients over them (./ppo-part-worker.ts). Each minibatch step sums the gradients
 * of the minibatch's two halves (./ppo-part.ts), the second computed by `second`: on this thread,
 * or in the worker once `useWorker` gave one — the same numbers either way.
 */
function typedNets(policySpec: MlpSpec, valueSpec: MlpSpec, opts: PpoNetsOptions, rng: Rng): TypedPpoNets {
  const policySize = mlpParamCount(policySpec), size = policySize + mlpParamCount(valueSpec);
  const flatParams = new Float32Array(new SharedArrayBuffer(size * 4)), flatGrads = new Float32Array(size);
  const policy = initMlpTrainer("policy", policySpec, rng, { outputGain: 0.01 }, { params: flatParams.subarray(0, policySize), grads: flatGrads.subarray(0, policySize) });
  const critic = initMlpTrainer("value", valueSpec, rng, { outputGain: 1 }, { params: flatParams.subarray(policySize), grads: flatGrads.subarray(policySize) });
  // Adam's moments and the clipping norm per layer array, as before the flat storage (checkpoints keep this order)
  const params = [...policy.params, ...critic.params], grads = [...policy.grads, ...critic.grads];
  const adam = createTypedAdam({ lr: opts.lr, eps: opts.adamEps });
  const first = createPpoPart(policy, critic);
  let second: PpoSecondHalf = inThreadPart(policySpec, valueSpec, flatParams, policySize);
  const nets = ppoNets("typed", (obs, rows) => policy.infer(obs, rows), opts.nActions, adam, {
    values: (obs, rows) => Float32Array.from(critic.infer(obs, rows).subarray(0, rows)),
    step(mb, config) {
      const rows = mb.actions.length, h = splitRows(rows);
      // the second half first, so that a worker computes it while this thread does the first
      if (h < rows) second.start(mb, h, config);
      let stats: PpoPartStats;
      try {
        stats = first.gradient(mb, 0, h, rows, config);
      } catch (err) {
        // the worker done with this step before the next one; the first half's error is the one to see
        if (h < rows) try { second.finish(); } catch { /* reported by the next step if it lasts */ }
        throw err;
      }
      if (h < rows) {
        const other = second.finish();
        for (let i = 0; i < size; i++) flatGrads[i] += other.grads[i];
        stats = addPartStats(stats, other.stats);
      }
      const gradNorm = clipGradNorm(grads, config.maxGradNorm);
      adam.apply(params, grads);
      return { ...stats, gradNorm };
    },
    weights: () => ({ ...policy.weights(), ...critic.weights() }),
    setWeights(t) {
      policy.setWeights(t);
      critic.setWeights(t);
    },
    optimizerState: () => adam.getState(params),
    setOptimizerState: (s) => adam.setState(params, s),
    dispose() {
      second.dispose();
    },
  }, () => 1 + second.workers);
  return Object.assign(nets, {
    async useWorker(maxRows: number) {
      const worker = await startPpoPartWorker({ policySpec, valueSpec, params: flatParams, policySize, maxRows });
      second.dispose();
      second = worker;
      return worker;
    },
  });
}

/** The tfjs engine: variables, ppoLoss and autograd; a typed-array copy of the policy acts. */
function tfjsNets(policySpec: MlpSpec, valueSpec: MlpSpec, opts: PpoNetsOptions, rng: Rng): PpoNets {
  const policy = createMlp("policy", policySpec, rng, { outputGain: 0.01 });
  const critic = createMlp("value", valueSpec, rng, { outputGain: 1 });
  const params = [...Object.values(policy.params), ...Object.values(critic.params)];
  const optimizer = createAdam({ lr: opts.lr, eps: opts.adamEps });
  const fast = createFastMlp(policySpec);
  syncFastMlp(fast, policy);
  const n = opts.nActions;
  return ppoNets("tfjs", (obs, rows) => fast.forward(obs, rows), n, optimizer, {
    values: (obs, rows) => tf.tidy(() => Float32Array.from(critic.apply(tf.tensor2d(obs.subarray(0, rows * opts.obsSize), [rows, opts.obsSize])).dataSync())),
    step(mb, config) {
      const stats = tfjsStep(policy, critic, params, optimizer, mb, config);
      syncFastMlp(fast, policy);
      return stats;
    },
    weights: () => ({ ...mlpWeights(policy), ...mlpWeights(critic) }),
    setWeights(t) {
      setMlpWeights(policy, t);
      setMlpWeights(critic, t);
      syncFastMlp(fast, policy);
    },
    optimizerState: () => optimizer.getState(params),
    setOptimizerState: (s) => optimizer.setState(params, s),
    dispose() {
      policy.dispose();
      critic.dispose();
      optimizer.dispose();
    },
  });
}

function tfjsStep(
  policy: ReturnType<typeof createMlp>, critic: ReturnType<typeof createMlp>, params: tf.Variable[],
  optimizer: ReturnType<typeof createAdam>, m: PpoMinibatch, config: PpoLossConfig,
): PpoStepStats {
  const rows = m.actions.length, obsSize = policy.spec.inputSize, nActions = policy.spec.outputSize;
  const kept: tf.Tensor[] = [];
  const keep = <X extends tf.Tensor>(x: X): X => (kept.push(tf.keep(x)), x);
  try {
    return tf.tidy(() => {
      const obs = tf.tensor2d(m.obs.subarray(0, rows * obsSize), [rows, obsSize]);
      const b = {
        actions: tf.tensor1d(m.actions, "int32"), oldLogp: tf.tensor1d(m.oldLogp), adv: tf.tensor1d(m.adv),
        ret: tf.tensor1d(m.ret), oldV: tf.tensor1d(m.oldV), mask: m.masks ? tf.tensor2d(m.masks, [rows, nActions], "float32") : undefined,
      };
      let parts!: Omit<PpoLossTerms, "loss">;
      const step = minimize(() => {
        const terms = ppoLoss(policy.apply(obs), tf.squeeze(critic.apply(obs), [1]) as tf.Tensor1D, b, config);
        parts = {
          policyLoss: keep(terms.policyLoss), valueLoss: keep(terms.valueLoss), entropy: keep(terms.entropy),
          oldApproxKl: keep(terms.oldApproxKl), approxKl: keep(terms.approxKl), clipFrac: keep(terms.clipFrac),
        };
        return terms.loss;
      }, params, optimizer, config.maxGradNorm);
      const [policyLoss, valueLoss, entropy, oldApproxKl, approxKl, clipFrac, gradNorm] = tf.stack([parts.policyLoss, parts.valueLoss, parts.entropy, parts.oldApproxKl, parts.approxKl, parts.clipFrac, step.gradNorm]).dataSync();
      return { policyLoss, valueLoss, entropy, oldApproxKl, approxKl, clipFrac, gradNorm };
    });
  } finally {
    tf.dispose(kept);
  }
}

/**
 * A synthetic minibatch of `rows` steps for `nets` (`tsrl bench` and the tests of the two engines):
 * observations and advantages drawn from a normal, random actions, old log-probabilities and values
 * near the nets' current ones (so some ratios leave the clip range), returns near the old values.
 */
export function syntheticPpoMinibatch(nets: PpoNets, obsSize: number, nActions: number, rows: number, rng: Rng): PpoMinibatch {
  const obs = Float32Array.from({ length: rows * obsSize }, () => rng.normal());
  const actions = Int32Array.from({ length: rows }, () => rng.int(nActions));
  const logits = nets.logits(obs, rows), values = nets.values(obs, rows);
  const oldLogp = Float32Array.from({ length: rows }, (_, t) => logProbOfAction(logits, t, nActions, actions[t]) + rng.normal(0, 0.3));
  const oldV = Float32Array.from({ length: rows }, (_, t) => values[t] + rng.normal(0, 0.3));
  const adv = Float32Array.from({ length: rows }, () => rng.normal());
  const ret = Float32Array.from({ length: rows }, (_, t) => oldV[t] + rng.normal());
  return { obs, actions, oldLogp, adv, ret, oldV };
}
