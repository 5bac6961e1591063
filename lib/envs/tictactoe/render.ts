/**
 * Tic-Tac-Toe pictures as SVG: a board with its marks, optionally the policy as a heat map over the
 * free cells (each cell shaded by the probability of playing it, the number written in), and a row
 * of boards for a whole game, with a title above and a note below. Notebooks show them as PNG
 * (lib/viz/picture), so they appear in every front end.
 *
 * Text is laid out here, not left to chance: a row's captions take the largest size (14, 13 or
 * 12 px) at which each fits under its own board on one line, else wrap there at 14 px (the row
 * growing to the tallest caption), so neighbouring captions never run into each other or off the
 * picture's edge.
 */
import { svgTextLines, wrapText } from "../../viz/svg-text";
import type { Board } from "./rules";

export interface BoardPictureOptions {
  /** Probability of each cell (9 numbers): drawn as a heat map on the free cells. */
  probs?: ArrayLike<number>;
  /** Cells to outline in orange (the last move). */
  highlight?: readonly number[];
  /** Three cells in a line (a win): struck through in green, a colour apart from the outline's. */
  line?: readonly number[];
  /** A caption under the board, wrapped to its width. */
  caption?: string;
  /** Side of the board in pixels (default 180). */
  size?: number;
}

export interface BoardRowOptions {
  /** A line above the boards (e.g. how the game ended), bold, wrapped to the picture's width. */
  title?: string;
  /** Colour of the title (default near-black). */
  titleColour?: string;
  /** A line below the boards and their captions (e.g. which moves were not played), wrapped. */
  note?: string;
  /** Colour of the note (default grey). */
  noteColour?: string;
}

const X_COLOUR = "#1f77b4", O_COLOUR = "#d62728", GRID = "#333";
/** The last move's outline, and the winning line's stroke: different colours, so both read on one board. */
export const HIGHLIGHT_COLOUR = "#f5a623", LINE_COLOUR = "#2ca02c";

const TITLE_FONT = 15, NOTE_FONT = 13;
/** Caption sizes, largest first: a row takes the largest at which every caption fits on one line, else wraps at the first. */
const CAPTION_FONTS = [14, 13, 12];
const lineHeight = (font: number) => Math.round(font * 1.25);
/** Room between a board and the first caption line's baseline. */
const CAPTION_GAP = 20;

interface Captions {
  font: number;
  /** Each board's caption, in lines. */
  lines: string[][];
}

/** The captions of a row of boards of side `size` (each may use the gap beside it, less a margin). */
function layCaptions(captions: readonly (string | undefined)[], size: number, gap: number): Captions {
  const width = size + gap - 6;
  const lay = (font: number) => captions.map((c) => (c ? wrapText(c, width, font) : []));
  for (const font of CAPTION_FONTS) {
    const lines = lay(font);
    if (lines.every((l) => l.length <= 1)) return { font, lines };
  }
  return { font: CAPTION_FONTS[0], lines: lay(CAPTION_FONTS[0]) };
}

/** Height below the boards that their captions take. */
function captionHeight(c: Captions): number {
  const lines = Math.max(0, ...c.lines.map((l) => l.length));
  return lines === 0 ? 0 : CAPTION_GAP + (lines - 1) * lineHeight(c.font) + 8;
}

