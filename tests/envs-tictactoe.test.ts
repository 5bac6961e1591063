import { describe, expect, it } from "vitest";
import { makeEnv } from "../lib/envs/registry";
import { createRng } from "../lib/core/rng";
import {
  LINES, bestMoves, exhaustiveCheck, fromPointOfView, greedyOpponent, isFork, makeTicTacToe, minimaxOpponent, minimaxValue,
  outcome, playMatches, randomOpponent, ticTacToeGroupStart, ticTacToeSelfPlayOptions, winner, winningMoves, type MaskedAct, type TicTacToeOpponent,
} from "../lib/envs";

/** An opponent that plays a fixed list of cells, in order. */
const scripted = (cells: number[]): TicTacToeOpponent => {
  let k = 0;
  return () => cells[k++];
};
const board = (s: string) => Int8Array.from(s.replace(/\s/g, ""), (c) => (c === "X" ? 1 : c === "O" ? -1 : 0));

describe("Tic-Tac-Toe rules", () => {
  it("every one of the 8 lines wins, for X and for O", () => {
    expect(LINES).toHaveLength(8);
    for (const line of LINES) {
      for (const mark of [1, -1] as const) {
        const b = new Int8Array(9);
        for (const i of line) b[i] = mark;
        expect(winner(b)).toBe(mark);
      }
    }
    expect(winner(board("XX. OO. ..."))).toBe(0);
    expect(outcome(board("XOX XOO OXX"))).toBe("draw");
    expect(outcome(board("XOX .O. ..."))).toBeUndefined();
  });

  it("winning moves and forks", () => {
    expect(winningMoves(board("XX. OO. ..."), 1)).toEqual([2]);
    expect(winningMoves(board("XX. OO. ..."), -1)).toEqual([5]);
    expect(isFork(board("X.. .X. ..O"), 1)).toBe(false); // one threat (the diagonal is blocked by O)
    expect(isFork(board("X.X .O. ..."), 1)).toBe(false); // only the top row
    expect(isFork(board("X.X ... X.O"), 1)).toBe(true); // top row and left column
  });

  it("the observation is the board from the mover's point of view", () => {
    expect(Array.from(fromPointOfView(board("XO. ... ..."), -1))).toEqual([-1, 1, 0, 0, 0, 0, 0, 0, 0]);
  });
});

