/**
 * What an error means for the command line: one place that turns any error a verb did not handle
 * into the CLI contract's exit code and one line on stderr naming the problem.
 *
 *   2  bad usage: a flag, a config value, an environment or algorithm that does not exist or does
 *      not fit (RangeError / ConfigError / UsageError), a path that may not receive a checkpoint
 *      (OutDirError)
 *   1  bad files or a failed run: a checkpoint, model or dataset that is missing, corrupt or holds
 *      non-finite numbers (CheckpointError, SafetensorsError, a system error on a file), a run that
 *      diverged (NonFiniteError)
 *   1  anything else is a bug of tsrl's: the line, then the stack, so it can be reported
 *
 * main.ts catches every verb's escaping error here, so no user mistake ends in a stack trace.
 */

export interface ErrorReport {
  code: 1 | 2;
  /** One line: the problem and, where it helps, what was expected. */
  line: string;
  /** The stack, for errors that are tsrl's own bugs (not the user's). */
  stack?: string;
}

const USAGE = new Set(["RangeError", "ConfigError", "UsageError", "OutDirError", "InvalidActionError"]);
const BAD_FILES = new Set(["CheckpointError", "SafetensorsError", "NonFiniteError", "SyntaxError"]);
const FILE_CODES = new Set(["ENOENT", "EACCES", "EPERM", "EISDIR", "ENOTDIR", "EROFS", "ENOSPC", "EMFILE", "EEXIST", "ELOOP", "ENAMETOOLONG"]);

/** The exit code and the line for `err` (see the module comment). */
export function classifyError(err: unknown): ErrorReport {
  if (!(err instanceof Error)) return { code: 1, line: String(err) };
  const line = err.message.split("\n").join(" ").trim() || err.name;
  if (USAGE.has(err.name)) return { code: 2, line };
  if (BAD_FILES.has(err.name)) return { code: 1, line };
  const sys = (err as NodeJS.ErrnoException).code;
  if (sys && FILE_CODES.has(sys)) return { code: 1, line };
  return { code: 1, line: `${err.name}: ${line}`, stack: err.stack };
}

/** Prints `tsrl <verb>: <line>` (and the stack of a bug) on stderr; returns the exit code. */
export function reportError(verb: string, err: unknown): number {
  const r = classifyError(err);
  console.error(`tsrl ${verb}: ${r.line}`);
  if (r.stack) console.error(r.stack.split("\n").slice(1).join("\n"));
  return r.code;
}
