/**
 * The stdio face of `tsrl serve`, shared by every kind of checkpoint: the transport flags, and a
 * request handler (lib/serve) run over JSON lines on stdin/stdout (lib/serve/json-lines).
 */
import { DEFAULT_MAX_LINE_BYTES, serveJsonLines } from "../serve/json-lines";
import type { RequestHandler } from "../serve/request";
import type { FlagSpec, ParsedArgs } from "./args";

export const STDIO_FLAGS: readonly FlagSpec[] = [
  { name: "stdio", type: "boolean", help: "answer JSON lines on stdin with JSON lines on stdout" },
  { name: "max-line-bytes", type: "integer", help: "(--stdio) longest request line read, in bytes; a longer one is answered \"line too long\" unread", default: DEFAULT_MAX_LINE_BYTES },
];

/** The stdio settings of the flags, or the usage problem (the caller prints it and exits 2). */
export function stdioSettings(flags: ParsedArgs["flags"]): { maxLineBytes: number } | string {
  const maxLineBytes = (flags["max-line-bytes"] as number | undefined) ?? DEFAULT_MAX_LINE_BYTES;
  if (!(maxLineBytes >= 1)) return `--max-line-bytes ${maxLineBytes}: expected a positive number of bytes`;
  return { maxLineBytes };
}

/** Serves `handle` until stdin ends (exit code 0), or stdout closes under it (1). */
export async function serveStdio(handle: RequestHandler, settings: { maxLineBytes: number }): Promise<number> {
  const summary = await serveJsonLines(process.stdin, process.stdout, handle, settings);
  if (summary.outputClosed) {
    console.error(`tsrl serve: stdout closed after ${summary.lines} answers; stopping`);
    return 1;
  }
  console.error(`tsrl serve: end of input; ${summary.lines} lines answered (${summary.errors} with an error)`);
  return 0;
}
