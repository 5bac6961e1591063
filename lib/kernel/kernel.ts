/**
 * The tsrl Jupyter kernel: answers the messaging protocol (5.3) on its channels and runs TypeScript
 * cells. Shell requests are handled one at a time, in order; control requests (interrupt, shutdown,
 * kernel_info) are answered at once, even while a cell runs. Every request is framed by iopub
 * status busy/idle.
 *
 * A cell goes: type-check against the earlier cells (checker.ts) → compile to a REPL script
 * (repl-transform.ts) → run in this realm (executor.ts) → execute_result (repr.ts) or error
 * (traceback.ts). After an error, execute requests already queued are answered "aborted", as
 * ipykernel does, so a notebook run stops at the failing cell.
 *
 * An interrupt (SIGINT, or interrupt_request on control) applies to the oldest execute request not
 * yet answered, even one still queued or being type-checked (interrupts.ts): such a cell does not run
 * and is answered KeyboardInterrupt. Checking is synchronous, so the kernel lets pending signals and
 * control messages in (one event-loop turn) between checking a cell and running it.
 *
 * Cells run in this process, so `process.exit` and friends throw in them (process-guard.ts); what
 * ends or freezes the process anyway (out of memory, a loop in a timer callback) is reported by the
 * supervisor that started it (supervisor.ts), to which the kernel says which request is executing.
 */
import fs from "node:fs";
import path from "node:path";
import ts from "typescript";
import type { ChannelName, ConnectionInfo } from "./channels";
import { createExecuteHandler } from "./execute";
import type { HistoryRequest } from "./history";
import { isComplete } from "./is-complete";
import { openSession, type KernelSession } from "./session";
import type { SupervisorLink } from "./supervision";
import { PROTOCOL_VERSION, type Message } from "./wire";

const packageRoot = path.resolve(__dirname, "..", "..");
const packageVersion: string = JSON.parse(fs.readFileSync(path.join(packageRoot, "package.json"), "utf8")).version;

export function kernelInfo(): Record<string, unknown> {
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "tsrl",
    implementation_version: packageVersion,
    language_info: {
      name: "typescript",
      version: ts.version,
      mimetype: "text/typescript",
      file_extension: ".ts",
      codemirror_mode: { name: "javascript", typescript: true },
      pygments_lexer: "typescript",
      nbconvert_exporter: "script",
    },
    banner: `tsrl ${packageVersion} — TypeScript ${ts.version} on Node.js ${process.version}\n` +
      `import { … } from "tsrl" to use the library; Ctrl-C / Interrupt stops a training loop.`,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      { text: "Vega-Lite", url: "https://vega.github.io/vega-lite/docs/" },
    ],
    debugger: false,
  };
}

/** Jupyter counts cursor positions in Unicode code points; JS strings index UTF-16 units. */
export function codePointsToUtf16(text: string, cursor: number): number {
  let units = 0;
  for (const ch of text) {
    if (cursor-- <= 0) break;
    units += ch.length;
  }
  return units;
}

export function utf16ToCodePoints(text: string, offset: number): number {
  return [...text.slice(0, offset)].length;
}

export interface RunningKernel {
  /** Resolves when the kernel has shut down. */
  done: Promise<{ restart: boolean }>;
}

/** `supervisor`: where to report the request that is executing (supervision.ts; the supervisor reports a death to it). */
export async function startKernel(connection: ConnectionInfo, cwd = process.cwd(), supervisor?: SupervisorLink): Promise<RunningKernel> {
  const session = await openSession(connection, cwd, packageRoot, supervisor);
  const handlers = requestHandlers(session);
  const handle = dispatcher(session, handlers.handlers);
  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (session.shellQueue.length) await handle(session.shellQueue.shift()!, "shell");
    pumping = false;
  };
  session.channels.listen("shell", (msg) => {
    if (msg.header.msg_type === "execute_request") session.interrupts.received(msg);
    session.shellQueue.push(msg);
    void pump();
  });
  session.channels.listen("control", (msg) => void handle(msg, "control"));
  session.channels.listen("stdin", (msg) => session.log(`ignoring ${msg.header.msg_type} on stdin`));

  void session.send("iopub", "status", { execution_state: "starting" }, undefined);
  // Load TypeScript's libraries and @types/node now rather than during the first cell.
  setTimeout(() => {
    try {
      session.checker.warmUp();
    } catch (err) {
      session.log(`warm-up failed: ${err}`);
    }
  }, 50).unref();
  return { done: handlers.done };
}

