/**
 * TicTacToe-v0: the agent plays one side of Tic-Tac-Toe against an opponent that is part of the
 * environment (a policy: random, greedy, minimax or a frozen learner for self-play).
 *
 * ## Action space: Discrete(9)
 * The cell to mark, in reading order:
 * ```
 *  0 | 1 | 2
 *  3 | 4 | 5
 *  6 | 7 | 8
 * ```
 * `info.actionMask` (Uint8Array(9), 1 = free) says which cells are legal. An occupied cell is a rule
 * violation with a penalty (see Illegal moves); a value that is not an integer in 0..8 throws.
 *
 * ## Observation space: Box(−1, 1, (9,)) float32
 * The board from the agent's point of view, reading order: +1 the agent's own marks, −1 the
 * opponent's, 0 empty. The same network can therefore play X or O.
 *
 * ## Rewards (all configurable: `options.rewards`)
 * | event | default | when |
 * |---|---|---|
 * | win | +1 | the agent completes a line |
 * | draw | 0 | the board fills with no line |
 * | loss | −1 | the opponent completes a line |
 * | centerBonus | 0 | the agent takes the centre cell (shaping) |
 * | forkBonus | 0 | the agent's move creates two winning threats at once (shaping) |
 * | illegalPenalty | −1 | the agent picks an occupied cell |
 * A step's reward is the sum of what happened on it (a centre move that also wins earns both).
 *
 * ## Illegal moves (`options.illegalMove`)
 * - "end" (default): the penalty, and the episode terminates (`info.illegal` true; the game is lost
 *   by forfeit, so the loss reward is not added on top).
 * - "retry": the penalty, the board is unchanged and the agent moves again.
 *
 * ## Opponents (`options.opponent`)
 * "random", "greedy" (win, else block, else random), "minimax" (perfect, random among equally good
 * moves), a mixture `{ random: 2, greedy: 1, minimax: 1 }` (one drawn per game, by weight), or any
 * function `(board, mark, rng) => cell` — a frozen learner for self-play. The `opponent` property
 * swaps it between episodes.
 *
 * ## Starting state
 * An empty board. `options.agentPlays` ("X", "O" or "random", default "random") picks the agent's
 * side per episode (X moves first); when the agent is O, the opponent's first move is made inside
 * `reset`. `reset({ options: { agentPlays, opponent } })` overrides the side and the opponent for one
 * episode; `reset({ options: { board } })` starts from a mid-game position (9 cells, +1 X, −1 O),
 * the agent playing the side to move.
 *
 * ## Episode end
 * Termination: a line of three, a full board, or an illegal move under the "end" rule.
 * Truncation: `makeEnv` adds a 50-step limit (only reachable under the "retry" rule).
 *
 * ## Randomness
 * The side drawn for "random" and the opponent's choices come from the env's generator, seeded by
 * `reset({ seed })`: same seed, same games for the same agent moves.
 */
import { InvalidActionError, type Env, type Info, type ResetArgs, type StepResult } from "../../core/env";
import { createRng, randomSeed, type Rng } from "../../core/rng";
import { box, discrete } from "../../core/spaces";
import { namedOpponent, OPPONENT_NAMES, policyOpponent, type MaskedAct, type OpponentName, type TicTacToeOpponent } from "./opponents";
import { CENTER, boardText, emptyBoard, freeCells, fromPointOfView, isFork, legalMask, outcome, toMove, type Board, type Mark, type Outcome } from "./rules";
import { renderBoardSvg } from "./render";

export interface TicTacToeRewards {
  win: number;
  draw: number;
  loss: number;
  centerBonus: number;
  forkBonus: number;
  illegalPenalty: number;
}

export const DEFAULT_TICTACTOE_REWARDS: Readonly<TicTacToeRewards> = Object.freeze({ win: 1, draw: 0, loss: -1, centerBonus: 0, forkBonus: 0, illegalPenalty: -1 });

export type Side = "X" | "O";

/** A mixture of built-in opponents: one is drawn per game with these weights, e.g. { random: 2, minimax: 1 }. */
export type OpponentMix = Partial<Record<OpponentName, number>>;

export interface TicTacToeOptions {
  /** The opponent: a built-in by name, a mixture drawn per game, or any policy (a frozen learner for self-play). Default "random". */
  opponent?: OpponentName | OpponentMix | TicTacToeOpponent;
  /** The agent's side, or "random" per episode (default). X moves first. */
  agentPlays?: Side | "random";
  rewards?: Partial<TicTacToeRewards>;
  illegalMove?: "end" | "retry";
  /**
   * Exploring starts (Sutton & Barto): the probability that an episode begins 1–5 random plies into
   * a game instead of on the empty board, the agent playing the side to move (default 0). Training
   * then visits the positions an opponent can steer it into, not only the ones its own play reaches.
   */
  exploringStarts?: number;
}

