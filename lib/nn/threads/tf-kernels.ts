/**
 * The kernel engine (./engine.ts) as tfjs kernels on the wasm backend, for the code that asks for
 * them by name (lib/nn/gpt2/kernels.ts, lib/nn/optim.ts):
 *
 *   engineMatMul(a, b, transposeA, transposeB, bias?)   op(a)·op(b) (+ bias), 2-D or batched 3-D
 *                                                        (an operand with batch 1 is shared)
 *   engineAdamStep(…)                                    one fused Adam/AdamW step of a parameter
 *   engineAdamStepInPlace(…)                             the same, written where p, m, v are
 *   engineSumOfSquares(xs)                               Σx² over tensors, for the global norm
 *   engineAccumulate(y, x, s)                            y += s·x in place (when y is unshared)
 *
 * The engine is started by initBackend (lib/nn/backend.ts) and registered here; `kernelEngine()`
 * is undefined on other backends, before initBackend, or when the engine could not start — the
 * callers then use tfjs's own ops.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import type { KernelEngine } from "./engine";
import { ADAMW, AXPY, CHUNK, SUMSQ } from "./elementwise-wasm";

/** The slice of the wasm backend these kernels touch. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  getMemoryOffset(dataId: object): number;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

let active: { engine: KernelEngine; backend: object } | undefined;

/** Registers the engine for the wasm backend instance `backend` (initBackend does this). */
export function setKernelEngine(engine: KernelEngine | undefined, backend?: object): void {
  active = engine && backend ? { engine, backend } : undefined;
  if (engine) registerKernels();
}

/** The engine, when the wasm backend it was started for is the one running. */
export function kernelEngine(): KernelEngine | undefined {
  if (!active || tf.getBackend() !== "wasm" || tf.backend() !== active.backend) return undefined;
  return active.engine;
}

const MATMUL = "TsrlEngineMatMul";
const ADAM = "TsrlEngineAdamStep";

function registerKernels(): void {
  if (tf.getKernel(MATMUL, "wasm")) return;
  tf.registerKernel({ kernelName: MATMUL, backendName: "wasm", kernelFunc: matMulKernel });
  tf.registerKernel({ kernelName: ADAM, backendName: "wasm", kernelFunc: adamKernel });
}

function engineOrThrow(): KernelEngine {
  const e = active?.engine;
  if (!e) throw new Error("the tsrl kernel engine is not running (initBackend starts it on the wasm backend)");
  return e;
}

function checkFloat(x: TensorInfo, what: string): void {
  if (x.dtype !== "float32") throw new TypeError(`${what}: dtype ${x.dtype} not supported; expected float32`);
}

/** [n, rows, cols] of a 2-D or 3-D operand (2-D as n = 1). */
function asBatch(x: TensorInfo, what: string): [number, number, number] {
  if (x.shape.length === 2) return [1, x.shape[0], x.shape[1]];
  if (x.shape.length === 3) return [x.shape[0], x.shape[1], x.shape[2]];
  throw new RangeError(`${what}: expected a 2-D or 3-D tensor, got shape [${x.shape}]`);
}

const matMulKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const a = inputs.a as TensorInfo, b = inputs.b as TensorInfo, bias = inputs.bias as TensorInfo | undefined;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  checkFloat(a, "matMul a");
  checkFloat(b, "matMul b");
  const [na, a1, a2] = asBatch(a, "matMul a"), [nb, b1, b2] = asBatch(b, "matMul b");
  const M = transposeA ? a2 : a1, K = transposeA ? a1 : a2, Kb = transposeB ? b2 : b1, N = transposeB ? b1 : b2;
  if (K !== Kb) throw new RangeError(`matMul: inner sizes differ: a gives ${K}, b gives ${Kb} (shapes [${a.shape}]${transposeA ? "ᵀ" : ""} and [${b.shape}]${transposeB ? "ᵀ" : ""})`);
  if (na !== nb && na !== 1 && nb !== 1) throw new RangeError(`matMul: batch sizes ${na} and ${nb} differ (one may be 1)`);
  if (bias) {
    checkFloat(bias, "matMul bias");
    if (bias.shape.length !== 1 || bias.shape[0] !== N) throw new RangeError(`matMul: bias has shape [${bias.shape}], expected [${N}]`);
  }
  const batch = Math.max(na, nb);
  const out = wasm.makeOutput(a.shape.length === 3 || b.shape.length === 3 ? [batch, M, N] : [M, N], "float32");
  if (batch * M * N === 0) return out;
  if (K === 0) {
    const y = wasm.typedArrayFromHeap(out);
    if (bias) { const bv = wasm.typedArrayFromHeap(bias); for (let i = 0; i < y.length; i += N) y.set(bv, i); } else y.fill(0);
    return out;
  }
  const A = { ptr: wasm.getMemoryOffset(a.dataId), batchStride: na === 1 ? 0 : a1 * a2, rowStride: transposeA ? 1 : a2, colStride: transposeA ? a2 : 1 };
  const B = { ptr: wasm.getMemoryOffset(b.dataId), batchStride: nb === 1 ? 0 : b1 * b2, rowStride: transposeB ? 1 : b2, colStride: transposeB ? b2 : 1 };
  const C = { ptr: wasm.getMemoryOffset(out.dataId), batchStride: M * N, rowStride: N, colStride: 1 };
  if (transposeB && !bias && N >= 4 * M) {
    // a few rows against a wide transposed B (the tied LM head: h·wteᵀ): as Cᵀ = B·Aᵀ, so the
    // wide operand is read row by row in place rather than gathered column by column
    const swap = (v: typeof A) => ({ ...v, rowStride: v.colStride, colStride: v.rowStride });
    engineOrThrow().gemm({ batch, M: N, N: M, K, a: swap(B), b: swap(A), c: swap(C) });
  } else {
    engineOrThrow().gemm({ batch, M, N, K, a: A, b: B, c: C, bias: bias ? wasm.getMemoryOffset(bias.dataId) : undefined });
  }
  return out;
};

/** op(a)·op(b) (+ bias) on the engine; not differentiable by itself (lib/nn/gpt2/kernels.ts wraps it). */
export function engineMatMul<T extends tf.Tensor2D | tf.Tensor3D>(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false, bias?: tf.Tensor1D): T {
  const inputs: Record<string, tf.Tensor> = bias ? { a, b, bias } : { a, b };
  return tf.engine().runKernel(MATMUL, inputs, { transposeA, transposeB } as unknown as NamedAttrMap) as T;
}

export interface AdamScalars {
  /** Multiplies the gradient first (the clipping scale; 1 = none). */
  scale: number;
  /** L2 weight decay added to the gradient (0 = none). */
  l2: number;
  beta1: number;
  beta2: number;
  /** 1 − β₂ᵗ. */
  c2: number;
  eps: number;
  /** lr / (1 − β₁ᵗ). */
  stepSize: number;
  /** lr·λ of decoupled weight decay (0 = none). */
  decay: number;
}

const adamKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const { p, g, m, v } = inputs as Record<string, TensorInfo>;
  const s = attrs as unknown as AdamScalars;
  for (const [name, t] of Object.entries({ p, g, m, v })) {
    checkFloat(t, `adam ${name}`);
    if (t.shape.length !== p.shape.length || t.shape.some((d, i) => d !== p.shape[i])) throw new RangeError(`adam: ${name} has shape [${t.shape}], expected [${p.shape}] (the parameter's)`);
  }
  const outs = [p, m, v].map((t) => wasm.makeOutput([...t.shape], "float32"));
  const n = tf.util.sizeFromShape(p.shape);
  const at = (t: TensorInfo) => wasm.getMemoryOffset(t.dataId);
  engineOrThrow().elementwise(ADAMW, n, {
    p: at(p), g: at(g), m: at(m), v: at(v), pOut: at(outs[0]), mOut: at(outs[1]), vOut: at(outs[2]),
    scale: s.scale, l2: s.l2, beta1: s.beta1, oneMinusBeta1: 1 - s.beta1, beta2: s.beta2, oneMinusBeta2: 1 - s.beta2,
    c2: s.c2, eps: s.eps, stepSize: s.stepSize, decay: s.decay,
  });
  return outs;
};

interface WasmDataBackend extends WasmBackendLike {
  refCount(dataId: object): number;
  dataIdMap: { get(dataId: object): { id: number; memoryOffset: number } };
  wasm: { tfjs: { disposeData(id: number): void; registerTensor(id: number, size: number, memoryOffset: number): void } };
}

