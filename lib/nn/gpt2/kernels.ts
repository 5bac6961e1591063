/**
 * Three differentiable ops GPT-2 spends its time in, fast on tfjs's WebAssembly backend:
 *
 *   swapLastTwo(x)          [..., R, C] → [..., C, R]
 *   batchMatMul(a, b, tA, tB)   [n, M, K] · [n, K, N] → [n, M, N]   (attention's q·kᵀ and p·v)
 *   linear(x, w, b)         x·w + b, w stored [in, out] as GPT-2's Conv1D
 *
 * Why (measured on this project's 2-core Xeon, `tsrl bench`): wasm's own Transpose kernel moves
 * ~10 ns per element — 0.5 s for GPT-2's [50257, 768] token embedding — while a blocked copy in
 * JavaScript moves ~2 ns. tfjs's wasm BatchMatMul hands only single matrices (batch 1, no
 * transposes) to XNNPACK's GEMM (~25 GFLOP/s here); a batch of them, as attention has one per
 * (sequence, head), runs a plain loop at ~2 GFLOP/s. So on wasm:
 *   - swapLastTwo is a blocked JavaScript transpose on the wasm heap;
 *   - batchMatMul copies each (transposed, if asked) slice into a matrix of its own and runs the
 *     single-matrix XNNPACK path on it (for slices of a few rows, as in one decoding step, the
 *     copies cost more than they save, and tfjs's batched kernel runs instead);
 *   - linear's gradients use swapLastTwo and untransposed products (dx = dy·wᵀ, dw = xᵀ·dy),
 *     never the transposed-product path.
 * When tsrl's kernel engine runs (lib/nn/threads: initBackend starts it on wasm), every product
 * here is the engine's strided GEMM on all cores instead — transposes and shared operands are
 * strides there, so none of the copies above is made — and `product` (no gradient) serves the
 * KV-cache decoding's LM head.
 * On other backends (cpu, native TensorFlow) these are plain tf.transpose / tf.matMul, whose
 * kernels have no such problem. Checked against those in tests/nn-gpt2-model.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelFunc, NamedAttrMap, TensorInfo } from "@tensorflow/tfjs";
import { engineMatMul, kernelEngine } from "../threads/tf-kernels";

/** The slice of the wasm backend object these kernels touch. */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

const SWAP = "TsrlGpt2SwapLastTwo";
const BMM = "TsrlGpt2BatchMatMul";
const PICK = "TsrlGpt2PickedLogProbs";
const PICK_GRAD = "TsrlGpt2PickedLogProbsGrad";

/** Slices with fewer rows than this go to tfjs's own batched kernel (see the module comment). */
const MIN_ROWS_PER_GEMM = 8;

function onWasm(): boolean {
  return tf.getBackend() === "wasm";
}

/** Whether our kernel engine runs the products (see the module comment). */
function onEngine(): boolean {
  return kernelEngine() !== undefined;
}

/** Whether a transposed operand costs nothing in `batchMatMul` (the engine runs the products). */
export function productsAreTransposeFree(): boolean {
  return onEngine();
}

/** Whether tfjs's wasm backend runs (the kernels below are registered for it). */
export function onWasmBackend(): boolean {
  return onWasm();
}

function registerKernels(): void {
  if (tf.getKernel(SWAP, "wasm")) return;
  tf.registerKernel({ kernelName: SWAP, backendName: "wasm", kernelFunc: swapKernel });
  tf.registerKernel({ kernelName: BMM, backendName: "wasm", kernelFunc: bmmKernel });
  tf.registerKernel({ kernelName: PICK, backendName: "wasm", kernelFunc: pickKernel });
  tf.registerKernel({ kernelName: PICK_GRAD, backendName: "wasm", kernelFunc: pickGradKernel });
}

interface WasmIntBackend extends WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
}

