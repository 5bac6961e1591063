/**
 * Cells run in the kernel's own process, so `process.exit(1)` in a cell would end the kernel — and
 * with ZeroMQ's sockets and the heartbeat thread still open, Node aborts natively ("terminate called
 * after throwing an instance of 'Napi::Error'") and the notebook gets no reply at all. A script's way
 * to stop is not a notebook's, so in the kernel these throw instead, and the cell shows why:
 *
 *   process.exit(code)   → ProcessExitError "process.exit(1) called in a cell; the kernel keeps running …"
 *   process.abort()      → ProcessExitError
 *   process.kill(pid, signal) aimed at this process, its process group or its supervisor (signal 0,
 *                          the existence check, still works; other processes are untouched)
 *
 * Code that catches the error goes on, as code that catches any error does. The kernel itself exits
 * through the function `guardProcess` returns.
 */

export class ProcessExitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProcessExitError";
  }
}

export interface ProcessGuard {
  /** The real process.exit, for the kernel's own shutdown. */
  exit(code?: number): never;
  /** Puts the originals back (tests). */
  restore(): void;
}

export function guardProcess(): ProcessGuard {
  const original = { exit: process.exit, abort: process.abort, kill: process.kill };
  const supervised = process.send !== undefined; // forked by the supervisor (supervisor.ts), in its process group
  const keeps = "the kernel keeps running (to end a cell early, throw; to start afresh, Kernel → Restart)";
  const refuse = (what: string): never => {
    throw new ProcessExitError(`${what} called in a cell; ${keeps}`);
  };
  process.exit = ((code?: number | string | null) => refuse(`process.exit(${code ?? ""})`)) as typeof process.exit;
  process.abort = (() => refuse("process.abort()")) as typeof process.abort;
  process.kill = ((pid: number, signal?: string | number) => {
    const self = pid === process.pid || pid === 0 || pid === -process.pid || (supervised && (pid === process.ppid || pid === -process.ppid));
    if (self && signal !== 0) refuse(`process.kill(${pid}${signal === undefined ? "" : `, ${JSON.stringify(signal)}`})`);
    return original.kill.call(process, pid, signal);
  }) as typeof process.kill;
  return {
    exit: (code?: number) => original.exit.call(process, code),
    restore() {
      process.exit = original.exit;
      process.abort = original.abort;
      process.kill = original.kill;
    },
  };
}
