/**
 * Cooperative cancellation for long loops (training, evaluation, rollouts).
 *
 * Every long-running lib function takes an optional `AbortSignal`. When none is given it falls back
 * to the *ambient* signal: the Jupyter kernel installs one per cell (aborted on interrupt) and the CLI
 * installs one aborted on Ctrl-C. Loops call `await checkpoint(signal)` between iterations: it yields
 * to the event loop now and then (so interrupts, live plots and kernel messages get through) and
 * throws an `AbortError` once the signal is aborted.
 */

const AMBIENT = Symbol.for("tsrl.ambientSignal");

type SignalProvider = () => AbortSignal | undefined;

/** The signal installed by the host (kernel cell or CLI run), if any. */
export function ambientSignal(): AbortSignal | undefined {
  const provider = (globalThis as Record<symbol, unknown>)[AMBIENT] as SignalProvider | undefined;
  return provider?.();
}

/** Installs the function the lib asks for the ambient signal (the kernel and the CLI call this). */
export function setAmbientSignalProvider(provider: SignalProvider | undefined): void {
  (globalThis as Record<symbol, unknown>)[AMBIENT] = provider;
}

/**
 * The signal to honour: the caller's *and* the ambient one, so `train({ signal })` with a signal of
 * your own still stops on the kernel's interrupt (or the CLI's Ctrl-C). Either alone when only one
 * exists. A combined signal's reason is that of whichever aborted first.
 */
export function resolveSignal(signal?: AbortSignal): AbortSignal | undefined {
  const ambient = ambientSignal();
  if (!signal || !ambient || signal === ambient) return signal ?? ambient;
  return AbortSignal.any([signal, ambient]);
}

export class AbortError extends Error {
  constructor(message = "interrupted") {
    super(message);
    this.name = "AbortError";
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === "AbortError";
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw new AbortError(reasonText(signal.reason));
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? "interrupted" : String(reason);
}

/** Resolves on the next turn of the event loop (after pending I/O and signal handlers). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

let lastYield = 0;

/**
 * Call between iterations of a long loop. Yields to the event loop when more than `everyMs`
 * have passed since the last yield (a yield costs ~0.05 ms, so this keeps tight loops fast),
 * then throws `AbortError` if the signal (default: the ambient one) is aborted.
 */
export async function checkpoint(signal?: AbortSignal, everyMs = 20): Promise<void> {
  const now = performance.now();
  if (now - lastYield >= everyMs) {
    lastYield = now;
    await yieldToEventLoop();
  }
  throwIfAborted(signal ?? ambientSignal());
}
