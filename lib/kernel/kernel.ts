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
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";
import ts from "typescript";
import { openChannels, type ChannelName, type Channels, type ConnectionInfo } from "./channels";
import { createChecker } from "./checker";
import { createExecutor, type CellOutcome } from "./executor";
import { createHistory, type HistoryRequest } from "./history";
import { createInterruptTargets } from "./interrupts";
import { captureStreams, createDisplaySink, installDisplaySink } from "./io";
import { isComplete } from "./is-complete";
import { pagerTarget } from "./pager";
import { compileCell } from "./repl-transform";
import { reprBundle, type MimeBundle } from "./repr";
import { installRuntime, makeRuntime } from "./runtime";
import type { SupervisorLink } from "./supervision";
import { diagnosticsContent, errorContent, type CellRecord, type ErrorContent } from "./traceback";
import { makeHeader, PROTOCOL_VERSION, type Header, type Message } from "./wire";
import { pictureMetadata } from "../viz/display";

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
  const realStderr = process.stderr.write.bind(process.stderr);
  const log = (text: string) => void realStderr(`[tsrl kernel] ${text}\n`);
  const channels: Channels = await openChannels(connection, log);
  const session = randomUUID();
  const checker = createChecker({ cwd, packageRoot });
  const history = createHistory();
  const cells = new Map<string, CellRecord>();
  let executionCount = 0;
  /** Parent of output from cell code: the current execute request, or the last one. */
  let outputParent: Partial<Header> = {};

  const send = (channel: ChannelName, msgType: string, content: Record<string, unknown>, parent: Message | undefined,
    extra: { metadata?: Record<string, unknown>; parentHeader?: Partial<Header> } = {}) =>
    channels.send(channel, {
      identities: channel === "iopub" ? [Buffer.from(`kernel.${session}.${msgType}`)] : parent?.identities ?? [],
      header: makeHeader(msgType, session),
      parent_header: extra.parentHeader ?? parent?.header ?? {},
      metadata: extra.metadata ?? {},
      content,
    });

  const streams = captureStreams((msgType, content) => void send("iopub", msgType, content, undefined, { parentHeader: outputParent }));
  /** Cell output on iopub; pending stream text goes first so the order is kept. */
  const publishOutput = (msgType: string, content: Record<string, unknown>) => {
    streams.flush();
    void send("iopub", msgType, content, undefined, { parentHeader: outputParent });
  };
  const publish = (msgType: string, content: Record<string, unknown>, parent: Message) => {
    streams.flush();
    void send("iopub", msgType, content, parent);
  };

  const reportBackground = (err: unknown) => {
    const content = errorContent(err, (f) => cells.get(f));
    process.stderr.write(content.traceback.join("\n") + "\n");
  };
  const executor = createExecutor(reportBackground);
  installDisplaySink(createDisplaySink(publishOutput, (work) => executor.track(work)));
  installRuntime(makeRuntime(cwd));
  const interrupts = createInterruptTargets<Message>();
  process.on("SIGINT", () => interrupts.interrupt());
  process.on("uncaughtException", reportBackground);
  process.on("unhandledRejection", reportBackground);

  // ---- execute -----------------------------------------------------------------------------------

  type RunResult = { status: "ok"; bundle?: MimeBundle; payload: unknown[] } | { status: "error"; error: ErrorContent };

  const keyboardInterrupt = (error: unknown, evalue = "interrupted by the user"): RunResult =>
    ({ status: "error", error: errorContent(error ?? new Error(), (f) => cells.get(f), { ename: "KeyboardInterrupt", evalue }) });
  /** One event-loop turn: a SIGINT or interrupt_request that came in during synchronous work is handled. */
  const letInterruptsIn = () => new Promise<void>((resolve) => setImmediate(resolve));

  const runCell = async (code: string, count: number, controller: AbortController): Promise<RunResult> => {
    const label = `Cell In[${count}]`;
    const help = pagerTarget(code);
    if (help) {
      const text = checker.quickInfo(code, help.offset + help.name.length) ?? `Object \`${help.name}\` not found.`;
      return { status: "ok", payload: [{ source: "page", data: { "text/plain": text }, start: 0 }] };
    }
    // (busy and execute_input go out first, and an interrupt sent after them still finds this cell unchecked)
    await letInterruptsIn();
    if (controller.signal.aborted) return keyboardInterrupt(undefined, "interrupted before it ran");
    const checked = checker.check(code);
    if (checked.diagnostics.length) return { status: "error", error: diagnosticsContent(checked.diagnostics, { label, source: code }) };
    const compiled = compileCell(code, checked.fileName, checked.scopeRefs);
    await letInterruptsIn();
    if (controller.signal.aborted) return keyboardInterrupt(undefined, "interrupted before it ran");
    cells.set(checked.fileName, { fileName: checked.fileName, label, source: code, sourceMap: compiled.sourceMap, entryLine: compiled.entryLine });
    // The cell ran (at least in part), so its names exist at run time: later cells may use them.
    checker.commit(checked);
    const outcome: CellOutcome = await executor.run(compiled.code, checked.fileName, controller);
    const lookup = (f: string) => cells.get(f);
    if (outcome.kind === "interrupted") return keyboardInterrupt(outcome.error);
    if (outcome.kind === "error") return { status: "error", error: errorContent(outcome.error, lookup) };
    try {
      return { status: "ok", bundle: await reprBundle(outcome.value), payload: [] };
    } catch (err) {
      return { status: "error", error: errorContent(err, lookup) };
    }
  };

  /** user_expressions: TypeScript expressions over the cells' names, checked and compiled like a cell that is not kept. */
  const evaluateUserExpressions = async (expressions: Record<string, string>) => {
    const out: Record<string, unknown> = {};
    for (const [key, expression] of Object.entries(expressions)) {
      try {
        const checked = checker.check(`(${expression})`);
        if (checked.diagnostics.length) {
          out[key] = { status: "error", ...diagnosticsContent(checked.diagnostics, { label: `user_expressions[${JSON.stringify(key)}]`, source: `(${expression})` }) };
          continue;
        }
        const compiled = compileCell(`(${expression})`, checked.fileName, checked.scopeRefs);
        const value = await new vm.Script(compiled.code, { filename: checked.fileName }).runInThisContext();
        out[key] = { status: "ok", data: (await reprBundle(value)) ?? { "text/plain": "undefined" }, metadata: {} };
      } catch (err) {
        out[key] = { status: "error", ...errorContent(err, () => undefined) };
      }
    }
    return out;
  };

  const shellQueue: Message[] = [];
  const aborted = new WeakSet<Message>();

  /** After an error: answer the execute requests that arrived meanwhile with "aborted". */
  const abortQueued = async () => {
    // Let ZeroMQ hand over what already arrived while the cell ran (it is read on the event loop).
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const queued of shellQueue) if (queued.header.msg_type === "execute_request") aborted.add(queued);
  };

  const execute = async (msg: Message) => {
    const content = msg.content as { code: string; silent?: boolean; store_history?: boolean; stop_on_error?: boolean; user_expressions?: Record<string, string> };
    const code = content.code ?? "";
    const silent = content.silent ?? false;
    const storeHistory = !silent && (content.store_history ?? true);
    if (storeHistory && code.trim()) executionCount += 1;
    const count = executionCount;
    outputParent = msg.header;
    supervisor?.executing(msg, count);
    if (!silent) publish("execute_input", { code, execution_count: count }, msg);
    const entry = storeHistory && code.trim() ? history.add(count, code) : undefined;

    // Whatever fails on the way (checking, compiling, running, showing), the request gets its reply.
    const result: RunResult = code.trim()
      ? await runCell(code, count, interrupts.controllerOf(msg)).catch((err): RunResult => ({ status: "error", error: errorContent(err, (f) => cells.get(f)) }))
      : { status: "ok", payload: [] };
    if (result.status === "error") {
      publish("error", { ...result.error }, msg);
      await send("shell", "execute_reply", { status: "error", execution_count: count, ...result.error, payload: [], user_expressions: {} }, msg, { metadata: { status: "error" } });
      if (content.stop_on_error ?? true) await abortQueued();
      return;
    }
    if (result.bundle && !silent) {
      // a PNG's CSS size (it is rendered at 2×), so a chart that is a cell's value shows at its size
      publish("execute_result", { execution_count: count, data: result.bundle, metadata: pictureMetadata(result.bundle) ?? {} }, msg);
      if (entry) entry.output = typeof result.bundle["text/plain"] === "string" ? result.bundle["text/plain"] : null;
    }
    const userExpressions = await evaluateUserExpressions(content.user_expressions ?? {});
    streams.flush();
    await send("shell", "execute_reply", { status: "ok", execution_count: count, payload: result.payload, user_expressions: userExpressions }, msg, { metadata: { status: "ok" } });
  };

  // ---- the other requests ------------------------------------------------------------------------

  let resolveDone!: (value: { restart: boolean }) => void;
  const done = new Promise<{ restart: boolean }>((resolve) => (resolveDone = resolve));

  const shutdown = async (msg: Message, channel: ChannelName) => {
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

  const handlers: Record<string, (msg: Message, channel: ChannelName) => Promise<void>> = {
    execute_request: execute,
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

  const handle = async (msg: Message, channel: ChannelName) => {
    const type = msg.header.msg_type;
    publish("status", { execution_state: "busy" }, msg);
    try {
      if (aborted.has(msg)) {
        await send(channel, "execute_reply", { status: "aborted" }, msg, { metadata: { status: "aborted" } });
      } else if (handlers[type]) {
        await handlers[type](msg, channel);
      } else {
        log(`ignoring ${type} on ${channel}`);
      }
    } catch (err) {
      log(`${type} failed: ${(err as Error).stack ?? err}`);
    } finally {
      interrupts.finished(msg);
      if (type === "execute_request") supervisor?.finished(msg);
      publish("status", { execution_state: "idle" }, msg);
    }
  };

  let pumping = false;
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    while (shellQueue.length) await handle(shellQueue.shift()!, "shell");
    pumping = false;
  };
  channels.listen("shell", (msg) => {
    if (msg.header.msg_type === "execute_request") interrupts.received(msg);
    shellQueue.push(msg);
    void pump();
  });
  channels.listen("control", (msg) => void handle(msg, "control"));
  channels.listen("stdin", (msg) => log(`ignoring ${msg.header.msg_type} on stdin`));

  void send("iopub", "status", { execution_state: "starting" }, undefined);
  // Load TypeScript's libraries and @types/node now rather than during the first cell.
  setTimeout(() => {
    try {
      checker.warmUp();
    } catch (err) {
      log(`warm-up failed: ${err}`);
    }
  }, 50).unref();

  return { done };
}
