/**
 * Both cores (lib/nn/threads): tfjs's threaded wasm build under Node, our GEMM and fused Adam on
 * worker threads. What must hold: the same numbers on 2 threads as on 1 (bit for bit: each output
 * is computed by one thread, in the same order), products equal to tfjs's within float tolerance,
 * a failing or dying worker is an error and never a hang, and no worker keeps Node alive.
 */
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./max-diff";
import { runProcess } from "./run-process";
import { createRng } from "../lib/core/rng";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, generate, gpt2TrainStep, type Gpt2 } from "../lib/nn/gpt2";
import { createAdam } from "../lib/nn/optim";
import { startEngine, type KernelEngine } from "../lib/nn/threads/engine";
import { wasmHeap } from "../lib/nn/threads/start";
import { engineMatMul, kernelEngine, setKernelEngine } from "../lib/nn/threads/tf-kernels";
import { encodeModule, sleb, uleb } from "../lib/nn/threads/wasm-emit";

const ROOT = path.resolve(__dirname, "..");
const REGISTER = path.join(ROOT, "lib", "node", "register-ts.cjs");
const CONFIG = { nLayer: 2, nHead: 2, nEmbd: 32, nPositions: 32, vocabSize: 97, dropout: 0 };

let two: KernelEngine;
let one: KernelEngine;
let wasmBackend: object;

// two threads whatever the machine (a 1-core machine would otherwise start one); the child
// processes below inherit it
process.env.TSRL_THREADS = "2";

beforeAll(async () => {
  const info = await initBackend({ quiet: true });
  expect(info.name).toBe("wasm");
  expect(info.threads).toBe(2);
  two = kernelEngine()!;
  expect(two.shared).toBe(true);
  wasmBackend = tf.backend();
  one = await startEngine(wasmHeap()!, { threads: 1 });
  expect(one.threads).toBe(1);
});
afterAll(() => setKernelEngine(two, wasmBackend));

/** Runs `fn` with `engine` as the registered one. */
function withEngine<T>(engine: KernelEngine | undefined, fn: () => T): T {
  setKernelEngine(engine, wasmBackend);
  try {
    return fn();
  } finally {
    setKernelEngine(two, wasmBackend);
  }
}

const rng = createRng(5);
const rand = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

describe("the wasm encoder", () => {
  it("writes LEB128 as the spec's examples, and a module the engine validates", () => {
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(WebAssembly.validate(encodeModule([], { shared: true, maximumPages: 65536 }))).toBe(true);
    expect(() => uleb(-1)).toThrow(/non-negative/);
  });
});

describe("the engine's products", () => {
  it("equal tfjs's matMul for every transpose, batch sharing, bias and odd sizes", () => {
    for (const [M, N, K] of [[1, 1, 1], [5, 3, 7], [37, 29, 301], [130, 70, 40], [9, 1000, 16]]) {
      for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]] as const) {
        for (const [na, nb] of [[1, 1], [3, 3], [3, 1], [1, 3]]) {
          const a = rand(tA ? [na, K, M] : [na, M, K]), b = rand(tB ? [nb, N, K] : [nb, K, N]), bias = rand([N]) as tf.Tensor1D;
          const n = Math.max(na, nb);
          const full = (t: tf.Tensor) => (t.shape[0] === n ? t : tf.tile(t, [n, 1, 1]));
          const ours = engineMatMul(a, b, tA, tB, bias), ref = tf.add(tf.matMul(full(a) as tf.Tensor3D, full(b) as tf.Tensor3D, tA, tB), bias);
          expect(ours.shape).toEqual(ref.shape);
          const scale = Math.max(1, ...Array.from(ref.dataSync(), Math.abs));
          expect(maxDiff(ours.dataSync(), ref.dataSync()) / scale).toBeLessThan(1e-5);
          tf.dispose([a, b, bias, ours, ref]);
        }
      }
    }
  });

  it("are bit for bit the same on 2 threads as on 1 (big enough to be split)", () => {
    for (const [M, N, K, tA, tB] of [[128, 768, 256, false, false], [128, 500, 300, false, true], [300, 256, 128, true, false], [8, 5000, 128, false, false]] as const) {
      const a = rand(tA ? [K, M] : [M, K]), b = rand(tB ? [N, K] : [K, N]);
      const y2 = withEngine(two, () => engineMatMul(a, b, tA, tB)), y1 = withEngine(one, () => engineMatMul(a, b, tA, tB));
      expect(Array.from(y2.dataSync())).toEqual(Array.from(y1.dataSync()));
      tf.dispose([a, b, y1, y2]);
    }
  });
});

