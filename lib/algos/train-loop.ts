/**
 * The part of `train()` every algorithm shares, so each algorithm file keeps only its own steps
 * (collect → advantages → update → log):
 *
 *   - the interrupt: the caller's signal combined with the kernel's / CLI's ambient one, checked
 *     between updates; on abort the agent keeps everything, and train() rethrows (or returns
 *     `stopped: "aborted"` with `onAbort: "return"`)
 *   - the clock: wallTime and sps in every row, counting on across resumed calls
 *   - the row log: a row is in `metrics` before any evaluation that follows it, so an interrupt
 *     during that evaluation keeps it
 *   - what a notebook shows: a live learning curve drawn from the whole history, and a progress bar
 */
import { checkpoint, isAbortError, resolveSignal } from "../core/abort";
import { learningCurve } from "../viz/charts";
import { currentDisplaySink } from "../viz/display";
import { liveChart, type LiveChart } from "../viz/live";
import { progress as progressBar, type ProgressBar } from "../viz/progress";
import type { BaseRow, StopReason, TrainOptions, TrainProgress, TrainResult } from "./agent";

/** What an agent keeps between calls of train(). */
export interface TrainingState<R extends BaseRow> {
  readonly metrics: R[];
  /** Seconds of training so far. */
  seconds: number;
}

export function createTrainingState<R extends BaseRow>(): TrainingState<R> {
  return { metrics: [], seconds: 0 };
}

export type NewRow<R extends BaseRow> = Omit<R, "wallTime" | "sps">;

export interface TrainingSteps<R extends BaseRow> {
  /** True while budget is left. */
  budgetLeft(): boolean;
  /**
   * One update. Calls `log(row)` once with the update's row (the clock columns are filled in and
   * the row goes into `metrics` at once); may then evaluate and set the row's evaluation fields.
   * Returns "target" to stop because the algorithm's goal is met.
   */
  update(signal: AbortSignal | undefined, log: (row: NewRow<R>) => R): Promise<"target" | void>;
  /** Runs once when the budget is spent (e.g. a last evaluation). */
  finish?(signal: AbortSignal | undefined): Promise<void>;
  /** Progress so far, for the bar: done of total units, and a few fields to show. */
  progress(): Omit<TrainProgress, "fields"> & { fields?: Record<string, string> };
  /** The result's numbers besides the ones the loop knows. */
  summary(): Pick<TrainResult<R>, "episodes" | "envSteps" | "trainReturn" | "evalReturn">;
  /** Default axes of the live learning curve. */
  plot: { x: string; y: string; window?: number; title: string };
}

/** Runs `steps` until the budget is spent, the target is met or the signal aborts. */
export async function runTraining<R extends BaseRow>(state: TrainingState<R>, opts: TrainOptions<R>, steps: TrainingSteps<R>): Promise<TrainResult<R>> {
  const signal = resolveSignal(opts.signal);
  const started = performance.now() - state.seconds * 1000; // a resumed run keeps the clock running
  const clock = () => (state.seconds = (performance.now() - started) / 1000);
  const display = openDisplay(state, opts, steps);
  let stopped: StopReason = "done";
  try {
    while (steps.budgetLeft()) {
      await checkpoint(signal);
      let row: R | undefined;
      const goal = await steps.update(signal, (newRow) => {
        row = { ...newRow, wallTime: 0, sps: 0 } as R;
        stampClock(row, clock());
        state.metrics.push(row);
        return row;
      });
      if (!row) throw new Error("train: an update finished without logging its row");
      stampClock(row, clock()); // evaluation after the log counts as training time
      opts.onUpdate?.(row);
      const p = steps.progress();
      opts.onProgress?.({ ...p, fields: p.fields ?? {} });
      display.update(row, p);
      if (goal === "target") {
        stopped = "target";
        break;
      }
    }
    if (stopped === "done") await steps.finish?.(signal);
  } catch (err) {
    if (!isAbortError(err)) throw err;
    stopped = "aborted";
    if ((opts.onAbort ?? "throw") === "throw") throw err;
  } finally {
    clock();
    await display.close(stopped);
  }
  return { stopped, updates: state.metrics.length, wallTime: state.seconds, ...steps.summary(), metrics: state.metrics };
}

function stampClock(row: BaseRow, seconds: number): void {
  row.wallTime = seconds;
  row.sps = row.envSteps / Math.max(seconds, 1e-9);
}

interface TrainingDisplay<R> {
  update(row: R, progress: ReturnType<TrainingSteps<BaseRow>["progress"]>): void;
  close(stopped: StopReason): Promise<void>;
}

/**
 * What a notebook (or terminal) shows while training runs: with `plot`, a live learning curve
 * drawn from the agent's whole history — a resumed run's chart starts where the last one ended —
 * and, with `progress` (default: on when plotting), a progress bar with rate and ETA.
 */
function openDisplay<R extends BaseRow>(state: TrainingState<R>, opts: TrainOptions<R>, steps: TrainingSteps<R>): TrainingDisplay<R> {
  const plotting = opts.plot !== undefined && opts.plot !== false && currentDisplaySink() !== undefined;
  let chart: LiveChart<R> | undefined;
  if (plotting) {
    const axes = { ...steps.plot, ...(typeof opts.plot === "object" ? opts.plot : {}) };
    chart = liveChart<R>((rows) => learningCurve(rows, { x: axes.x, y: axes.y, window: axes.window, title: axes.title }), { initialRows: state.metrics });
  }
  let bar: ProgressBar | undefined;
  if (opts.progress ?? plotting) {
    const p = steps.progress();
    bar = progressBar({ total: p.total, unit: p.unit, desc: "train", initial: p.done });
  }
  return {
    update(row, p) {
      chart?.push(row);
      bar?.set(p.done, p.fields);
    },
    async close() {
      bar?.close();
      await chart?.close();
    },
  };
}
