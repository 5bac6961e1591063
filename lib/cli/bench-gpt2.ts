/**
 * `tsrl bench --only gpt2`: GPT-2's training and generation speed — ours, and PyTorch's on the
 * same shapes in the same run when a python3 with torch is there (./torch-ref.ts) — like with like:
 *
 *   train b1, train b4   one optimiser step on 1 and 4 random 128-token sequences: forward,
 *                        backward, clipping to norm 1, AdamW (lr 6e-4, β 0.9/0.95, decay 0.1);
 *                        at 124M ours sums the gradients of the 4 sequences one at a time
 *                        (gpt2TrainStep's microbatch: the same step; their activations together
 *                        do not fit beside weights and Adam state in wasm32's 4 GiB heap)
 *   generate             8 rows, 16-token prompts, 32 new tokens sampled with a KV cache
 *
 * for the tiny config and GPT-2-124M shapes (random weights; --quick: the tiny config, fewer
 * rounds). Measurements are interleaved — one of ours, one of PyTorch on 1 thread, one on 2, then
 * again — after one warm-up call of each, and each side's best round is kept, so a machine that
 * slows down mid-run slows both. Ratios are ours / PyTorch's best (of its 1 and 2 threads), in
 * tokens per second. The machine's load average is recorded before and after.
 */
import * as os from "node:os";
import { createAdam } from "../nn/optim";
import { backendInfo } from "../nn/backend";
import { describeConfig, gpt2BenchSession, type Gpt2BenchSession, type KernelShare } from "../nn/gpt2/bench";
import { GPT2_124M, GPT2_TINY, type Gpt2Config } from "../nn/gpt2/config";
import { startTorchRef, type TorchRef } from "./torch-ref";

type Measure = "trainB1" | "trainB4" | "generate";
const MEASURES: Measure[] = ["trainB1", "trainB4", "generate"];

interface SideResult {
  /** Best milliseconds per call over the rounds, and every round's. */
  ms: number;
  rounds: number[];
  tokensPerSec: number;
  gflops: number;
}

export interface Gpt2ConfigReport {
  config: string;
  params: number;
  /** Sequences per forward/backward pass of ours (gpt2TrainStep's microbatch), when not all. */
  microbatch?: number;
  tsrl: Record<Measure, SideResult>;
  pytorch?: { threads1: Record<Measure, SideResult>; threads2: Record<Measure, SideResult>; best: Record<Measure, SideResult & { threads: number }> };
  /** tsrl tokens/s ÷ PyTorch's best tokens/s. */
  ratio?: Record<Measure, number>;
  profile?: { train: KernelShare[]; generate: KernelShare[] };
}

export interface Gpt2BenchReport {
  machine: { cpus: number; model: string; loadAverageBefore: number[]; loadAverageAfter: number[] };
  tsrl: { backend: string; threads: number; reason: string };
  pytorch: Record<string, unknown>;
  rounds: number;
  configs: Record<string, Gpt2ConfigReport>;
}

export interface Gpt2BenchOptions {
  quick: boolean;
  /** Also a per-kernel profile of one training step (batch 1) and one generate call. */
  profile?: boolean;
  log: (msg: string) => void;
}

const BATCH: Record<Measure, number> = { trainB1: 1, trainB4: 4, generate: 8 };

export async function benchGpt2Compare(opts: Gpt2BenchOptions): Promise<Gpt2BenchReport> {
  const { quick, log } = opts;
  const rounds = quick ? 1 : 3;
  const loadAverageBefore = os.loadavg();
  const info = backendInfo();
  const torch: TorchRef | { skipped: string } = await startTorchRef(2);
  if ("skipped" in torch) log(`PyTorch skipped: ${torch.skipped}`);
  else log(`PyTorch ${String(torch.info.torch)} (${torch.python}), env ${Object.entries(torch.env).map(([k, v]) => `${k}=${v ?? "(unset)"}`).join(" ")}; each measurement on 1 and on 2 threads (torch.set_num_threads and openblas_set_num_threads)`);
  const configs: Record<string, Gpt2ConfigReport> = {};
  try {
    const list: [string, Gpt2Config, number | undefined][] = [["tiny", GPT2_TINY, undefined], ...(quick ? [] : [["124M", GPT2_124M, 1] as [string, Gpt2Config, number]])];
    for (const [name, config, microbatch] of list) {
      log(`${name} (${describeConfig(config)}): ${MEASURES.join(", ")}, ${rounds} interleaved round${rounds > 1 ? "s" : ""} each${microbatch ? `; ours in microbatches of ${microbatch}` : ""}`);
      configs[name] = await benchConfig({ ...config, dropout: 0 }, torch, rounds, quick, opts.profile === true, log, microbatch);
    }
  } finally {
    if (!("skipped" in torch)) torch.close();
  }
  return {
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "?", loadAverageBefore, loadAverageAfter: os.loadavg() },
    tsrl: { backend: info?.name ?? "?", threads: info?.threads ?? 1, reason: info?.reason ?? "" },
    pytorch: "skipped" in torch ? { skipped: torch.skipped } : { python: torch.python, ...torch.info, env: torch.env },
    rounds,
    configs,
  };
}

