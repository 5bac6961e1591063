/**
 * Runs a child process without blocking this test worker: spawnSync/execFileSync would freeze the
 * worker's event loop for the whole run (a notebook takes 20–60 s, more on a loaded CI machine), and
 * vitest's worker → runner RPC gives up after a fixed 60 s ("Timeout calling onTaskUpdate": every test
 * passes, the run still fails).
 */
import { spawn, type SpawnOptions } from "node:child_process";

export interface ProcessResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** `input`: written to the child's stdin, which is then closed (default: no stdin). */
export function runProcess(command: string, args: readonly string[], options: SpawnOptions & { timeout?: number; input?: string } = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const { input, ...spawnOptions } = options;
    const child = spawn(command, args, { ...spawnOptions, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = "", stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = options.timeout ? setTimeout(() => child.kill("SIGKILL"), options.timeout) : undefined;
    child.on("error", (err) => { clearTimeout(timer); reject(err); });
    child.on("close", (status, signal) => { clearTimeout(timer); resolve({ status, signal, stdout, stderr }); });
  });
}
