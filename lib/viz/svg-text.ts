/**
 * Text in SVG pictures drawn without a browser (resvg has no layout engine to ask): how wide a
 * string is in DejaVu Sans, the font the pictures name, and lines wrapped to a width — so a
 * caption fits under its own picture instead of running into its neighbour's.
 */

/** Advance widths of DejaVu Sans for the printable ASCII characters " " … "~", in thousandths of an em (from the font's hmtx table). */
const ASCII_ADVANCE = [
  318, 401, 460, 838, 636, 950, 780, 275, 390, 390, 500, 838, 318, 361, 318, 337, 636, 636, 636,
  636, 636, 636, 636, 636, 636, 636, 337, 337, 838, 838, 838, 531, 1000, 684, 686, 698, 770, 632,
  575, 775, 752, 295, 295, 656, 557, 863, 748, 787, 603, 787, 695, 635, 611, 732, 684, 989, 685,
  611, 685, 390, 337, 390, 838, 500, 500, 613, 635, 550, 635, 615, 352, 635, 634, 278, 278, 579,
  278, 974, 634, 612, 635, 635, 411, 521, 392, 634, 592, 818, 592, 592, 525, 636, 337, 636, 838,
];

/** Bold DejaVu Sans is this much wider on average (lowercase letters: 0.636 em against 0.563). */
const BOLD_FACTOR = 1.13;

/** Characters outside ASCII: wide symbols (→ ✓ ✗ × −, 0.838 em) are the common case in captions. */
const OTHER_ADVANCE = 838;

/** The width in px of `text` drawn in DejaVu Sans at `fontSize` px (bold when asked). */
export function textWidth(text: string, fontSize: number, opts: { bold?: boolean } = {}): number {
  let thousandths = 0;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    thousandths += code >= 32 && code < 127 ? ASCII_ADVANCE[code - 32] : OTHER_ADVANCE;
  }
  return (thousandths / 1000) * fontSize * (opts.bold ? BOLD_FACTOR : 1);
}

/**
 * `text` broken at spaces into lines no wider than `maxWidth` px (a single word wider than that
 * gets a line of its own). Newlines in `text` always break.
 */
export function wrapText(text: string, maxWidth: number, fontSize: number, opts: { bold?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split("\n")) {
    let line = "";
    for (const word of paragraph.split(/ +/)) {
      const candidate = line ? `${line} ${word}` : word;
      if (line && textWidth(candidate, fontSize, opts) > maxWidth) {
        lines.push(line);
        line = word;
      } else line = candidate;
    }
    lines.push(line);
  }
  return lines;
}

export interface SvgTextOptions {
  fontSize: number;
  /** Line advance in px (default 1.25 × fontSize). */
  lineHeight?: number;
  anchor?: "start" | "middle" | "end";
  fill?: string;
  bold?: boolean;
}

/** Lines of text as one SVG <text> (a <tspan> per line), the first line's baseline at (x, y); escaped. */
export function svgTextLines(lines: readonly string[], x: number, y: number, opts: SvgTextOptions): string {
  const lineHeight = opts.lineHeight ?? opts.fontSize * 1.25;
  const spans = lines.map((l, i) => `<tspan x="${x}" y="${+(y + i * lineHeight).toFixed(2)}">${escapeXml(l)}</tspan>`).join("");
  return `<text text-anchor="${opts.anchor ?? "start"}" font-family="DejaVu Sans, sans-serif" font-size="${opts.fontSize}"` +
    `${opts.bold ? ` font-weight="bold"` : ""} fill="${opts.fill ?? "#222"}">${spans}</text>`;
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
