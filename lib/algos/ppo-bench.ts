/**
 * One PPO minibatch step two ways, for `tsrl bench` (`minibatchStep`) and for the test that both
 * do the same arithmetic: a categorical policy MLP and a value MLP (CleanRL's PPO: one Adam over
 * both, ε = 1e-5; clipped surrogate 0.2, entropy 0.01, clipped value loss with vf_coef 0.5, global
 * gradient norm clipped to 0.5), on a synthetic minibatch.
 *
 *   typed: forward both nets (lib/nn/mlp/trainer), the losses and dL/dout by hand (./ppo-loss-typed),
 *          backward, clipGradNorm, Adam on Float32Arrays (lib/nn/optim-typed)
 *   tfjs:  tf.variableGrads of the same loss over both nets' variables (lib/nn/categorical,
 *          lib/algos/surrogate), clipByGlobalNorm, createAdam — inside tf.tidy, loss read back
 *
 * Both start from the same weights, so `weights()` of each can be compared after any steps.
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../core/rng";
import { clipByGlobalNorm, createAdam } from "../nn/optim";
import { clippedSurrogate } from "./surrogate";
import { entropyOfLogProbs, logSoftmax, pickLogProb } from "../nn/categorical";
import { createMlp, mlpWeights, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { mlpTrainerFrom } from "../nn/mlp/trainer";
import { ppoPolicyLoss, ppoValueLoss } from "./ppo-loss-typed";
import { clipGradNorm, createTypedAdam } from "../nn/optim-typed";

export const PPO_STEP = { clipCoef: 0.2, entropyCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5, lr: 2.5e-4, eps: 1e-5 } as const;

export interface PpoStepPair {
  policySpec: MlpSpec;
  valueSpec: MlpSpec;
  rows: number;
  /** One typed-array minibatch step; returns the total loss (before the step). */
  typedStep(): number;
  /** One tfjs minibatch step; returns the total loss (before the step). */
  tfjsStep(): number;
  typedWeights(): NamedTensors;
  tfjsWeights(): NamedTensors;
  dispose(): void;
}

/** Policy obsSize→hidden→nActions and value obsSize→hidden→1 (tanh), same weights both ways, a fixed synthetic minibatch of `rows`. */
export function createPpoStepPair(obsSize: number, nActions: number, rows: number, seed = 0, hiddenSizes = [64, 64]): PpoStepPair {
  const rng = createRng(seed);
  const policySpec: MlpSpec = { inputSize: obsSize, hiddenSizes, outputSize: nActions, activation: "tanh" };
  const valueSpec: MlpSpec = { ...policySpec, outputSize: 1 };
  // hidden gain 1 rather than √2, so this random data keeps the tanh units off saturation
  const policy = createMlp("policy", policySpec, rng, { hiddenGain: 1, outputGain: 0.5 });
  const value = createMlp("value", valueSpec, rng, { hiddenGain: 1, outputGain: 1 });
  const pol = mlpTrainerFrom(policy), val = mlpTrainerFrom(value);

  // the minibatch: old log-probs and values near the current ones, so some ratios leave the clip range
  const obs = Float32Array.from({ length: rows * obsSize }, () => rng.normal());
  const actions = Int32Array.from({ length: rows }, () => rng.int(nActions));
  const logits0 = pol.infer(obs, rows), values0 = val.infer(obs, rows);
  const oldLogProbs = new Float32Array(rows), oldValues = new Float32Array(rows);
  for (let t = 0; t < rows; t++) {
    let max = -Infinity, total = 0;
    for (let k = 0; k < nActions; k++) max = Math.max(max, logits0[t * nActions + k]);
    for (let k = 0; k < nActions; k++) total += Math.exp(logits0[t * nActions + k] - max);
    oldLogProbs[t] = logits0[t * nActions + actions[t]] - max - Math.log(total) + rng.normal(0, 0.3);
    oldValues[t] = values0[t] + rng.normal(0, 0.3);
  }
  const advantages = Float32Array.from({ length: rows }, () => rng.normal());
  const returns = Float32Array.from({ length: rows }, (_, t) => oldValues[t] + rng.normal());

  // typed path
  const { clipCoef, entropyCoef, vfCoef, maxGradNorm, lr, eps } = PPO_STEP;
  const adam = createTypedAdam({ lr, eps });
  const params = [...pol.params, ...val.params], grads = [...pol.grads, ...val.grads];
  const dLogits = new Float32Array(rows * nActions), dValues = new Float32Array(rows);
  const policyBatch = { actions, oldLogProbs, advantages };
  const policyOpts = { clipCoef, entropyCoef };
  const valueBatch = { returns, oldValues };
  const valueOpts = { clipCoef, coef: vfCoef };
  const typedStep = (): number => {
    const pl = ppoPolicyLoss(pol.forward(obs, rows), rows, nActions, policyBatch, policyOpts, dLogits);
    const vl = ppoValueLoss(val.forward(obs, rows), rows, valueBatch, valueOpts, dValues);
    pol.backward(dLogits);
    val.backward(dValues);
    clipGradNorm(grads, maxGradNorm);
    adam.apply(params, grads);
    return pl.loss + vfCoef * vl;
  };

  // tfjs path
  const tAdam = createAdam({ lr, eps });
  const vars = [...Object.values(policy.params), ...Object.values(value.params)];
  const obsT = tf.tensor2d(obs, [rows, obsSize]);
  const actionsT = tf.tensor1d(actions, "int32");
  const oldLogpT = tf.tensor1d(oldLogProbs), advT = tf.tensor1d(advantages), retT = tf.tensor1d(returns), oldVT = tf.tensor1d(oldValues);
  const lossFn = (): tf.Scalar => {
    const logp = logSoftmax(policy.apply(obsT));
    const surrogate = clippedSurrogate(pickLogProb(logp, actionsT), oldLogpT, advT, clipCoef);
    const entropy = tf.mean(entropyOfLogProbs(logp));
    const v = tf.reshape(value.apply(obsT), [rows]);
    const unclipped = tf.square(tf.sub(v, retT));
    const vClipped = tf.add(oldVT, tf.clipByValue(tf.sub(v, oldVT), -clipCoef, clipCoef));
    const valueLoss = tf.mul(0.5, tf.mean(tf.maximum(unclipped, tf.square(tf.sub(vClipped, retT)))));
    return tf.add(tf.sub(tf.mean(surrogate.loss), tf.mul(entropyCoef, entropy)), tf.mul(vfCoef, valueLoss)) as tf.Scalar;
  };
  const tfjsStep = (): number => tf.tidy(() => {
    const { value: loss, grads: g } = tf.variableGrads(lossFn, vars);
    const clipped = clipByGlobalNorm(vars.map((v) => g[v.name]), maxGradNorm);
    tAdam.apply(vars, clipped.grads);
    return loss.dataSync()[0];
  });

  return {
    policySpec,
    valueSpec,
    rows,
    typedStep,
    tfjsStep,
    typedWeights: () => ({ ...pol.weights(), ...val.weights() }),
    tfjsWeights: () => ({ ...mlpWeights(policy), ...mlpWeights(value) }),
    dispose() {
      policy.dispose();
      value.dispose();
      tAdam.dispose();
      tf.dispose([obsT, actionsT, oldLogpT, advT, retT, oldVT]);
    },
  };
}

