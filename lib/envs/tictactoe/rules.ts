/**
 * The rules of Tic-Tac-Toe as pure functions on a board, shared by the environment, its opponents
 * and the exhaustive analysis. A board is 9 cells in reading order (0 1 2 / 3 4 5 / 6 7 8), each
 * +1 (X), −1 (O) or 0 (empty). X moves first, so the side to move follows from the counts.
 */

export type Board = Int8Array;
/** +1 for X, −1 for O. */
export type Mark = 1 | -1;

/** The 8 lines: 3 rows, 3 columns, 2 diagonals. */
export const LINES: readonly (readonly [number, number, number])[] = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
];

export const CENTER = 4;

export function emptyBoard(): Board {
  return new Int8Array(9);
}

/** The mark that has three in a line, 0 if none. */
export function winner(board: ArrayLike<number>): Mark | 0 {
  for (const [a, b, c] of LINES) {
    const s = board[a];
    if (s !== 0 && s === board[b] && s === board[c]) return s as Mark;
  }
  return 0;
}

export function isFull(board: ArrayLike<number>): boolean {
  for (let i = 0; i < 9; i++) if (board[i] === 0) return false;
  return true;
}

/** "X", "O", "draw", or undefined while the game goes on. */
export type Outcome = "X" | "O" | "draw";

export function outcome(board: ArrayLike<number>): Outcome | undefined {
  const w = winner(board);
  if (w === 1) return "X";
  if (w === -1) return "O";
  return isFull(board) ? "draw" : undefined;
}

/** Whose turn it is on a legal board: X when the counts are equal. */
export function toMove(board: ArrayLike<number>): Mark {
  let x = 0, o = 0;
  for (let i = 0; i < 9; i++) {
    if (board[i] === 1) x++;
    else if (board[i] === -1) o++;
  }
  return x === o ? 1 : -1;
}

/** Empty cells, ascending. */
export function freeCells(board: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < 9; i++) if (board[i] === 0) out.push(i);
  return out;
}

/** 1 for each empty cell: the legal moves. */
export function legalMask(board: ArrayLike<number>): Uint8Array {
  return Uint8Array.from({ length: 9 }, (_, i) => (board[i] === 0 ? 1 : 0));
}

/** The board as `mark` sees it: +1 own marks, −1 the opponent's, 0 empty (the observation). */
export function fromPointOfView(board: ArrayLike<number>, mark: Mark): Float32Array {
  return Float32Array.from({ length: 9 }, (_, i) => board[i] * mark || 0); // || 0: no −0 for empty cells
}

/**
 * What is wrong with `obs` as an observation TicTacToe-v0 shows its agent, or undefined: 9 cells of
 * +1 (the agent's marks), −1 (the opponent's) or 0; the agent to move (as many marks as the
 * opponent when it plays X, one fewer as O); no line of three and a free cell (the game goes on).
 */
export function checkTicTacToeObservation(obs: ArrayLike<number>): string | undefined {
  if (obs.length !== 9) return `expected 9 cells, got ${obs.length}`;
  let own = 0, theirs = 0;
  for (let i = 0; i < 9; i++) {
    const v = obs[i];
    if (v === 1) own++;
    else if (v === -1) theirs++;
    else if (v !== 0) return `cell ${i} is ${v}; a cell is 1 (the agent's mark), -1 (the opponent's) or 0 (empty)`;
  }
  if (own !== theirs && own !== theirs - 1) {
    return `the agent has ${own} marks and the opponent ${theirs}; on the agent's turn it has as many as the opponent (playing X) or one fewer (playing O)`;
  }
  const w = winner(obs);
  if (w !== 0) return `the game is over: ${w === 1 ? "the agent" : "the opponent"} has three in a line`;
  if (isFull(obs)) return "the board is full: the game is over";
  return undefined;
}

/** Cells where `mark` would complete a line now. */
export function winningMoves(board: ArrayLike<number>, mark: Mark): number[] {
  const out = new Set<number>();
  for (const line of LINES) {
    let own = 0, empty = -1, emptyCount = 0;
    for (const i of line) {
      if (board[i] === mark) own++;
      else if (board[i] === 0) { empty = i; emptyCount++; }
    }
    if (own === 2 && emptyCount === 1) out.add(empty);
  }
  return [...out].sort((a, b) => a - b);
}

/** A fork: after `mark` plays, it threatens to win in two different cells at once. */
export function isFork(board: ArrayLike<number>, mark: Mark): boolean {
  return winningMoves(board, mark).length >= 2;
}

/** "X . O\n. X .\n. . O" — for messages and text output. */
export function boardText(board: ArrayLike<number>): string {
  const ch = (v: number) => (v === 1 ? "X" : v === -1 ? "O" : ".");
  return [0, 3, 6].map((r) => [r, r + 1, r + 2].map((i) => ch(board[i])).join(" ")).join("\n");
}

/** A compact key for memo tables: base-3 digits of the cells. */
export function boardKey(board: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < 9; i++) k = k * 3 + (board[i] + 1);
  return k;
}
