/**
 * A bounded queue that runs one job at a time, for the handlers whose work is synchronous model
 * calls (POST /v1/act, POST /v1/edit): a flood waits in a line of known length instead of piling up,
 * and a request beyond it is refused at once (`QueueFullError`, HTTP 503 with Retry-After) rather
 * than answered late. Each job runs in its own macrotask, so between jobs the server reads sockets,
 * answers /healthz and notices deadlines. A job whose signal aborts while it waits (its deadline
 * passed, its client went away) is dropped without running, its promise rejected with the signal's
 * reason; a job already running is not interrupted (they take milliseconds).
 *
 * GPT-2 completions have their own queue, which batches (lib/serve/batch-generate.ts).
 */

/** The queue is full: the request was not taken (HTTP 503; try again after `retryAfterSeconds`). */
export class QueueFullError extends Error {
  constructor(message: string, readonly retryAfterSeconds = 1) {
    super(message);
    this.name = "QueueFullError";
  }
}

export interface WorkQueue {
  /** Runs `work` after the jobs before it; throws QueueFullError at once when `maxPending` are waiting or running. */
  run<T>(work: () => T | Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Jobs waiting or running. */
  readonly pending: number;
  /** Resolves when no job is waiting or running. */
  idle(): Promise<void>;
}

interface Job {
  work: () => unknown;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export function createWorkQueue(opts: { maxPending: number; name?: string }): WorkQueue {
  const { maxPending, name = "work" } = opts;
  if (!Number.isInteger(maxPending) || maxPending < 1) throw new RangeError(`maxPending must be a positive integer, got ${maxPending}`);
  const waiting: Job[] = [];
  let running = false;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (running || waiting.length) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    waiters.forEach((w) => w());
  };

  const next = () => {
    if (running) return;
    const job = waiting.shift();
    if (!job) return settleIdle();
    running = true;
    job.signal?.removeEventListener("abort", job.onAbort!);
    setImmediate(async () => {
      try {
        job.resolve(await job.work());
      } catch (err) {
        job.reject(err);
      } finally {
        running = false;
        next();
      }
    });
  };

  return {
    run<T>(work: () => T | Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (waiting.length + (running ? 1 : 0) >= maxPending) {
        return Promise.reject(new QueueFullError(`the ${name} queue is full (${maxPending} requests waiting or running); try again shortly`));
      }
      return new Promise<T>((resolve, reject) => {
        const job: Job = { work, resolve: resolve as (v: unknown) => void, reject, signal };
        if (signal) {
          job.onAbort = () => {
            const at = waiting.indexOf(job);
            if (at < 0) return;
            waiting.splice(at, 1);
            reject(signal.reason);
            settleIdle();
          };
          signal.addEventListener("abort", job.onAbort, { once: true });
        }
        waiting.push(job);
        next();
      });
    },
    get pending() {
      return waiting.length + (running ? 1 : 0);
    },
    idle() {
      if (!running && !waiting.length) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}
