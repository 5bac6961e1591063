/**
 * `tsrl bench [--out FILE] [--quick] [--only gpt2|serve|ppo-threads] [--profile]` — the speed numbers behind our backend and design choices,
 * as one JSON document (stdout, and FILE if given): matMul GFLOP/s and the wasm transpose fix,
 * the policy MLP's forward/backward per call on cpu vs wasm, the typed-array forward, one PPO
 * minibatch step on typed arrays vs tfjs and on 1 vs 2 threads (`--only ppo-threads`: that alone,
 * with the load average), one REINFORCE update, and raw CartPole steps per second;
 * GPT-2 (./bench-gpt2.ts): training steps (AdamW included) at batch 1 and 4 × 128 tokens and
 * KV-cache generation at batch 8, with GFLOP/s, for the tiny config and GPT-2-124M shapes (random
 * weights; --quick: the tiny config only), interleaved with PyTorch's same model and shapes when a
 * python3 with torch is there, with the ratios. `--only serve`: the HTTP
 * server's requests/s and latency (lib/serve/bench: tiny GPT-2 completions per batching window,
 * Tic-Tac-Toe actions; not part of the full run, which measures compute).
 * Runs one thing at a time; a few minutes (124M alone ~1 minute).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { makeEnv } from "../envs/registry";
import { createRng } from "../core/rng";
import { initBackend } from "../nn/backend";
import { BENCH_MLP, benchFastForward, benchMatMul, benchMlp, timeCall } from "../nn/bench-backends";
import { createPpoNets, startPpoNets, syntheticPpoMinibatch, type PpoEngine } from "../algos/ppo-nets";
import { createMlp } from "../nn/mlp/mlp";
import { learningCurve } from "../viz/charts";
import { vectorEnv } from "../core/vector-env";
import { createPpoAgent } from "../algos/ppo";
import { reinforceUpdate } from "../algos/reinforce";
import { createAdam } from "../nn/optim";
import { benchGpt2Compare } from "./bench-gpt2";
import { parseCommand, type CommandSpec } from "./args";

const spec: CommandSpec = {
  usage: "tsrl bench [--out FILE] [--quick] [--only gpt2|serve|ppo-threads] [--profile]",
  positionals: [],
  flags: [
    { name: "out", type: "string", help: "also write the JSON to this file" },
    { name: "quick", type: "boolean", help: "shorter timings and fewer sizes (a smoke test)" },
    { name: "only", type: "string", choices: ["gpt2", "serve", "ppo-threads"], help: "run one section only: gpt2 (tiny config and 124M shapes, and PyTorch's when installed; a few minutes); serve (the HTTP server: requests/s and latency, ~2 minutes); ppo-threads (PPO's typed minibatch step on 1 and 2 threads, ~20 s)" },
    { name: "profile", type: "boolean", help: "GPT-2: also the per-kernel times of one training step and one generate call" },
  ],
};

export async function benchCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("bench", argv, spec, "Speed benchmarks (JSON).");
  if (typeof parsed === "number") return parsed;
  const quick = parsed.flags.quick === true;
  const timing = quick ? { budgetMs: 50, minReps: 1 } : { budgetMs: 300, minReps: 3 };
  const batches = quick ? [1, 128] : [1, 4, 8, 16, 128, 512, 2048]; // 1–8: acting (evaluation, 8 env copies)
  const log = (msg: string) => console.error(`tsrl bench: ${msg}`);
  const emit = (report: Record<string, unknown>) => {
    const text = JSON.stringify(report, (_, v) => (typeof v === "number" ? Number(v.toPrecision(4)) : v), 2);
    console.log(text);
    if (parsed.flags.out) {
      const file = path.resolve(String(parsed.flags.out));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text + "\n");
      log(`wrote ${file}`);
    }
    return 0;
  };
  if (parsed.flags.only === "serve") {
    const backend = await initBackend({ quiet: true });
    const { benchServe } = await import("../serve/bench");
    return emit({ createdAt: new Date().toISOString(), node: process.version, tfjs: tf.version.tfjs, backend, serve: await benchServe({ quick, log }) });
  }
  if (parsed.flags.only === "gpt2") {
    const backend = await initBackend({ quiet: true });
    log(`GPT-2 training steps (batch 1 and 4 × 128 tokens, AdamW) and KV-cache generation (batch 8): tiny config${quick ? "" : ", 124M shapes"}`);
    return emit({ createdAt: new Date().toISOString(), node: process.version, tfjs: tf.version.tfjs, backend, gpt2: await benchGpt2Compare({ quick, profile: parsed.flags.profile === true, log }) });
  }

  if (parsed.flags.only === "ppo-threads") {
    log("PPO minibatch step (typed), 1 vs 2 update threads");
    return emit({ createdAt: new Date().toISOString(), node: process.version, updateThreads: await benchPpoUpdateThreads(quick ? { budgetMs: 150, reps: 3 } : { budgetMs: 3000, reps: 7 }) });
  }

  log("matMul 512×768×768 (wasm, cpu)");
  const matmulShape: [number, number, number] = quick ? [128, 192, 192] : [512, 768, 768];
  const matMul = [await benchMatMul("wasm", matmulShape), await benchMatMul("cpu", matmulShape)];
  log("policy MLP forward/backward (cpu, wasm)");
  const mlp = [...(await benchMlp("cpu", batches, BENCH_MLP, timing)), ...(await benchMlp("wasm", batches, BENCH_MLP, timing))];
  log("typed-array forward");
  const fastForward = benchFastForward(quick ? [1, 16] : batches, BENCH_MLP, timing);

  const backend = await initBackend({ quiet: true });
  log(`PPO minibatch step (64 rows), typed arrays vs tfjs on ${backend.name}`);
  const minibatchStep = benchPpoMinibatchStep([[4, 2], [8, 4]], 64, quick ? { budgetMs: 150, reps: 3 } : { budgetMs: 1500, reps: 7 });
  log("PPO minibatch step (typed), 1 vs 2 update threads");
  const updateThreads = await benchPpoUpdateThreads(quick ? { budgetMs: 150, reps: 3 } : { budgetMs: 1500, reps: 7 });
  log(`REINFORCE update on ${backend.name}`);
  const reinforceUpdateMs = benchReinforceUpdate(quick ? [512] : [512, 4000], timing);
  log("CartPole steps/s");
  const cartpoleStepsPerSec = benchCartPole(quick ? 20_000 : 200_000);
  log("LunarLander steps/s, before and after this process builds a chart spec");
  const lunarLander = benchLunarLander(quick ? 5_000 : 50_000);
  log("vector envs (16 copies, random actions)");
  const vectorEnvs = { cartpole: benchVectorEnv("CartPole-v1", 16, quick ? 20_000 : 400_000), lunarLander: benchVectorEnv("LunarLander-v3", 16, quick ? 5_000 : 100_000) };
  log("PPO: steps and seconds until CartPole's last 100 episodes average 475 (seed 1), LunarLander SPS");
  const ppo = quick ? undefined : await benchPpo();
  log(`GPT-2 training steps and KV-cache generation: tiny config${quick ? "" : ", 124M shapes"}`);
  const gpt2 = await benchGpt2Compare({ quick, profile: parsed.flags.profile === true, log });

  const report = {
    createdAt: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version.tfjs,
    backend,
    mlp: `${BENCH_MLP.inputSize}→${BENCH_MLP.hiddenSizes.join("→")}→${BENCH_MLP.outputSize} ${BENCH_MLP.activation}`,
    matMul,
    mlpPerCall: mlp,
    fastForward,
    minibatchStep,
    updateThreads,
    reinforceUpdateMs,
    cartpoleStepsPerSec,
    lunarLander,
    vectorEnvs,
    ...(ppo ? { ppo } : {}),
    gpt2,
  };
  return emit(report);
}

/** µs per PPO minibatch step, median over repetitions, of the typed-array engine and of tfjs (`speedup` = tfjs / typed). */
interface MinibatchStepTiming {
  /** e.g. "4→64→64→2 tanh"; the value net is the same with one output. */
  policy: string;
  rows: number;
  backend: string;
  typedUs: number;
  tfjsUs: number;
  speedup: number;
}

