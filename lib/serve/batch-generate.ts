/**
 * GPT-2 generation for a server: completions requested at about the same time are sampled in one
 * batch (one prefill, one decode step per token for all of them), each row with its own settings.
 *
 *   submit(rows) ──► queue (bounded: QueueFullError when full) ──► batch of up to maxBatch rows
 *                    a batch starts windowMs after the first row waiting for it arrived (or the
 *                    last batch ended), or at once when maxBatch rows are waiting
 *
 * Why not lib/nn/gpt2/generate: that is one call with one set of options for every row, run to the
 * end without a pause. A server needs per row: its own temperature, top-p, random stream (so a
 * seeded request gets the same text alone or in a batch of strangers), token budget and stop
 * strings, its text as it grows (streaming), and to be dropped when its client goes away or its
 * deadline passes; and it must give the event loop a turn between decode steps, so that sockets are
 * read, /healthz answers and new requests queue while a batch runs. The model's own steps are
 * reused: prefill and decodeStep (the KV cache), sampleToken (temperature, top-p).
 *
 * A row's text is the decoded tokens it sampled, without a final <|endoftext|>, cut before the
 * first stop string. While streaming, text that may still turn out to be the start of a stop string,
 * or an unfinished UTF-8 character (decoded as U+FFFD until its last byte arrives), is held back,
 * so what was sent is always a prefix of the final text.
 *
 * Rows in a batch share the KV cache, whose length is the longest prompt plus the steps taken: a
 * row joins a batch only if that stays within the model's positions.
 */
