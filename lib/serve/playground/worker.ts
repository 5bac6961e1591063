/**
 * The playground's worker thread: runs one job at a time (lib/serve/playground/protocol.ts) off the
 * server's event loop. Stop aborts the job's signal, which the training loops check between steps
 * (and which is also the ambient signal, for loops that are not handed one); the job then ends
 * "stopped", keeping what it learned (the last snapshot). Progress and rows are sent at most every
 * 150 ms, so a fast loop does not flood the main thread.
 */
import { parentPort } from "node:worker_threads";
import { AbortError, isAbortError, setAmbientSignalProvider } from "../../core/abort";
import { initBackend } from "../../nn/backend";
import { editTrain, editVerify } from "./edit-jobs";
import type { JobContext } from "./job-context";
import { loadCheckpointJob } from "./load-job";
import { lmSample, lmTrain } from "./lm-jobs";
import type { Job, JobProgress, MainMessage, WorkerMessage } from "./protocol";
import { tttEvaluate, tttTrain } from "./ttt-jobs";

const port = parentPort;
if (!port) throw new Error("lib/serve/playground/worker.ts runs as a worker thread (new Worker(worker.cjs))");

const FLUSH_MS = 150;
let current: { id: number; controller: AbortController } | undefined;
setAmbientSignalProvider(() => current?.controller.signal);

const post = (m: WorkerMessage) => port.postMessage(m);

port.on("message", (msg: MainMessage) => {
  if (msg.type === "stop") {
    if (current?.id === msg.id) current.controller.abort(new AbortError("stopped from the playground"));
    return;
  }
  void run(msg.id, msg.job);
});

function runJob(job: Job, ctx: JobContext): Promise<unknown> {
  switch (job.kind) {
    case "ttt-train": return tttTrain(job, ctx);
    case "ttt-evaluate": return tttEvaluate(job, ctx);
    case "load": return loadCheckpointJob(job, ctx);
    case "edit-train": return editTrain(job, ctx);
    case "edit-verify": return editVerify(job, ctx);
    case "lm-sample": return lmSample(job, ctx);
    case "lm-train": return lmTrain(job, ctx);
  }
}

async function run(id: number, job: Job): Promise<void> {
  const controller = new AbortController();
  current = { id, controller };
  let rows: Record<string, number | null>[] = [];
  let progress: JobProgress | undefined;
  let lastFlush = 0;
  const flush = (force = false) => {
    const now = performance.now();
    if (!force && now - lastFlush < FLUSH_MS) return;
    if (progress || rows.length) post({ type: "progress", id, progress: progress ?? { done: 0, total: 0, unit: "", fields: {} }, rows });
    rows = [];
    lastFlush = now;
  };
  const ctx: JobContext = {
    id,
    signal: controller.signal,
    progress(p) {
      progress = { done: p.done, total: p.total, unit: p.unit, fields: { ...p.fields } };
      flush();
    },
    row(row) {
      rows.push(Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === "number" && Number.isFinite(v) ? v : null])));
      flush();
    },
    snapshot(policy) {
      flush(true);
      post({ type: "snapshot", id, policy });
    },
  };
  try {
    await initBackend({ quiet: true });
    const result = await runJob(job, ctx);
    flush(true);
    post({ type: "end", id, status: controller.signal.aborted ? "stopped" : "done", result });
  } catch (err) {
    flush(true);
    if (isAbortError(err) || controller.signal.aborted) post({ type: "end", id, status: "stopped" });
    else post({ type: "end", id, status: "failed", error: err instanceof Error ? err.message : String(err) });
  } finally {
    if (current?.id === id) current = undefined;
  }
}
