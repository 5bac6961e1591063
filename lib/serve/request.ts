/**
 * What every request handler shares, whatever carries the request (JSON lines on stdio, HTTP): the
 * error a bad request throws, the check of its fields, and a short excerpt of a value for messages —
 * a request may be megabytes or thousands of levels deep, and an error line must stay short
 * whatever it got.
 */

/**
 * A request that is wrong; the message names the field and what was expected (HTTP: a 400, with
 * `param` as OpenAI's error object's `param`: the field at fault, when there is one).
 */
export class RequestError extends Error {
  readonly param: string | null;
  constructor(message: string, param?: string) {
    super(message);
    this.name = "RequestError";
    this.param = param ?? null;
  }
}

/**
 * The model cannot answer this request: its output is not a number (NaN weights, or weights so large
 * they overflow). Not the request's fault (HTTP: a 500), and not a bug to show a stack trace for.
 */
export class ModelOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ModelOutputError";
  }
}

/** A request or answer object (a request's transport fields, such as an `id`, already taken off). */
export type RequestObject = Record<string, unknown>;

/**
 * Turns one request (parsed JSON, not yet checked: anything) into its answer; throws RequestError for
 * a bad request, anything else for a failure of its own.
 */
export type RequestHandler = (request: unknown) => RequestObject | Promise<RequestObject>;

/**
 * `value` as JSON-like text of at most `max` characters (then "…"). Walks only as far as it prints,
 * so a 10 MB array or a 100,000-deep nesting costs a few dozen steps; NaN and ±Infinity print as such.
 */
export function excerpt(value: unknown, max = 60): string {
  let out = "";
  const put = (text: string): boolean => {
    out += text;
    return out.length <= max;
  };
  const walk = (v: unknown): boolean => {
    if (Array.isArray(v)) {
      if (!put("[")) return false;
      for (let i = 0; i < v.length; i++) if ((i > 0 && !put(",")) || !walk(v[i])) return false;
      return put("]");
    }
    if (typeof v === "object" && v !== null) {
      if (!put("{")) return false;
      let first = true;
      for (const key in v) {
        if (!Object.hasOwn(v, key)) continue;
        if ((!first && !put(",")) || !put(`${JSON.stringify(key.slice(0, max))}:`) || !walk((v as Record<string, unknown>)[key])) return false;
        first = false;
      }
      return put("}");
    }
    if (typeof v === "string") return put(JSON.stringify(v.length > max ? v.slice(0, max) : v));
    return put(String(v));
  };
  return walk(value) ? out : `${out.slice(0, max)}…`;
}

/** `request` as an object whose fields are all among `fields`; else a RequestError naming the problem. */
export function checkFields(request: unknown, fields: readonly string[], example: string): RequestObject {
  if (typeof request !== "object" || request === null || Array.isArray(request)) throw new RequestError(`expected an object like ${example}, got ${excerpt(request)}`);
  const unknown = Object.keys(request).filter((k) => !fields.includes(k));
  if (unknown.length) {
    const named = unknown.slice(0, 5).map((k) => excerpt(k, 40)).join(", ") + (unknown.length > 5 ? `, … (${unknown.length} in all)` : "");
    throw new RequestError(`unknown field${unknown.length > 1 ? "s" : ""} ${named}; expected ${fields.join(", ")}`, unknown[0].slice(0, 40));
  }
  return request as RequestObject;
}

/** An optional field that must be an integer in [lo, hi]; its value or undefined. */
export function optionalInteger(request: RequestObject, field: string, lo: number, hi: number): number | undefined {
  const v = request[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) throw new RequestError(`${field} must be an integer in [${lo}, ${hi}], got ${excerpt(v)}`, field);
  return v;
}

/** An optional field that must be a finite number in [lo, hi] (lo excluded when `openLow`); its value or undefined. */
export function optionalNumber(request: RequestObject, field: string, lo: number, hi: number, openLow = false): number | undefined {
  const v = request[field];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || (openLow ? v <= lo : v < lo) || v > hi) {
    throw new RequestError(`${field} must be a number in ${openLow ? "(" : "["}${lo}, ${hi}], got ${excerpt(v)}`, field);
  }
  return v;
}