export interface MinibatchStepTiming {
  /** e.g. "4→64→64→2 tanh". */
  policy: string;
  value: string;
  rows: number;
  /** tfjs backend of the tfjs path. */
  backend: string;
  /** µs per step, median over repetitions: typed arrays, and tfjs. */
  typedUs: number;
  tfjsUs: number;
  /** tfjsUs / typedUs. */
  speedup: number;
}

/**
 * µs per call of each function: after a warm-up, `reps` repetitions of each (~budgetMs/reps each),
 * interleaved so that a busy neighbour slows them alike; the median repetition of each.
 */
export function timeMedians(fns: (() => void)[], { budgetMs = 600, reps = 7 }: { budgetMs?: number; reps?: number } = {}): number[] {
  const calls = fns.map((fn) => {
    // warm up (JIT, tfjs kernels, buffers) for a fifth of the budget, then size the repetitions
    let n = 0;
    const t0 = performance.now();
    while (n < 3 || performance.now() - t0 < budgetMs / 5) {
      fn();
      n++;
    }
    const once = Math.max((performance.now() - t0) / n, 1e-3);
    return Math.max(1, Math.round(budgetMs / reps / once));
  });
  const times = fns.map(() => [] as number[]);
  for (let r = 0; r < reps; r++) {
    fns.forEach((fn, f) => {
      const start = performance.now();
      for (let i = 0; i < calls[f]; i++) fn();
      times[f].push(((performance.now() - start) / calls[f]) * 1000);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[t.length >> 1]);
}

/** PPO minibatch steps per case [obsSize, nActions], typed vs tfjs on the current backend; call after initBackend. */
export function benchMinibatchStep(cases: [number, number][] = [[4, 2], [8, 4]], rows = 64, opts: { budgetMs?: number; reps?: number } = {}): MinibatchStepTiming[] {
  const describe = (s: MlpSpec) => `${s.inputSize}→${s.hiddenSizes.join("→")}→${s.outputSize} ${s.activation}`;
  return cases.map(([obsSize, nActions]) => {
    const pair = createPpoStepPair(obsSize, nActions, rows);
    const [typedUs, tfjsUs] = timeMedians([() => void pair.typedStep(), () => void pair.tfjsStep()], opts);
    pair.dispose();
    return { policy: describe(pair.policySpec), value: describe(pair.valueSpec), rows, backend: tf.getBackend(), typedUs, tfjsUs, speedup: tfjsUs / typedUs };
  });
}