describe("GPT-2 on 2 threads and on 1", () => {
  let model: Gpt2;
  beforeAll(() => { model = createGpt2(CONFIG, createRng(1)); });
  afterAll(() => model?.dispose());

  it("give the same logits and gradients, bit for bit", () => {
    const ids = tf.tensor2d([[1, 5, 9, 2, 7, 3, 3, 8], [4, 4, 0, 1, 96, 50, 2, 11]], undefined, "int32");
    const run = () => tf.tidy(() => {
      const logits = model.apply(ids);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(ids), 0.01)) as tf.Scalar, Object.values(model.params));
      return [Array.from(logits.dataSync()), ...Object.keys(grads).sort().map((k) => Array.from(grads[k].dataSync()))];
    });
    const onTwo = withEngine(two, run), onOne = withEngine(one, run);
    expect(onTwo.length).toBe(Object.keys(model.params).length + 1);
    onTwo.forEach((values, i) => expect(values).toEqual(onOne[i]));
    // and tfjs's own kernels (no engine) agree within float tolerance
    const tfjs = withEngine(undefined, run);
    onTwo.forEach((values, i) => expect(maxDiff(values, tfjs[i])).toBeLessThan(1e-4));
    ids.dispose();
  });

  it("generate the same tokens from the same seed", () => {
    const prompts = [[1, 2, 3], [50, 60, 70, 80, 90]];
    const gen = () => generate(model, prompts, { maxNewTokens: 12, rng: createRng(7), eosId: null });
    const a = withEngine(two, gen), b = withEngine(one, gen);
    expect(a.tokens).toEqual(b.tokens);
    expect(a.logProbs).toEqual(b.logProbs);
  });

  it("take the same training steps (fused AdamW, clipping), and the fused step equals tfjs's ops", () => {
    const steps = (engine: KernelEngine | undefined) => withEngine(engine, () => {
      const m = createGpt2(CONFIG, createRng(3));
      const adam = createAdam({ lr: 1e-3, beta1: 0.9, beta2: 0.95, weightDecay: 0.1, decoupled: true });
      const ids = [[1, 5, 9, 2, 7, 3, 3, 8, 1], [4, 4, 0, 1, 96, 50, 2, 11, 0]];
      const out = [0, 1, 2].map(() => gpt2TrainStep(m, adam, ids, { maxGradNorm: 0.5 }));
      const weights = Object.values(m.params).map((p) => Array.from(p.dataSync()));
      m.dispose();
      adam.dispose();
      return { out, weights };
    });
    const a = steps(two), b = steps(one);
    expect(a.out).toEqual(b.out);
    a.weights.forEach((w, i) => expect(w).toEqual(b.weights[i]));
    const c = steps(undefined); // tfjs's kernels and tfjs's Adam ops
    a.out.forEach((o, i) => expect(o.loss).toBeCloseTo(c.out[i].loss, 4));
    a.weights.forEach((w, i) => expect(maxDiff(w, c.weights[i])).toBeLessThan(1e-4));
  });
});

