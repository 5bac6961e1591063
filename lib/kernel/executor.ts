/**
 * Runs compiled cells in the kernel's own realm (tfjs checks `instanceof Float32Array`, so a separate
 * vm context would break it) and stops them when their AbortController is aborted.
 *
 * The kernel gives each execute request its controller when the request arrives (interrupts.ts), so
 * an interrupt that lands while the cell is queued or being type-checked is not lost: a cell whose
 * signal is already aborted does not run at all. While a cell runs, its signal is the ambient one lib
 * loops see (`checkpoint()` throws AbortError once it is aborted); which run a piece of code belongs
 * to follows it through awaits and timers (AsyncLocalStorage), so an abandoned cell still sees its
 * own aborted signal, and work it tracks later is not charged to the cell running now.
 *
 * Synchronous code (`while (true) {}`) before the cell's first `await` is broken by V8 itself: that
 * part runs with `breakOnSigint`. A cell that never asked for its signal cannot be stopping because
 * of it, so it is abandoned (answered KeyboardInterrupt, left to run on in the background) after a
 * short grace; a cell that did ask (lib's training loops, `checkpoint()`) gets longer to unwind, so
 * its error shows where it stopped.
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
  /** Runs a compiled cell script under `controller`; resolves when it and the work it tracked have finished. */
  run(code: string, fileName: string, controller: AbortController): Promise<CellOutcome>;
  /** Makes the running cell wait for `work` before it is answered (the display sink's `track`). */
  track(work: Promise<unknown>): void;
  readonly running: boolean;
}

/** How long an interrupted cell that never asked for its signal runs on before it is abandoned. */
export const GRACE_MS = 300;
/** How long one that did ask (and so is presumably unwinding) may take to stop. */
export const COOPERATIVE_GRACE_MS = 1500;

interface Run {
  id: number;
  controller: AbortController;
  /** The cell read the ambient signal (resolveSignal, checkpoint) during this run. */
  asked: boolean;
}

export function createExecutor(onBackgroundError: (err: unknown) => void): Executor {
  let current: Run | undefined;
  let last: Run | undefined;
  let tracked: Promise<unknown>[] = [];
  const owner = new AsyncLocalStorage<Run>();
  let runId = 0;
  setAmbientSignalProvider(() => {
    const run = owner.getStore() ?? last;
    if (run) run.asked = true;
    return run?.controller.signal;
  });

  const settle = (work: Promise<unknown>): Promise<CellOutcome> =>
    work.then((value) => ({ kind: "ok", value }), (error) => ({ kind: "error", error }));

  return {
    get running() {
      return current !== undefined;
    },
    async run(code, fileName, controller) {
      const signal = controller.signal;
      if (signal.aborted) return { kind: "interrupted" };
      const run: Run = { id: ++runId, controller, asked: false };
      current = last = run;
      tracked = [];
      let abandon!: () => void;
      const abandoned = new Promise<CellOutcome>((resolve) => (abandon = () => resolve({ kind: "interrupted" })));
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => (timer = setTimeout(abandon, run.asked ? COOPERATIVE_GRACE_MS : GRACE_MS));
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        let completion: unknown;
        try {
          const script = new vm.Script(code, { filename: fileName });
          completion = owner.run(run, () => script.runInThisContext({ breakOnSigint: true, displayErrors: false }));
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
        if (signal.aborted && outcome.kind === "error") return { kind: "interrupted", error: outcome.error };
        return outcome;
      } finally {
        signal.removeEventListener("abort", onAbort);
        clearTimeout(timer);
        current = undefined;
      }
    },
    track(work) {
      const from = owner.getStore();
      if (current && (from === undefined || from === current)) tracked.push(work);
      else work.catch(onBackgroundError);
    },
  };
}