export interface TicTacToeInfo extends Info {
  actionMask: Uint8Array;
  /** The agent's side this episode. */
  agentPlays: Side;
  /** The board after this step, absolute marks (+1 X, −1 O). */
  board: Int8Array;
  /** Set when the game ended: who won, or "draw"; "forfeit" after an illegal move under the "end" rule. */
  outcome?: Outcome | "forfeit";
  /** The agent picked an occupied cell on this step. */
  illegal?: boolean;
  /** The opponent's move on this step (or in reset), if it moved. */
  opponentMove?: number;
}

export interface TicTacToeEnv extends Env<Float32Array, number> {
  /** The current board (absolute marks); do not modify. */
  readonly board: Readonly<Int8Array>;
  /** The agent's side in the current episode. */
  readonly agentPlays: Side;
  /** The opponent now in play; assign to swap it between episodes (self-play snapshots). */
  opponent: TicTacToeOpponent;
  reset(args?: ResetArgs): { obs: Float32Array; info: TicTacToeInfo };
  step(action: number): StepResult<Float32Array> & { info: TicTacToeInfo };
}

export function makeTicTacToe(options: TicTacToeOptions = {}): TicTacToeEnv {
  const known = new Set(["opponent", "agentPlays", "rewards", "illegalMove", "exploringStarts"]);
  for (const k of Object.keys(options)) if (!known.has(k)) throw new RangeError(`TicTacToe-v0: unknown option '${k}'; expected one of ${[...known].join(", ")}`);
  const rewards = checkRewards({ ...DEFAULT_TICTACTOE_REWARDS, ...(options.rewards ?? {}) });
  const illegalRule = options.illegalMove ?? "end";
  if (illegalRule !== "end" && illegalRule !== "retry") throw new RangeError(`TicTacToe-v0: illegalMove must be "end" or "retry", got ${JSON.stringify(illegalRule)}`);
  const defaultSide = checkSide(options.agentPlays ?? "random");
  const exploring = options.exploringStarts ?? 0;
  if (!(typeof exploring === "number" && exploring >= 0 && exploring <= 1)) throw new RangeError(`TicTacToe-v0: exploringStarts must be a probability in [0, 1], got ${JSON.stringify(exploring)}`);
  let choice = resolveOpponent(options.opponent ?? "random");
  let opponent: TicTacToeOpponent = typeof choice === "function" ? choice : randomOpponentFallback;
  let rng: Rng = createRng(randomSeed());
  let board: Board = emptyBoard();
  let agent: Mark = 1;
  let over = true;
  let started = false;

  const sideOf = (m: Mark): Side => (m === 1 ? "X" : "O");
  const info = (extra: Partial<TicTacToeInfo> = {}): TicTacToeInfo => ({ actionMask: legalMask(board), agentPlays: sideOf(agent), board: Int8Array.from(board), ...extra });
  const obs = () => fromPointOfView(board, agent);

  /** The opponent moves; returns its cell after checking it is legal. */
  const opponentMoves = (): number => {
    const cell = opponent(Int8Array.from(board), -agent as Mark, rng);
    if (!(Number.isInteger(cell) && cell >= 0 && cell < 9 && board[cell] === 0)) {
      throw new RangeError(`TicTacToe-v0: the opponent chose cell ${JSON.stringify(cell)}, which is not a free cell of\n${boardText(board)}`);
    }
    board[cell] = -agent;
    return cell;
  };

  const env: TicTacToeEnv = {
    id: "TicTacToe-v0",
    observationSpace: box(-1, 1, [9]),
    actionSpace: discrete(9),
    get board() {
      return board;
    },
    get agentPlays() {
      return sideOf(agent);
    },
    get opponent() {
      return opponent;
    },
    set opponent(o: TicTacToeOpponent) {
      choice = resolveOpponent(o);
      if (typeof choice === "function") opponent = choice;
    },
    reset(args = {}) {
      if (args.seed !== undefined) rng = createRng(args.seed);
      const forGame = args.options?.opponent as OpponentName | OpponentMix | undefined; // this game only
      if (forGame !== undefined) {
        const resolved = resolveOpponent(forGame);
        opponent = typeof resolved === "function" ? resolved : drawFromMix(resolved, rng);
      } else if (typeof choice !== "function") opponent = drawFromMix(choice, rng); // a mixture: this game's opponent
      let start = args.options?.board as ArrayLike<number> | undefined;
      if (start === undefined && exploring > 0 && args.options?.agentPlays === undefined && rng.next() < exploring) start = randomPosition(rng);
      if (start !== undefined) {
        // a mid-game position: the agent is the side to move
        board = checkStartBoard(start);
        agent = toMove(board);
        const asked = args.options?.agentPlays;
        if (asked !== undefined && asked !== "random" && asked !== sideOf(agent)) {
          throw new RangeError(`TicTacToe-v0: reset options ask the agent to play ${String(asked)}, but ${sideOf(agent)} is to move on\n${boardText(board)}`);
        }
        over = false;
        started = true;
        return { obs: obs(), info: info() };
      }
      const side = checkSide((args.options?.agentPlays as Side | "random" | undefined) ?? defaultSide);
      agent = side === "X" ? 1 : side === "O" ? -1 : rng.int(2) === 0 ? 1 : -1;
      board = emptyBoard();
      over = false;
      started = true;
      if (agent === -1) {
        const opponentMove = opponentMoves();
        return { obs: obs(), info: info({ opponentMove }) };
      }
      return { obs: obs(), info: info() };
    },
    step(action) {
      if (!started) throw new Error("TicTacToe-v0: step() called before reset()");
      if (over) throw new Error("TicTacToe-v0: step() called after the episode ended; call reset()");
      if (!(typeof action === "number" && Number.isInteger(action) && action >= 0 && action < 9)) {
        throw new InvalidActionError("TicTacToe-v0", action, "an integer cell 0..8 (Discrete(9))");
      }
      if (board[action] !== 0) {
        if (illegalRule === "end") {
          over = true;
          return { obs: obs(), reward: rewards.illegalPenalty, terminated: true, truncated: false, info: info({ illegal: true, outcome: "forfeit" }) };
        }
        return { obs: obs(), reward: rewards.illegalPenalty, terminated: false, truncated: false, info: info({ illegal: true }) };
      }
      board[action] = agent;
      let reward = 0;
      if (action === CENTER) reward += rewards.centerBonus;
      let end = outcome(board);
      if (!end && isFork(board, agent)) reward += rewards.forkBonus;
      if (end) {
        over = true;
        reward += end === "draw" ? rewards.draw : rewards.win;
        return { obs: obs(), reward, terminated: true, truncated: false, info: info({ outcome: end }) };
      }
      const opponentMove = opponentMoves();
      end = outcome(board);
      if (end) {
        over = true;
        reward += end === "draw" ? rewards.draw : rewards.loss;
      }
      return { obs: obs(), reward, terminated: over, truncated: false, info: info({ opponentMove, ...(end ? { outcome: end } : {}) }) };
    },
    render: () => renderBoardSvg(board),
  };
  return env;
}

