/**
 * Edit distance and alignment, on characters and on tokens.
 *
 *   levenshtein(a, b)           minimal insertions + deletions + substitutions turning sequence a into b
 *   charEditDistance(a, b)      on the characters (code points) of two strings
 *   tokenEditDistance(a, b)     on tokens (lib/envs/edit/text): one edit = one token inserted, deleted or replaced
 *   editAlignment(a, b)        one minimal edit script: keep / substitute / insert / delete, with indices
 *   diffText(a, b)              that script as display segments { kind: "same" | "insert" | "delete", text }
 *   withinOneEdit(a, b)         distance ≤ 1, in linear time (the featuriser's typo relation)
 *
 * The recurrence (Wagner–Fischer): D[i][j] is the distance between a's first i items and b's first j,
 *   D[i][0] = i,  D[0][j] = j,
 *   D[i][j] = min(D[i−1][j] + 1 (delete a[i−1]),  D[i][j−1] + 1 (insert b[j−1]),  D[i−1][j−1] + [a[i−1] ≠ b[j−1]]).
 * For example kitten → sitting is 3: substitute k→s, substitute e→i, insert g.
 */
import { editTokenize } from "./text";

/** The full table D (rows a.length + 1, columns b.length + 1), row-major. */
export function editDistanceTable<T>(a: ArrayLike<T>, b: ArrayLike<T>): Int32Array {
  const n = a.length, m = b.length, w = m + 1;
  const d = new Int32Array((n + 1) * w);
  for (let j = 0; j <= m; j++) d[j] = j;
  for (let i = 1; i <= n; i++) {
    d[i * w] = i;
    for (let j = 1; j <= m; j++) {
      const sub = d[(i - 1) * w + j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      d[i * w + j] = Math.min(d[(i - 1) * w + j] + 1, d[i * w + j - 1] + 1, sub);
    }
  }
  return d;
}

/** Levenshtein distance between two sequences (items compared with ===), in O(|b|) memory. */
export function levenshtein<T>(a: ArrayLike<T>, b: ArrayLike<T>): number {
  const n = a.length, m = b.length;
  if (n === 0) return m;
  if (m === 0) return n;
  let prev = new Int32Array(m + 1), row = new Int32Array(m + 1);
  for (let j = 0; j <= m; j++) prev[j] = j;
  for (let i = 1; i <= n; i++) {
    row[0] = i;
    const ai = a[i - 1];
    for (let j = 1; j <= m; j++) {
      const sub = prev[j - 1] + (ai === b[j - 1] ? 0 : 1);
      const del = prev[j] + 1, ins = row[j - 1] + 1;
      row[j] = sub < del ? (sub < ins ? sub : ins) : del < ins ? del : ins;
    }
    [prev, row] = [row, prev];
  }
  return prev[m];
}

/** Character-level Levenshtein distance (code points, so a surrogate pair is one character). */
export function charEditDistance(a: string, b: string): number {
  if (a === b) return 0;
  return levenshtein(Array.from(a), Array.from(b));
}

/** Token-level Levenshtein distance; strings are tokenised first (lib/envs/edit/text). */
export function tokenEditDistance(a: string | readonly string[], b: string | readonly string[]): number {
  return levenshtein(typeof a === "string" ? editTokenize(a) : a, typeof b === "string" ? editTokenize(b) : b);
}

/** Character distance divided by the longer length: 0 identical, 1 nothing in common (0 for two empty strings). */
export function normalizedEditDistance(a: string, b: string): number {
  const len = Math.max(Array.from(a).length, Array.from(b).length);
  return len === 0 ? 0 : charEditDistance(a, b) / len;
}

/** One step of an edit script: `i` indexes a, `j` indexes b (the position in b the step produces, or reaches). */
export type EditAlignmentStep =
  | { op: "keep"; i: number; j: number }
  | { op: "substitute"; i: number; j: number }
  | { op: "delete"; i: number; j: number }
  | { op: "insert"; i: number; j: number };

/**
 * A minimal edit script turning a into b, in order. Ties are broken the same way every time:
 * a match first, then (walking back from the end) an insertion, then a deletion, then a
 * substitution — so within a changed stretch deletions come before insertions, which reads well
 * in a diff ("~~cat~~ dog").
 */
export function editAlignment<T>(a: ArrayLike<T>, b: ArrayLike<T>): EditAlignmentStep[] {
  const d = editDistanceTable(a, b), w = b.length + 1;
  const steps: EditAlignmentStep[] = [];
  let i = a.length, j = b.length;
  while (i > 0 || j > 0) {
    const here = d[i * w + j];
    if (i > 0 && j > 0 && a[i - 1] === b[j - 1] && here === d[(i - 1) * w + j - 1]) {
      steps.push({ op: "keep", i: --i, j: --j });
    } else if (j > 0 && here === d[i * w + j - 1] + 1) {
      steps.push({ op: "insert", i, j: --j });
    } else if (i > 0 && here === d[(i - 1) * w + j] + 1) {
      steps.push({ op: "delete", i: --i, j });
    } else {
      steps.push({ op: "substitute", i: --i, j: --j });
    }
  }
  return steps.reverse();
}

/** A stretch of a diff: text both sides share, text only b has (insert), or text only a has (delete). */
export interface DiffSegment {
  kind: "same" | "insert" | "delete";
  text: string;
}

/**
 * The differences between `a` (before) and `b` (after) as segments whose "same" + "delete" texts
 * spell a and whose "same" + "insert" texts spell b. A substitution shows as a deletion followed
 * by an insertion; neighbouring segments of one kind are merged, and within a changed stretch
 * the deletions come first. `unit: "token"` aligns tokens instead of characters (whole words change).
 *
 * @example diffText("the cat", "the dog", { unit: "token" })
 *   → [{ kind: "same", text: "the " }, { kind: "delete", text: "cat" }, { kind: "insert", text: "dog" }]
 */
export function diffText(a: string, b: string, opts: { unit?: "char" | "token" } = {}): DiffSegment[] {
  const unit = opts.unit ?? "char";
  if (unit !== "char" && unit !== "token") throw new RangeError(`diffText: unit must be "char" or "token", got ${JSON.stringify(unit)}`);
  const sa = unit === "char" ? Array.from(a) : editTokenize(a);
  const sb = unit === "char" ? Array.from(b) : editTokenize(b);
  const out: DiffSegment[] = [];
  // within a run of changes, collect deletions and insertions apart so the deletions print first
  let del = "", ins = "";
  const flush = () => {
    if (del) push("delete", del);
    if (ins) push("insert", ins);
    del = ins = "";
  };
  const push = (kind: DiffSegment["kind"], text: string) => {
    const last = out[out.length - 1];
    if (last && last.kind === kind) last.text += text;
    else out.push({ kind, text });
  };
  for (const s of editAlignment(sa, sb)) {
    if (s.op === "keep") {
      flush();
      push("same", sa[s.i]);
    } else if (s.op === "delete") del += sa[s.i];
    else if (s.op === "insert") ins += sb[s.j];
    else {
      del += sa[s.i];
      ins += sb[s.j];
    }
  }
  flush();
  return out;
}

/** Whether two strings are at most one character edit apart (insert, delete or substitute), in O(n). */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Array.from(a), y = Array.from(b);
  if (Math.abs(x.length - y.length) > 1) return false;
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  let p = x.length - 1, q = y.length - 1;
  while (p >= i && q >= i && x[p] === y[q]) {
    p--;
    q--;
  }
  // what is left between the common prefix and suffix: at most one character on each side
  return p - i + 1 <= 1 && q - i + 1 <= 1;
}
