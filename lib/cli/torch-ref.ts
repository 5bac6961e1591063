/**
 * The PyTorch side of `tsrl bench --only gpt2`: starts lib/nn/gpt2/torch_ref.py under a python3
 * that has torch, and asks it for one measurement at a time (JSON lines), so the bench can put
 * its own measurements between them.
 *
 * Which python: TSRL_PYTHON if set, else `python3` on PATH, else /usr/bin/python3 (where Debian's
 * python3-torch installs) — the first that imports torch. None: the bench says it skipped
 * PyTorch and why; it never fails for lack of it.
 *
 * The process runs with OMP_WAIT_POLICY=PASSIVE (its OpenMP threads sleep rather than spin while
 * we measure ours), OpenBLAS's core-type override (OPENBLAS_CORETYPE) removed, and both pools
 * allowed `maxThreads`; each measurement sets the thread count it is made with.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as path from "node:path";
import * as readline from "node:readline";

export const TORCH_REF_SCRIPT = path.resolve(__dirname, "..", "nn", "gpt2", "torch_ref.py");

export interface TorchMeasureRequest {
  what: "train" | "generate";
  threads: number;
  config: Record<string, number>;
  batch: number;
  seq?: number;
  promptLength?: number;
  newTokens?: number;
}

export interface TorchRef {
  python: string;
  /** What torch_ref.py reports: versions and thread settings. */
  info: Record<string, unknown>;
  /** The environment the process was started with (the thread-related variables). */
  env: Record<string, string | null>;
  measure(req: TorchMeasureRequest): Promise<{ ms: number; threads: Record<string, number | null> }>;
  close(): void;
}

/** The first python that imports torch, or why there is none. */
export function findTorchPython(): { python: string } | { skipped: string } {
  const candidates = [...new Set([process.env.TSRL_PYTHON, "python3", "/usr/bin/python3"].filter((c): c is string => !!c))];
  const tried: string[] = [];
  for (const python of candidates) {
    const r = spawnSync(python, ["-c", "import torch"], { encoding: "utf8", timeout: 120_000 });
    if (r.status === 0) return { python };
    tried.push(`${python}: ${r.error ? (r.error as NodeJS.ErrnoException).code ?? r.error.message : (r.stderr || "").trim().split("\n").pop()}`);
  }
  return { skipped: `no python3 with torch (${tried.join("; ")})` };
}

export async function startTorchRef(maxThreads: number): Promise<TorchRef | { skipped: string }> {
  const found = findTorchPython();
  if ("skipped" in found) return found;
  const env: NodeJS.ProcessEnv = { ...process.env, OMP_WAIT_POLICY: "PASSIVE", OMP_NUM_THREADS: String(maxThreads), OPENBLAS_NUM_THREADS: String(maxThreads), PYTHONUNBUFFERED: "1" };
  delete env.OPENBLAS_CORETYPE;
  const child: ChildProcessWithoutNullStreams = spawn(found.python, [TORCH_REF_SCRIPT], { env, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
  const lines = readline.createInterface({ input: child.stdout });
  const waiting: { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }[] = [];
  lines.on("line", (line) => {
    const w = waiting.shift();
    if (!w) return;
    try {
      const reply = JSON.parse(line) as Record<string, unknown>;
      if (typeof reply.error === "string") w.reject(new Error(`torch_ref.py: ${reply.error}`));
      else w.resolve(reply);
    } catch {
      w.reject(new Error(`torch_ref.py printed something that is not JSON: ${line.slice(0, 200)}`));
    }
  });
  child.on("exit", (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`torch_ref.py exited (code ${code}): ${stderr.trim().split("\n").pop() ?? ""}`));
  });
  child.on("error", (err) => { for (const w of waiting.splice(0)) w.reject(err); });
  const ask = (req: Record<string, unknown>) => new Promise<Record<string, unknown>>((resolve, reject) => {
    waiting.push({ resolve, reject });
    child.stdin.write(JSON.stringify(req) + "\n");
  });
  let info: Record<string, unknown>;
  try {
    info = await ask({ op: "info" });
  } catch (err) {
    child.kill();
    return { skipped: `torch_ref.py did not start under ${found.python}: ${(err as Error).message}` };
  }
  return {
    python: found.python,
    info,
    env: { OMP_WAIT_POLICY: "PASSIVE", OMP_NUM_THREADS: env.OMP_NUM_THREADS!, OPENBLAS_NUM_THREADS: env.OPENBLAS_NUM_THREADS!, OPENBLAS_CORETYPE: null },
    async measure(req) {
      const reply = await ask({ op: "measure", ...req });
      return { ms: Number(reply.ms), threads: reply.threads as Record<string, number | null> };
    },
    close() {
      child.stdin.end();
      child.kill();
    },
  };
}