const randomOpponentFallback = namedOpponent("random");

/** A policy, or a mixture's (name, weight) pairs; throws naming what is wrong. */
function resolveOpponent(o: OpponentName | OpponentMix | TicTacToeOpponent): TicTacToeOpponent | [OpponentName, number][] {
  if (typeof o === "function") return o;
  if (typeof o === "string" && (OPPONENT_NAMES as readonly string[]).includes(o)) return namedOpponent(o as OpponentName);
  if (typeof o === "object" && o !== null && !Array.isArray(o)) {
    const entries = Object.entries(o) as [OpponentName, number][];
    for (const [name, w] of entries) {
      if (!(OPPONENT_NAMES as readonly string[]).includes(name)) throw new RangeError(`TicTacToe-v0: opponent mixture names '${name}'; expected ${OPPONENT_NAMES.join(", ")}`);
      if (!(typeof w === "number" && w >= 0 && Number.isFinite(w))) throw new RangeError(`TicTacToe-v0: opponent mixture weight of ${name} must be a number ≥ 0, got ${JSON.stringify(w)}`);
    }
    if (!entries.some(([, w]) => w > 0)) throw new RangeError("TicTacToe-v0: opponent mixture has no positive weight");
    return entries;
  }
  throw new RangeError(`TicTacToe-v0: opponent must be one of ${OPPONENT_NAMES.map((n) => JSON.stringify(n)).join(", ")}, a mixture like { "random": 1, "minimax": 1 }, or a function (board, mark, rng) => cell; got ${JSON.stringify(o)}`);
}

function drawFromMix(mix: [OpponentName, number][], rng: Rng): TicTacToeOpponent {
  return namedOpponent(mix[rng.categorical(mix.map(([, w]) => w))][0]);
}

