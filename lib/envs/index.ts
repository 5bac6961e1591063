/** Importing this module registers every environment with `makeEnv`. */
import { registerEnv } from "../core/registry";
import { makeCartPole } from "./cartpole";
import { makeLunarLander } from "./lunar-lander";
import { makeTicTacToe, ticTacToeGroupStart, ticTacToeSelfPlayOptions } from "./tictactoe";
import { exhaustiveCheck, playMatches, ticTacToeReport } from "./tictactoe-analysis";
import { OPPONENT_NAMES, type OpponentName } from "./tictactoe-opponents";
import type { Side } from "./tictactoe";

registerEnv({ id: "CartPole-v1", create: (options) => makeCartPole(options), maxEpisodeSteps: 500, rewardThreshold: 475 });
registerEnv({ id: "LunarLander-v3", create: (options) => makeLunarLander(options), maxEpisodeSteps: 1000, rewardThreshold: 200 });
registerEnv({
  id: "TicTacToe-v0",
  create: (options) => makeTicTacToe(options),
  maxEpisodeSteps: 50,
  evaluate: (act, opts) => ticTacToeReport(act, opts),
  groupStart: (rng, options) => ticTacToeGroupStart(rng, options),
  selfPlayOptions: (options, draw) => ticTacToeSelfPlayOptions(options, draw) as Record<string, unknown>,
  opponents: OPPONENT_NAMES,
  sides: ["X", "O"],
  playMatches: (act, opponent, { games, side, seed }) => playMatches(act, opponent as OpponentName, { games, agentPlays: side as Side, seed }),
  exhaustive: (act, side) => exhaustiveCheck(act, { agentPlays: side as Side, keep: 0 }),
});

export * from "./cartpole";
export * from "./lunar-lander";
export * from "./tictactoe";
export * from "./tictactoe-rules";
export * from "./tictactoe-opponents";
export * from "./tictactoe-analysis";
export * from "./tictactoe-render";
export * from "./tictactoe-play";
