/**
 * execute_request: a cell goes type-check against the earlier cells (checker.ts) → compile to a REPL
 * script (repl-transform.ts) → run in this realm (executor.ts) → execute_result (repr.ts) or error
 * (traceback.ts), then the user_expressions and the reply. After an error, execute requests already
 * queued are answered "aborted", as ipykernel does, so a notebook run stops at the failing cell.
 * An interrupt that arrives while the cell is queued or being checked stops it before it runs.
 */
import vm from "node:vm";
import { pictureMetadata } from "../viz/display";
import type { KernelSession } from "./session";
import type { CellOutcome } from "./executor";
import { pagerTarget } from "./pager";
import { compileCell } from "./repl-transform";
import { reprBundle, type MimeBundle } from "./repr";
import { diagnosticsContent, errorContent, type ErrorContent } from "./traceback";
import type { Message } from "./wire";

type RunResult = { status: "ok"; bundle?: MimeBundle; payload: unknown[] } | { status: "error"; error: ErrorContent };

/** One event-loop turn: a SIGINT or interrupt_request that came in during synchronous work is handled. */
const letInterruptsIn = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createExecuteHandler(session: KernelSession): (msg: Message) => Promise<void> {
  const { checker, cells, send, publish } = session;
  const lookup = (f: string) => cells.get(f);
  const keyboardInterrupt = (error: unknown, evalue = "interrupted by the user"): RunResult =>
    ({ status: "error", error: errorContent(error ?? new Error(), lookup, { ename: "KeyboardInterrupt", evalue }) });

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
    const outcome: CellOutcome = await session.executor.run(compiled.code, checked.fileName, controller);
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

  /** After an error: answer the execute requests that arrived meanwhile with "aborted". */
  const abortQueued = async () => {
    // Let ZeroMQ hand over what already arrived while the cell ran (it is read on the event loop).
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (const queued of session.shellQueue) if (queued.header.msg_type === "execute_request") session.aborted.add(queued);
  };

  return async (msg) => {
    const content = msg.content as { code: string; silent?: boolean; store_history?: boolean; stop_on_error?: boolean; user_expressions?: Record<string, string> };
    const code = content.code ?? "";
    const silent = content.silent ?? false;
    const storeHistory = !silent && (content.store_history ?? true);
    if (storeHistory && code.trim()) session.executionCount += 1;
    const count = session.executionCount;
    session.outputParent = msg.header;
    session.supervisor?.executing(msg, count);
    if (!silent) publish("execute_input", { code, execution_count: count }, msg);
    const entry = storeHistory && code.trim() ? session.history.add(count, code) : undefined;

    // Whatever fails on the way (checking, compiling, running, showing), the request gets its reply.
    const result: RunResult = code.trim()
      ? await runCell(code, count, session.interrupts.controllerOf(msg)).catch((err): RunResult => ({ status: "error", error: errorContent(err, lookup) }))
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
    session.streams.flush();
    await send("shell", "execute_reply", { status: "ok", execution_count: count, payload: result.payload, user_expressions: userExpressions }, msg, { metadata: { status: "ok" } });
  };
}
