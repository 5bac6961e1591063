/**
 * The playground's one run at a time, on the main thread: starts jobs in the worker thread
 * (worker.cjs), keeps the run's state — status, progress, metrics rows, result — for every browser
 * tab to poll, and passes policy snapshots on. A second job while one runs is refused (BusyError:
 * HTTP 409 naming the run), so two tabs cannot train at once; they watch the same run instead.
 *
 * Stop marks the run "stopping" at once and asks the worker to abort; the worker's loops check the
 * signal between steps, so the run ends "stopped" soon after, with what it learned. A step that
 * does not return (one huge synchronous update) cannot see the signal: STOP_GRACE_MS after Stop the
 * worker is ended instead, and the run is "stopped" with the last snapshot its tab received. A
 * worker that dies (out of memory, a crash) fails its run with the reason, and a new one is
 * started for the next job.
 */
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { Job, JobKind, JobProgress, MainMessage, PolicySnapshot, WorkerMessage } from "./protocol";

export type RunStatus = "running" | "stopping" | "done" | "stopped" | "failed";

export interface RunRecord {
  id: number;
  kind: JobKind;
  /** The tab that started it: ttt, edit or lm. */
  tab: string;
  /** What the page shows of the settings (no weights). */
  settings: Record<string, unknown>;
  status: RunStatus;
  started: number;
  ended?: number;
  progress?: JobProgress;
  rows: Record<string, number | null>[];
  result?: unknown;
  error?: string;
}

/** A job was asked for while another runs (HTTP 409). */
export class BusyError extends Error {
  readonly statusCode = 409;
  constructor(readonly run: RunRecord) {
    super(`run ${run.id} (${describeKind(run.kind)}) is ${run.status}; stop it or wait for it to end, then try again`);
    this.name = "BusyError";
  }
}

export function describeKind(kind: JobKind): string {
  return {
    "ttt-train": "Tic-Tac-Toe training", "ttt-evaluate": "Tic-Tac-Toe evaluation", load: "loading a checkpoint",
    "edit-train": "edit-agent training", "edit-verify": "edit-agent verification", "lm-sample": "GPT-2 sampling", "lm-train": "GPT-2 GRPO run",
  }[kind];
}

export interface JobRunnerHooks {
  /** A policy snapshot from run `run` (training or loading). */
  onSnapshot?(run: RunRecord, policy: PolicySnapshot): void;
  /** The run ended (done, stopped or failed). */
  onEnd?(run: RunRecord): void;
  log?(text: string): void;
}

export interface JobRunner {
  /** Starts `job` (throws BusyError while a run is going). */
  start(job: Job, tab: string, settings: Record<string, unknown>): RunRecord;
  /** Asks run `id` to stop; returns it (undefined: no such run). */
  stop(id: number): RunRecord | undefined;
  /** The run going now, or the last one. */
  latest(): RunRecord | undefined;
  /** The last run of each tab. */
  lastOfTab(tab: string): RunRecord | undefined;
  /** Resolves when no run is going. */
  idle(): Promise<void>;
  /** Stops the run going (if any) and the worker. */
  close(): Promise<void>;
}

const WORKER_FILE = path.join(__dirname, "worker.cjs");
/** How long a run may take to honour Stop before its worker is ended. */
export const STOP_GRACE_MS = 5000;

export function createJobRunner(hooks: JobRunnerHooks = {}): JobRunner {
  let worker: Worker | undefined;
  let nextId = 1;
  let current: RunRecord | undefined;
  let latest: RunRecord | undefined;
  const byTab = new Map<string, RunRecord>();
  let idleWaiters: (() => void)[] = [];
  const log = hooks.log ?? ((text: string) => void process.stderr.write(`tsrl playground: ${text}\n`));

  const finish = (run: RunRecord, status: "done" | "stopped" | "failed", fields: { result?: unknown; error?: string } = {}) => {
    if (run.ended !== undefined) return;
    run.status = status;
    run.ended = Date.now();
    if (fields.result !== undefined) run.result = fields.result;
    if (fields.error !== undefined) run.error = fields.error;
    if (current === run) current = undefined;
    try {
      hooks.onEnd?.(run);
    } catch (err) {
      log(`after run ${run.id}: ${(err as Error).stack ?? String(err)}`);
    }
    const waiters = idleWaiters;
    idleWaiters = [];
    waiters.forEach((w) => w());
  };

  const onMessage = (m: WorkerMessage) => {
    const run = current;
    if (!run || run.id !== m.id) return; // a late message of a run already ended
    if (m.type === "progress") {
      run.progress = m.progress;
      run.rows.push(...m.rows);
    } else if (m.type === "snapshot") {
      hooks.onSnapshot?.(run, m.policy);
    } else {
      finish(run, m.status, { result: m.result, error: m.error });
    }
  };

  const ensureWorker = (): Worker => {
    if (worker) return worker;
    const w = new Worker(WORKER_FILE);
    w.on("message", onMessage);
    w.on("error", (err) => {
      log(`the worker failed: ${err.stack ?? err.message}`);
      if (current) finish(current, "failed", { error: `the training worker failed: ${err.message}` });
    });
    w.on("exit", (code) => {
      if (worker === w) worker = undefined;
      if (!current) return;
      if (current.status === "stopping") finish(current, "stopped", { error: `its step did not return within ${STOP_GRACE_MS / 1000} s of Stop, so the worker was ended; the agent is the last snapshot` });
      else finish(current, "failed", { error: `the training worker exited (code ${code})` });
    });
    w.unref(); // an idle worker does not keep the process alive
    return (worker = w);
  };

  const send = (m: MainMessage) => ensureWorker().postMessage(m);

  return {
    start(job, tab, settings) {
      if (current) throw new BusyError(current);
      const run: RunRecord = { id: nextId++, kind: job.kind, tab, settings, status: "running", started: Date.now(), rows: [] };
      current = latest = run;
      byTab.set(tab, run);
      send({ type: "start", id: run.id, job });
      return run;
    },
    stop(id) {
      const run = current?.id === id ? current : latest?.id === id ? latest : undefined;
      if (run && run.status === "running") {
        run.status = "stopping";
        worker?.postMessage({ type: "stop", id } satisfies MainMessage);
        const w = worker;
        setTimeout(() => {
          if (run.ended === undefined && worker === w) void w?.terminate();
        }, STOP_GRACE_MS).unref();
      }
      return run;
    },
    latest: () => latest,
    lastOfTab: (tab) => byTab.get(tab),
    idle() {
      if (!current) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      if (current) this.stop(current.id);
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
      if (current) finish(current, "stopped");
    },
  };
}