describe("TicTacToe-v0", () => {
  it("plays a game: masks, the opponent's replies, the win reward, termination", () => {
    const env = makeTicTacToe({ opponent: scripted([3, 4]), agentPlays: "X" });
    let { obs, info } = env.reset({ seed: 0 });
    expect(Array.from(obs)).toEqual(new Array(9).fill(0));
    expect(Array.from(info.actionMask)).toEqual(new Array(9).fill(1));
    let r = env.step(0);
    expect(r.info.opponentMove).toBe(3);
    expect(Array.from(r.obs)).toEqual([1, 0, 0, -1, 0, 0, 0, 0, 0]);
    expect(Array.from(r.info.actionMask)).toEqual([0, 1, 1, 0, 1, 1, 1, 1, 1]);
    expect(r.reward).toBe(0);
    r = env.step(1);
    r = env.step(2); // top row
    expect(r).toMatchObject({ reward: 1, terminated: true, truncated: false });
    expect(r.info.outcome).toBe("X");
    expect(() => env.step(5)).toThrow(/after the episode ended/);
  });

  it("as O: the opponent opens inside reset; a loss costs −1 and a draw 0", () => {
    const env = makeTicTacToe({ opponent: scripted([0, 1, 2]), agentPlays: "O" });
    const { obs, info } = env.reset({ seed: 0 });
    expect(info.opponentMove).toBe(0);
    expect(Array.from(obs)).toEqual([-1, 0, 0, 0, 0, 0, 0, 0, 0]);
    env.step(4);
    const r = env.step(8); // X completes the top row
    expect(r).toMatchObject({ reward: -1, terminated: true });
    expect(r.info.outcome).toBe("X");
    // a draw: X: 0 2 3 7 8, O (agent): 4 1 5 6
    const drawEnv = makeTicTacToe({ opponent: scripted([0, 2, 3, 7, 8]), agentPlays: "O" });
    drawEnv.reset({ seed: 0 });
    let last;
    for (const a of [4, 1, 5, 6]) last = drawEnv.step(a);
    expect(last!.info.outcome).toBe("draw");
    expect(last!.reward).toBe(0);
  });

  it("reward shaping: the centre bonus, the fork bonus and the win add up on one step", () => {
    const rewards = { win: 10, draw: 0.5, loss: -10, centerBonus: 0.25, forkBonus: 2, illegalPenalty: -3 };
    const env = makeTicTacToe({ opponent: scripted([1, 7, 3]), agentPlays: "X", rewards });
    env.reset({ seed: 0 });
    expect(env.step(4).reward).toBe(0.25); // centre
    // X: 4, 0 — threatens 8 (diagonal) only: no fork
    expect(env.step(0).reward).toBe(0);
    // X takes 8? O's scripted reply went to 7; board X:4,0 O:1,7. X plays 6: threats 2 (diag 2-4-6) and 3 (col 0-3-6) → fork
    expect(env.step(6).reward).toBe(2);
    const win = env.step(2); // diagonal 2-4-6
    expect(win.reward).toBe(10);
  });

  it("illegal moves: 'end' forfeits with the penalty; 'retry' keeps the board", () => {
    const end = makeTicTacToe({ opponent: scripted([4]), agentPlays: "X", rewards: { illegalPenalty: -5 } });
    end.reset({ seed: 0 });
    end.step(0);
    const r = end.step(4); // taken by the opponent
    expect(r).toMatchObject({ reward: -5, terminated: true });
    expect(r.info).toMatchObject({ illegal: true, outcome: "forfeit" });
    const retry = makeTicTacToe({ opponent: scripted([4, 8]), agentPlays: "X", illegalMove: "retry" });
    retry.reset({ seed: 0 });
    retry.step(0);
    const before = Array.from(retry.board);
    const again = retry.step(0);
    expect(again).toMatchObject({ reward: -1, terminated: false });
    expect(again.info.illegal).toBe(true);
    expect(Array.from(retry.board)).toEqual(before);
    expect(retry.step(1).info.opponentMove).toBe(8);
  });

  it("rejects non-cells and bad options, naming them", () => {
    const env = makeTicTacToe();
    expect(() => env.step(0)).toThrow(/before reset/);
    env.reset({ seed: 1 });
    for (const bad of [9, -1, 2.5, NaN, "4"]) expect(() => env.step(bad as number)).toThrow(/invalid action .* expected an integer cell 0\.\.8/);
    expect(() => makeTicTacToe({ opponent: "perfect" as never })).toThrow(/opponent must be one of "random", "greedy", "minimax"/);
    expect(() => makeTicTacToe({ rewards: { win: NaN } })).toThrow(/reward win must be a finite number/);
    expect(() => makeTicTacToe({ agentPlays: "Y" as never })).toThrow(/agentPlays/);
    expect(() => makeTicTacToe({ oponent: "random" } as never)).toThrow(/unknown option 'oponent'/);
    const cheat = makeTicTacToe({ opponent: () => 0, agentPlays: "X" });
    cheat.reset({ seed: 0 });
    expect(() => cheat.step(0)).toThrow(/the opponent chose cell 0, which is not a free cell/);
  });

  it("makeEnv builds it with options; seeds reproduce the side and the opponent's games", () => {
    const play = (seed: number) => {
      const env = makeEnv("TicTacToe-v0", { options: { opponent: "random" } });
      const sides: string[] = [], moves: number[] = [];
      for (let e = 0; e < 20; e++) {
        let { info } = env.reset(e === 0 ? { seed } : {});
        sides.push(String(info.agentPlays));
        for (let done = false; !done;) {
          const a = (info.actionMask as Uint8Array).indexOf(1);
          const r = env.step(a);
          if (r.info.opponentMove !== undefined) moves.push(r.info.opponentMove as number);
          info = r.info;
          done = r.terminated || r.truncated;
        }
      }
      return { sides, moves };
    };
    expect(play(3)).toEqual(play(3));
    expect(play(3)).not.toEqual(play(4));
    expect(new Set(play(3).sides)).toEqual(new Set(["X", "O"]));
  });
});

