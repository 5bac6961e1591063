/**
 * Backend micro-benchmarks behind the choice in ./backend.ts: dense matMul throughput, and the
 * per-call cost of our workload — a small policy MLP's forward + backward at batch 1..2048 — on
 * cpu and wasm, plus the typed-array forward used for acting. Plain data out, for `tsrl bench`.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { createRng } from "../core/rng";
import { createMlp, type MlpSpec } from "./mlp/mlp";
import { fastMlpFrom } from "./mlp/fast-forward";
import { installWasmKernelFixes, uninstallTransposingBatchMatMul } from "./wasm-kernels";

export interface TimingOptions {
  /** Stop repeating after this many milliseconds (after at least `minReps`). */
  budgetMs?: number;
  minReps?: number;
}

/** Median-free, simple timing: warm up once, then repeat until the budget is spent; µs per call. */
export function timeCall(fn: () => void, { budgetMs = 300, minReps = 3 }: TimingOptions = {}): number {
  fn();
  let reps = 0;
  const t0 = performance.now();
  while (reps < minReps || performance.now() - t0 < budgetMs) {
    fn();
    reps++;
  }
  return ((performance.now() - t0) / reps) * 1000;
}

export interface MatMulResult {
  backend: string;
  shape: [number, number, number];
  /** C = A·B, no transposes. */
  gflops: number;
  /** Forward + both gradients (each gradient is a transposed product). */
  fwdBwdMs: number;
  /** wasm only: fwd+bwd with tfjs's own BatchMatMul (naive loop on transposes), for comparison. */
  fwdBwdMsUnfixed?: number;
}

export async function benchMatMul(backend: "cpu" | "wasm", [m, k, n]: [number, number, number] = [512, 768, 768], opts: TimingOptions = {}): Promise<MatMulResult> {
  await setBackend(backend);
  const rng = createRng(0);
  const a = tf.tensor2d(Float32Array.from({ length: m * k }, () => rng.normal()), [m, k]);
  const b = tf.tensor2d(Float32Array.from({ length: k * n }, () => rng.normal()), [k, n]);
  const budget = { budgetMs: backend === "cpu" ? 1500 : 600, minReps: backend === "cpu" ? 1 : 3, ...opts };
  const us = timeCall(() => tf.tidy(() => void tf.matMul(a, b).dataSync()), budget);
  const grad = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)));
  const fwdBwd = () => tf.tidy(() => grad([a, b]).forEach((g) => g.dataSync()));
  const fwdBwdMs = timeCall(fwdBwd, budget) / 1000;
  let fwdBwdMsUnfixed: number | undefined;
  if (backend === "wasm") {
    uninstallTransposingBatchMatMul();
    fwdBwdMsUnfixed = timeCall(fwdBwd, { ...budget, minReps: 1 }) / 1000;
    installWasmKernelFixes();
  }
  tf.dispose([a, b]);
  return { backend, shape: [m, k, n], gflops: (2 * m * k * n) / (us * 1e3), fwdBwdMs, fwdBwdMsUnfixed };
}

export interface MlpTiming {
  backend: string;
  batch: number;
  /** µs per forward call (logits read back). */
  forwardUs: number;
  /** µs per forward + backward (gradients of a log-prob loss, read back). */
  forwardBackwardUs: number;
}

export const BENCH_MLP: MlpSpec = { inputSize: 4, hiddenSizes: [64, 64], outputSize: 2, activation: "tanh" };

export async function benchMlp(backend: "cpu" | "wasm", batches = [1, 16, 128, 512, 2048], spec = BENCH_MLP, opts: TimingOptions = {}): Promise<MlpTiming[]> {
  await setBackend(backend);
  const rng = createRng(0);
  const mlp = createMlp("bench", spec, rng);
  const vars = Object.values(mlp.params);
  const out: MlpTiming[] = [];
  for (const batch of batches) {
    const x = tf.tensor2d(Float32Array.from({ length: batch * spec.inputSize }, () => rng.normal()), [batch, spec.inputSize]);
    const forwardUs = timeCall(() => tf.tidy(() => void mlp.apply(x).dataSync()), opts);
    const forwardBackwardUs = timeCall(() => tf.tidy(() => {
      const { grads } = tf.variableGrads(() => tf.mean(tf.logSoftmax(mlp.apply(x))) as tf.Scalar, vars);
      for (const g of Object.values(grads)) g.dataSync();
    }), opts);
    x.dispose();
    out.push({ backend, batch, forwardUs, forwardBackwardUs });
  }
  mlp.dispose();
  return out;
}

export interface FastForwardTiming {
  batch: number;
  forwardUs: number;
}

export function benchFastForward(batches = [1, 16, 128, 2048], spec = BENCH_MLP, opts: TimingOptions = {}): FastForwardTiming[] {
  const rng = createRng(0);
  const mlp = createMlp("bench", spec, rng);
  const fast = fastMlpFrom(mlp);
  mlp.dispose();
  return batches.map((batch) => {
    const x = Float32Array.from({ length: batch * spec.inputSize }, () => rng.normal());
    return { batch, forwardUs: timeCall(() => void fast.forward(x, batch), opts) };
  });
}

async function setBackend(name: "cpu" | "wasm"): Promise<void> {
  if (name === "wasm") installWasmKernelFixes();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}