/**
 * PPO's real minibatch step (lib/algos/ppo-nets: both nets, the loss, clipping, Adam) on each
 * engine, per case [obsSize, nActions], on a synthetic minibatch, CleanRL's settings (clip 0.2,
 * clipped value loss, entropy 0.01, vf 0.5, gradient norm 0.5, Adam ε 1e-5).
 */
function benchPpoMinibatchStep(cases: [number, number][], rows: number, opts: { budgetMs: number; reps: number }): MinibatchStepTiming[] {
  const loss = { clipCoef: 0.2, clipVloss: true, entCoef: 0.01, vfCoef: 0.5, maxGradNorm: 0.5 };
  return cases.map(([obsSize, nActions]) => {
    const netOpts = { obsSize, nActions, hiddenSizes: [64, 64], activation: "tanh" as const, lr: 2.5e-4, adamEps: 1e-5 };
    const make = (engine: PpoEngine) => createPpoNets(engine, netOpts, createRng(0));
    const typed = make("typed"), tfjs = make("tfjs");
    const mb = syntheticPpoMinibatch(typed, obsSize, nActions, rows, createRng(1));
    const [typedUs, tfjsUs] = timeMedians([() => void typed.step(mb, loss), () => void tfjs.step(mb, loss)], opts);
    typed.dispose(); tfjs.dispose();
    return { policy: `${obsSize}→64→64→${nActions} tanh`, rows, backend: tf.getBackend(), typedUs, tfjsUs, speedup: tfjsUs / typedUs };
  });
}

