/**
 * How good is a Tic-Tac-Toe policy? Two answers:
 *
 *   playMatches     win/draw/loss rates over many games against an opponent (sampled games)
 *   exhaustiveCheck every game an opponent can force against the policy's greedy moves: the agent's
 *                   move is fixed by its policy, every opponent reply is tried, so the count of
 *                   reachable losses is a proof — zero means no opponent, however clever or lucky,
 *                   can beat it — not an estimate
 */
import { createRng, type Rng } from "../../core/rng";
import { makeTicTacToe, type Side } from "./tictactoe";
import { namedOpponent, type MaskedAct, type OpponentName, type TicTacToeOpponent } from "./opponents";
import { boardText, freeCells, fromPointOfView, legalMask, outcome, type Mark } from "./rules";

export interface ExhaustiveResult {
  agentPlays: Side;
  /** Distinct games (move sequences) the opponent can produce against the policy. */
  games: number;
  wins: number;
  draws: number;
  losses: number;
  /** Up to `keep` losing games, as the cells played in order (agent and opponent alternating from X). */
  losingGames: number[][];
}

/**
 * Walks every move sequence an opponent can play against the policy's greedy choices (with the
 * legal mask), as X or as O. The policy must pick a free cell; one that does not is reported as an error
 * naming the board.
 */
export function exhaustiveCheck(act: MaskedAct, opts: { agentPlays: Side; keep?: number }): ExhaustiveResult {
  const agent: Mark = opts.agentPlays === "X" ? 1 : -1;
  const keep = opts.keep ?? 10;
  const rng = createRng(0); // unused by a greedy policy; required by the acting signature
  const result: ExhaustiveResult = { agentPlays: opts.agentPlays, games: 0, wins: 0, draws: 0, losses: 0, losingGames: [] };
  const board = new Int8Array(9);
  const moves: number[] = [];
  const walk = (toMove: Mark): void => {
    const end = outcome(board);
    if (end) {
      result.games++;
      if (end === "draw") result.draws++;
      else if ((end === "X" ? 1 : -1) === agent) result.wins++;
      else {
        result.losses++;
        if (result.losingGames.length < keep) result.losingGames.push([...moves]);
      }
      return;
    }
    const cells = toMove === agent ? [agentMove()] : freeCells(board);
    for (const cell of cells) {
      board[cell] = toMove;
      moves.push(cell);
      walk(-toMove as Mark);
      moves.pop();
      board[cell] = 0;
    }
  };
  const agentMove = (): number => {
    const cell = act(fromPointOfView(board, agent), { greedy: true, rng, mask: legalMask(board) });
    if (!(Number.isInteger(cell) && cell >= 0 && cell < 9 && board[cell] === 0)) {
      throw new RangeError(`exhaustiveCheck: the policy chose cell ${JSON.stringify(cell)}, not a free cell of\n${boardText(board)}`);
    }
    return cell;
  };
  walk(1);
  return result;
}

export interface MatchResult {
  opponent: string;
  agentPlays: Side | "random";
  games: number;
  wins: number;
  draws: number;
  losses: number;
  /** Fractions of `games`. */
  winRate: number;
  drawRate: number;
  lossRate: number;
}

/**
 * Plays `games` games against `opponent` (env seeds seed, seed + 1, …). The agent acts greedily by
 * default; an illegal move (possible only if the policy ignores the mask) counts as a loss.
 */
export function playMatches(act: MaskedAct, opponent: OpponentName | TicTacToeOpponent, opts: { games?: number; agentPlays?: Side | "random"; seed?: number; greedy?: boolean; rng?: Rng } = {}): MatchResult {
  const games = opts.games ?? 1000;
  if (!Number.isInteger(games) || games < 1) throw new RangeError(`playMatches: games must be a positive integer, got ${games}`);
  const agentPlays = opts.agentPlays ?? "X";
  const env = makeTicTacToe({ opponent: typeof opponent === "string" ? namedOpponent(opponent) : opponent, agentPlays });
  const rng = opts.rng ?? createRng(opts.seed ?? 0);
  let wins = 0, draws = 0, losses = 0;
  for (let g = 0; g < games; g++) {
    let { obs, info } = env.reset({ seed: ((opts.seed ?? 0) + g) >>> 0 });
    for (;;) {
      const r = env.step(act(obs, { greedy: opts.greedy ?? true, rng, mask: info.actionMask }));
      obs = r.obs;
      info = r.info;
      if (r.terminated || r.truncated) break;
    }
    const mine = info.agentPlays;
    if (info.outcome === "draw") draws++;
    else if (info.outcome === mine) wins++;
    else losses++;
  }
  const name = typeof opponent === "string" ? opponent : "policy";
  return { opponent: name, agentPlays, games, wins, draws, losses, winRate: wins / games, drawRate: draws / games, lossRate: losses / games };
}

/**
 * Tic-Tac-Toe's report card for a policy (the env registry's `evaluate`): win/draw/loss rates of the
 * greedy policy against random, greedy and minimax (winRandom, drawRandom, lossRandom, winGreedy, …),
 * half the games as X and half as O, and winRandomAsX; the losses any opponent can force
 * (exhaustiveLossesX, exhaustiveLossesO); and `solved` = 1 when no loss is reachable and it wins
 * ≥ 95% against random as X.
 */
export function ticTacToeReport(act: MaskedAct, opts: { seed?: number; games?: number } = {}): Record<string, number> {
  const games = opts.games ?? 200, seed = opts.seed ?? 0;
  const out: Record<string, number> = {};
  for (const opponent of ["random", "greedy", "minimax"] as const) {
    const asX = playMatches(act, opponent, { games: Math.ceil(games / 2), agentPlays: "X", seed });
    const asO = playMatches(act, opponent, { games: Math.floor(games / 2), agentPlays: "O", seed: seed + 100_000 });
    const n = asX.games + asO.games;
    const name = opponent[0].toUpperCase() + opponent.slice(1);
    out[`win${name}`] = (asX.wins + asO.wins) / n;
    out[`draw${name}`] = (asX.draws + asO.draws) / n;
    out[`loss${name}`] = (asX.losses + asO.losses) / n;
    if (opponent === "random") out.winRandomAsX = asX.winRate;
  }
  out.exhaustiveLossesX = exhaustiveCheck(act, { agentPlays: "X", keep: 0 }).losses;
  out.exhaustiveLossesO = exhaustiveCheck(act, { agentPlays: "O", keep: 0 }).losses;
  out.solved = out.exhaustiveLossesX === 0 && out.exhaustiveLossesO === 0 && out.winRandomAsX >= 0.95 ? 1 : 0;
  return out;
}
