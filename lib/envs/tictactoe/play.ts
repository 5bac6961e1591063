/**
 * Playing against a trained agent in a notebook, and looking inside its policy:
 *
 *   play(agent, [4, 0, 8])       you play X on cells 4, 0, 8; the agent answers each move (greedy);
 *                                every board is drawn; an illegal move stops the game with a clear
 *                                message and changes nothing
 *   policyHeatmap(agent, board)  the board with the agent's probability of each free cell
 *
 * Both return values that a notebook shows as pictures (PNG) and a terminal as text.
 */
import util from "node:util";
import { createRng } from "../../core/rng";
import type { MimeBundle } from "../../viz/display";
import { svgBundle } from "../../viz/picture";
import type { MaskedAct } from "./opponents";
import { renderBoardSvg, renderBoardsSvg } from "./render";
import { boardText, fromPointOfView, legalMask, outcome, winningMoves, LINES, type Mark, type Outcome } from "./rules";

/** Anything that can act (`agent.act`), optionally with its probabilities (`agent.probs`). */
export interface Player {
  act: MaskedAct;
  probs?(obs: Float32Array, mask?: Uint8Array): Float32Array;
}

export interface PlayResult {
  /** The side you played. */
  readonly you: "X" | "O";
  /** The boards after each move, with who moved where. */
  readonly moves: { by: "you" | "agent"; cell: number; board: Int8Array }[];
  /** Who won ("X", "O", "draw"), or undefined if the game is not over. */
  readonly outcome?: Outcome;
  /** Set when one of your moves was not legal; the game stopped before it. */
  readonly error?: string;
}

const DISPLAY = Symbol.for("Jupyter.display");

/**
 * Plays your `moves` (cells 0–8, reading order) against `agent` as `you` ("X" moves first, the
 * default); the agent answers each with its greedy move among the free cells.
 */
export function play(agent: Player | MaskedAct, moves: readonly number[], opts: { you?: "X" | "O" } = {}): PlayResult {
  const act = typeof agent === "function" ? agent : agent.act;
  const you: Mark = (opts.you ?? "X") === "X" ? 1 : -1;
  const board = new Int8Array(9);
  const rng = createRng(0);
  const record: PlayResult["moves"] = [];
  let error: string | undefined;
  const agentMoves = () => {
    const cell = act(fromPointOfView(board, -you as Mark), { greedy: true, rng, mask: legalMask(board) });
    board[cell] = -you;
    record.push({ by: "agent", cell, board: Int8Array.from(board) });
  };
  if (you === -1) agentMoves();
  for (let k = 0; k < moves.length && !outcome(board); k++) {
    const cell = moves[k];
    if (!(Number.isInteger(cell) && cell >= 0 && cell < 9)) {
      error = `your move ${k + 1} is ${JSON.stringify(cell)}: a cell is an integer 0–8 (0 1 2 / 3 4 5 / 6 7 8); nothing changed`;
      break;
    }
    if (board[cell] !== 0) {
      error = `your move ${k + 1}: cell ${cell} is taken; nothing changed. The board:\n${boardText(board)}`;
      break;
    }
    board[cell] = you;
    record.push({ by: "you", cell, board: Int8Array.from(board) });
    if (!outcome(board)) agentMoves();
  }
  if (!error && outcome(board) && record.filter((m) => m.by === "you").length < moves.length) {
    error = `the game ended after ${record.filter((m) => m.by === "you").length} of your ${moves.length} moves; the rest were not played`;
  }
  return withDisplay({ you: you === 1 ? "X" : "O", moves: record, outcome: outcome(board), error });
}

/** How the game ended, from your side: one line, the same in the text and in the picture. */
function endingLine(result: PlayResult): string {
  const agentName = result.you === "X" ? "O" : "X";
  if (result.outcome === undefined) {
    const last = result.moves[result.moves.length - 1];
    return last?.by === "agent" || result.moves.length === 0 ? "game on: your move" : "game on";
  }
  if (result.outcome === "draw") return "a draw";
  const line = winningLine(result.moves[result.moves.length - 1].board)!.join("–");
  return result.outcome === result.you ? `you win (${result.you}, cells ${line})` : `you lost: the agent (${agentName}) wins (cells ${line})`;
}

