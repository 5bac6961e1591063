/**
 * The kernel's input history, in memory, answering history_request the way IPython does:
 * entries are (session, line, input) or (session, line, [input, output]); `line` is the cell's
 * execution count; access by tail, range or glob search.
 */

export interface HistoryEntry {
  session: number;
  line: number;
  input: string;
  output: string | null;
}

export interface HistoryRequest {
  hist_access_type: "tail" | "range" | "search";
  output?: boolean;
  raw?: boolean;
  session?: number;
  start?: number;
  stop?: number;
  n?: number | null;
  pattern?: string;
  unique?: boolean;
}

export type HistoryRow = [number, number, string | [string, string | null]];

/** This process's session number (IPython numbers sessions in its database; we have just one). */
export const SESSION = 1;

export function createHistory() {
  const entries: HistoryEntry[] = [];
  return {
    add(line: number, input: string): HistoryEntry {
      const entry = { session: SESSION, line, input, output: null };
      entries.push(entry);
      return entry;
    },
    query(request: HistoryRequest): HistoryRow[] {
      return selectHistory(entries, request).map((e) => [e.session, e.line, request.output ? [e.input, e.output] : e.input]);
    },
  };
}

export function selectHistory(entries: HistoryEntry[], request: HistoryRequest): HistoryEntry[] {
  const n = request.n ?? undefined;
  switch (request.hist_access_type) {
    case "tail":
      return n === undefined ? entries.slice() : entries.slice(Math.max(0, entries.length - n));
    case "range": {
      // Session 0 (or a negative offset) means "the current session", as in IPython.
      const session = request.session ?? 0;
      if (session !== 0 && session !== SESSION && session > 0) return [];
      const start = request.start ?? 0;
      const stop = request.stop ?? Infinity;
      return entries.filter((e) => e.line >= start && e.line < stop);
    }
    case "search": {
      const matcher = globToRegExp(request.pattern ?? "*");
      let found = entries.filter((e) => matcher.test(e.input));
      if (request.unique) {
        const seen = new Set<string>();
        found = found.reverse().filter((e) => !seen.has(e.input) && seen.add(e.input)).reverse();
      }
      return n === undefined ? found : found.slice(Math.max(0, found.length - n));
    }
    default:
      return [];
  }
}

/** SQLite GLOB semantics (as IPython's search): `*` any run, `?` one character, `[…]` a class. */
export function globToRegExp(pattern: string): RegExp {
  let out = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === "*") out += "[\\s\\S]*";
    else if (c === "?") out += "[\\s\\S]";
    else if (c === "[") {
      const close = pattern.indexOf("]", i + 2);
      if (close < 0) out += "\\[";
      else {
        const body = pattern.slice(i + 1, close);
        out += "[" + (body.startsWith("^") ? "^" + body.slice(1) : body).replace(/\\/g, "\\\\") + "]";
        i = close;
      }
    } else out += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return new RegExp(`^${out}$`);
}