/** A legal position where the game goes on: 9 cells of +1/−1/0, X's count equal to O's or one more, no line. */
function checkStartBoard(cells: ArrayLike<number>): Board {
  if (!cells || cells.length !== 9 || !Array.from(cells).every((c) => c === 1 || c === -1 || c === 0)) {
    throw new RangeError(`TicTacToe-v0: reset option board must be 9 cells of 1 (X), -1 (O) or 0, got ${JSON.stringify(Array.from(cells ?? []))}`);
  }
  const b = Int8Array.from(cells);
  const x = b.filter((c) => c === 1).length, o = b.filter((c) => c === -1).length;
  if (x !== o && x !== o + 1) throw new RangeError(`TicTacToe-v0: reset option board has ${x} X and ${o} O; X moves first, so X = O or O + 1`);
  if (outcome(b)) throw new RangeError(`TicTacToe-v0: reset option board is already over (${outcome(b)}):\n${boardText(b)}`);
  return b;
}

function checkSide(side: unknown): Side | "random" {
  if (side === "X" || side === "O" || side === "random") return side;
  throw new RangeError(`TicTacToe-v0: agentPlays must be "X", "O" or "random", got ${JSON.stringify(side)}`);
}

function checkRewards(r: TicTacToeRewards): TicTacToeRewards {
  for (const [k, v] of Object.entries(r)) {
    if (!(k in DEFAULT_TICTACTOE_REWARDS)) throw new RangeError(`TicTacToe-v0: unknown reward '${k}'; expected ${Object.keys(DEFAULT_TICTACTOE_REWARDS).join(", ")}`);
    if (typeof v !== "number" || !Number.isFinite(v)) throw new RangeError(`TicTacToe-v0: reward ${k} must be a finite number, got ${JSON.stringify(v)}`);
  }
  return r;
}

/**
 * A GRPO group's shared start (the env registry's `groupStart`): the same position, side and
 * opponent for all K episodes, so a group compares the agent's own choices under the same
 * conditions rather than crediting it for the opponent it happened to meet. Half the groups start
 * from the empty board (the agent's side drawn), half from a position a few random plies in (1–5):
 * the agent then learns to play — and to defend — in the positions any opponent can lead it into.
 */
export function ticTacToeGroupStart(rng: Rng, options: TicTacToeOptions = {}): Record<string, unknown> {
  const start: Record<string, unknown> = {};
  const o = options.opponent;
  if (o !== undefined && typeof o === "object") {
    const mix = resolveOpponent(o) as [OpponentName, number][];
    start.opponent = mix[rng.categorical(mix.map(([, w]) => w))][0];
  }
  const fixedSide = options.agentPlays && options.agentPlays !== "random" ? options.agentPlays : undefined;
  if (rng.next() < 0.5) {
    start.agentPlays = fixedSide ?? (rng.int(2) === 0 ? "X" : "O");
    return start;
  }
  for (;;) {
    const board = randomPosition(rng);
    if (fixedSide && (toMove(board) === 1 ? "X" : "O") !== fixedSide) continue;
    start.board = Array.from(board);
    return start;
  }
}

/** A position 1–5 random plies into a game that is not over. */
function randomPosition(rng: Rng): Board {
  for (;;) {
    const board = emptyBoard();
    const plies = 1 + rng.int(5);
    let ok = true;
    for (let k = 0; k < plies && ok; k++) {
      const free = freeCells(board);
      board[free[rng.int(free.length)]] = toMove(board);
      ok = outcome(board) === undefined;
    }
    if (ok) return board;
  }
}

/**
 * Self-play for actor-critic (the env registry's `selfPlayOptions`): an opponent that, at the start
 * of each game, asks `draw()` for a frozen snapshot of the learner — which then plays that whole
 * game, sampling its moves — and otherwise plays the opponent `options` name (a mixture is drawn
 * per game, as usual).
 */
export function ticTacToeSelfPlayOptions(options: TicTacToeOptions, draw: () => MaskedAct | undefined): TicTacToeOptions {
  const own = resolveOpponent(options.opponent ?? "random");
  let current: TicTacToeOpponent = randomOpponentFallback;
  const opponent: TicTacToeOpponent = (board, mark, rng) => {
    let marks = 0;
    for (let i = 0; i < 9; i++) if (board[i] !== 0) marks++;
    if (marks <= 1) {
      // the opponent's first move of a game: X on the empty board, or O after X's first move
      const snapshot = draw();
      current = snapshot ? policyOpponent(snapshot) : typeof own === "function" ? own : drawFromMix(own, rng);
    }
    return current(board, mark, rng);
  };
  return { ...options, opponent };
}