describe("the fused Adam step", () => {
  it("gives exactly the numbers of tfjs's ops (L2 and decoupled decay, clipping scale)", () => {
    for (const opts of [{ lr: 0.01 }, { lr: 0.01, weightDecay: 0.1 }, { lr: 0.003, weightDecay: 0.1, decoupled: true, beta2: 0.95 }]) {
      const run = (engine: KernelEngine | undefined) => withEngine(engine, () => {
        const r = createRng(11);
        const p = tf.variable(tf.tensor(Float32Array.from({ length: 70_001 }, () => r.normal())));
        const adam = createAdam(opts);
        for (let step = 0; step < 3; step++) {
          const g = tf.tensor(Float32Array.from({ length: 70_001 }, () => r.normal()));
          adam.apply([p], [g], step === 1 ? 0.25 : 1);
          g.dispose();
        }
        const out = Array.from(p.dataSync());
        p.dispose();
        adam.dispose();
        return out;
      });
      expect(run(two)).toEqual(run(undefined));
    }
  });

  it("keeps nanoGPT's weight-decay groups (decay \"matrices\"): a matrix decays, a vector does not — as tfjs's ops do", () => {
    const run = (engine: KernelEngine | undefined, weightDecay: number) => withEngine(engine, () => {
      const r = createRng(12);
      const matrix = tf.variable(tf.tensor(Float32Array.from({ length: 300 * 240 }, () => r.normal()), [300, 240]));
      const vector = tf.variable(tf.tensor(Float32Array.from({ length: 70_001 }, () => r.normal())));
      const adam = createAdam({ lr: 0.01, weightDecay, decoupled: true, decay: "matrices" });
      for (let step = 0; step < 3; step++) {
        const g = [tf.tensor(Float32Array.from({ length: matrix.size }, () => r.normal()), matrix.shape), tf.tensor(Float32Array.from({ length: vector.size }, () => r.normal()))];
        adam.apply([matrix, vector], g);
        tf.dispose(g);
      }
      const out = [Array.from(matrix.dataSync()), Array.from(vector.dataSync())];
      tf.dispose([matrix, vector]);
      adam.dispose();
      return out;
    });
    const fused = run(two, 0.5), ops = run(undefined, 0.5), noDecay = run(two, 0);
    expect(fused).toEqual(ops);
    expect(fused[1]).toEqual(noDecay[1]); // the vector (a bias, a LayerNorm gain) is not decayed
    expect(maxDiff(fused[0], noDecay[0])).toBeGreaterThan(1e-4); // the matrix is
  });
});