async function benchConfig(config: Gpt2Config, torch: TorchRef | { skipped: string }, rounds: number, quick: boolean, profile: boolean, log: (msg: string) => void, microbatch?: number): Promise<Gpt2ConfigReport> {
  const optimizer = createAdam({ lr: 6e-4, beta1: 0.9, beta2: 0.95, weightDecay: 0.1, decoupled: true });
  const session = gpt2BenchSession(config, { optimizer, newTokens: quick ? 8 : 32, microbatch });
  const hasTorch = !("skipped" in torch);
  const ours: Record<string, number[]> = {}, t1: Record<string, number[]> = {}, t2: Record<string, number[]> = {};
  try {
    for (const m of MEASURES) {
      const oursOnce = () => (m === "generate" ? session.generate() : session.train(BATCH[m]));
      const torchOnce = async (threads: number) => (await (torch as TorchRef).measure({
        what: m === "generate" ? "generate" : "train", threads, config: config as unknown as Record<string, number>,
        batch: BATCH[m], seq: session.seq, promptLength: session.promptLength, newTokens: session.newTokens,
      })).ms;
      oursOnce();
      if (hasTorch) { await torchOnce(1); await torchOnce(2); }
      ours[m] = []; t1[m] = []; t2[m] = [];
      for (let r = 0; r < rounds; r++) {
        ours[m].push(oursOnce());
        if (hasTorch) { t1[m].push(await torchOnce(1)); t2[m].push(await torchOnce(2)); }
      }
      const best = (xs: number[]) => Math.min(...xs);
      log(`  ${m}: tsrl ${best(ours[m]).toFixed(0)} ms${hasTorch ? `, PyTorch 1 thread ${best(t1[m]).toFixed(0)} ms, 2 threads ${best(t2[m]).toFixed(0)} ms` : ""}`);
    }
    const side = (runs: Record<string, number[]>) => Object.fromEntries(MEASURES.map((m) => [m, sideResult(session, m, runs[m])])) as Record<Measure, SideResult>;
    const report: Gpt2ConfigReport = { config: describeConfig(config), params: session.params, ...(microbatch ? { microbatch } : {}), tsrl: side(ours) };
    if (hasTorch) {
      const threads1 = side(t1), threads2 = side(t2);
      const best = Object.fromEntries(MEASURES.map((m) => [m, threads2[m].ms < threads1[m].ms ? { ...threads2[m], threads: 2 } : { ...threads1[m], threads: 1 }])) as Record<Measure, SideResult & { threads: number }>;
      report.pytorch = { threads1, threads2, best };
      report.ratio = Object.fromEntries(MEASURES.map((m) => [m, report.tsrl[m].tokensPerSec / best[m].tokensPerSec])) as Record<Measure, number>;
    }
    if (profile) report.profile = await session.profile(1);
    return report;
  } finally {
    session.dispose();
    optimizer.dispose();
  }
}

function sideResult(session: Gpt2BenchSession, m: Measure, rounds: number[]): SideResult {
  const ms = Math.min(...rounds);
  const tokens = m === "generate" ? session.genBatch * session.newTokens : BATCH[m] * session.seq;
  const flops = m === "generate" ? session.generateFlops() : session.trainFlops(BATCH[m]);
  return { ms, rounds, tokensPerSec: tokens / (ms / 1000), gflops: flops / (ms * 1e6) };
}
