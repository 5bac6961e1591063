/**
 * Our compute kernels on tfjs's WebAssembly heap, run by every thread of a pool: the matrix
 * product (./gemm-wasm.ts) and the fused optimiser passes (./elementwise-wasm.ts).
 *
 * `startEngine` builds the kernels' wasm module (with relaxed SIMD's fused multiply-add when the
 * engine accepts it), instantiates it on the memory tfjs's wasm module uses (so kernels read and
 * write tensors where they are, no copies), takes the scratch and control memory it needs from
 * tfjs's allocator, and starts the workers when the memory is shared (tfjs's threaded build,
 * ./threaded-wasm.ts). On an unshared memory (the one-thread build) the same kernels run on the
 * calling thread only. Operands are given as element addresses and strides; see `GemmSpec`.
 */
import * as v8 from "node:v8";
import { ctl, defineFunction, encodeModule, f32x4, v128 } from "./wasm-emit";
import { GEMM_CHUNK, GEMM_JOB_BYTES, GEMM_JOB_FIELDS, GEMM_SCRATCH_BYTES, gemmFunctions, KC_MAX, MBLOCK_MAX, MR, NBLOCK_MAX, NR, type GemmJob } from "./gemm-wasm";
import { CHUNK, ELEMENTWISE_JOB_BYTES, elementwiseFunctions, ELEMENTWISE_CHUNKS, type ElementwiseKernel } from "./elementwise-wasm";
import { CONTROL_BYTES, callerOnlyPool, startPool, type ThreadPool } from "./pool";

/** One operand of a product: element address and strides (elements) of its batch, row and column indices. */
export interface MatrixView {
  /** Byte address of element [0, 0, 0] on the heap. */
  ptr: number;
  batchStride: number;
  rowStride: number;
  colStride: number;
}

/** C[b] = A[b]·B[b] (+ bias) (+ C[b] when accumulate); A is M×K, B is K×N, C is M×N. */
export interface GemmSpec {
  batch: number;
  M: number;
  N: number;
  K: number;
  a: MatrixView;
  b: MatrixView;
  c: MatrixView;
  /** Byte address of N floats added to every row, or undefined. */
  bias?: number;
  accumulate?: boolean;
}

export interface KernelEngine {
  /** Threads that compute (the caller's included). */
  readonly threads: number;
  /** Whether the products use fused multiply-add (relaxed SIMD). */
  readonly fma: boolean;
  /** Whether the heap is shared with workers (tfjs's threaded build). */
  readonly shared: boolean;
  gemm(spec: GemmSpec): void;
  /** Runs one of the element-wise kernels (./elementwise-wasm.ts) over `length` elements. */
  elementwise(kernel: ElementwiseKernel, length: number, fields: Record<string, number>): void;
  /** The pool, for tests (killWorker). */
  readonly pool: ThreadPool;
  dispose(): Promise<void>;
}

export interface EngineMemory {
  memory: WebAssembly.Memory;
  /** tfjs's allocator (emscripten's _malloc). */
  malloc(bytes: number): number;
}

const FUNCTION_NAMES = [GEMM_CHUNK, ...ELEMENTWISE_CHUNKS];
/**
 * Smaller jobs run on the calling thread alone: waking a worker costs ~10–50 µs on a quiet machine
 * (a scheduler slice when other processes keep the cores busy), more than splitting saves.
 */
const PARALLEL_MIN_FLOPS = 8e6;
const PARALLEL_MIN_ELEMENTS = 4 * CHUNK;


/**
 * Whether this engine validates relaxed SIMD's f32x4.relaxed_madd, turning on V8's
 * --experimental-wasm-relaxed-simd first if it does not (Node 20's V8 11.3 has it behind that
 * flag; it changes no other behaviour). False if neither works.
 */
export function enableRelaxedSimd(): boolean {
  const probe = encodeModule([defineFunction("probe", [], [], () => ctl.drop(f32x4.relaxedMadd(v128.zero(), v128.zero(), v128.zero())))], { shared: false, maximumPages: 1 });
  if (WebAssembly.validate(probe)) return true;
  try {
    v8.setFlagsFromString("--experimental-wasm-relaxed-simd");
  } catch {
    return false;
  }
  return WebAssembly.validate(probe);
}

/** The kernels module's bytes (exported for tests: it must validate with and without fma). */
export function kernelModuleBytes(opts: { fma: boolean; shared: boolean }): Uint8Array {
  const gemm = gemmFunctions(0, { fma: opts.fma });
  const elementwise = elementwiseFunctions(gemm.length);
  return encodeModule([...gemm, ...elementwise], { shared: opts.shared, maximumPages: 65536 });
}