/**
 * The game as a picture: every board with its move (the last move outlined in orange, a winning
 * line struck through in green), how it ended above them, and a refused or unplayed move below.
 */
export function playSvg(result: PlayResult): string {
  const agentName = result.you === "X" ? "O" : "X";
  const boards = result.moves.map((m, i) => {
    const last = i === result.moves.length - 1;
    const line = last && result.outcome && result.outcome !== "draw" ? winningLine(m.board) : undefined;
    return { board: m.board, opts: { highlight: [m.cell], line, caption: `${m.by === "you" ? "you" : "agent"} → ${m.cell}` } };
  });
  const titleColour = result.outcome === result.you ? "#1a7f37" : result.outcome === agentName ? "#cf222e" : "#222";
  // the first line of an error: the board it may go on to print is the last one drawn
  const note = result.error ? `✗ ${result.error.split("\n")[0].replace(/\s*The board:$/, "")}` : undefined;
  return renderBoardsSvg(boards, 110, { title: endingLine(result), titleColour, note, noteColour: "#cf222e" });
}

function withDisplay(result: PlayResult): PlayResult {
  const agentName = result.you === "X" ? "O" : "X";
  const last = result.moves[result.moves.length - 1];
  const text = () => [
    ...result.moves.map((m, i) => `${i + 1}. ${m.by === "you" ? `you (${result.you})` : `agent (${agentName})`} → ${m.cell}`),
    last ? endingLine(result) : "",
    // the board, unless the error message prints it already
    last && (result.outcome || !result.error?.includes("\n")) ? boardText(last.board) : "",
    result.error ? `✗ ${result.error}` : "",
  ].filter(Boolean).join("\n");
  const bundle = (): MimeBundle => ({ ...(result.moves.length || result.error ? svgBundle(playSvg(result)) : {}), "text/plain": text() });
  return Object.assign(result, { [DISPLAY]: bundle, [util.inspect.custom]: text, toString: text });
}

function winningLine(board: ArrayLike<number>): number[] | undefined {
  return LINES.find(([a, b, c]) => board[a] !== 0 && board[a] === board[b] && board[a] === board[c]) as number[] | undefined;
}

/**
 * The agent's policy on positions, as heat maps side by side: each free cell shaded by the
 * probability of the agent playing it (the agent is the side to move). Needs `agent.probs`.
 * The result is a MIME bundle (show it, or `display` it); the probabilities are on its `probs`
 * too, as a property the bundle does not list (a notebook file takes only MIME keys).
 */
export function policyHeatmap(agent: Player, boards: ArrayLike<number> | readonly ArrayLike<number>[], opts: { captions?: readonly string[] } = {}): MimeBundle & { readonly probs: Float32Array[] } {
  if (!agent.probs) throw new TypeError("policyHeatmap needs an agent with probs(obs, mask) (every tsrl agent and loadPolicy(dir) have it)");
  const list = (Array.isArray(boards) && typeof boards[0] !== "number" ? boards : [boards]) as readonly ArrayLike<number>[];
  const probs: Float32Array[] = [];
  const pictures = list.map((board, k) => {
    const b = Int8Array.from(board);
    const x = b.filter((c) => c === 1).length, o = b.filter((c) => c === -1).length;
    const mover: Mark = x === o ? 1 : -1;
    const p = agent.probs!(fromPointOfView(b, mover), legalMask(b));
    probs.push(p);
    const threats = winningMoves(b, -mover as Mark);
    const caption = opts.captions?.[k] ?? `${mover === 1 ? "X" : "O"} to move${threats.length ? `, must block ${threats.join(", ")}` : ""}`;
    return { board: b, opts: { probs: p, caption } };
  });
  const svg = list.length === 1 ? renderBoardSvg(pictures[0].board, { ...pictures[0].opts, size: 180 }) : renderBoardsSvg(pictures, 150);
  const bundle = svgBundle(svg, { text: `<policy heat map of ${list.length} position${list.length > 1 ? "s" : ""}>` });
  return Object.defineProperty(bundle, "probs", { value: probs, enumerable: false }) as MimeBundle & { readonly probs: Float32Array[] };
}
