/**
 * PPO's actor and critic and one minibatch step on them, two ways that compute the same thing:
 *
 *   "tfjs"   tfjs variables, the loss as a pure tensor function (ppoLoss), autograd, our Adam —
 *            the reference, readable form
 *   "typed"  the same MLPs on Float32Arrays (lib/nn/mlp/trainer): forward, backprop by hand, the
 *            loss gradients by hand (ppoPolicyLoss, ppoValueLoss in ./ppo-loss.ts), Adam and
 *            clipping on typed arrays (lib/nn/optim) —
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
import { initMlpTrainer } from "../nn/mlp/trainer";
import type { ActContext } from "./evaluate";
import { clipGradNorm, createAdam, createTypedAdam, minimize, type AdamState } from "../nn/optim";
import { ppoLoss, ppoPolicyLoss, ppoValueLoss, type PpoLossTerms } from "./ppo-loss";

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

export function createPpoNets(engine: PpoEngine, opts: PpoNetsOptions, rng: Rng): PpoNets {
  const net = (out: number): MlpSpec => ({ inputSize: opts.obsSize, hiddenSizes: opts.hiddenSizes, outputSize: out, activation: opts.activation });
  return engine === "typed" ? typedNets(net(opts.nActions), net(1), opts, rng) : tfjsNets(net(opts.nActions), net(1), opts, rng);
}

/** What both engines share: acting on the typed-array logits, and the optimiser's learning rate. */
function ppoNets(engine: PpoEngine, logits: (obs: Float32Array, rows: number) => Float32Array, n: number, optimizer: { lr: number }, rest: Pick<PpoNets, "values" | "step" | "weights" | "setWeights" | "optimizerState" | "setOptimizerState" | "dispose">): PpoNets {
  return {
    engine,
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

/** The typed-array engine: parameters live in Float32Arrays that acting reads directly (no sync). */
function typedNets(policySpec: MlpSpec, valueSpec: MlpSpec, opts: PpoNetsOptions, rng: Rng): PpoNets {
  const policy = initMlpTrainer("policy", policySpec, rng, { outputGain: 0.01 });
  const critic = initMlpTrainer("value", valueSpec, rng, { outputGain: 1 });
  const params = [...policy.params, ...critic.params], grads = [...policy.grads, ...critic.grads];
  const adam = createTypedAdam({ lr: opts.lr, eps: opts.adamEps });
  const n = opts.nActions;
  let dLogits = new Float32Array(0), dValues = new Float32Array(0);
  return ppoNets("typed", (obs, rows) => policy.infer(obs, rows), n, adam, {
    values: (obs, rows) => Float32Array.from(critic.infer(obs, rows).subarray(0, rows)),
    step(mb, config) {
      const rows = mb.actions.length;
      if (dLogits.length < rows * n) dLogits = new Float32Array(rows * n);
      if (dValues.length < rows) dValues = new Float32Array(rows);
      const z = policy.forward(mb.obs, rows);
      let oldKl = 0;
      for (let t = 0; t < rows; t++) oldKl -= logProbOfAction(z, t, n, mb.actions[t], mb.masks) - mb.oldLogp[t];
      const pl = ppoPolicyLoss(z, rows, n, { actions: mb.actions, oldLogProbs: mb.oldLogp, advantages: mb.adv, mask: mb.masks }, { clipCoef: config.clipCoef, entCoef: config.entCoef }, dLogits);
      policy.backward(dLogits.subarray(0, rows * n));
      const v = critic.forward(mb.obs, rows);
      const valueLoss = ppoValueLoss(v, rows, { returns: mb.ret, oldValues: mb.oldV }, { clipCoef: config.clipVloss ? config.clipCoef : 0, coef: config.vfCoef }, dValues);
      critic.backward(dValues.subarray(0, rows));
      const gradNorm = clipGradNorm(grads, config.maxGradNorm);
      adam.apply(params, grads);
      return { policyLoss: pl.policyLoss, valueLoss, entropy: pl.entropy, oldApproxKl: oldKl / rows, approxKl: pl.approxKl, clipFrac: pl.clipFrac, gradNorm };
    },
    weights: () => ({ ...policy.weights(), ...critic.weights() }),
    setWeights(t) {
      policy.setWeights(t);
      critic.setWeights(t);
    },
    optimizerState: () => adam.getState(params),
    setOptimizerState: (s) => adam.setState(params, s),
    dispose() {},
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
