/**
 * The process Jupyter starts for the tsrl kernel: a small supervisor that runs the real kernel as a
 * child (`tsrl kernel --no-supervisor`, same connection file, same process group) and is there when
 * the kernel cannot speak for itself.
 *
 * Why a second process. Some failures end or freeze the kernel's only JavaScript thread, and nothing
 * inside it can report them: a heap out-of-memory (V8 aborts the process), a native crash, a kill by
 * the system, or synchronous code that never returns to the event loop — an endless loop inside a
 * setTimeout callback, or after an await, is out of reach of the interrupt (the cell's own top-level
 * loop is not: V8's breakOnSigint stops it). The other route tried for the stuck loop, a watchdog
 * thread calling the inspector's Runtime.terminateExecution on the main thread, aborts Node 20 itself
 * ("async hook stack has become corrupted") when the loop runs in a timer callback. A process that
 * watches from outside survives whatever the kernel does:
 *
 * - the kernel dies → the supervisor explains why (post-mortem.ts: "JavaScript heap out of memory"
 *   on its stderr, a signal, an exit code), publishes that as an error on IOPub to the request that
 *   was running (and answers it), then exits 1 so Jupyter's restarter starts a fresh kernel;
 * - an interrupt comes (Jupyter signals the whole process group, so the kernel gets its SIGINT as
 *   before and handles it itself) → the supervisor pings the kernel; a kernel whose event loop is
 *   free answers at once. No answer within INTERRUPT_GRACE_MS means its thread is held by
 *   synchronous code that nothing else can stop: the supervisor kills it and reports that.
 *
 * A clean shutdown (shutdown_request: the kernel exits 0) ends the supervisor with 0; SIGTERM and
 * SIGHUP are passed on to the kernel. The supervisor loads no TypeScript checker, no TensorFlow.js:
 * ZeroMQ only when it has something to publish.
 */
import { fork } from "node:child_process";
import path from "node:path";
import type { ConnectionInfo } from "./channels";
import { explainDeath, publishDeath } from "./post-mortem";
import type { ExecutingRequest, KernelReport, SupervisorRequest } from "./supervision";

/** How long a kernel has to answer the supervisor's ping after an interrupt (TSRL_KERNEL_INTERRUPT_GRACE_MS overrides it). */
export const INTERRUPT_GRACE_MS = 10_000;

const entryScript = path.resolve(__dirname, "..", "cli", "tsrl.cjs");

export async function superviseKernel(connectionFile: string, info: ConnectionInfo): Promise<number> {
  const graceMs = Number(process.env.TSRL_KERNEL_INTERRUPT_GRACE_MS) || INTERRUPT_GRACE_MS;
  const log = (text: string) => void process.stderr.write(`[tsrl kernel supervisor] ${text}\n`);
  const child = fork(entryScript, ["kernel", "--connection-file", connectionFile, "--no-supervisor"], {
    stdio: ["ignore", "inherit", "pipe", "ipc"],
    execArgv: process.execArgv, // e.g. --max-old-space-size given to the kernel's node
  });
  let stderrTail = "";
  child.stderr!.on("data", (chunk: Buffer) => {
    process.stderr.write(chunk);
    stderrTail = (stderrTail + chunk.toString("utf8")).slice(-16_384);
  });
  const stderrEnded = new Promise<void>((resolve) => child.stderr!.once("close", () => resolve()));

  let last: ExecutingRequest | undefined;
  let heapLimitMb: number | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let stuck = false;
  let passedOn: NodeJS.Signals | undefined;

  child.on("message", (report: KernelReport) => {
    if (report.kind === "ready") heapLimitMb = report.heapLimitMb;
    else if (report.kind === "executing") last = report.request;
    else if (report.kind === "finished" && last?.header.msg_id === report.msgId) last.running = false;
    else if (report.kind === "pong") {
      clearTimeout(pingTimer);
      pingTimer = undefined;
    }
  });
  process.on("SIGINT", () => {
    // the kernel got the same SIGINT (same process group); check that it can act on it
    if (pingTimer || !child.connected) return;
    child.send({ kind: "ping" } satisfies SupervisorRequest, () => {});
    pingTimer = setTimeout(() => {
      stuck = true;
      log(`the kernel did not answer the interrupt within ${graceMs} ms; stopping it`);
      child.kill("SIGKILL");
    }, graceMs);
  });
  for (const signal of ["SIGTERM", "SIGHUP"] as const) {
    process.on(signal, () => {
      passedOn = signal;
      child.kill(signal);
    });
  }

  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once("exit", (c, s) => resolve([c, s])));
  clearTimeout(pingTimer);
  await Promise.race([stderrEnded, new Promise((resolve) => setTimeout(resolve, 1000))]); // V8's last words
  if (code === 0 || passedOn) return code ?? 0;
  const death = explainDeath({ code, signal, stderrTail, stuck, graceMs, heapLimitMb });
  log(`${death.ename}: ${death.evalue}`);
  await publishDeath(info, last, death, log);
  return 1;
}
