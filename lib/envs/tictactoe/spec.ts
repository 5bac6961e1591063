/**
 * TicTacToe-v0's registry entry (lib/envs/registry.ts registers it): its report card (win/draw/loss
 * rates and the exhaustive proof, ./analysis.ts), GRPO's group start (the agent's side), the request
 * checks servers use (./rules.ts), and the two-player hooks — the built-in opponents, self-play
 * against frozen snapshots, matches and the exhaustive check — that actor-critic and `tsrl eval` use.
 */
import type { EnvSpec } from "../../core/registry";
import { exhaustiveCheck, playMatches, ticTacToeReport } from "./analysis";
import { OPPONENT_NAMES, type OpponentName } from "./opponents";
import { checkTicTacToeObservation, legalMask } from "./rules";
import { makeTicTacToe, ticTacToeGroupStart, ticTacToeSelfPlayOptions, type Side } from "./tictactoe";

export const ticTacToeSpec: EnvSpec<Float32Array, number> = {
  id: "TicTacToe-v0",
  create: (options) => makeTicTacToe(options),
  maxEpisodeSteps: 50,
  evaluate: (act, opts) => ticTacToeReport(act, opts),
  episodes: { groupStart: (rng, options) => ticTacToeGroupStart(rng, options) },
  observation: { check: (obs) => checkTicTacToeObservation(obs), legalActions: (obs) => legalMask(obs) },
  twoPlayer: {
    opponents: OPPONENT_NAMES,
    sides: ["X", "O"],
    selfPlayOptions: (options, draw) => ticTacToeSelfPlayOptions(options, draw) as Record<string, unknown>,
    playMatches: (act, opponent, { games, side, seed }) => playMatches(act, opponent as OpponentName, { games, agentPlays: side as Side, seed }),
    exhaustive: (act, side) => exhaustiveCheck(act, { agentPlays: side as Side, keep: 0 }),
  },
};