/**
 * log softmax(l)[t] per row = l[t] − (max(l) − log(max(p))), p = softmax(l) (see
 * model.ts tokenLogProbs): the three numbers a row needs, in one pass over l and p, instead of two
 * tfjs max reductions and a gather over [n, vocab].
 */
const pickKernel: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmIntBackend;
  const l = inputs.logits as TensorInfo, p = inputs.probs as TensorInfo, t = inputs.targets as TensorInfo;
  const [n, V] = l.shape;
  const targets = wasm.readSync(t.dataId);
  const out = wasm.makeOutput([n], "float32");
  const L = wasm.typedArrayFromHeap(l), P = wasm.typedArrayFromHeap(p), y = wasm.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) {
    const tgt = targets[i];
    if (!(tgt >= 0 && tgt < V)) throw new RangeError(`tokenLogProbs: target ${tgt} of row ${i} is not a token id (vocab ${V})`);
    let ml = -Infinity, mp = 0;
    for (let j = i * V, end = j + V; j < end; j++) {
      if (L[j] > ml) ml = L[j];
      if (P[j] > mp) mp = P[j];
    }
    y[i] = L[i * V + tgt] - (ml - Math.log(mp));
  }
  return out;
};

/** dl = dy·(onehot(t) − p) per row, written once (tfjs's ops made four [n, vocab] tensors). */
const pickGradKernel: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmIntBackend;
  const p = inputs.probs as TensorInfo, t = inputs.targets as TensorInfo, dy = inputs.dy as TensorInfo;
  const [n, V] = p.shape;
  const targets = wasm.readSync(t.dataId), d = wasm.readSync(dy.dataId);
  const out = wasm.makeOutput([n, V], "float32");
  const P = wasm.typedArrayFromHeap(p), g = wasm.typedArrayFromHeap(out);
  for (let i = 0; i < n; i++) {
    const scale = -d[i];
    for (let j = i * V, end = j + V; j < end; j++) g[j] = P[j] * scale;
    g[i * V + targets[i]] += d[i];
  }
  return out;
};

/** log softmax(logits)[targets] per row, from logits and their softmax (wasm only). */
export function pickedLogProbs(logits: tf.Tensor2D, probs: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  registerKernels();
  return tf.engine().runKernel(PICK, { logits, probs, targets }) as tf.Tensor1D;
}

/** Gradient of pickedLogProbs with respect to the logits, given dy per row (wasm only). */
export function pickedLogProbsGrad(probs: tf.Tensor2D, targets: tf.Tensor1D, dy: tf.Tensor1D): tf.Tensor2D {
  registerKernels();
  return tf.engine().runKernel(PICK_GRAD, { probs, targets, dy }) as tf.Tensor2D;
}

/** dst[c·R + r] = src[r·C + c] for one R×C matrix, in 32×32 blocks (cache-friendly both ways). */
export function transposeInto(src: Float32Array, srcOff: number, rows: number, cols: number, dst: Float32Array, dstOff: number): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = r0 + B < rows ? r0 + B : rows;
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = c0 + B < cols ? c0 + B : cols;
      for (let r = r0; r < r1; r++) {
        let s = srcOff + r * cols + c0, d = dstOff + c0 * rows + r;
        for (let c = c0; c < c1; c++, d += rows) dst[d] = src[s++];
      }
    }
  }
}

const swapKernel: KernelFunc = ({ inputs, backend }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const x = inputs.x as TensorInfo;
  if (x.dtype !== "float32") throw new TypeError(`swapLastTwo: dtype ${x.dtype} not supported; expected float32`);
  const r = x.shape.length, rows = x.shape[r - 2], cols = x.shape[r - 1];
  const out = wasm.makeOutput([...x.shape.slice(0, -2), cols, rows], "float32");
  // views taken after the allocation: growing the wasm memory detaches older ones
  const src = wasm.typedArrayFromHeap(x), dst = wasm.typedArrayFromHeap(out);
  const n = rows * cols;
  for (let off = 0; off < src.length; off += n) transposeInto(src, off, rows, cols, dst, off);
  return out;
};