describe("starting positions (GRPO group starts)", () => {
  it("reset from a mid-game board: the agent plays the side to move; bad boards are named", () => {
    const env = makeTicTacToe({ opponent: "minimax" });
    const { obs, info } = env.reset({ seed: 0, options: { board: [1, -1, 0, 0, 1, 0, 0, 0, 0] } });
    expect(info.agentPlays).toBe("O");
    expect(Array.from(obs)).toEqual([-1, 1, 0, 0, -1, 0, 0, 0, 0]);
    expect(env.step(8).reward).toBe(0); // O must block the diagonal
    expect(() => env.reset({ options: { board: [1, 1, 0, 0, 0, 0, 0, 0, 0] } })).toThrow(/2 X and 0 O/);
    expect(() => env.reset({ options: { board: [1, 1, 1, -1, -1, 0, 0, 0, 0] } })).toThrow(/already over \(X\)/);
    expect(() => env.reset({ options: { board: [2, 0, 0, 0, 0, 0, 0, 0, 0] } })).toThrow(/9 cells of 1 \(X\), -1 \(O\) or 0/);
    expect(() => env.reset({ options: { board: [1, 0, 0, 0, 0, 0, 0, 0, 0], agentPlays: "X" } })).toThrow(/play X, but O is to move/);
  });

  it("a group start fixes the position or side, and one opponent from the mixture", () => {
    const rng = createRng(5);
    const starts = Array.from({ length: 200 }, () => ticTacToeGroupStart(rng, { opponent: { random: 1, minimax: 1 } }));
    expect(starts.filter((s) => s.board).length).toBeGreaterThan(60);
    expect(starts.filter((s) => s.agentPlays).length).toBeGreaterThan(60);
    expect(new Set(starts.map((s) => s.opponent))).toEqual(new Set(["random", "minimax"]));
    for (const s of starts.filter((x) => x.board)) expect(outcome(s.board as number[])).toBeUndefined();
    // every episode reset with the same start sees the same position and opponent kind
    const env = makeTicTacToe({ opponent: "random" });
    const boardStart = starts.find((s) => s.board)!;
    expect(Array.from(env.reset({ seed: 1, options: boardStart }).info.board)).toEqual(boardStart.board);
  });
});

describe("exploring starts and self-play", () => {
  it("exploringStarts: about that share of episodes begins mid-game, the agent on the side to move", () => {
    const env = makeTicTacToe({ opponent: "random", exploringStarts: 0.5 });
    let mid = 0;
    for (let e = 0; e < 400; e++) {
      const { info } = env.reset({ seed: e });
      const marks = Array.from(info.board).filter((c) => c !== 0).length;
      const agentMark = info.agentPlays === "X" ? 1 : -1;
      // the agent is to move: X when the counts are equal
      const xs = Array.from(info.board).filter((c) => c === 1).length, os = Array.from(info.board).filter((c) => c === -1).length;
      expect(xs === os ? 1 : -1).toBe(agentMark);
      if (marks > 1 || (marks === 1 && info.opponentMove === undefined)) mid++;
    }
    expect(mid).toBeGreaterThan(150);
    expect(mid).toBeLessThan(250);
    expect(() => makeTicTacToe({ exploringStarts: 2 })).toThrow(/exploringStarts must be a probability/);
  });

  it("self-play options: each game asks for an opponent once, and a snapshot plays the whole game", () => {
    let draws = 0;
    const firstFree: MaskedAct = (_obs, { mask }) => mask!.indexOf(1);
    const options = ticTacToeSelfPlayOptions({ opponent: "minimax", agentPlays: "X" }, () => (++draws % 2 === 1 ? firstFree : undefined));
    const env = makeTicTacToe(options);
    const games: number[][] = [];
    for (let g = 0; g < 4; g++) {
      let { obs, info } = env.reset({ seed: g });
      const opp: number[] = [];
      for (;;) {
        const r = env.step(bestMoves(Int8Array.from(obs), 1)[0]);
        if (r.info.opponentMove !== undefined) opp.push(r.info.opponentMove);
        ({ obs, info } = r);
        if (r.terminated) break;
      }
      void info;
      games.push(opp);
    }
    expect(draws).toBe(4);
    // X opens in the corner (cell 0). Games 1 and 3 are against the snapshot, which takes the first
    // free cell (1); games 2 and 4 against minimax, whose only reply that does not lose is the centre
    expect([games[0][0], games[1][0], games[2][0], games[3][0]]).toEqual([1, 4, 1, 4]);
  });
});