type Handler = (msg: Message, channel: ChannelName) => Promise<void>;

/** Every request the kernel answers, by message type, and the promise that resolves at shutdown. */
function requestHandlers(session: KernelSession): { handlers: Record<string, Handler>; done: Promise<{ restart: boolean }> } {
  const { send, checker, history, interrupts, streams, channels } = session;
  let resolveDone!: (value: { restart: boolean }) => void;
  const done = new Promise<{ restart: boolean }>((resolve) => (resolveDone = resolve));
  const shutdown: Handler = async (msg, channel) => {
    const restart = Boolean((msg.content as { restart?: boolean }).restart);
    interrupts.abortAll();
    await send(channel, "shutdown_reply", { status: "ok", restart }, msg);
    // Close after the "idle" status that follows this handler has been queued.
    setImmediate(async () => {
      streams.flush();
      streams.restore();
      await channels.close();
      resolveDone({ restart });
    });
  };
  const handlers: Record<string, Handler> = {
    execute_request: createExecuteHandler(session),
    kernel_info_request: (msg, channel) => send(channel, "kernel_info_reply", kernelInfo(), msg),
    comm_info_request: (msg, channel) => send(channel, "comm_info_reply", { status: "ok", comms: {} }, msg),
    interrupt_request: async (msg, channel) => {
      interrupts.interrupt();
      await send(channel, "interrupt_reply", { status: "ok" }, msg);
    },
    shutdown_request: shutdown,
    is_complete_request: (msg, channel) => send(channel, "is_complete_reply", { ...isComplete(String(msg.content.code ?? "")) }, msg),
    history_request: (msg, channel) => send(channel, "history_reply", { status: "ok", history: history.query(msg.content as unknown as HistoryRequest) }, msg),
    complete_request: async (msg, channel) => {
      const code = String(msg.content.code ?? "");
      const cursor = codePointsToUtf16(code, Number(msg.content.cursor_pos ?? [...code].length));
      const found = checker.complete(code, cursor);
      await send(channel, "complete_reply", {
        status: "ok",
        matches: found.matches,
        cursor_start: utf16ToCodePoints(code, found.start),
        cursor_end: utf16ToCodePoints(code, found.end),
        metadata: {
          _jupyter_types_experimental: found.types.map((t) => ({
            start: utf16ToCodePoints(code, found.start), end: utf16ToCodePoints(code, found.end), text: t.text, type: t.type,
          })),
        },
      }, msg);
    },
    inspect_request: async (msg, channel) => {
      const code = String(msg.content.code ?? "");
      const cursor = codePointsToUtf16(code, Number(msg.content.cursor_pos ?? [...code].length));
      const text = checker.quickInfo(code, cursor);
      await send(channel, "inspect_reply", { status: "ok", found: text !== undefined, data: text ? { "text/plain": text } : {}, metadata: {} }, msg);
    },
  };
  return { handlers, done };
}

/** Answers one request, framed by iopub status busy/idle; a request queued behind an error is answered "aborted". */
function dispatcher(session: KernelSession, handlers: Record<string, Handler>): Handler {
  return async (msg, channel) => {
    const type = msg.header.msg_type;
    session.publish("status", { execution_state: "busy" }, msg);
    try {
      if (session.aborted.has(msg)) {
        await session.send(channel, "execute_reply", { status: "aborted" }, msg, { metadata: { status: "aborted" } });
      } else if (handlers[type]) {
        await handlers[type](msg, channel);
      } else {
        session.log(`ignoring ${type} on ${channel}`);
      }
    } catch (err) {
      session.log(`${type} failed: ${(err as Error).stack ?? err}`);
    } finally {
      session.interrupts.finished(msg);
      if (type === "execute_request") session.supervisor?.finished(msg);
      session.publish("status", { execution_state: "idle" }, msg);
    }
  };
}
