/**
 * IPython's `name?` / `?name` help: a cell that is only an (optionally dotted) name with a question
 * mark shows that symbol's signature and docs in the pager instead of running.
 */

/** The name to look up, with its offset in `code`, or undefined if the cell is not a help request. */
export function pagerTarget(code: string): { name: string; offset: number } | undefined {
  const m = /^\s*\?{1,2}\s*([\p{ID_Start}$_][\p{ID_Continue}$.]*)\s*$/u.exec(code) ?? /^\s*([\p{ID_Start}$_][\p{ID_Continue}$.]*)\s*\?{1,2}\s*$/u.exec(code);
  if (!m) return undefined;
  return { name: m[1], offset: code.indexOf(m[1]) };
}
