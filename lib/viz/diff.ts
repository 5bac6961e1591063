/**
 * Text diffs for notebooks: rows of segments ({ kind: "same" | "insert" | "delete", text }, as
 * lib/envs' diffText makes them) as git's word diff, [-deleted-]{+inserted+}, in both forms:
 * plain text, and HTML where the markers stay and deletions are also struck through (<del>) and
 * insertions underlined and bold (<ins><b>), in red and green (<font color>).
 *
 * The HTML has no inline `style`: a notebook opened untrusted (every notebook a new reader opens
 * in the classic Notebook) goes through a sanitiser that turns every style into
 * `style="undefined:undefined"`, while these tags and `color` attributes pass it unchanged. The
 * markers keep a diff readable without any colour at all (printed, or copied as text). Spaces
 * stay visible: the diff line is preformatted, and a space inside a change is drawn as "␣" (a
 * middle dot would vanish under the strike-through line of a deletion).
 */
import type { MimeBundle } from "./display";

export interface DiffSegmentLike {
  kind: "same" | "insert" | "delete";
  text: string;
}

export interface DiffRow {
  /** Shown above the diff (e.g. the instruction). */
  label?: string;
  segments: readonly DiffSegmentLike[];
  /** A note after the diff (e.g. "exact" or "2 edits, minimal 1"). */
  note?: string;
  /** Marks the row: true ✓ (green), false ✗ (red), undefined nothing. */
  ok?: boolean;
}

const RED = "#cf222e", GREEN = "#1a7f37", GREY = "#57606a";

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const visibleSpaces = (s: string) => s.replace(/ /g, "␣");
const okMark = (ok: boolean | undefined) => (ok === undefined ? "" : ok ? "✓ " : "✗ ");

/** The plain-text form of one diff: [-deleted-]{+inserted+}. */
export function diffPlain(segments: readonly DiffSegmentLike[]): string {
  return segments.map((s) => (s.kind === "same" ? s.text : s.kind === "insert" ? `{+${s.text}+}` : `[-${s.text}-]`)).join("");
}

/** One diff as HTML: the same markers as `diffPlain`, with tags that survive a notebook's sanitiser. */
export function diffHtml(segments: readonly DiffSegmentLike[]): string {
  return segments.map((s) => {
    if (s.kind === "same") return escape(s.text);
    const text = escape(visibleSpaces(s.text));
    return s.kind === "insert"
      ? `<font color="${GREEN}">{+<ins><b>${text}</b></ins>+}</font>`
      : `<font color="${RED}">[-<del>${text}</del>-]</font>`;
  }).join("");
}

/** A MIME bundle (HTML and plain text) of diff rows, for `display(…)` in a notebook. */
export function diffView(rows: readonly DiffRow[], opts: { title?: string } = {}): MimeBundle {
  const html = rows.map((r) => {
    const mark = r.ok === undefined ? "" : `<font color="${r.ok ? GREEN : RED}"><b>${okMark(r.ok)}</b></font>`;
    const label = r.label ? `<font color="${GREY}">${escape(r.label)}</font>` : "";
    const note = r.note ? `<small><font color="${GREY}">${escape(r.note)}</font></small>` : "";
    return `<div class="tsrl-diff">${mark || label ? `<div>${mark}${label}</div>` : ""}<pre>${diffHtml(r.segments)}</pre>${note ? `<div>${note}</div>` : ""}</div>`;
  }).join("\n");
  const text = rows.map((r) => [r.label || r.ok !== undefined ? `${okMark(r.ok)}${r.label ?? ""}` : "", diffPlain(r.segments), r.note].filter(Boolean).join("\n  ")).join("\n");
  return {
    "text/html": (opts.title ? `<p><b>${escape(opts.title)}</b></p>\n` : "") + html,
    "text/plain": (opts.title ? `${opts.title}\n` : "") + text,
  };
}
