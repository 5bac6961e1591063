/**
 * Signals for the training verbs. SIGINT (Ctrl-C), SIGTERM (`kill`, `timeout`, a scheduler) and
 * SIGHUP (the terminal closed) are handled alike: the first aborts the ambient signal every training
 * loop checks — training stops where it is (each phase checks it: collection, update, evaluation,
 * checkpoint) and the verb still writes its checkpoint — and a second one exits at once. The exit
 * code says which signal stopped the run, as a shell reports it: 128 + its number — 130 for SIGINT,
 * 143 for SIGTERM, 129 for SIGHUP. SIGKILL cannot be caught: periodic checkpoints (--save-every)
 * bound what it loses.
 *
 * `installInterrupts(what)` installs the handlers and returns what the verb needs: `stoppedBy()` (the
 * signal that stopped the run, if any), `exitCode()` and `remove()`.
 */
import { AbortError, setAmbientSignalProvider } from "../core/abort";

export const HANDLED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type HandledSignal = (typeof HANDLED_SIGNALS)[number];

/** The shell's exit code for a process stopped by `signal`: 128 + the signal's number. */
export const SIGNAL_EXIT_CODES: Readonly<Record<HandledSignal, number>> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

export interface Interrupts {
  /** The signal that stopped the run, if one arrived. */
  stoppedBy(): HandledSignal | undefined;
  /** 128 + the signal's number once one arrived (130 for Ctrl-C); else undefined. */
  exitCode(): number | undefined;
  remove(): void;
}

export function installInterrupts(what = "update"): Interrupts {
  const controller = new AbortController();
  let first: HandledSignal | undefined;
  const handlers = HANDLED_SIGNALS.map((sig) => {
    const onSignal = () => {
      if (first) process.exit(SIGNAL_EXIT_CODES[sig]); // a second signal: quit now, without saving
      first = sig;
      const how = sig === "SIGINT" ? "interrupted (Ctrl-C)" : `${sig} received`;
      console.error(`\ntsrl: ${how} — stopping this ${what} and saving (${sig === "SIGINT" ? "Ctrl-C again" : "another signal"} to quit now)`);
      controller.abort(new AbortError(`interrupted by ${sig}`));
    };
    process.on(sig, onSignal);
    return [sig, onSignal] as const;
  });
  // a closed terminal (SIGHUP) or a reader gone away must not crash the run before it saves
  const ignoreBrokenPipe = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE" && err.code !== "EIO") throw err;
  };
  process.stdout.on("error", ignoreBrokenPipe);
  process.stderr.on("error", ignoreBrokenPipe);
  setAmbientSignalProvider(() => controller.signal);
  return {
    stoppedBy: () => first,
    exitCode: () => (first ? SIGNAL_EXIT_CODES[first] : undefined),
    remove() {
      for (const [sig, h] of handlers) process.off(sig, h);
      process.stdout.off("error", ignoreBrokenPipe);
      process.stderr.off("error", ignoreBrokenPipe);
      setAmbientSignalProvider(undefined);
    },
  };
}
