/**
 * Tic-Tac-Toe pictures as SVG: a board with its marks, optionally the policy as a heat map over the
 * free cells (each cell shaded by the probability of playing it, the number written in), and a row
 * of boards for a whole game. Notebooks show them as PNG (lib/viz/picture), so they appear in every
 * front end.
 */
import type { Board } from "./tictactoe-rules";

export interface BoardPictureOptions {
  /** Probability of each cell (9 numbers): drawn as a heat map on the free cells. */
  probs?: ArrayLike<number>;
  /** Cells to outline (the last move, a winning line). */
  highlight?: readonly number[];
  /** A caption under the board. */
  caption?: string;
  /** Side of the board in pixels (default 180). */
  size?: number;
}

const X_COLOUR = "#1f77b4", O_COLOUR = "#d62728", GRID = "#333";

/** One board as an SVG element group at (x, y); `boardSvg` wraps it in a document. */
function boardGroup(board: ArrayLike<number>, x: number, y: number, opts: BoardPictureOptions): string {
  const size = opts.size ?? 180, cell = size / 3, pad = cell * 0.2;
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
    if (opts.highlight?.includes(i)) parts.push(`<rect x="${cx + 2}" y="${cy + 2}" width="${cell - 4}" height="${cell - 4}" fill="none" stroke="#f5a623" stroke-width="4"/>`);
  }
  for (const k of [1, 2]) {
    parts.push(`<line x1="${k * cell}" y1="0" x2="${k * cell}" y2="${size}" stroke="${GRID}" stroke-width="3"/>`);
    parts.push(`<line x1="0" y1="${k * cell}" x2="${size}" y2="${k * cell}" stroke="${GRID}" stroke-width="3"/>`);
  }
  if (opts.caption) parts.push(`<text x="${size / 2}" y="${size + 20}" text-anchor="middle" font-family="DejaVu Sans, sans-serif" font-size="14" fill="#222">${escape(opts.caption)}</text>`);
  parts.push("</g>");
  return parts.join("");
}

/** A board as an SVG document. */
export function renderBoardSvg(board: ArrayLike<number>, opts: BoardPictureOptions = {}): string {
  const size = opts.size ?? 180, height = size + (opts.caption ? 30 : 0);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size + 20}" height="${height + 20}" viewBox="-10 -10 ${size + 20} ${height + 20}">`
    + boardGroup(board, 0, 0, opts) + "</svg>";
}

/** Several boards side by side (a game move by move), each with its own options. */
export function renderBoardsSvg(boards: readonly { board: ArrayLike<number> | Board; opts?: BoardPictureOptions }[], size = 120): string {
  const gap = 16, height = size + 30;
  const width = boards.length * (size + gap) - gap;
  const groups = boards.map((b, k) => boardGroup(b.board, k * (size + gap), 0, { size, ...b.opts }));
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width + 20}" height="${height + 20}" viewBox="-10 -10 ${width + 20} ${height + 20}">${groups.join("")}</svg>`;
}

/** White → deep blue for probability 0 → 1. */
function heat(p: number): string {
  const t = Math.max(0, Math.min(1, p));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(247, 8)},${mix(251, 48)},${mix(255, 107)})`;
}

function escape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}