/** One board as an SVG element group at (x, y), its caption (already wrapped) underneath. */
function boardGroup(board: ArrayLike<number>, x: number, y: number, opts: BoardPictureOptions, caption: readonly string[], captionFont: number): string {
  const size = opts.size ?? 180, cell = size / 3, pad = cell * 0.2;
  const centre = (i: number) => [(i % 3) * cell + cell / 2, Math.floor(i / 3) * cell + cell / 2];
  const parts: string[] = [`<g transform="translate(${x},${y})">`, `<rect width="${size}" height="${size}" fill="#fff"/>`];
  for (let i = 0; i < 9; i++) {
    const cx = (i % 3) * cell, cy = Math.floor(i / 3) * cell;
    const p = opts.probs?.[i];
    if (board[i] === 0 && p !== undefined && Number.isFinite(p)) {
      parts.push(`<rect x="${cx}" y="${cy}" width="${cell}" height="${cell}" fill="${heat(p)}"/>`);
      parts.push(`<text x="${cx + cell / 2}" y="${cy + cell / 2 + 5}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="${cell * 0.24}" fill="${p > 0.55 ? "#fff" : "#222"}">${(p * 100).toFixed(p < 0.1 ? 1 : 0)}%</text>`);
    }
    if (board[i] === 1) {
      parts.push(`<path d="M${cx + pad},${cy + pad} L${cx + cell - pad},${cy + cell - pad} M${cx + cell - pad},${cy + pad} L${cx + pad},${cy + cell - pad}" stroke="${X_COLOUR}" stroke-width="${cell * 0.1}" stroke-linecap="round"/>`);
    } else if (board[i] === -1) {
      parts.push(`<circle cx="${cx + cell / 2}" cy="${cy + cell / 2}" r="${cell / 2 - pad}" fill="none" stroke="${O_COLOUR}" stroke-width="${cell * 0.1}"/>`);
    }
    if (opts.highlight?.includes(i)) parts.push(`<rect x="${cx + 2}" y="${cy + 2}" width="${cell - 4}" height="${cell - 4}" fill="none" stroke="${HIGHLIGHT_COLOUR}" stroke-width="4"/>`);
  }
  for (const k of [1, 2]) {
    parts.push(`<line x1="${k * cell}" y1="0" x2="${k * cell}" y2="${size}" stroke="${GRID}" stroke-width="3"/>`);
    parts.push(`<line x1="0" y1="${k * cell}" x2="${size}" y2="${k * cell}" stroke="${GRID}" stroke-width="3"/>`);
  }
  if (opts.line && opts.line.length >= 2) {
    // through the centres of the first and last cells, a little past each
    const [x1, y1] = centre(opts.line[0]), [x2, y2] = centre(opts.line[opts.line.length - 1]);
    const len = Math.hypot(x2 - x1, y2 - y1) || 1, ext = cell * 0.35;
    const dx = ((x2 - x1) / len) * ext, dy = ((y2 - y1) / len) * ext;
    parts.push(`<line x1="${x1 - dx}" y1="${y1 - dy}" x2="${x2 + dx}" y2="${y2 + dy}" stroke="${LINE_COLOUR}" stroke-width="${cell * 0.16}" stroke-linecap="round" stroke-opacity="0.8"/>`);
  }
  if (caption.length) parts.push(svgTextLines(caption, size / 2, size + CAPTION_GAP, { fontSize: captionFont, anchor: "middle", lineHeight: lineHeight(captionFont) }));
  parts.push("</g>");
  return parts.join("");
}

/** A board as an SVG document. */
export function renderBoardSvg(board: ArrayLike<number>, opts: BoardPictureOptions = {}): string {
  const size = opts.size ?? 180, margin = 10;
  const caption = layCaptions([opts.caption], size, 2 * margin);
  const width = size + 2 * margin, height = size + captionHeight(caption) + 2 * margin;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${-margin} ${-margin} ${width} ${height}">`
    + boardGroup(board, 0, 0, opts, caption.lines[0], caption.font) + "</svg>";
}

/**
 * Several boards side by side (a game move by move), each with its own options; `row.title`
 * above them and `row.note` below, both wrapped to the picture's width.
 */
export function renderBoardsSvg(boards: readonly { board: ArrayLike<number> | Board; opts?: BoardPictureOptions }[], size = 120, row: BoardRowOptions = {}): string {
  const gap = 16, margin = 10;
  const boardsWidth = Math.max(size, boards.length * (size + gap) - gap);
  const captions = layCaptions(boards.map((b) => b.opts?.caption), size, gap);
  const captionsHeight = captionHeight(captions);
  const title = row.title ? wrapText(row.title, boardsWidth, TITLE_FONT, { bold: true }) : [];
  const note = row.note ? wrapText(row.note, boardsWidth, NOTE_FONT) : [];
  const titleHeight = title.length ? title.length * lineHeight(TITLE_FONT) + 8 : 0;
  const noteHeight = note.length ? note.length * lineHeight(NOTE_FONT) + 4 : 0;
  const groups = boards.map((b, k) => boardGroup(b.board, k * (size + gap), titleHeight, { ...b.opts, size }, captions.lines[k], captions.font));
  const parts = [...groups];
  if (title.length) parts.unshift(svgTextLines(title, 0, TITLE_FONT, { fontSize: TITLE_FONT, bold: true, fill: row.titleColour ?? "#222", lineHeight: lineHeight(TITLE_FONT) }));
  if (note.length) parts.push(svgTextLines(note, 0, titleHeight + size + captionsHeight + NOTE_FONT, { fontSize: NOTE_FONT, fill: row.noteColour ?? "#57606a", lineHeight: lineHeight(NOTE_FONT) }));
  const width = boardsWidth + 2 * margin, height = titleHeight + size + captionsHeight + noteHeight + 2 * margin;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="${-margin} ${-margin} ${width} ${height}">${parts.join("")}</svg>`;
}

/** White → deep blue for probability 0 → 1. */
function heat(p: number): string {
  const t = Math.max(0, Math.min(1, p));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}
