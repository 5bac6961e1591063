/**
 * Which transport a `tsrl serve` command line asks for: `--stdio` (JSON lines, lib/cli/serve-stdio)
 * or `--port N` (HTTP, lib/cli/serve-http) — exactly one, and no flag of the other.
 */
import type { FlagSpec, ParsedArgs } from "./args";
import { HTTP_FLAGS, httpSettings, type HttpSettings } from "./serve-http";
import { STDIO_FLAGS, stdioSettings } from "./serve-stdio";

export const TRANSPORT_FLAGS: readonly FlagSpec[] = [...STDIO_FLAGS, ...HTTP_FLAGS];

export type Transport = { stdio: { maxLineBytes: number } } | { http: HttpSettings };

/** The transport of the flags, or the usage problem (the caller prints it and exits 2). `httpOnly`: more flags that make sense only over HTTP. */
export function chooseTransport(flags: ParsedArgs["flags"], more: { httpOnly?: readonly string[]; stdioOnly?: readonly string[] } = {}): Transport | string {
  const given = (names: readonly string[]) => names.filter((n) => flags[n] !== undefined);
  const stdio = flags.stdio === true, http = flags.port !== undefined;
  if (stdio === http) return stdio ? "give one of --stdio and --port, not both" : "give --stdio (JSON lines on stdin and stdout) or --port N (HTTP)";
  if (stdio) {
    const wrong = given([...HTTP_FLAGS.map((f) => f.name), ...(more.httpOnly ?? [])]);
    if (wrong.length) return `${wrong.map((n) => `--${n}`).join(", ")} only apply with --port (HTTP)`;
    const s = stdioSettings(flags);
    return typeof s === "string" ? s : { stdio: s };
  }
  const wrong = given(["max-line-bytes", ...(more.stdioOnly ?? [])]);
  if (wrong.length) return `${wrong.map((n) => `--${n}`).join(", ")} only apply with --stdio (over HTTP each request carries its own settings)`;
  const s = httpSettings(flags);
  return typeof s === "string" ? s : { http: s };
}