const bmmKernel: KernelFunc = ({ inputs, backend, attrs }) => {
  const wasm = backend as unknown as WasmBackendLike;
  const a = inputs.a as TensorInfo, b = inputs.b as TensorInfo;
  const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
  const [na, a1, a2] = a.shape, [nb, b1, b2] = b.shape;
  const M = transposeA ? a2 : a1, K = transposeA ? a1 : a2, N = transposeB ? b1 : b2;
  const batch = Math.max(na, nb);
  const gemm = tf.getKernel("BatchMatMul", "wasm")!.kernelFunc;
  const out = wasm.makeOutput([batch, M, N], "float32");
  const noFlags = { transposeA: false, transposeB: false } as unknown as NamedAttrMap;
  for (let i = 0; i < batch; i++) {
    const ai = wasm.makeOutput([1, M, K], "float32"), bi = wasm.makeOutput([1, K, N], "float32");
    const aSrc = wasm.typedArrayFromHeap(a), bSrc = wasm.typedArrayFromHeap(b);
    const aOff = (na === 1 ? 0 : i) * M * K, bOff = (nb === 1 ? 0 : i) * K * N;
    if (transposeA) transposeInto(aSrc, aOff, K, M, wasm.typedArrayFromHeap(ai), 0);
    else wasm.typedArrayFromHeap(ai).set(aSrc.subarray(aOff, aOff + M * K));
    if (transposeB) transposeInto(bSrc, bOff, N, K, wasm.typedArrayFromHeap(bi), 0);
    else wasm.typedArrayFromHeap(bi).set(bSrc.subarray(bOff, bOff + K * N));
    // a fresh tensor per slice for b: XNNPACK caches its packed copy of b by tensor id
    const yi = gemm({ inputs: { a: ai, b: bi }, backend, attrs: noFlags }) as TensorInfo;
    wasm.typedArrayFromHeap(out).set(wasm.typedArrayFromHeap(yi), i * M * N);
    wasm.disposeData(ai.dataId);
    wasm.disposeData(bi.dataId);
    wasm.disposeData(yi.dataId);
  }
  return out;
};

/**
 * tf.customGrad with plain parameter types: `f(...inputs, save)` returns the value and a gradFunc
 * giving one gradient per input.
 */
export function customOp(f: (...args: never[]) => { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[] }): (...inputs: tf.Tensor[]) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor;
}

