/**
 * Which cell an interrupt applies to. Each execute request gets its AbortController the moment it
 * arrives, and an interrupt (SIGINT or interrupt_request) aborts the oldest request not yet answered:
 * the running cell, or the one being type-checked, or the first one still queued. So "Stop" pressed
 * right after "Run" stops that cell even though it had not started yet (the executor does not run a
 * cell whose signal is already aborted). With nothing pending, the interrupt aborts the last cell's
 * signal, which stops the background work it left running (a training loop started without await).
 */
import { AbortError } from "../core/abort";

export interface InterruptTargets<K> {
  /** An execute request arrived: give it its controller. */
  received(key: K): AbortController;
  /** Its controller (made on the spot for a request that was never `received`). */
  controllerOf(key: K): AbortController;
  /** The request was answered: interrupts no longer apply to it, except as "the last cell". */
  finished(key: K): void;
  /** Aborts the oldest unanswered request, else the last answered one. */
  interrupt(reason?: unknown): void;
  /** Aborts every pending request and the last one (shutdown). */
  abortAll(reason?: unknown): void;
}

export function createInterruptTargets<K>(): InterruptTargets<K> {
  const pending = new Map<K, AbortController>(); // insertion order = arrival order
  let last: AbortController | undefined;
  const interruption = (reason: unknown) => reason ?? new AbortError("interrupted");
  return {
    received(key) {
      const controller = new AbortController();
      pending.set(key, controller);
      return controller;
    },
    controllerOf(key) {
      return pending.get(key) ?? this.received(key);
    },
    finished(key) {
      const controller = pending.get(key);
      if (!controller) return;
      pending.delete(key);
      last = controller;
    },
    interrupt(reason) {
      const [oldest] = pending.values();
      (oldest ?? last)?.abort(interruption(reason));
    },
    abortAll(reason) {
      for (const controller of pending.values()) controller.abort(interruption(reason));
      last?.abort(interruption(reason));
    },
  };
}
