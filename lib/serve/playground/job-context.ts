/**
 * What a playground job (running in the worker) is given: its id, the signal that Stop aborts, and
 * the ways to report — progress, metrics rows, policy snapshots. The worker batches what is
 * reported into a few messages a second (lib/serve/playground/worker.ts).
 */
import type { JobProgress, PolicySnapshot } from "./protocol";

export interface JobContext {
  readonly id: number;
  readonly signal: AbortSignal;
  progress(p: JobProgress): void;
  /** One metrics row (training log): NaN columns travel as null. */
  row(row: Record<string, number>): void;
  snapshot(policy: PolicySnapshot): void;
}
