/**
 * Text diffs for notebooks: rows of segments ({ kind: "same" | "insert" | "delete", text }, as
 * lib/envs' diffText makes them) shown with deletions struck through in red and insertions in green
 * (HTML), or as [-deleted-]{+inserted+} (plain text). Spaces stay visible: a doubled space is drawn
 * as "·" inside a change.
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
  /** Tints the row: true green, false red, undefined none. */
  ok?: boolean;
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const visibleSpaces = (s: string) => s.replace(/ /g, "·");

/** The plain-text form of one diff: [-deleted-]{+inserted+}. */
export function diffPlain(segments: readonly DiffSegmentLike[]): string {
  return segments.map((s) => (s.kind === "same" ? s.text : s.kind === "insert" ? `{+${s.text}+}` : `[-${s.text}-]`)).join("");
}

/** A MIME bundle (HTML and plain text) of diff rows, for `display(…)` in a notebook. */
export function diffView(rows: readonly DiffRow[], opts: { title?: string } = {}): MimeBundle {
  const html = rows.map((r) => {
    const spans = r.segments.map((s) => {
      if (s.kind === "same") return escape(s.text);
      const style = s.kind === "insert" ? "background:#ccffd8;color:#116329;text-decoration:underline" : "background:#ffd7d5;color:#82071e;text-decoration:line-through";
      return `<span style="${style}">${escape(visibleSpaces(s.text))}</span>`;
    }).join("");
    const border = r.ok === undefined ? "#d0d7de" : r.ok ? "#1a7f37" : "#cf222e";
    return `<div style="border-left:4px solid ${border};padding:3px 8px;margin:3px 0">`
      + (r.label ? `<div style="color:#57606a;font-size:90%">${escape(r.label)}</div>` : "")
      + `<div style="font-family:monospace;white-space:pre-wrap">${spans}</div>`
      + (r.note ? `<div style="color:#57606a;font-size:85%">${escape(r.note)}</div>` : "")
      + `</div>`;
  }).join("");
  const text = rows.map((r) => [r.label, diffPlain(r.segments), r.note].filter(Boolean).join("\n  ")).join("\n");
  return {
    "text/html": (opts.title ? `<b>${escape(opts.title)}</b>` : "") + html,
    "text/plain": (opts.title ? `${opts.title}\n` : "") + text,
  };
}