describe("an opponent mixture", () => {
  it("draws one opponent per game by weight (minimax never loses; random often does)", () => {
    const env = makeTicTacToe({ opponent: { random: 1, minimax: 1 }, agentPlays: "X" });
    const perfectX: MaskedAct = (obs) => bestMoves(Int8Array.from(obs), 1)[0];
    let draws = 0, wins = 0;
    for (let g = 0; g < 200; g++) {
      let { obs, info } = env.reset({ seed: g });
      for (;;) {
        const r = env.step(perfectX(obs, { greedy: true, rng: createRng(0), mask: info.actionMask }));
        ({ obs, info } = r);
        if (r.terminated) break;
      }
      if (info.outcome === "draw") draws++;
      else if (info.outcome === "X") wins++;
    }
    // perfect play draws against minimax and almost always beats random: both kinds of game occur
    expect(wins).toBeGreaterThan(60);
    expect(draws).toBeGreaterThan(60);
    expect(wins + draws).toBe(200);
    expect(() => makeTicTacToe({ opponent: { perfect: 1 } as never })).toThrow(/mixture names 'perfect'/);
    expect(() => makeTicTacToe({ opponent: { random: 0 } })).toThrow(/no positive weight/);
  });
});

describe("opponents", () => {
  const rng = createRng(0);
  it("greedy takes a win before it blocks, and blocks before it plays at random", () => {
    expect(greedyOpponent(board("OO. XX. X.."), -1, rng)).toBe(2); // O can win at 2 (and must not block 5 instead)
    expect(greedyOpponent(board("X.. XO. ..."), -1, rng)).toBe(6); // block the left column
    for (let k = 0; k < 20; k++) expect(board("XO. ... ...")[randomOpponent(board("XO. ... ..."), 1, rng)]).toBe(0);
  });

  it("minimax: the empty board is a draw; it finds wins and never plays a losing move", () => {
    expect(minimaxValue(new Int8Array(9), 1)).toBe(0);
    expect(bestMoves(board("XX. OO. ..."), 1)).toEqual([2]);
    expect(bestMoves(board("X.. ... ..."), -1)).toEqual([4]); // the only reply to a corner that does not lose
  });

  it("minimax never loses, as X or as O: checked over every game any opponent can play against it", () => {
    // as a greedy policy: random among equally good moves is still always one of the best moves
    const perfect: MaskedAct = (obs) => bestMoves(Int8Array.from(obs), 1)[0];
    for (const side of ["X", "O"] as const) {
      const r = exhaustiveCheck(perfect, { agentPlays: side });
      expect(r.losses, `minimax as ${side}`).toBe(0);
      expect(r.games).toBeGreaterThan(side === "X" ? 50 : 100);
    }
    // and sampled: 300 games against greedy and random, each side
    const sampled: MaskedAct = (obs, { rng: r }) => minimaxOpponent(Int8Array.from(obs), 1, r);
    for (const opp of ["random", "greedy", "minimax"] as const) {
      for (const side of ["X", "O"] as const) expect(playMatches(sampled, opp, { games: 300, agentPlays: side, greedy: false }).losses).toBe(0);
    }
  });
});

describe("exhaustive check", () => {
  it("finds the reachable losses of a deliberately weak policy (always the lowest free cell)", () => {
    const lowest: MaskedAct = (_obs, { mask }) => mask!.indexOf(1);
    const asX = exhaustiveCheck(lowest, { agentPlays: "X" });
    expect(asX.losses).toBeGreaterThan(0);
    expect(asX.wins + asX.draws + asX.losses).toBe(asX.games);
    // each reported losing game really is one: replay it
    for (const game of asX.losingGames) {
      const b = new Int8Array(9);
      game.forEach((cell, k) => (b[cell] = k % 2 === 0 ? 1 : -1));
      expect(winner(b)).toBe(-1);
    }
    // O's first move is the lowest free cell too: one forced line for X beats it quickly (e.g. X 4, O 0, X 8, O 1, X 2)
    expect(exhaustiveCheck(lowest, { agentPlays: "O" }).losses).toBeGreaterThan(0);
  });

  it("a policy that picks an occupied cell is named, with the board", () => {
    expect(() => exhaustiveCheck(() => 0, { agentPlays: "O" })).toThrow(/the policy chose cell 0, not a free cell/);
  });
});
