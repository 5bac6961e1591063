/**
 * Opponents for Tic-Tac-Toe, each a policy: given the board, its own mark and the env's generator,
 * a legal cell. From weakest to perfect:
 *
 *   random    uniform among the free cells
 *   greedy    win if it can, else block the opponent's win, else random
 *   minimax   perfect play (memoised game-tree search over the 5,478 legal positions), random among
 *             equally good moves — it never loses, and it varies its games
 *   a policy  a frozen snapshot of a learner (`policyOpponent`), for self-play
 */
import type { Rng } from "../../core/rng";
import { boardKey, freeCells, fromPointOfView, legalMask, outcome, winningMoves, type Board, type Mark } from "./rules";

/** Picks a free cell for `mark` on `board` (never modifies the board). */
export type TicTacToeOpponent = (board: Board, mark: Mark, rng: Rng) => number;

export type OpponentName = "random" | "greedy" | "minimax";
export const OPPONENT_NAMES: readonly OpponentName[] = ["random", "greedy", "minimax"];

export const randomOpponent: TicTacToeOpponent = (board, _mark, rng) => {
  const free = freeCells(board);
  return free[rng.int(free.length)];
};

export const greedyOpponent: TicTacToeOpponent = (board, mark, rng) => {
  const win = winningMoves(board, mark);
  if (win.length) return win[rng.int(win.length)];
  const block = winningMoves(board, -mark as Mark);
  if (block.length) return block[rng.int(block.length)];
  return randomOpponent(board, mark, rng);
};

/** Game value for the side to move with perfect play on both sides: +1 it wins, 0 draw, −1 it loses. */
const values = new Map<number, number>();

export function minimaxValue(board: Board, mark: Mark): number {
  const key = boardKey(board) * 2 + (mark === 1 ? 0 : 1);
  const known = values.get(key);
  if (known !== undefined) return known;
  const end = outcome(board);
  let v: number;
  if (end === "draw") v = 0;
  else if (end) v = (end === "X" ? 1 : -1) === mark ? 1 : -1;
  else {
    v = -Infinity;
    for (const cell of freeCells(board)) {
      board[cell] = mark;
      v = Math.max(v, -minimaxValue(board, -mark as Mark));
      board[cell] = 0;
      if (v === 1) break;
    }
  }
  v += 0; // −(0) is −0: keep plain zeros in the table
  values.set(key, v);
  return v;
}

/** The moves of best value for `mark` (ascending). */
export function bestMoves(board: Board, mark: Mark): number[] {
  const b = Int8Array.from(board);
  let best = -Infinity;
  let moves: number[] = [];
  for (const cell of freeCells(b)) {
    b[cell] = mark;
    const v = -minimaxValue(b, -mark as Mark);
    b[cell] = 0;
    if (v > best) { best = v; moves = [cell]; }
    else if (v === best) moves.push(cell);
  }
  return moves;
}

export const minimaxOpponent: TicTacToeOpponent = (board, mark, rng) => {
  const moves = bestMoves(board, mark);
  return moves[rng.int(moves.length)];
};

export function namedOpponent(name: OpponentName): TicTacToeOpponent {
  switch (name) {
    case "random": return randomOpponent;
    case "greedy": return greedyOpponent;
    case "minimax": return minimaxOpponent;
  }
}

/** An acting function in tsrl's shape (`agent.act`): observation from the mover's point of view, legal mask. */
export type MaskedAct = (obs: Float32Array, ctx: { greedy: boolean; rng: Rng; mask?: Uint8Array }) => number;

/** A learner's policy as an opponent (self-play against a frozen snapshot): it sees the board from its own side. */
export function policyOpponent(act: MaskedAct, opts: { greedy?: boolean } = {}): TicTacToeOpponent {
  return (board, mark, rng) => act(fromPointOfView(board, mark), { greedy: opts.greedy ?? false, rng, mask: legalMask(board) });
}
