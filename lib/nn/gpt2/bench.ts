/**
 * GPT-2's speed here, for `tsrl bench`: forward + backward tokens/s on one sequence (the
 * pretraining/RL update), and new tokens/s of KV-cache generation for a batch (the rollouts),
 * with the GFLOP/s they imply (./config.ts gpt2ForwardFlops; backward = 2 × forward), and an
 * optional per-kernel profile (where the time goes).
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../../core/rng";
import { gpt2ForwardFlops, gpt2ParamCount, type Gpt2Config } from "./config";
import { generate } from "./generate";
import { createGpt2, lmLoss, type Gpt2 } from "./model";

export interface Gpt2BenchOptions {
  /** Tokens per training sequence (default 128). */
  seq?: number;
  /** Sequences per training step (default 1). */
  trainBatch?: number;
  /** Rows generated at once (default 8). */
  genBatch?: number;
  /** Prompt length of each generated row (default 16). */
  promptLength?: number;
  /** New tokens per row (default 32). */
  newTokens?: number;
  /** Timed repetitions (after one warm-up) of each measurement (default 2). */
  reps?: number;
  /** Per-kernel profile of one training step and one generate call (slower). */
  profile?: boolean;
}

export interface KernelShare {
  kernel: string;
  ms: number;
  share: number;
}

export interface Gpt2BenchResult {
  config: string;
  params: number;
  backend: string;
  train: { batch: number; seq: number; msPerStep: number; tokensPerSec: number; gflops: number };
  generate: { batch: number; promptLength: number; newTokens: number; msPerCall: number; newTokensPerSec: number; gflops: number };
  profile?: { train: KernelShare[]; generate: KernelShare[] };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeIt(fn: () => void, reps: number): number {
  fn(); // warm-up: kernels compiled, XNNPACK operators created, caches filled
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

/** Kernel → total ms over one call of `fn`, largest first (tf.profile's per-kernel wall times). */
export async function profileKernels(fn: () => void): Promise<KernelShare[]> {
  const info = await tf.profile(() => { fn(); });
  const byName = new Map<string, number>();
  for (const k of info.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + (k.kernelTimeMs as number));
  const total = [...byName.values()].reduce((a, b) => a + b, 0);
  return [...byName.entries()].map(([kernel, ms]) => ({ kernel, ms, share: ms / total })).sort((a, b) => b.ms - a.ms);
}

export function describeConfig(c: Gpt2Config): string {
  return `${c.nLayer} layers, ${c.nHead} heads, ${c.nEmbd} wide, ${c.nPositions} positions, vocab ${c.vocabSize}`;
}

/** Measures one config (random weights from our Rng; dropout off). */
export async function benchGpt2(config: Gpt2Config, opts: Gpt2BenchOptions = {}): Promise<Gpt2BenchResult> {
  const { seq = 128, trainBatch = 1, genBatch = 8, promptLength = 16, newTokens = 32, reps = 2 } = opts;
  const rng = createRng(0);
  const model: Gpt2 = createGpt2({ ...config, dropout: 0 }, rng);
  const params = Object.values(model.params);
  try {
    const ids = Array.from({ length: trainBatch }, () => Array.from({ length: seq + 1 }, () => rng.int(config.vocabSize)));
    const trainStep = () => tf.tidy(() => {
      const { value } = tf.variableGrads(() => lmLoss(model, ids), params);
      // wasm, cpu and tfjs-node run each kernel when it is called, so the gradients exist once
      // variableGrads returns; reading them back to JS (as a training step never does: the optimizer
      // updates the variables in place) cost ~1.3 s per 124M step here, a quarter of the total
      value.dataSync();
    });
    const msPerStep = timeIt(trainStep, reps);
    const trainFlops = 3 * gpt2ForwardFlops(config, trainBatch * seq, (seq + 1) / 2);

    const prompts = Array.from({ length: genBatch }, () => Array.from({ length: promptLength }, () => rng.int(config.vocabSize)));
    const gen = () => void generate(model, prompts, { maxNewTokens: newTokens, rng: createRng(1), eosId: null });
    const msPerCall = timeIt(gen, reps);
    // prefill (promptLength tokens per row) + newTokens − 1 decoding steps, each attending to the cache
    let genFlops = gpt2ForwardFlops(config, genBatch * promptLength, (promptLength + 1) / 2);
    for (let s = 1; s < newTokens; s++) genFlops += gpt2ForwardFlops(config, genBatch, promptLength + s);

    const result: Gpt2BenchResult = {
      config: describeConfig(config),
      params: gpt2ParamCount(config),
      backend: tf.getBackend(),
      train: { batch: trainBatch, seq, msPerStep, tokensPerSec: (trainBatch * seq) / (msPerStep / 1000), gflops: trainFlops / (msPerStep * 1e6) },
      generate: { batch: genBatch, promptLength, newTokens, msPerCall, newTokensPerSec: (genBatch * newTokens) / (msPerCall / 1000), gflops: genFlops / (msPerCall * 1e6) },
    };
    if (opts.profile) result.profile = { train: await profileKernels(trainStep), generate: await profileKernels(gen) };
    return result;
  } finally {
    model.dispose();
  }
}