import type { Rng } from "../core/rng";
import { decodeStep, disposeKvCache, prefill } from "../nn/gpt2/generate";
import type { Gpt2 } from "../nn/gpt2/model";
import { sampleToken } from "../nn/gpt2/sampling";
import type { Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { ModelOutputError } from "./request";
import { QueueFullError } from "./work-queue";

export interface GenerationRow {
  /** What the model reads (GPT-2: <|endoftext|> then the prompt's tokens); ids.length + maxTokens ≤ the model's positions. */
  ids: readonly number[];
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topP: number;
  /** This row's random stream (unused when greedy). */
  rng?: Rng;
  /** The row ends before the first of these in its text (which leaves them out). */
  stop: readonly string[];
  /** Called with each piece of text as it becomes final (streaming). */
  onText?: (delta: string) => void;
  /** Called when the row ends (before the whole batch does). */
  onEnd?: (result: RowResult) => void;
}

export interface RowResult {
  text: string;
  /** Tokens sampled, a final <|endoftext|> not counted. */
  completionTokens: number;
  /** "stop": <|endoftext|> or a stop string; "length": maxTokens reached. */
  finishReason: "stop" | "length";
}

export interface BatchGeneratorOptions {
  /** Most rows decoded together. */
  maxBatch: number;
  /** How long the first request at an idle generator waits for others to join its batch, ms. */
  windowMs: number;
  /** Most rows waiting (not yet in a batch); more is a QueueFullError. */
  maxQueue: number;
}

export interface BatchGeneratorStats {
  queuedRows: number;
  runningRows: number;
  batches: number;
  rows: number;
  /** Rows per batch, mean over the batches run. */
  meanBatch: number;
}

export interface BatchGenerator {
  /** Generates every row (all or nothing: one failure or the signal's abort rejects the lot and drops the rest). */
  submit(rows: readonly GenerationRow[], signal?: AbortSignal): Promise<RowResult[]>;
  stats(): BatchGeneratorStats;
  /** Resolves when nothing is queued or running. */
  idle(): Promise<void>;
}

/** One row waiting or running, with what it has produced so far. */
interface Slot {
  row: GenerationRow;
  cancelled: () => boolean;
  resolve: (r: RowResult) => void;
  reject: (err: unknown) => void;
  tokens: number[];
  text: string;
  sent: number;
  done: boolean;
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createBatchGenerator(model: Gpt2, tok: Gpt2Tokenizer, opts: BatchGeneratorOptions): BatchGenerator {
  const { maxBatch, windowMs, maxQueue } = opts;
  for (const [k, v] of Object.entries({ maxBatch, maxQueue })) if (!Number.isInteger(v) || v < 1) throw new RangeError(`${k} must be a positive integer, got ${v}`);
  if (!(windowMs >= 0)) throw new RangeError(`windowMs must be ≥ 0, got ${windowMs}`);
  const nPositions = model.config.nPositions;
  const queue: Slot[] = [];
  let running: Slot[] = [];
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let batches = 0, rowsRun = 0;
  let idleWaiters: (() => void)[] = [];

  const settleIdle = () => {
    if (busy || queue.length || timer) return;
    const waiters = idleWaiters;
    idleWaiters = [];
    waiters.forEach((w) => w());
  };

  /**
   * Starts a batch now when a full one is waiting, else after the window — after a batch too: the
   * clients it just answered send their next requests within a few ms, and without the wait they
   * would miss the next batch and form one of their own (8 clients then settle into two
   * alternating batches of 4; tsrl bench --only serve measures it).
   */
  const schedule = () => {
    if (busy || !queue.length) return settleIdle();
    if (queue.length >= maxBatch || windowMs === 0) {
      if (timer) { clearTimeout(timer); timer = undefined; }
      void runBatch();
    } else if (!timer) {
      timer = setTimeout(() => { timer = undefined; void runBatch(); }, windowMs);
    }
  };

  /** The next batch: rows from the head of the queue while they fit (FIFO: a row that does not fit waits for the next batch). */
  const takeBatch = (): Slot[] => {
    const batch: Slot[] = [];
    let longestPrompt = 0, longestBudget = 0;
    while (queue.length && batch.length < maxBatch) {
      const s = queue[0];
      if (s.cancelled()) { queue.shift(); continue; }
      const p = Math.max(longestPrompt, s.row.ids.length), b = Math.max(longestBudget, s.row.maxTokens);
      if (batch.length && p + b > nPositions) break;
      longestPrompt = p;
      longestBudget = b;
      batch.push(queue.shift()!);
    }
    return batch;
  };

  const runBatch = async () => {
    if (busy) return;
    busy = true;
    const batch = takeBatch();
    running = batch;
    try {
      if (batch.length) {
        batches++;
        rowsRun += batch.length;
        await decode(batch);
      }
    } catch (err) {
      for (const s of batch) if (!s.done) { s.done = true; s.reject(err); }
    } finally {
      running = [];
      busy = false;
      schedule();
    }
  };

  /** Prefill, then one decode step per token until every row is done; a turn of the event loop between steps. */
  const decode = async (batch: Slot[]) => {
    const V = model.config.vocabSize;
    let { cache, logits } = prefill(model, batch.map((s) => s.row.ids));
    try {
      for (let step = 0; ; step++) {
        const values = logits.dataSync() as Float32Array;
        logits.dispose();
        const next = batch.map((s, b) => (s.done ? tok.eosId : advance(s, values.subarray(b * V, (b + 1) * V))));
        await yieldToEventLoop();
        for (const s of batch) if (!s.done && s.cancelled()) s.done = true; // its promise is already settled by the abort
        if (batch.every((s) => s.done)) break;
        logits = decodeStep(model, cache, next);
      }
    } finally {
      if (!logits.isDisposed) logits.dispose();
      disposeKvCache(cache);
    }
  };

  /** Samples one token for slot `s` from its logits; finishes it when due; returns the token fed back. */
  const advance = (s: Slot, logits: Float32Array): number => {
    const { row } = s;
    if (!allFinite(logits)) {
      s.done = true;
      s.reject(new ModelOutputError("the model's output is not a number (NaN logits): its weights hold NaN or ±Infinity, or values so large they overflow"));
      return tok.eosId;
    }
    const { token } = sampleToken(logits, { temperature: row.temperature, topP: row.topP }, row.rng);
    if (token === tok.eosId) return finish(s, s.text, "stop"), token;
    s.tokens.push(token);
    const text = tok.decode(s.tokens);
    // a new stop string ends in the new token's text; the search starts a little earlier because an
    // unfinished character (one or more U+FFFD) can become a shorter finished one
    const at = firstStop(text, row.stop, Math.max(0, s.text.length - longest(row.stop) - 4));
    if (at >= 0) return finish(s, text.slice(0, at), "stop"), token;
    s.text = text;
    if (s.tokens.length >= row.maxTokens) return finish(s, text, "length"), token;
    if (row.onText) {
      let safe = text.length - Math.max(0, longest(row.stop) - 1);
      while (safe > s.sent && text.charCodeAt(safe - 1) === 0xfffd) safe--; // an unfinished UTF-8 character
      if (safe > s.sent) {
        row.onText(text.slice(s.sent, safe));
        s.sent = safe;
      }
    }
    return token;
  };

  const finish = (s: Slot, text: string, finishReason: RowResult["finishReason"]) => {
    s.done = true;
    if (s.row.onText && text.length > s.sent) s.row.onText(text.slice(s.sent));
    const result: RowResult = { text, completionTokens: s.tokens.length, finishReason };
    s.row.onEnd?.(result);
    s.resolve(result);
  };

  return {
    submit(rows, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      for (const [i, r] of rows.entries()) {
        if (r.ids.length < 1 || !(r.maxTokens >= 1) || r.ids.length + r.maxTokens > nPositions) {
          return Promise.reject(new RangeError(`row ${i}: ${r.ids.length} prompt tokens + maxTokens ${r.maxTokens} do not fit the model's ${nPositions} positions`));
        }
      }
      if (queue.length + rows.length > maxQueue) {
        return Promise.reject(new QueueFullError(`the completions queue is full (${queue.length} completions waiting, at most ${maxQueue}); try again shortly`));
      }
      // one failure (or the caller's abort) ends the whole request: the other rows are dropped
      const gone = new AbortController();
      const cancelled = () => gone.signal.aborted;
      const results = rows.map((row) => new Promise<RowResult>((resolve, reject) => {
        queue.push({ row, cancelled, resolve, reject: (err) => { reject(err); gone.abort(err); }, tokens: [], text: "", sent: 0, done: false });
      }));
      const all = Promise.all(results);
      if (signal) {
        const onAbort = () => gone.abort(signal.reason);
        signal.addEventListener("abort", onAbort, { once: true });
        void all.then(() => signal.removeEventListener("abort", onAbort), () => signal.removeEventListener("abort", onAbort));
      }
      schedule();
      return new Promise<RowResult[]>((resolve, reject) => {
        gone.signal.addEventListener("abort", () => reject(gone.signal.reason), { once: true });
        all.then(resolve, reject);
      });
    },
    stats: () => ({ queuedRows: queue.length, runningRows: running.filter((s) => !s.done).length, batches, rows: rowsRun, meanBatch: batches ? rowsRun / batches : 0 }),
    idle() {
      if (!busy && !queue.length && !timer) return Promise.resolve();
      return new Promise((resolve) => idleWaiters.push(resolve));
    },
  };
}

function allFinite(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) return false;
  return true;
}

function longest(stops: readonly string[]): number {
  let n = 0;
  for (const s of stops) n = Math.max(n, s.length);
  return n;
}

/** Index of the earliest stop string in `text` (searching from `from`), or -1. */
function firstStop(text: string, stops: readonly string[], from: number): number {
  let best = -1;
  for (const s of stops) {
    const at = text.indexOf(s, from);
    if (at >= 0 && (best < 0 || at < best)) best = at;
  }
  return best;
}
