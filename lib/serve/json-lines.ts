/**
 * JSON lines over a pair of streams — what `tsrl serve DIR --stdio` speaks, for every kind of
 * checkpoint. The contract, whatever arrives:
 *
 * - every line in gets exactly one line out, in order (an empty line, a line that is not UTF-8 or not
 *   JSON, a request the handler refuses or fails on: an `{"error": "line N: …"}` line), and the
 *   loop goes on; it ends when the input ends;
 * - a request object's `id` (a string of at most 256 characters, a number or null) is taken off
 *   before the handler sees it and echoed on its answer, errors included;
 * - a line longer than `maxLineBytes` is answered "line too long" without being kept or parsed: it
 *   is counted as it streams past, so memory stays bounded whatever its length;
 * - error lines never carry more than a short excerpt of the input;
 * - back-pressure: while the output is backed up (write() returned false), no more input is read,
 *   so a client that stops reading answers stops the server reading requests instead of growing it.
 *
 * The handlers (lib/serve/act, edit, completion) know nothing of lines: an HTTP server reuses them.
 */
import type { Writable } from "node:stream";
import { ModelOutputError, RequestError, excerpt, type RequestHandler } from "./request";

export const DEFAULT_MAX_LINE_BYTES = 1024 * 1024;
/** Longest error message on an answer line (a handler's message is short; this is the guard). */
const MAX_ERROR_CHARS = 1000;
const MAX_ID_CHARS = 256;

export interface JsonLinesOptions {
  /** Longest line read, in bytes (without its newline); default 1 MB. */
  maxLineBytes?: number;
  /** Where failures that are not the request's fault are described (with their stack); default stderr. */
  log?: (text: string) => void;
}

export interface JsonLinesSummary {
  /** Lines answered. */
  lines: number;
  /** Of which error lines. */
  errors: number;
  /** The output closed (its reader went away) before the input ended. */
  outputClosed: boolean;
}

type Answer = Record<string, unknown>;

export async function serveJsonLines(input: AsyncIterable<Buffer | string>, output: Writable, handle: RequestHandler, opts: JsonLinesOptions = {}): Promise<JsonLinesSummary> {
  const maxLineBytes = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1) throw new RangeError(`maxLineBytes must be a positive integer, got ${maxLineBytes}`);
  const log = opts.log ?? ((text: string) => void process.stderr.write(`${text}\n`));
  const summary: JsonLinesSummary = { lines: 0, errors: 0, outputClosed: false };
  const closed = () => (summary.outputClosed = true);
  output.on("error", closed); // EPIPE: the reader is gone; stop rather than crash
  output.on("close", closed);

  const write = async (answer: Answer) => {
    summary.lines++;
    if ("error" in answer) summary.errors++;
    let text: string;
    try {
      text = JSON.stringify(answer);
    } catch (err) {
      text = JSON.stringify({ error: `line ${summary.lines}: the answer could not be written as JSON (${(err as Error).message})` });
    }
    if (!summary.outputClosed && !output.write(`${text}\n`)) await drained(output);
  };

  // The line being read: its pieces while it fits, else only its length.
  let pieces: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  const endLine = async () => {
    const n = summary.lines + 1;
    const answer = tooLong
      ? { error: `line ${n}: line too long (${size} bytes > ${maxLineBytes}); send shorter requests or raise --max-line-bytes` }
      : await answerLine(Buffer.concat(pieces, size), n, handle, log);
    pieces = [];
    size = 0;
    tooLong = false;
    await write(answer);
  };

  for await (const raw of input) {
    const chunk = typeof raw === "string" ? Buffer.from(raw) : raw;
    let at = 0;
    while (at < chunk.length) {
      const newline = chunk.indexOf(10, at);
      const piece = chunk.subarray(at, newline < 0 ? chunk.length : newline);
      size += piece.length;
      if (!tooLong && size > maxLineBytes) {
        tooLong = true;
        pieces = [];
      }
      if (!tooLong && piece.length > 0) pieces.push(piece);
      if (newline < 0) break;
      at = newline + 1;
      await endLine();
      if (summary.outputClosed) return summary;
    }
  }
  if (size > 0 || tooLong) await endLine(); // a last line without a newline
  return summary;
}

/** Resolves when `output` can take more, or can take nothing ever again. */
function drained(output: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      output.off("drain", done);
      output.off("close", done);
      output.off("error", done);
      resolve();
    };
    output.on("drain", done);
    output.on("close", done);
    output.on("error", done);
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The answer to line `n` (its bytes, without the newline). Never throws. */
async function answerLine(bytes: Buffer, n: number, handle: RequestHandler, log: (text: string) => void): Promise<Answer> {
  const fail = (message: string, id: { id?: unknown } = {}): Answer => {
    const text = `line ${n}: ${message}`;
    return { ...id, error: text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text };
  };
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return fail(`not UTF-8 text (${bytes.length} bytes)`);
  }
  if (text.endsWith("\r")) text = text.slice(0, -1);
  if (text.trim() === "") return fail("empty line; expected a JSON object, one request per line");
  let request: unknown;
  try {
    request = JSON.parse(text);
  } catch (err) {
    return fail(`not JSON (${shorten((err as Error).message, 120)})`);
  }
  let id: { id?: unknown } = {};
  if (typeof request === "object" && request !== null && !Array.isArray(request) && Object.hasOwn(request, "id")) {
    const { id: given, ...rest } = request as Record<string, unknown>;
    request = rest;
    if (!(given === null || (typeof given === "number" && Number.isFinite(given)) || (typeof given === "string" && given.length <= MAX_ID_CHARS))) {
      return fail(`id must be a string of at most ${MAX_ID_CHARS} characters, a number or null, got ${excerpt(given)}`);
    }
    id = { id: given };
  }
  try {
    return { ...id, ...(await handle(request)) };
  } catch (err) {
    if (err instanceof ModelOutputError) log(`line ${n}: ${err.message}`);
    else if (!(err instanceof RequestError)) log(`line ${n}: ${err instanceof Error ? err.stack : String(err)}`); // a failure of ours: its stack helps
    return fail(err instanceof Error ? err.message : shorten(String(err), 200), id);
  }
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
