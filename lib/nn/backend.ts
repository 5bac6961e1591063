/**
 * Which TensorFlow.js backend runs our tensors, chosen once per process.
 *
 * Order: a native TensorFlow binding if the user has one installed (`@tensorflow/tfjs-node-gpu`,
 * then `@tensorflow/tfjs-node`; both are optional dependencies that often fail to install), else
 * WebAssembly, else the pure-JavaScript cpu backend.
 *
 * Why wasm before cpu: measured with `tsrl bench` (lib/nn/bench-backends.ts; figs/bench.json).
 * On this project's 2-core Xeon: a 512×768×768 matMul runs at ~33 GFLOP/s on wasm (SIMD, one
 * thread) vs ~0.8 on cpu; the 4→64→64→2 policy MLP's forward+backward costs about the same at
 * batch 1 (~300–400 µs each: per-op overhead) and wasm is ~1.6× faster at batch 4, ~4× at 16 and
 * ~11× at 2048. So wasm is never slower for our workloads. It also gets the two kernel fixes in ./wasm-kernels.
 *
 * On wasm, tsrl's own kernels (./threads: the matrix products and the optimiser of GPT-2) run on
 * all cores — tfjs's threaded wasm build started under Node plus our worker threads — see
 * ./threads/start.ts for why this route and what was measured. `TSRL_THREADS=n` sets the thread
 * count (1: one thread; default: the cores, at most 8).
 *
 * `TSRL_BACKEND=cpu|wasm|tensorflow` overrides the choice.
 *
 * `initBackend()` is idempotent and cheap after the first call, so every entry point (CLI verb,
 * notebook helper, algorithm) simply awaits it.
 */
import { createRequire } from "node:module";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { installWasmKernelFixes } from "./wasm-kernels";
import { defaultThreads, parseThreadsEnv, startWasmThreads, type WasmThreadsStart } from "./threads/start";

export type BackendName = "tensorflow" | "wasm" | "cpu";

export interface BackendInfo {
  /** The tfjs backend name in use ("tensorflow" is the native binding, CPU or GPU). */
  name: BackendName;
  /** Why this one: the package that provided it, or the override, or the fallback that happened. */
  reason: string;
  /** Threads tsrl's own kernels compute on (wasm only; 1 elsewhere). */
  threads: number;
}

export interface InitBackendOptions {
  /** Force a backend (else `TSRL_BACKEND`, else the automatic choice). */
  backend?: BackendName;
  /** Don't print the one-line "tsrl: backend …" message on stderr. */
  quiet?: boolean;
}

const BACKENDS: readonly BackendName[] = ["tensorflow", "wasm", "cpu"];

// Importing the wasm backend makes it tfjs's preferred one, but wasm initialises asynchronously, so
// `tf.ones(…)` before `await initBackend()` would throw "backend not yet initialized". So when no
// backend is in use yet, start on cpu (which initialises synchronously); initBackend() then moves
// to the fastest one. A backend the user already chose is left alone: importing never switches it.
const startedOnCpu = !tf.engine().backendName;
if (startedOnCpu) void tf.setBackend("cpu");
// …and without the cpu backend's "install tfjs-node" banner on first use: initBackend's own one-line
// message already says which backend runs and why.
const cpuBackend = tf.findBackend("cpu") as { firstUse?: boolean } | null;
if (cpuBackend) cpuBackend.firstUse = false;

let current: BackendInfo | undefined;
let pending: Promise<BackendInfo> | undefined;

/** The backend chosen by `initBackend`, or undefined before it ran. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

/** One line for logs: `tsrl: backend wasm (…reason…)`. */
export function describeBackend(info: BackendInfo = current ?? { name: tf.getBackend() as BackendName, reason: "set outside initBackend", threads: 1 }): string {
  return `tsrl: backend ${info.name} (${info.reason})`;
}

/**
 * Picks and initialises the backend (see the module comment). Concurrent and repeated calls share
 * one initialisation; asking for a different backend (`backend`, TSRL_BACKEND) switches to it.
 * Without such a request, a backend the user set with `tf.setBackend` is kept, not replaced.
 */
export function initBackend(opts: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = opts.backend ?? parseBackendEnv(process.env.TSRL_BACKEND);
  parseThreadsEnv(process.env.TSRL_THREADS); // a bad value is an error now, not a quiet fallback later
  const running = tf.engine().backendName as string | undefined;
  if (current && (requested === undefined || requested === current.name) && running === current.name) {
    return Promise.resolve(current);
  }
  if (pending && requested === undefined) return pending;
  if (requested === undefined && running && isBackendName(running) && running !== (current?.name ?? (startedOnCpu ? "cpu" : undefined))) {
    // someone switched backends after our last choice (or before our first): that is a choice too
    if (running === "wasm") installWasmKernelFixes();
    current = { name: running, reason: "chosen with tf.setBackend", threads: 1 };
    if (!opts.quiet) console.error(describeBackend(current));
    return Promise.resolve(current);
  }
  const init = choose(requested).then((info) => {
    current = info;
    if (!opts.quiet) console.error(describeBackend(info));
    return info;
  });
  pending = init;
  init.then(() => { if (pending === init) pending = undefined; }, () => { if (pending === init) pending = undefined; });
  return init;
}

