/**
 * Output from cell code to the notebook: stdout/stderr become `stream` messages, and the display
 * sink lib/viz talks to becomes display_data / update_display_data / clear_output.
 *
 * Output is attributed to the current execute request, or to the last one once it has been answered
 * (a training loop left running in the background still prints under its cell). Stream text is
 * batched briefly and always flushed before any other output, so the order is kept.
 */
import { setDisplaySink, type DisplaySink } from "../viz/display";
import { normalizeBundle, type MimeBundle } from "./repr";

export type { MimeBundle };

/** The contract is lib/viz/display.ts's: the library displays through it, the kernel implements it. */
export type { DisplaySink };

export type Publish = (msgType: string, content: Record<string, unknown>) => void;

export interface StreamCapture {
  flush(): void;
  restore(): void;
}

const BATCH_MS = 40;

/** Redirects process.stdout/stderr writes (and so console.*) to `stream` messages. */
export function captureStreams(publish: Publish): StreamCapture {
  const pending: { name: "stdout" | "stderr"; text: string }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    // Merge consecutive writes to the same stream into one message.
    const merged: typeof pending = [];
    for (const chunk of pending.splice(0)) {
      const last = merged[merged.length - 1];
      if (last?.name === chunk.name) last.text += chunk.text;
      else merged.push({ ...chunk });
    }
    for (const chunk of merged) publish("stream", { name: chunk.name, text: chunk.text });
  };
  const patch = (stream: NodeJS.WriteStream, name: "stdout" | "stderr") => {
    const original = stream.write;
    stream.write = function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString(typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
      pending.push({ name, text });
      timer ??= setTimeout(flush, BATCH_MS);
      const done = typeof encoding === "function" ? encoding : callback;
      if (typeof done === "function") process.nextTick(done as () => void);
      return true;
    } as typeof stream.write;
    return () => (stream.write = original);
  };
  const restores = [patch(process.stdout, "stdout"), patch(process.stderr, "stderr")];
  return { flush, restore: () => restores.forEach((r) => r()) };
}

/** The sink installed at globalThis[Symbol.for("tsrl.displaySink")]. */
export function createDisplaySink(publish: Publish, track: (work: Promise<unknown>) => void): DisplaySink {
  return {
    display(bundle, opts = {}) {
      publish("display_data", {
        data: normalizeBundle(bundle),
        metadata: opts.metadata ?? {},
        transient: opts.displayId ? { display_id: opts.displayId } : {},
      });
    },
    update(displayId, bundle, opts = {}) {
      publish("update_display_data", { data: normalizeBundle(bundle), metadata: opts.metadata ?? {}, transient: { display_id: displayId } });
    },
    clear(wait = false) {
      publish("clear_output", { wait });
    },
    track,
  };
}

export function installDisplaySink(sink: DisplaySink): void {
  setDisplaySink(sink);
}