function rawSwap(x: tf.Tensor): tf.Tensor {
  if (!onWasm()) {
    const perm = x.shape.map((_, i) => i);
    const r = perm.length;
    [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
    return tf.transpose(x, perm);
  }
  registerKernels();
  return tf.engine().runKernel(SWAP, { x }) as tf.Tensor;
}

function rawBmm(a: tf.Tensor3D, b: tf.Tensor3D, transposeA: boolean, transposeB: boolean): tf.Tensor3D {
  if (onEngine()) return engineMatMul(a, b, transposeA, transposeB);
  const rows = transposeA ? a.shape[2] : a.shape[1];
  const batch = Math.max(a.shape[0], b.shape[0]);
  if (!onWasm() || (batch === 1 && !transposeA && !transposeB)) return tf.matMul(a, b, transposeA, transposeB);
  if (rows < MIN_ROWS_PER_GEMM) {
    // few rows: tfjs's batched loop, with any transpose done by our fast swap
    return tf.matMul(transposeA ? (rawSwap(a) as tf.Tensor3D) : a, transposeB ? (rawSwap(b) as tf.Tensor3D) : b);
  }
  registerKernels();
  return tf.engine().runKernel(BMM, { a, b }, { transposeA, transposeB } as unknown as NamedAttrMap) as tf.Tensor3D;
}

/** [..., R, C] → [..., C, R]; differentiable. */
export function swapLastTwo<T extends tf.Tensor>(x: T): T {
  const op = customOp((t: tf.Tensor) => ({ value: rawSwap(t), gradFunc: (dy: tf.Tensor) => rawSwap(dy) }));
  return op(x) as T;
}

/**
 * op(a)·op(b) for each of n matrices ([n, M, K] · [n, K, N] → [n, M, N]; an operand with n = 1 is
 * shared), op = transpose where asked; differentiable.
 */
export function batchMatMul(a: tf.Tensor3D, b: tf.Tensor3D, transposeA = false, transposeB = false): tf.Tensor3D {
  const op = customOp((x: tf.Tensor, y: tf.Tensor, save: tf.GradSaveFunc) => {
    save([x, y]);
    return {
      value: rawBmm(x as tf.Tensor3D, y as tf.Tensor3D, transposeA, transposeB),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [A, B] = saved as tf.Tensor3D[];
        const g = dy as tf.Tensor3D;
        let dA: tf.Tensor3D, dB: tf.Tensor3D;
        if (!transposeA && !transposeB) { dA = rawBmm(g, B, false, true); dB = rawBmm(A, g, true, false); }
        else if (!transposeA && transposeB) { dA = rawBmm(g, B, false, false); dB = rawBmm(g, A, true, false); }
        else if (transposeA && !transposeB) { dA = rawBmm(B, g, false, true); dB = rawBmm(A, g, false, false); }
        else { dA = rawBmm(B, g, true, true); dB = rawBmm(g, A, true, true); }
        // a shared (n = 1) operand gets the sum over the batch
        if (A.shape[0] === 1 && g.shape[0] > 1) dA = tf.sum(dA, 0, true);
        if (B.shape[0] === 1 && g.shape[0] > 1) dB = tf.sum(dB, 0, true);
        return [dA, dB];
      },
    };
  });
  return op(a, b) as tf.Tensor3D;
}

/**
 * a·bᵀ ("right") or aᵀ·b ("left") through an explicit transposed copy, freed at once: inside a
 * gradient computation it would otherwise live (with XNNPACK's packed copy of it) until the whole
 * backward pass ends — for GPT-2 124M, a second copy of every weight matrix.
 */
function productWithSwapped(a: tf.Tensor2D, b: tf.Tensor2D, side: "left" | "right"): tf.Tensor2D {
  if (side === "right") {
    // a·bᵀ = (b·aᵀ)ᵀ: when a has few rows (a gradient dy [n, out] against a weight [in, out]),
    // transposing a and the [in, n] result moves less memory than transposing the weight
    const [n, k] = a.shape, m = b.shape[0];
    if (n * k + m * n < m * k) {
      const aT = rawSwap(a) as tf.Tensor2D;
      const outT = tf.matMul(b, aT);
      const out = rawSwap(outT) as tf.Tensor2D;
      tf.dispose([aT, outT]);
      return out;
    }
  }
  const swapped = rawSwap(side === "right" ? b : a) as tf.Tensor2D;
  const out = side === "right" ? tf.matMul(a, swapped) : tf.matMul(swapped, b);
  swapped.dispose();
  return out as tf.Tensor2D;
}

/** x·w + b for x [n, in], w [in, out], b [out]; differentiable without transposed products. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  if (onEngine()) return engineLinear(x, w, b);
  if (!onWasm()) return tf.add(tf.matMul(x, w), b);
  const op = customOp((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return {
      value: tf.fused.matMul({ a: xx as tf.Tensor2D, b: ww as tf.Tensor2D, bias: bb }),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [X, W] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        return [productWithSwapped(g, W, "right"), productWithSwapped(X, g, "left"), tf.sum(g, 0)];
      },
    };
  });
  return op(x, w, b) as tf.Tensor2D;
}

/** x·w (+ b) on the engine: dx = dy·wᵀ and dw = xᵀ·dy are strided products too. */
function engineLinear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  const grads = (dy: tf.Tensor, saved: tf.Tensor[]) => {
    const [X, W] = saved;
    return [engineMatMul<tf.Tensor2D>(dy, W, false, true), engineMatMul<tf.Tensor2D>(X, dy, true, false)];
  };
  if (b) {
    const op = customOp((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor, save: tf.GradSaveFunc) => {
      save([xx, ww]);
      return { value: engineMatMul(xx, ww, false, false, bb as tf.Tensor1D), gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [...grads(dy, saved), tf.sum(dy, 0)] };
    });
    return op(x, w, b) as tf.Tensor2D;
  }
  const op = customOp((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return { value: engineMatMul(xx, ww), gradFunc: grads };
  });
  return op(x, w) as tf.Tensor2D;
}

