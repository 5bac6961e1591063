/**
 * GPT-2's speed here, for `tsrl bench`: one training step (forward, backward, gradient clipping,
 * the optimiser's update — the pretraining/RL update) at a given batch of 128-token sequences, and
 * one KV-cache generation call for a batch (the rollouts), each timed alone so the caller can
 * interleave them with another implementation's (lib/cli/bench-gpt2.ts runs PyTorch's in turn),
 * with the GFLOP/s they imply (./config.ts gpt2ForwardFlops; backward = 2 × forward), and an
 * optional per-kernel profile (where the time goes).
 */
import * as tf from "@tensorflow/tfjs";
import { createRng } from "../../core/rng";
import { gpt2ForwardFlops, gpt2ParamCount, type Gpt2Config } from "./config";
import { generate } from "./generate";
import { createGpt2, gpt2TrainStep, type Gpt2, type Gpt2Optimizer } from "./model";

export interface Gpt2BenchOptions {
  /** Tokens per training sequence (default 128). */
  seq?: number;
  /** Rows generated at once (default 8). */
  genBatch?: number;
  /** Prompt length of each generated row (default 16). */
  promptLength?: number;
  /** New tokens per row (default 32). */
  newTokens?: number;
  /** The optimiser the training step updates the model with (its state persists across steps). */
  optimizer: Gpt2Optimizer;
  /** Rows per forward/backward pass of a training step (gpt2TrainStep's microbatch; default all). */
  microbatch?: number;
}

export interface KernelShare {
  kernel: string;
  ms: number;
  share: number;
}

export interface Gpt2BenchSession {
  readonly config: Gpt2Config;
  readonly params: number;
  readonly seq: number;
  readonly genBatch: number;
  readonly promptLength: number;
  readonly newTokens: number;
  /** Milliseconds of one training step on `batch` random sequences (clipping to norm 1 included). */
  train(batch: number): number;
  /** Milliseconds of one generate call (sampling at temperature 1, no EOS stop). */
  generate(): number;
  /** FLOPs of one training step at `batch` sequences. */
  trainFlops(batch: number): number;
  /** FLOPs of one generate call (prefill + decoding steps, each attending to the cache). */
  generateFlops(): number;
  /** Per-kernel times of one training step and one generate call (tf.profile; slower). */
  profile(batch: number): Promise<{ train: KernelShare[]; generate: KernelShare[] }>;
  dispose(): void;
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

/** A model of `config` (random weights from our Rng; dropout off) ready to be timed. */
export function gpt2BenchSession(config: Gpt2Config, opts: Gpt2BenchOptions): Gpt2BenchSession {
  const { seq = 128, genBatch = 8, promptLength = 16, newTokens = 32, optimizer, microbatch } = opts;
  const rng = createRng(0);
  const model: Gpt2 = createGpt2({ ...config, dropout: 0 }, rng);
  const randomIds = (rows: number, length: number) => Array.from({ length: rows }, () => Array.from({ length }, () => rng.int(config.vocabSize)));
  const trainStep = (batch: number) => { gpt2TrainStep(model, optimizer, randomIds(batch, seq + 1), { maxGradNorm: 1, microbatch }); };
  const generateCall = () => { generate(model, randomIds(genBatch, promptLength), { maxNewTokens: newTokens, rng: createRng(1), eosId: null }); };
  const time = (fn: () => void) => {
    const t0 = performance.now();
    fn();
    return performance.now() - t0;
  };
  return {
    config,
    params: gpt2ParamCount(config),
    seq, genBatch, promptLength, newTokens,
    train: (batch) => time(() => trainStep(batch)),
    generate: () => time(generateCall),
    trainFlops: (batch) => 3 * gpt2ForwardFlops(config, batch * seq, (seq + 1) / 2),
    generateFlops() {
      let flops = gpt2ForwardFlops(config, genBatch * promptLength, (promptLength + 1) / 2);
      for (let s = 1; s < newTokens; s++) flops += gpt2ForwardFlops(config, genBatch, promptLength + s);
      return flops;
    },
    profile: async (batch) => ({ train: await profileKernels(() => trainStep(batch)), generate: await profileKernels(generateCall) }),
    dispose: () => model.dispose(),
  };
}