/** µs per typed PPO minibatch step on 1 and 2 update threads (`speedup` = 1 thread / 2), and the load average around it: another process on a core takes the second thread's gain. */
interface UpdateThreadsTiming {
  policy: string;
  rows: number;
  oneThreadUs: number;
  twoThreadsUs: number;
  speedup: number;
  cpus: number;
  loadAverage: { before: number; after: number };
}

/**
 * The typed step of startPpoNets' nets with updateThreads 1 and 2 (the second half of each
 * minibatch in a worker; the same numbers) on LunarLander's shapes (8→64→64→4) and minibatch (64
 * rows, rl-zoo's loss settings), interleaved as `timeMedians` does.
 */
async function benchPpoUpdateThreads(opts: { budgetMs: number; reps: number }): Promise<UpdateThreadsTiming[]> {
  const loss = { clipCoef: 0.2, clipVloss: false, entCoef: 0.01, vfCoef: 1, maxGradNorm: 0.5 };
  const before = os.loadavg()[0];
  const out: UpdateThreadsTiming[] = [];
  for (const rows of [64, 256]) {
    const netOpts = { obsSize: 8, nActions: 4, hiddenSizes: [64, 64], activation: "tanh" as const, lr: 3e-4, adamEps: 1e-5, minibatchRows: rows };
    const one = await startPpoNets("typed", { ...netOpts, updateThreads: 1 }, createRng(0));
    const two = await startPpoNets("typed", { ...netOpts, updateThreads: 2 }, createRng(0));
    const data = Array.from({ length: 8 }, (_, i) => syntheticPpoMinibatch(one, 8, 4, rows, createRng(1 + i)));
    let i = 0, j = 0;
    const [oneThreadUs, twoThreadsUs] = timeMedians([() => void one.step(data[i++ % 8], loss), () => void two.step(data[j++ % 8], loss)], opts);
    one.dispose(); two.dispose();
    out.push({ policy: "8→64→64→4 tanh", rows, oneThreadUs, twoThreadsUs, speedup: oneThreadUs / twoThreadsUs, cpus: os.cpus().length, loadAverage: { before, after: os.loadavg()[0] } });
  }
  return out;
}

/**
 * µs per call of each function: after a warm-up, `reps` repetitions of each (~budgetMs/reps each),
 * interleaved so that a busy neighbour slows them alike; the median repetition of each.
 */