/** x·w for x [n, in], w [in, out] (no bias), differentiable like `linear`. */
export function matMul2d(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (onEngine()) return engineLinear(x, w);
  if (!onWasm()) return tf.matMul(x, w);
  const op = customOp((xx: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    save([xx, ww]);
    return {
      value: tf.matMul(xx as tf.Tensor2D, ww as tf.Tensor2D),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [X, W] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        return [productWithSwapped(g, W, "right"), productWithSwapped(X, g, "left")];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}

/**
 * table[ids] (rows of an embedding), differentiable in `table`: the gradient is a scatter-add of dy
 * into the rows (tf.unsortedSegmentSum), without the two whole-table transposes tf.gather's own
 * gradient makes.
 */
export function embedding(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const rows = table.shape[0];
  const op = customOp((t: tf.Tensor, i: tf.Tensor, save: tf.GradSaveFunc) => {
    save([i]);
    return {
      value: tf.gather(t, i),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.unsortedSegmentSum(dy, saved[0] as tf.Tensor1D, rows), tf.zeros(saved[0].shape)],
    };
  });
  return op(table, ids) as tf.Tensor2D;
}

/**
 * Logits h·wteᵀ [n, vocab] of the LM head tied to the token embedding wte [vocab, E]. On wasm
 * computed as (wte·hᵀ)ᵀ, whose gradients are untransposed products too (dh = dy·wte,
 * dwte = dyᵀ·h): the only transposes are of h and of [n, vocab] tensors, never of the
 * vocab×E table (38.6M floats for GPT-2: 0.2 s per transpose here).
 */
export function tiedHead(h: tf.Tensor2D, wte: tf.Tensor2D): tf.Tensor2D {
  if (onEngine()) {
    const op = customOp((hh: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
      save([hh, ww]);
      return {
        value: engineMatMul(hh, ww, false, true),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [engineMatMul(dy, saved[1]), engineMatMul(dy, saved[0], true, false)],
      };
    });
    return op(h, wte) as tf.Tensor2D;
  }
  if (!onWasm()) return tf.matMul(h, wte, false, true);
  const op = customOp((hh: tf.Tensor, ww: tf.Tensor, save: tf.GradSaveFunc) => {
    save([hh, ww]);
    const hT = rawSwap(hh);
    const logitsT = tf.matMul(ww as tf.Tensor2D, hT as tf.Tensor2D);
    const value = rawSwap(logitsT);
    tf.dispose([hT, logitsT]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [H, W] = saved as tf.Tensor2D[];
        const g = dy as tf.Tensor2D;
        const gT = rawSwap(g) as tf.Tensor2D;
        const dW = tf.matMul(gT, H);
        gT.dispose();
        return [tf.matMul(g, W), dW];
      },
    };
  });
  return op(h, wte) as tf.Tensor2D;
}

/** a·op(b) for 2-D a, b, without a gradient: the engine's product when it runs, else tf.matMul. */
export function product(a: tf.Tensor2D, b: tf.Tensor2D, transposeB = false): tf.Tensor2D {
  return onEngine() ? engineMatMul(a, b, false, transposeB) : tf.matMul(a, b, false, transposeB);
}