/**
 * The same step written over p, m and v where they are, when nothing else shares their data (each
 * tensor data's reference count is 1): no new 3 × 154 MB for GPT-2's token embedding, and p, m,
 * v keep their place on the heap step after step (less fragmentation of tfjs's 4 GB heap). tfjs's
 * C++ side caches things derived from a tensor by its id (XNNPACK's packed weights), so the ids
 * written are registered anew, which drops those caches. Returns false (nothing done) otherwise.
 */
export function engineAdamStepInPlace(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamScalars): boolean {
  const engine = engineOrThrow();
  const wasm = tf.backend() as unknown as WasmDataBackend;
  if ([p, m, v].some((t) => wasm.refCount(t.dataId) !== 1)) return false;
  for (const [name, t] of Object.entries({ p, g, m, v })) {
    if (t.dtype !== "float32") throw new TypeError(`adam ${name}: dtype ${t.dtype} not supported; expected float32`);
    if (t.size !== p.size) throw new RangeError(`adam: ${name} has shape [${t.shape}], expected [${p.shape}] (the parameter's)`);
  }
  const at = (t: tf.Tensor) => wasm.getMemoryOffset(t.dataId);
  engine.elementwise(ADAMW, p.size, {
    p: at(p), g: at(g), m: at(m), v: at(v), pOut: at(p), mOut: at(m), vOut: at(v),
    scale: s.scale, l2: s.l2, beta1: s.beta1, oneMinusBeta1: 1 - s.beta1, beta2: s.beta2, oneMinusBeta2: 1 - s.beta2,
    c2: s.c2, eps: s.eps, stepSize: s.stepSize, decay: s.decay,
  });
  for (const t of [p, m, v]) {
    const data = wasm.dataIdMap.get(t.dataId);
    wasm.wasm.tfjs.disposeData(data.id);
    wasm.wasm.tfjs.registerTensor(data.id, t.size, data.memoryOffset);
  }
  return true;
}

/** One fused Adam/AdamW step: the parameter's, m's and v's next values (new tensors). */
export function engineAdamStep(p: tf.Tensor, g: tf.Tensor, m: tf.Tensor, v: tf.Tensor, s: AdamScalars): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(ADAM, { p, g, m, v }, s as unknown as NamedAttrMap) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
}

/**
 * Σx² over all elements of `xs` (float32 on the wasm backend), summed per chunk on the engine's
 * threads and the chunks added in order in float64: the same number on any thread count.
 */
export function engineSumOfSquares(xs: readonly tf.Tensor[]): number {
  const engine = engineOrThrow();
  const wasm = tf.backend() as unknown as WasmBackendLike;
  let total = 0;
  for (const x of xs) {
    if (x.dtype !== "float32") throw new TypeError(`sumOfSquares: dtype ${x.dtype} not supported; expected float32`);
    const n = x.size;
    if (n === 0) continue;
    const partials = wasm.makeOutput([Math.ceil(n / CHUNK)], "float32");
    try {
      engine.elementwise(SUMSQ, n, { p: wasm.getMemoryOffset(x.dataId), pOut: wasm.getMemoryOffset(partials.dataId) });
      for (const s of wasm.typedArrayFromHeap(partials)) total += s;
    } finally {
      wasm.disposeData(partials.dataId);
    }
  }
  return total;
}

/**
 * y ← y + s·x, written where y is (gradient accumulation over microbatches), when y's data is not
 * shared (reference count 1); returns false (nothing done) when it is, so the caller adds out of place.
 */
export function engineAccumulate(y: tf.Tensor, x: tf.Tensor, s = 1): boolean {
  const engine = engineOrThrow();
  const wasm = tf.backend() as unknown as WasmDataBackend;
  if (y.dtype !== "float32" || x.dtype !== "float32") throw new TypeError(`accumulate: dtypes ${y.dtype}, ${x.dtype}; expected float32`);
  if (y.size !== x.size) throw new RangeError(`accumulate: ${x.size} elements into ${y.size}`);
  if (wasm.refCount(y.dataId) !== 1) return false;
  engine.elementwise(AXPY, y.size, { p: wasm.getMemoryOffset(x.dataId), pOut: wasm.getMemoryOffset(y.dataId), scale: s });
  return true;
}