function timeMedians(fns: (() => void)[], { budgetMs, reps }: { budgetMs: number; reps: number }): number[] {
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

/** Milliseconds per REINFORCE update (value baseline, advantages, policy + value step) on a synthetic batch of T steps. */
function benchReinforceUpdate(sizes: number[], timing: { budgetMs: number; minReps: number }): { steps: number; ms: number }[] {
  const rng = createRng(0);
  const policy = createMlp("policy", { ...BENCH_MLP }, rng, { outputGain: 0.01 });
  const value = createMlp("value", { ...BENCH_MLP, outputSize: 1 }, rng);
  const nets = { policy, value, policyOpt: createAdam({ lr: 1e-3 }), valueOpt: createAdam({ lr: 1e-3 }) };
  const out = sizes.map((T) => {
    const batch = {
      obs: Float32Array.from({ length: T * 4 }, () => rng.normal()),
      actions: Int32Array.from({ length: T }, () => rng.int(2)),
      returns: Float32Array.from({ length: T }, () => rng.uniform(0, 100)),
    };
    const config = { baseline: "value", normAdv: true, entCoef: 0, maxGradNorm: 1, valueIters: 1, valueBatch: 512 } as const;
    return { steps: T, ms: timeCall(() => void reinforceUpdate(nets, batch, config), timing) / 1000 };
  });
  policy.dispose(); value.dispose(); nets.policyOpt.dispose(); nets.valueOpt.dispose();
  return out;
}

/** Raw environment speed: random actions, resets included. */
function benchCartPole(steps: number): number {
  const env = makeEnv<Float32Array, number>("CartPole-v1");
  const rng = createRng(0);
  env.reset({ seed: 0 });
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const r = env.step(rng.int(2));
    if (r.terminated || r.truncated) env.reset();
  }
  return steps / ((performance.now() - t0) / 1000);
}

/**
 * LunarLander's speed with random actions, then again after building a vega-lite spec in this
 * process: with planck in its own realm the two match; when it shared ours, the second was ~2x slower.
 */
function benchLunarLander(steps: number): { stepsPerSec: number; afterChartSpecStepsPerSec: number } {
  const run = () => {
    const env = makeEnv<Float32Array, number>("LunarLander-v3");
    const rng = createRng(0);
    env.reset({ seed: 0 });
    for (let i = 0; i < steps / 5; i++) { const r = env.step(rng.int(4)); if (r.terminated || r.truncated) env.reset(); } // warm up
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) { const r = env.step(rng.int(4)); if (r.terminated || r.truncated) env.reset(); }
    return steps / ((performance.now() - t0) / 1000);
  };
  const stepsPerSec = run();
  learningCurve(Array.from({ length: 20 }, (_, i) => ({ x: i, y: i * i })), { x: "x", y: "y" });
  return { stepsPerSec, afterChartSpecStepsPerSec: run() };
}

/** Steps/s of a vector env of `n` copies with random actions (auto-reset included). */
function benchVectorEnv(id: string, n: number, steps: number): number {
  const venv = vectorEnv(Array.from({ length: n }, () => makeEnv<Float32Array, number>(id)));
  const rng = createRng(0);
  venv.reset({ seed: 0 });
  const actions = new Array<number>(n);
  const space = venv.singleActionSpace;
  const nActions = space.kind === "discrete" ? space.n : 1;
  const t0 = performance.now();
  for (let done = 0; done < steps; done += n) {
    for (let i = 0; i < n; i++) actions[i] = rng.int(nActions);
    venv.step(actions);
  }
  venv.close();
  return steps / ((performance.now() - t0) / 1000);
}

/** PPO's speed where it matters: time and steps to CartPole's threshold, and LunarLander's SPS over 4 iterations. */
async function benchPpo(): Promise<Record<string, number>> {
  const cartpole = await createPpoAgent({ envId: "CartPole-v1", seed: 1, targetReturn: 475 });
  const r = await cartpole.train();
  cartpole.dispose();
  const lander = await createPpoAgent({ envId: "LunarLander-v3", seed: 1, totalTimesteps: 4 * 16 * 1024, evalEpisodes: 1 });
  const l = await lander.train();
  const rows = lander.metrics;
  lander.dispose();
  return {
    cartpoleStepsTo475: r.stopped === "target" ? r.envSteps : NaN,
    cartpoleSecondsTo475: r.stopped === "target" ? r.wallTime : NaN,
    cartpoleSps: r.envSteps / r.wallTime,
    lunarLanderSps: l.envSteps / l.wallTime,
    lunarLanderRolloutSeconds: rows.reduce((s, x) => s + x.rolloutTime, 0),
    lunarLanderUpdateSeconds: rows.reduce((s, x) => s + x.updateTime, 0),
  };
}
