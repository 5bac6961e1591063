/** Importing this module registers every environment with `makeEnv`. */
import { registerEnv } from "../core/registry";
import { makeCartPole } from "./cartpole";
import { makeLunarLander } from "./lunar-lander";
import { makeTicTacToe, ticTacToeGroupStart } from "./tictactoe";
import { ticTacToeReport } from "./tictactoe-analysis";

registerEnv({ id: "CartPole-v1", create: (options) => makeCartPole(options), maxEpisodeSteps: 500, rewardThreshold: 475 });
registerEnv({ id: "LunarLander-v3", create: (options) => makeLunarLander(options), maxEpisodeSteps: 1000, rewardThreshold: 200 });
registerEnv({
  id: "TicTacToe-v0",
  create: (options) => makeTicTacToe(options),
  maxEpisodeSteps: 50,
  evaluate: (act, opts) => ticTacToeReport(act, opts),
  groupStart: (rng, options) => ticTacToeGroupStart(rng, options),
});

export * from "./cartpole";
export * from "./lunar-lander";
export * from "./tictactoe";
export * from "./tictactoe-rules";
export * from "./tictactoe-opponents";
export * from "./tictactoe-analysis";
export * from "./tictactoe-render";
