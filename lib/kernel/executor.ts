/**
 * Runs compiled cells in the kernel's own realm (tfjs checks `instanceof Float32Array`, so a separate
 * vm context would break it) and stops them on interrupt.
 *
 * Interrupts come as SIGINT (Jupyter's default) or as interrupt_request. Each cell gets an
 * AbortController that lib loops see as the ambient signal (`checkpoint()` throws AbortError once it
 * is aborted). Synchronous code (`while (true) {}`) before the cell's first `await` is broken by V8
 * itself: that part runs with `breakOnSigint`. A cell that ignores the signal is abandoned after a grace period, so
 * the kernel answers and stays usable.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import vm from "node:vm";
import { AbortError, setAmbientSignalProvider } from "../core/abort";

export type CellOutcome =
  | { kind: "ok"; value: unknown }
  | { kind: "error"; error: unknown }
  /** `error` is what the cell threw while stopping (its stack shows where it was), if anything. */
  | { kind: "interrupted"; error?: unknown };

export interface Executor {
  /** Runs a compiled cell script; resolves when it and the work it tracked have finished. */
  run(code: string, fileName: string): Promise<CellOutcome>;
  /** Aborts the running cell (or, when idle, the last cell's background work). */
  interrupt(): void;
  /** Makes the running cell wait for `work` before it is answered (the display sink's `track`). */
  track(work: Promise<unknown>): void;
  readonly running: boolean;
}

/** How long an interrupted cell may take to notice its aborted signal before it is abandoned. */
const GRACE_MS = 1500;

export function createExecutor(onBackgroundError: (err: unknown) => void): Executor {
  let controller = new AbortController();
  setAmbientSignalProvider(() => controller.signal);
  let running = false;
  let tracked: Promise<unknown>[] = [];
  let interrupted = false;
  let abandon: (() => void) | undefined;
  // Which run a piece of code belongs to follows it through awaits and timers, so work that an
  // abandoned cell tracks later is not charged to the cell running now.
  const owner = new AsyncLocalStorage<number>();
  let runId = 0;

  const settle = (work: Promise<unknown>): Promise<CellOutcome> =>
    work.then((value) => ({ kind: "ok", value }), (error) => ({ kind: "error", error }));

  return {
    get running() {
      return running;
    },
    async run(code, fileName) {
      controller = new AbortController();
      const id = ++runId;
      running = true;
      interrupted = false;
      tracked = [];
      const abandoned = new Promise<CellOutcome>((resolve) => (abandon = () => resolve({ kind: "interrupted" })));
      try {
        let completion: unknown;
        try {
          const script = new vm.Script(code, { filename: fileName });
          completion = owner.run(id, () => script.runInThisContext({ breakOnSigint: true, displayErrors: false }));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === "ERR_SCRIPT_EXECUTION_INTERRUPTED") {
            controller.abort(new AbortError("interrupted"));
            return { kind: "interrupted" };
          }
          return { kind: "error", error };
        }
        let outcome = await Promise.race([settle(Promise.resolve(completion)), abandoned]);
        while (outcome.kind === "ok" && tracked.length) {
          const work = tracked.splice(0);
          const done = await Promise.race([settle(Promise.all(work)), abandoned]);
          if (done.kind !== "ok") outcome = done;
        }
        if (interrupted && outcome.kind === "error") return { kind: "interrupted", error: outcome.error };
        return outcome;
      } finally {
        running = false;
        abandon = undefined;
      }
    },
    interrupt() {
      controller.abort(new AbortError("interrupted"));
      if (!running || interrupted) return;
      interrupted = true;
      const giveUp = abandon;
      setTimeout(() => giveUp?.(), GRACE_MS).unref();
    },
    track(work) {
      const from = owner.getStore();
      if (running && (from === undefined || from === runId)) tracked.push(work);
      else work.catch(onBackgroundError);
    },
  };
}
