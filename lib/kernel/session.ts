/**
 * A kernel session: what every request handler shares — the channels and how to send on them
 * (iopub messages carry the session's topic), the cell checker and executor, the history, the
 * interrupts, the cells run so far (for tracebacks), captured stdout/stderr, and the shell queue.
 */
import { randomUUID } from "node:crypto";
import { openChannels, type ChannelName, type Channels, type ConnectionInfo } from "./channels";
import { createChecker, type CellChecker } from "./checker";
import { createExecutor, type Executor } from "./executor";
import { createHistory } from "./history";
import { createInterruptTargets, type InterruptTargets } from "./interrupts";
import { captureStreams, createDisplaySink, installDisplaySink, type StreamCapture } from "./io";
import { installRuntime, makeRuntime } from "./runtime";
import type { SupervisorLink } from "./supervision";
import { errorContent, type CellRecord } from "./traceback";
import { makeHeader, type Header, type Message } from "./wire";

/** What every handler of a kernel session shares: its channels, how it sends, and the state of its cells. */
export interface KernelSession {
  readonly channels: Channels;
  readonly checker: CellChecker;
  /** Runs cells (executor.ts), interrupts them, tracks their background work. */
  readonly executor: Executor;
  readonly history: ReturnType<typeof createHistory>;
  readonly interrupts: InterruptTargets<Message>;
  /** Source maps and sources of the cells run so far, by file name (for tracebacks). */
  readonly cells: Map<string, CellRecord>;
  readonly streams: StreamCapture;
  readonly supervisor?: SupervisorLink;
  /** Requests waiting on the shell channel, and those to answer "aborted" (queued behind an error). */
  readonly shellQueue: Message[];
  readonly aborted: WeakSet<Message>;
  executionCount: number;
  /** Parent of output from cell code: the current execute request, or the last one. */
  outputParent: Partial<Header>;
  send(channel: ChannelName, msgType: string, content: Record<string, unknown>, parent: Message | undefined, extra?: { metadata?: Record<string, unknown>; parentHeader?: Partial<Header> }): Promise<void>;
  /** On iopub, answering `parent`; pending stream text goes first so the order is kept. */
  publish(msgType: string, content: Record<string, unknown>, parent: Message): void;
  log(text: string): void;
}

/**
 * The session: its channels, the sender (iopub messages carry the session's topic), captured
 * stdout/stderr and the display sink (cell output goes to the current request), the executor and
 * the runtime cells see, interrupts (SIGINT and interrupt_request), and errors of background work.
 */
export async function openSession(connection: ConnectionInfo, cwd: string, packageRoot: string, supervisor: SupervisorLink | undefined): Promise<KernelSession> {
  const realStderr = process.stderr.write.bind(process.stderr);
  const log = (text: string) => void realStderr(`[tsrl kernel] ${text}\n`);
  const channels = await openChannels(connection, log);
  const id = randomUUID();
  const cells = new Map<string, CellRecord>();
  const reportBackground = (err: unknown) => {
    const content = errorContent(err, (f) => cells.get(f));
    process.stderr.write(content.traceback.join("\n") + "\n");
  };
  const send: KernelSession["send"] = (channel, msgType, content, parent, extra = {}) =>
    channels.send(channel, {
      identities: channel === "iopub" ? [Buffer.from(`kernel.${id}.${msgType}`)] : parent?.identities ?? [],
      header: makeHeader(msgType, id),
      parent_header: extra.parentHeader ?? parent?.header ?? {},
      metadata: extra.metadata ?? {},
      content,
    });
  const session: KernelSession = {
    channels, cells, supervisor, send, log,
    checker: createChecker({ cwd, packageRoot }),
    executor: createExecutor(reportBackground),
    history: createHistory(),
    interrupts: createInterruptTargets<Message>(),
    streams: captureStreams((msgType, content) => void send("iopub", msgType, content, undefined, { parentHeader: session.outputParent })),
    shellQueue: [],
    aborted: new WeakSet<Message>(),
    executionCount: 0,
    outputParent: {},
    publish(msgType, content, parent) {
      session.streams.flush();
      void send("iopub", msgType, content, parent);
    },
  };
  /** Cell output on iopub, to the current request; pending stream text goes first so the order is kept. */
  const publishOutput = (msgType: string, content: Record<string, unknown>) => {
    session.streams.flush();
    void send("iopub", msgType, content, undefined, { parentHeader: session.outputParent });
  };
  installDisplaySink(createDisplaySink(publishOutput, (work) => session.executor.track(work)));
  installRuntime(makeRuntime(cwd));
  process.on("SIGINT", () => session.interrupts.interrupt());
  process.on("uncaughtException", reportBackground);
  process.on("unhandledRejection", reportBackground);
  return session;
}
