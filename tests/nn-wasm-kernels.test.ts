import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { beforeAll, describe, expect, it } from "vitest";
import { createRng } from "../lib/core/rng";
import { installWasmKernelFixes } from "../lib/nn/wasm-kernels";

/** Runs `fn` on a backend with fresh tensors built from plain arrays; returns plain arrays. */
async function on(backend: "cpu" | "wasm", fn: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  await tf.ready();
  return tf.tidy(fn).map((t) => {
    const v = t.dataSync() as Float32Array;
    t.dispose();
    return Float32Array.from(v);
  });
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const rng = createRng(42);
const randn = (n: number) => Float32Array.from({ length: n }, () => rng.normal());

describe("wasm kernel fixes agree with the cpu backend", () => {
  beforeAll(() => installWasmKernelFixes());

  it("the fixed BatchMatMul is registered", () => {
    const k = tf.getKernel("BatchMatMul", "wasm") as unknown as Record<symbol, unknown>;
    expect(k[Symbol.for("tsrl.wasmKernelFix")]).toBe(true);
    expect(tf.getKernel("UnsortedSegmentSum", "wasm")).toBeDefined();
  });

  for (const [ta, tb] of [[false, true], [true, false], [true, true], [false, false]] as const) {
    it(`matMul transposeA=${ta} transposeB=${tb}, rank 2 and batched rank 3`, async () => {
      const [m, k, n] = [7, 13, 5];
      const a2 = randn(m * k), b2 = randn(k * n), a3 = randn(3 * m * k), b3 = randn(3 * k * n);
      const run = () => [
        tf.matMul(tf.tensor2d(a2, ta ? [k, m] : [m, k]), tf.tensor2d(b2, tb ? [n, k] : [k, n]), ta, tb),
        tf.matMul(tf.tensor3d(a3, ta ? [3, k, m] : [3, m, k]), tf.tensor3d(b3, tb ? [3, n, k] : [3, k, n]), ta, tb),
      ];
      const cpu = await on("cpu", run), wasm = await on("wasm", run);
      for (let i = 0; i < cpu.length; i++) expect(maxAbsDiff(cpu[i], wasm[i])).toBeLessThan(1e-4);
    });
  }

  it("gradients of a 2-layer net (every gradient is a transposed matMul)", async () => {
    const x = randn(6 * 4), w1 = randn(4 * 8), w2 = randn(8 * 3);
    const run = () => {
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.square(tf.matMul(tf.tanh(tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D)), c as tf.Tensor2D)));
      return tf.grads(f)([tf.tensor2d(x, [6, 4]), tf.tensor2d(w1, [4, 8]), tf.tensor2d(w2, [8, 3])]);
    };
    const cpu = await on("cpu", run), wasm = await on("wasm", run);
    for (let i = 0; i < cpu.length; i++) expect(maxAbsDiff(cpu[i], wasm[i])).toBeLessThan(1e-4);
  });

  it("unsortedSegmentSum, including dropped out-of-range ids, and the gather (embedding) gradient", async () => {
    const x = randn(6 * 3), table = randn(5 * 4);
    const run = () => [
      tf.unsortedSegmentSum(tf.tensor2d(x, [6, 3]), tf.tensor1d([0, 2, 2, 4, 1, 0], "int32"), 5),
      tf.unsortedSegmentSum(tf.tensor1d(x.subarray(0, 6)), tf.tensor1d([1, 1, 0, 3, 3, 3], "int32"), 4),
      // ids −1 and ≥ numSegments (4, 9) are dropped
      tf.unsortedSegmentSum(tf.tensor2d(x, [6, 3]), tf.tensor1d([-1, 2, 4, 0, 9, 2], "int32"), 4),
      tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d([3, 1, 3, 0], "int32")), tf.range(0, 16).reshape([4, 4]))))(tf.tensor2d(table, [5, 4])),
    ];
    const cpu = await on("cpu", run), wasm = await on("wasm", run);
    for (let i = 0; i < cpu.length; i++) expect(maxAbsDiff(cpu[i], wasm[i])).toBeLessThan(1e-5);
    // the dropped rows are really gone: only rows 3 (→ 0) and 1, 5 (→ 2) are summed
    const expected = new Float32Array(4 * 3);
    for (let j = 0; j < 3; j++) {
      expected[0 * 3 + j] = x[3 * 3 + j];
      expected[2 * 3 + j] = x[1 * 3 + j] + x[5 * 3 + j];
    }
    expect(maxAbsDiff(wasm[2], expected)).toBeLessThan(1e-5);
  });
});

describe("Identity on wasm shares the data (a clone is not a copy)", () => {
  beforeAll(() => installWasmKernelFixes());

  it("clones read the same values, outlive the original, and are counted until the last goes", async () => {
    await tf.setBackend("wasm");
    await tf.ready();
    const before = tf.memory().numBytes;
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a), c = tf.clone(b);
    const backend = tf.backend() as unknown as { getMemoryOffset(id: object): number; refCount(id: object): number };
    expect(backend.getMemoryOffset(b.dataId)).toBe(backend.getMemoryOffset(a.dataId));
    expect(backend.refCount(a.dataId)).toBe(3);
    a.dispose();
    b.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    // gradients still flow through ops that save their inputs (tfjs clones what it saves)
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(x, x)))(c);
    expect(Array.from(g.dataSync())).toEqual([2, 4, 6]);
    tf.dispose([c, g]);
    expect(tf.memory().numBytes).toBe(before);
  });
});
