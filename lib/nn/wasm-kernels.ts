/**
 * Three fixes to TensorFlow.js's WebAssembly backend, installed by `initBackend` (and callable alone).
 *
 * 1. `BatchMatMul` with a transpose flag. The wasm kernel hands untransposed products to XNNPACK's
 *    fast GEMM but runs a naive triple loop whenever `transposeA` or `transposeB` is set — and every
 *    gradient of a matMul sets one (dA = dY·Bᵀ, dB = Aᵀ·dY). We wrap the original kernel: transpose
 *    the flagged operand explicitly (a cheap memory pass), then call the fast path with no flags.
 *
 * 2. `UnsortedSegmentSum` is missing from the wasm backend, and it is the gradient of `gather`
 *    (embedding lookups). We register a plain-JS implementation that reads the inputs from the wasm
 *    heap, sums rows by segment id, and writes the result back.
 *
 * 3. `Identity` copies its input on wasm, and tfjs clones every tensor a gradient saves for the
 *    backward pass (`save` in customGrad and in the ops' own gradients): GPT-2 124M's forward pass
 *    copied all its weights and activations, 0.9 GB and a fifth of a second per training step. We
 *    share the data instead (one more reference), as tfjs's cpu backend does: tensors are
 *    immutable, so a clone need not be a copy.
 *
 * All are checked against the cpu backend in tests/nn-wasm-kernels.test.ts.
 */
import * as tf from "@tensorflow/tfjs";
import type { KernelConfig, KernelFunc, TensorInfo, NamedAttrMap } from "@tensorflow/tfjs";

/** The slice of the wasm backend object these kernels touch. */
interface WasmBackendLike {
  readSync(dataId: object): ArrayLike<number>;
  incRef(dataId: object): void;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: object): boolean;
}

const MARK = Symbol.for("tsrl.wasmKernelFix");

/** Installs the fixes on the "wasm" backend. Idempotent; a no-op for kernels already fixed. */
export function installWasmKernelFixes(): void {
  installTransposingBatchMatMul();
  installUnsortedSegmentSum();
  installSharingIdentity();
}

function isOurs(config: KernelConfig | undefined): boolean {
  return config !== undefined && (config as unknown as Record<symbol, unknown>)[MARK] === true;
}

function replaceKernel(config: KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName);
  (config as unknown as Record<symbol, unknown>)[MARK] = true;
  tf.registerKernel(config);
}

let originalBatchMatMul: KernelConfig | undefined;

/** Puts tfjs's own wasm BatchMatMul back (for benchmarks that measure what the fix buys). */
export function uninstallTransposingBatchMatMul(): void {
  if (!originalBatchMatMul) return;
  tf.unregisterKernel("BatchMatMul", "wasm");
  tf.registerKernel(originalBatchMatMul);
  originalBatchMatMul = undefined;
}

function installTransposingBatchMatMul(): void {
  const original = tf.getKernel("BatchMatMul", "wasm");
  if (!original) throw new Error("wasm BatchMatMul kernel is not registered; import @tensorflow/tfjs-backend-wasm first");
  if (isOurs(original)) return;
  originalBatchMatMul = original;
  const transposeKernel = tf.getKernel("Transpose", "wasm");
  if (!transposeKernel) throw new Error("wasm Transpose kernel is not registered");

  const kernelFunc: KernelFunc = (args) => {
    const { inputs, backend, attrs } = args;
    const { transposeA, transposeB } = attrs as unknown as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc(args);
    const wasm = backend as unknown as WasmBackendLike;
    const swapLastTwo = (x: TensorInfo): TensorInfo => {
      const perm = x.shape.map((_, i) => i);
      const r = perm.length;
      [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
      return transposeKernel.kernelFunc({ inputs: { x }, backend, attrs: { perm } as unknown as NamedAttrMap }) as TensorInfo;
    };
    const a = transposeA ? swapLastTwo(inputs.a as TensorInfo) : (inputs.a as TensorInfo);
    const b = transposeB ? swapLastTwo(inputs.b as TensorInfo) : (inputs.b as TensorInfo);
    try {
      return original.kernelFunc({
        inputs: { a, b },
        backend,
        attrs: { ...attrs, transposeA: false, transposeB: false } as unknown as NamedAttrMap,
      });
    } finally {
      if (transposeA) wasm.disposeData(a.dataId);
      if (transposeB) wasm.disposeData(b.dataId);
    }
  };
  // setupFunc binds the C function; it already ran for the original, and running it again is harmless.
  replaceKernel({ kernelName: "BatchMatMul", backendName: "wasm", setupFunc: original.setupFunc, kernelFunc });
}

/** out[s, …] = Σ_{i: ids[i] = s} x[i, …]; ids outside [0, numSegments) are dropped, as TensorFlow does. */
export function unsortedSegmentSumValues(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner, dst = s * inner;
    for (let j = 0; j < inner; j++) out[dst + j] += x[src + j];
  }
}

function installUnsortedSegmentSum(): void {
  const existing = tf.getKernel("UnsortedSegmentSum", "wasm");
  if (existing) return; // ours already, or a future tfjs that ships one
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const wasm = backend as unknown as WasmBackendLike;
    const x = inputs.x as TensorInfo, segmentIds = inputs.segmentIds as TensorInfo;
    const { numSegments } = attrs as unknown as { numSegments: number };
    if (x.dtype !== "float32" && x.dtype !== "int32") {
      throw new TypeError(`UnsortedSegmentSum (wasm): dtype ${x.dtype} not supported; expected float32 or int32`);
    }
    const idsRank = segmentIds.shape.length;
    const innerShape = x.shape.slice(idsRank);
    const inner = innerShape.reduce((a, b) => a * b, 1);
    const out = wasm.makeOutput([numSegments, ...innerShape], x.dtype);
    const values = wasm.typedArrayFromHeap(out) as Float32Array | Int32Array;
    unsortedSegmentSumValues(wasm.readSync(x.dataId), wasm.readSync(segmentIds.dataId), numSegments, inner, values);
    return out;
  };
  replaceKernel({ kernelName: "UnsortedSegmentSum", backendName: "wasm", kernelFunc });
}

function installSharingIdentity(): void {
  const original = tf.getKernel("Identity", "wasm");
  if (!original || isOurs(original)) return;
  const kernelFunc: KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    if (x.dtype === "string") return original.kernelFunc(args);
    (args.backend as unknown as WasmBackendLike).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
  replaceKernel({ kernelName: "Identity", backendName: "wasm", kernelFunc });
}
