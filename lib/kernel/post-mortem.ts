/**
 * Why the kernel process died, in words a learner can act on, and how the supervisor tells the
 * notebook once the kernel cannot: it binds the dead kernel's IOPub port (free again), waits for the
 * front end's subscriber to reconnect, and publishes an `error` for the request that was running (or
 * the last one, when background work killed it) followed by `status: idle`. If that request had not
 * been answered, it also binds the shell port and sends its `execute_reply` (status "error"): Jupyter's
 * clients reconnect with the same ZeroMQ identity (their session id), so the reply can be routed.
 */
import { randomUUID } from "node:crypto";
import type { ConnectionInfo } from "./channels";
import type { ExecutingRequest } from "./supervision";
import { encode, makeHeader, type Header } from "./wire";

export interface DeathReport {
  ename: string;
  evalue: string;
  /** The message as the notebook shows it, line by line. */
  traceback: string[];
}

export interface DeathFacts {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The end of the kernel's stderr (V8's fatal messages land there). */
  stderrTail: string;
  /** The supervisor stopped it: it did not answer an interrupt within `graceMs`. */
  stuck: boolean;
  graceMs: number;
  heapLimitMb?: number;
}

const RED = "\u001b[0;31m", RESET = "\u001b[0m";
const LOST = "Its variables are gone; Jupyter restarts the kernel (re-run the cells you need).";

export function explainDeath(f: DeathFacts): DeathReport {
  const lastLines = f.stderrTail.trim().split("\n").slice(-8).map((l) => `    ${l.slice(0, 300)}`);
  if (f.stuck) {
    const evalue = `the kernel did not answer the interrupt within ${f.graceMs / 1000} s, so it was stopped`;
    return report("KernelStopped", evalue, [
      "Synchronous code held its only thread and never gave it back — for instance an endless loop inside",
      "a setTimeout callback, or after an await, where an interrupt cannot break in.",
      LOST,
    ]);
  }
  if (/JavaScript heap out of memory|Reached heap limit|Allocation failed - process out of memory/.test(f.stderrTail)) {
    const limit = f.heapLimitMb ? ` (its limit is ${f.heapLimitMb} MB)` : "";
    return report("KernelOutOfMemory", `the kernel ran out of memory: JavaScript heap out of memory${limit}`, [
      "Keep less alive: dispose of tensors you are done with (tensor.dispose(), tf.tidy), use smaller",
      "batches or fewer environments, or give Node a larger heap (NODE_OPTIONS=--max-old-space-size=MB).",
      LOST,
    ]);
  }
  if (f.signal) {
    const why = f.signal === "SIGKILL" ? " (the system's out-of-memory killer does this when the machine runs out of memory)" : "";
    return report("KernelDied", `the kernel process was killed by ${f.signal}${why}`, [LOST, ...(lastLines.length ? ["Its last words (stderr):", ...lastLines] : [])]);
  }
  return report("KernelDied", `the kernel process exited with code ${f.code}`, [LOST, ...(lastLines.length ? ["Its last words (stderr):", ...lastLines] : [])]);
}

function report(ename: string, evalue: string, lines: string[]): DeathReport {
  return { ename, evalue, traceback: [`${RED}${ename}${RESET}: ${evalue}`, "", ...lines] };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Publishes `death` to the front end for `request` (see the module comment). Waits at most
 * `waitMs` for a subscriber; gives up quietly on anything it cannot bind or send (`log` says why).
 */
export async function publishDeath(info: ConnectionInfo, request: ExecutingRequest | undefined, death: DeathReport, log: (text: string) => void, waitMs = 3000): Promise<void> {
  if (!request) return; // no cell ever ran: nothing to attach the message to (Jupyter's log has it)
  const zmq = await import("zeromq");
  const { address } = await import("./channels");
  const session = randomUUID();
  const frames = (msgType: string, content: Record<string, unknown>, identities: Buffer[] = [Buffer.from(`kernel.${session}.${msgType}`)]) =>
    encode(info, { identities, header: makeHeader(msgType, session), parent_header: request.header as Partial<Header>, metadata: {}, content });

  const iopub = new zmq.XPublisher({ linger: 1000 });
  const shell = request.running ? new zmq.Router({ mandatory: true, linger: 1000 }) : undefined;
  try {
    await iopub.bind(address(info, info.iopub_port));
    await shell?.bind(address(info, info.shell_port));
    // A subscription arriving on the XPUB socket means a subscriber is back; give others a moment.
    const subscribed = await Promise.race([iopub.receive().then(() => true, () => false), sleep(waitMs).then(() => false)]);
    if (!subscribed) log("no front end reconnected to IOPub; the reason is only in this log");
    await sleep(200);
    await iopub.send(frames("error", { ...death }));
    if (shell) {
      const reply = frames("execute_reply", { status: "error", execution_count: request.executionCount, ...death, payload: [], user_expressions: {} }, request.identities.map((id) => Buffer.from(id, "base64")));
      const until = Date.now() + waitMs;
      for (;;) {
        try {
          await shell.send(reply);
          break;
        } catch (err) {
          if (Date.now() > until) { log(`could not send the execute_reply: ${(err as Error).message}`); break; } // the client has not reconnected
          await sleep(100);
        }
      }
    }
    await iopub.send(frames("status", { execution_state: "idle" }));
    await sleep(200);
  } catch (err) {
    log(`could not tell the front end: ${(err as Error).message}`);
  } finally {
    iopub.close();
    shell?.close();
  }
}
