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
 *   - divergence: the row's losses are checked as it is logged; the first NaN or ±∞ stops training
 *     with a NonFiniteError naming the update and the quantity (lib/core/finite)
 *   - phases: each phase of an update (collect, update, evaluate) and a periodic checkpoint begins
 *     by checking the signal, and an interrupt during the last one is honoured before train() returns:
 *     whatever the phase, an interrupt ends train() the same way (AbortError, or stopped "aborted")
 *   - periodic checkpoints (`opts.checkpoint`): after an update, every N updates or seconds
 *   - what a notebook shows: a live learning curve drawn from the whole history, and a progress bar
 */
import { checkpoint, isAbortError, resolveSignal, throwIfAborted, yieldToEventLoop } from "../core/abort";
import { firstNonFinite, isNonFiniteError, NonFiniteError } from "../core/finite";
import { learningCurve } from "../viz/charts";
import { currentDisplaySink } from "../viz/display";
import { liveChart, type LiveChart } from "../viz/live";
import { progress as progressBar, type ProgressBar } from "../viz/progress";
import type { BaseRow, SaveEvery, StopReason, TrainOptions, TrainPhase, TrainProgress, TrainResult } from "./agent";

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

/** Awaited as each phase of an update begins: checks the signal, so every phase stops on an interrupt. */
export type EnterPhase = (phase: TrainPhase) => Promise<void>;

export interface TrainingSteps<R extends BaseRow> {
  /** True while budget is left. */
  budgetLeft(): boolean;
  /**
   * One update. Calls `log(row)` once with the update's row (the clock columns are filled in and
   * the row goes into `metrics` at once); may then evaluate and set the row's evaluation fields.
   * Awaits `enter(phase)` as each phase begins (collect, update, evaluate): it checks the signal, so
   * every phase stops on an interrupt. Returns "target" to stop because the algorithm's goal is met.
   */
  update(signal: AbortSignal | undefined, log: (row: NewRow<R>) => R, enter: EnterPhase): Promise<"target" | void>;
  /** Runs once when the budget is spent (e.g. a last evaluation); `enter` as in update. */
  finish?(signal: AbortSignal | undefined, enter: EnterPhase): Promise<void>;
  /** Progress so far, for the bar: done of total units, and a few fields to show. */
  progress(): Omit<TrainProgress, "fields"> & { fields?: Record<string, string> };
  /** The result's numbers besides the ones the loop knows. */
  summary(): Pick<TrainResult<R>, "episodes" | "envSteps" | "trainReturn" | "evalReturn">;
  /** Default axes of the live learning curve. */
  plot: { x: string; y: string; window?: number; title: string };
  /**
   * The numbers of a row that must be finite (losses, gradient norm). Checked as the row is
   * logged — before any evaluation that follows it — at the cost of a few comparisons: the first
   * NaN or ±∞ stops training with a NonFiniteError naming the update and the quantity.
   */
  finite?(row: R): Record<string, number>;
}

/** Runs `steps` until the budget is spent, the target is met or the signal aborts. */
export async function runTraining<R extends BaseRow>(state: TrainingState<R>, opts: TrainOptions<R>, steps: TrainingSteps<R>): Promise<TrainResult<R>> {
  const signal = resolveSignal(opts.signal);
  const started = performance.now() - state.seconds * 1000; // a resumed run keeps the clock running
  const clock = () => (state.seconds = (performance.now() - started) / 1000);
  const display = openDisplay(state, opts, steps);
  let stopped: StopReason = "done";
  let inPhase: TrainPhase | undefined; // the phase under way, once its entry check has passed
  let lastSave = { update: state.metrics.at(-1)?.update ?? 0, seconds: state.seconds };
  const saveDue = (every: SaveEvery, update: number, seconds: number) =>
    "updates" in every ? every.updates > 0 && update - lastSave.update >= every.updates : every.seconds > 0 && seconds - lastSave.seconds >= every.seconds;
  try {
    while (steps.budgetLeft()) {
      await checkpoint(signal);
      let row: R | undefined;
      const update = state.metrics.length + 1;
      const enter = async (phase: TrainPhase) => {
        opts.onPhase?.(phase, update);
        await checkpoint(signal);
        inPhase = phase;
      };
      let goal: "target" | void;
      try {
        goal = await steps.update(signal, (newRow) => {
          row = { ...newRow, wallTime: 0, sps: 0 } as R;
          stampClock(row, clock());
          state.metrics.push(row);
          const bad = steps.finite && firstNonFinite(steps.finite(row));
          if (bad) throw new NonFiniteError(`update ${update}: ${bad[0]} is ${bad[1]}; training diverged (a smaller learning rate, or a gradient clip, may help)`);
          return row;
        }, enter);
      } catch (err) {
        // a NaN met elsewhere in the update (the policy's logits while collecting or evaluating): say which update
        if (isNonFiniteError(err) && !/^update \d+:/.test(err.message)) throw new NonFiniteError(`update ${update}: ${err.message}`);
        throw err;
      }
      if (!row) throw new Error("train: an update finished without logging its row");
      stampClock(row, clock()); // evaluation after the log counts as training time
      opts.onUpdate?.(row);
      const p = steps.progress();
      opts.onProgress?.({ ...p, fields: p.fields ?? {} });
      display.update(row, p);
      inPhase = undefined; // between updates again
      if (opts.checkpoint && saveDue(opts.checkpoint.every, row.update, state.seconds)) {
        await enter("checkpoint");
        await opts.checkpoint.save();
        inPhase = undefined;
        lastSave = { update: row.update, seconds: state.seconds };
      }
      if (goal === "target") {
        stopped = "target";
        break;
      }
    }
    if (stopped === "done") {
      await steps.finish?.(signal, async (phase) => {
        opts.onPhase?.(phase, state.metrics.length);
        await checkpoint(signal);
        inPhase = phase;
      });
    }
    // an interrupt that arrived during the last phase (say, the final evaluation) is honoured, not lost
    await yieldToEventLoop();
    throwIfAborted(signal);
  } catch (err) {
    if (!isAbortError(err)) throw err;
    stopped = "aborted";
    if ((opts.onAbort ?? "throw") === "throw") throw err;
  } finally {
    clock();
    await display.close(stopped);
  }
  return { stopped, updates: state.metrics.length, wallTime: state.seconds, ...steps.summary(), metrics: state.metrics, ...(stopped === "aborted" && inPhase ? { interruptedIn: inPhase } : {}) };
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
