/**
 * What the kernel tells its supervisor (supervisor.ts) over Node's IPC channel, and how it answers:
 *
 *   kernel → supervisor   ready {heapLimitMb}           once, at start
 *                         executing {request}           each execute request, as it starts: the one a
 *                                                       fatal error is reported to
 *                         finished {msgId}              it was answered
 *                         pong                          the event loop is free (answer to ping)
 *   supervisor → kernel   ping                          sent on an interrupt: no pong within the grace
 *                                                       period means synchronous code holds the thread
 *
 * The kernel runs unsupervised too (`tsrl kernel --no-supervisor`, or started by anything but the
 * supervisor): then there is no channel and the link does nothing.
 */
import v8 from "node:v8";
import type { Header, Message } from "./wire";

/** The execute request a fatal error is reported to: enough to answer it from another process. */
export interface ExecutingRequest {
  header: Header;
  /** ZeroMQ routing identities of the shell message, base64 (for an execute_reply after death). */
  identities: string[];
  executionCount: number;
  /** Still running (false once answered: then only output is sent, not a reply). */
  running: boolean;
}

export type KernelReport =
  | { kind: "ready"; heapLimitMb: number }
  | { kind: "executing"; request: ExecutingRequest }
  | { kind: "finished"; msgId: string }
  | { kind: "pong" };

export type SupervisorRequest = { kind: "ping" };

export interface SupervisorLink {
  executing(msg: Message, executionCount: number): void;
  finished(msg: Message): void;
}

/**
 * Connects the kernel to its supervisor when it has one. When the supervisor goes away (its IPC
 * channel closes), the kernel exits through `exit`: it must not hold Jupyter's ports on its own.
 */
export function linkToSupervisor(exit: (code: number) => void): SupervisorLink {
  const send = process.send?.bind(process);
  if (!send) return { executing() {}, finished() {} };
  const report = (message: KernelReport) => {
    if (process.connected) send(message, undefined, {}, () => {}); // a send that fails: the supervisor is gone, see "disconnect"
  };
  process.on("message", (message: SupervisorRequest) => {
    if (message?.kind === "ping") report({ kind: "pong" });
  });
  process.on("disconnect", () => exit(1));
  process.channel?.unref(); // the channel alone does not keep the kernel alive
  report({ kind: "ready", heapLimitMb: Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20) });
  return {
    executing(msg, executionCount) {
      report({ kind: "executing", request: { header: msg.header, identities: msg.identities.map((b) => b.toString("base64")), executionCount, running: true } });
    },
    finished(msg) {
      report({ kind: "finished", msgId: msg.header.msg_id });
    },
  };
}