export async function startEngine(mem: EngineMemory, opts: { threads: number; fma?: boolean }): Promise<KernelEngine> {
  const shared = typeof SharedArrayBuffer === "function" && mem.memory.buffer instanceof SharedArrayBuffer;
  const threads = shared ? Math.max(1, Math.floor(opts.threads)) : 1;
  const fma = opts.fma ?? enableRelaxedSimd();
  const module = new WebAssembly.Module(kernelModuleBytes({ fma, shared }));
  const exports = new WebAssembly.Instance(module, { env: { memory: mem.memory } }).exports;
  const alloc = (bytes: number): number => {
    const p = mem.malloc(bytes) >>> 0;
    if (p === 0) throw new Error(`tsrl threads: could not allocate ${bytes} bytes on the wasm heap`);
    return p;
  };
  // jobs for the workers, and jobs run by the caller alone: after a worker failed, one may still
  // be finishing a chunk of the job it was given, reading its block
  const jobs = { gemm: [alloc(GEMM_JOB_BYTES), alloc(GEMM_JOB_BYTES)], elementwise: [alloc(ELEMENTWISE_JOB_BYTES), alloc(ELEMENTWISE_JOB_BYTES)] };
  const scratch = Array.from({ length: threads }, () => alloc(GEMM_SCRATCH_BYTES));
  const pool = threads > 1
    ? await startPool({ memory: mem.memory, module, names: FUNCTION_NAMES, exports, control: alloc(CONTROL_BYTES), scratch })
    : callerOnlyPool(exports, FUNCTION_NAMES, scratch[0]);
  const heap32 = () => new Int32Array(mem.memory.buffer);
  const writeJob = (at: number, values: number[]) => { heap32().set(values.map((v) => v | 0), at >>> 2); };

  return {
    threads: pool.threads,
    fma,
    shared,
    pool,
    gemm(spec) {
      const alone = pool.threads === 1 || !pool.healthy || 2 * spec.batch * spec.M * spec.N * spec.K < PARALLEL_MIN_FLOPS;
      const job = planGemm(spec, alone ? 1 : pool.threads);
      const at = jobs.gemm[alone ? 1 : 0];
      writeJob(at, GEMM_JOB_FIELDS.map((f) => job[f]));
      pool.run(0, at, spec.batch * job.mBlocks * job.nBlocks, alone);
    },
    elementwise(kernel, length, fields) {
      const { values, chunks } = kernel.job(length, fields);
      const alone = pool.threads === 1 || !pool.healthy || length < PARALLEL_MIN_ELEMENTS;
      const at = jobs.elementwise[alone ? 1 : 0];
      writeJob(at, values);
      pool.run(FUNCTION_NAMES.indexOf(kernel.chunkFunction), at, chunks, alone);
    },
    dispose: () => pool.dispose(),
  };
}

/**
 * Blocks of the product: row blocks of up to MBLOCK_MAX rows (packed A reused by every panel of
 * the block) and panel blocks of up to 32 panels (256 columns: packed B reused by every tile of
 * the rows), halved until there are at least four chunks per thread so a busy core simply takes
 * fewer. The blocking never changes a result: each output element is one tile's sum over k in
 * order, whatever the blocks.
 */
export function planGemm(spec: GemmSpec, threads: number): GemmJob {
  const { M, N, K, batch } = spec;
  for (const [name, v] of Object.entries({ M, N, K, batch })) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`gemm: ${name} must be a positive integer, got ${v}`);
  }
  const roundUp = (x: number, to: number) => Math.ceil(x / to) * to;
  const panels = Math.ceil(N / NR);
  const kc = K <= KC_MAX ? K : Math.ceil(K / Math.ceil(K / KC_MAX));
  let mBlock = M <= MBLOCK_MAX ? M : roundUp(Math.ceil(M / Math.ceil(M / MBLOCK_MAX)), MR);
  let nBlock = Math.min(panels, NBLOCK_MAX);
  const chunks = () => batch * Math.ceil(M / mBlock) * Math.ceil(panels / nBlock);
  if (threads > 1) {
    while (chunks() < 4 * threads && nBlock > 4) nBlock = Math.ceil(nBlock / 2);
    while (chunks() < 4 * threads && mBlock > 4 * MR) mBlock = roundUp(Math.ceil(mBlock / 2), MR);
  }
  const bytes = 4;
  // A packed only when its rows are not contiguous in k (a transposed A); in place, its MR row
  // pointers cost less than packing it again for every panel block (measured: 37 vs 34 GFLOP/s
  // per core at 128 × 3072 × 768)
  const packA = spec.a.colStride !== 1;
  return {
    M, N, K,
    a: spec.a.ptr, aBs: spec.a.batchStride * bytes, aRs: spec.a.rowStride * bytes, aCs: spec.a.colStride * bytes,
    b: spec.b.ptr, bBs: spec.b.batchStride * bytes, bRs: spec.b.rowStride * bytes, bCs: spec.b.colStride * bytes,
    c: spec.c.ptr, cBs: spec.c.batchStride * bytes, cRs: spec.c.rowStride * bytes, cCs: spec.c.colStride * bytes,
    bias: spec.bias ?? 0,
    accumulate: spec.accumulate ? 1 : 0,
    packA: packA ? 1 : 0,
    mBlock, nBlock, mBlocks: Math.ceil(M / mBlock), nBlocks: Math.ceil(panels / nBlock), kc,
  };
}