describe("failures", () => {
  it("a job a worker cannot run is an error, and the workers serve the next job", async () => {
    const engine = await startEngine(wasmHeap()!, { threads: 2 });
    try {
      const bad = 0xfff0_0000; // far past the end of the heap
      expect(() => engine.gemm({ batch: 4, M: 256, N: 256, K: 256, a: { ptr: bad, batchStride: 0, rowStride: 256, colStride: 1 }, b: { ptr: bad, batchStride: 0, rowStride: 256, colStride: 1 }, c: { ptr: bad, batchStride: 0, rowStride: 256, colStride: 1 } }))
        .toThrow(/out of bounds/);
      expect(engine.pool.healthy).toBe(true);
      const a = rand([200, 300]), b = rand([300, 400]);
      const y = withEngine(engine, () => engineMatMul(a, b)), ref = tf.matMul(a, b);
      expect(maxDiff(y.dataSync(), ref.dataSync())).toBeLessThan(1e-3);
      tf.dispose([a, b, y, ref]);
    } finally {
      await engine.dispose();
    }
  });

  it("a worker killed in the middle of a job is an error, not a hang; later jobs run on the calling thread", async () => {
    const engine = await startEngine(wasmHeap()!, { threads: 2 });
    try {
      const a = rand([512, 1024]), b = rand([1024, 1024]);
      const ref = withEngine(one, () => engineMatMul(a, b));
      engine.pool.killWorker(0, 100);
      const t0 = Date.now();
      let error: Error | undefined;
      try {
        // products of ~1 GFLOP until the kill lands (each takes a few tens of ms on 2 threads)
        while (!error && Date.now() - t0 < 20_000) withEngine(engine, () => engineMatMul(a, b)).dispose();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(/worker 1 stopped \(exit code 1\)/);
      expect(Date.now() - t0).toBeLessThan(20_000);
      expect(engine.pool.healthy).toBe(false);
      const y = withEngine(engine, () => engineMatMul(a, b));
      expect(Array.from(y.dataSync())).toEqual(Array.from(ref.dataSync()));
      tf.dispose([a, b, ref, y]);
    } finally {
      await engine.dispose();
    }
  });
});

describe("processes", () => {
  const script = `
    const { initBackend } = require(${JSON.stringify(path.join(ROOT, "lib", "nn", "backend.ts"))});
    const tf = require("@tensorflow/tfjs");
    const { createGpt2 } = require(${JSON.stringify(path.join(ROOT, "lib", "nn", "gpt2", "index.ts"))});
    const { createRng } = require(${JSON.stringify(path.join(ROOT, "lib", "core", "rng.ts"))});
    initBackend().then((info) => {
      const m = createGpt2(${JSON.stringify(CONFIG)}, createRng(1));
      const y = m.forward([[1, 2, 3]]);
      console.log(JSON.stringify({ threads: info.threads, logit: y.dataSync()[0] }));
    });`;

  it("ends by itself after using the workers (nothing keeps Node alive)", async () => {
    const r = await runProcess(process.execPath, ["-r", REGISTER, "-e", script], { cwd: ROOT, timeout: 60_000 });
    expect(r.signal).toBeNull(); // not killed by the timeout
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).threads).toBe(2);
    expect(r.stderr).toMatch(/2 threads/);
  });

  it("without SharedArrayBuffer, falls back to one thread, says why, and computes the same logits", async () => {
    const [threaded, single] = await Promise.all([
      runProcess(process.execPath, ["-r", REGISTER, "-e", script], { cwd: ROOT, timeout: 60_000 }),
      runProcess(process.execPath, ["--no-harmony-sharedarraybuffer", "-r", REGISTER, "-e", script], { cwd: ROOT, timeout: 60_000 }),
    ]);
    expect(single.status).toBe(0);
    expect(single.stderr).toMatch(/1 thread.*the threaded build did not start: SharedArrayBuffer is not available/);
    expect(JSON.parse(single.stdout).threads).toBe(1);
    expect(JSON.parse(single.stdout).logit).toBe(JSON.parse(threaded.stdout).logit);
  });

  it("TSRL_THREADS=1 is one thread; a bad value is refused by name", async () => {
    const ok = await runProcess(process.execPath, ["-r", REGISTER, "-e", script], { cwd: ROOT, timeout: 60_000, env: { ...process.env, TSRL_THREADS: "1" } });
    expect(JSON.parse(ok.stdout).threads).toBe(1);
    const bad = await runProcess(process.execPath, ["-r", REGISTER, "-e", script], { cwd: ROOT, timeout: 60_000, env: { ...process.env, TSRL_THREADS: "two" } });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/TSRL_THREADS="two" is not a thread count/);
  });
});

describe("gradient accumulation over microbatches", () => {
  it("takes the same step as the whole batch, up to float rounding, on the engine and on tfjs's kernels", () => {
    for (const engine of [two, undefined]) {
      const run = (microbatch?: number) => withEngine(engine, () => {
        const m = createGpt2(CONFIG, createRng(4));
        const adam = createAdam({ lr: 1e-3 });
        const ids = [[1, 5, 9, 2, 7, 3, 3, 8, 1], [4, 4, 0, 1, 96, 50, 2, 11, 0], [7, 7, 7, 1, 2, 3, 4, 5, 6]];
        const out = [0, 1].map(() => gpt2TrainStep(m, adam, ids, { maxGradNorm: 0.5, microbatch }));
        const weights = Object.values(m.params).map((p) => Array.from(p.dataSync()));
        m.dispose();
        adam.dispose();
        return { out, weights };
      });
      const whole = run(), micro = run(1), pairs = run(2);
      for (const other of [micro, pairs]) {
        other.out.forEach((o, i) => { expect(o.loss).toBeCloseTo(whole.out[i].loss, 5); expect(o.gradNorm).toBeCloseTo(whole.out[i].gradNorm, 5); });
        other.weights.forEach((w, i) => expect(maxDiff(w, whole.weights[i])).toBeLessThan(1e-5));
      }
    }
  });
});