function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

/** `TSRL_BACKEND` as a backend name; throws naming the bad value. */
export function parseBackendEnv(value: string | undefined): BackendName | undefined {
  if (value === undefined || value === "") return undefined;
  if ((BACKENDS as readonly string[]).includes(value)) return value as BackendName;
  throw new RangeError(`TSRL_BACKEND=${JSON.stringify(value)} is not a backend; expected one of ${BACKENDS.join(", ")}`);
}

async function choose(requested: BackendName | undefined): Promise<BackendInfo> {
  if (requested === "tensorflow") {
    const native = loadNativeBinding();
    if (!native.pkg) throw new Error(`TSRL_BACKEND=tensorflow, but no native binding loads: ${native.problems.join("; ")}`);
    await use("tensorflow");
    return { name: "tensorflow", reason: `TSRL_BACKEND override, via ${native.pkg}`, threads: 1 };
  }
  if (requested) {
    await use(requested);
    return { name: requested, reason: `TSRL_BACKEND override${requested === "wasm" ? `, ${wasmStart?.note}` : ""}`, threads: requested === "wasm" ? wasmStart?.threads ?? 1 : 1 };
  }
  const native = loadNativeBinding();
  const problems = [...native.problems];
  if (native.pkg) {
    const failed = await trySet("tensorflow");
    if (!failed) return { name: "tensorflow", reason: `native TensorFlow via ${native.pkg}`, threads: 1 };
    problems.push(`${native.pkg} loaded but its backend failed: ${failed}`);
  }
  const wasmFailed = await trySet("wasm");
  if (!wasmFailed) {
    const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
    return { name: "wasm", reason: `WebAssembly${simd ? " SIMD" : ""}, ${wasmStart?.note}; fastest measured without a native binding (${problems.join("; ")})`, threads: wasmStart?.threads ?? 1 };
  }
  await use("cpu");
  return { name: "cpu", reason: `pure JavaScript fallback: wasm failed to initialise (${wasmFailed}); ${problems.join("; ")}`, threads: 1 };
}

/**
 * Requires a native binding if one loads (it registers the "tensorflow" backend). Returns the
 * package that loaded, and for the others why not: "not installed", or the loader's own error
 * (a missing libtensorflow, a Node ABI mismatch), so the backend message can say why.
 */
function loadNativeBinding(): { pkg?: string; problems: string[] } {
  // createRequire so this works from CommonJS (the CLI loader), vitest and the kernel alike
  const req = createRequire(typeof __filename === "string" ? __filename : `${process.cwd()}/index.js`);
  const problems: string[] = [];
  for (const pkg of ["@tensorflow/tfjs-node-gpu", "@tensorflow/tfjs-node"]) {
    try {
      req(pkg);
      return { pkg, problems };
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const absent = e.code === "MODULE_NOT_FOUND" && String(e.message).includes(`'${pkg}'`);
      problems.push(`${pkg}: ${absent ? "not installed" : `failed to load: ${firstLine(e.message)}`}`);
    }
  }
  return { problems };
}

function firstLine(text: string): string {
  return String(text).split("\n")[0].slice(0, 200);
}

/** Switches to `name`; undefined on success, else why it failed. */
async function trySet(name: BackendName): Promise<string | undefined> {
  try {
    await use(name);
    return undefined;
  } catch (err) {
    return firstLine((err as Error)?.message ?? String(err));
  }
}

/** How the wasm backend started (threads, our kernels), once it has. */
let wasmStart: WasmThreadsStart | undefined;

async function use(name: BackendName): Promise<void> {
  if (name === "wasm") {
    installWasmKernelFixes();
    if (!wasmStart) {
      wasmStart = await startWasmThreads(defaultThreads());
    } else if (tf.getBackend() !== "wasm") {
      // started before (threads, our kernels): switch back to it
      if (!(await tf.setBackend("wasm"))) throw new Error("tfjs backend 'wasm' failed to initialise");
      await tf.ready();
    }
    return;
  }
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`tfjs backend '${name}' failed to initialise`);
  await tf.ready();
  if (name === "cpu") silenceNodeAdvert();
}

/** The cpu backend prints a "install tfjs-node" banner on first use; our one-line message replaces it. */
function silenceNodeAdvert(): void {
  const backend = tf.backend() as unknown as { firstUse?: boolean };
  if ("firstUse" in backend) backend.firstUse = false;
}
