/** Importing this module registers every environment with `makeEnv`. */
import { registerEnv } from "../core/registry";
import { makeCartPole } from "./cartpole";
import { makeLunarLander } from "./lunar-lander";
import { makeTicTacToe, ticTacToeGroupStart, ticTacToeSelfPlayOptions } from "./tictactoe";
import { exhaustiveCheck, playMatches, ticTacToeReport } from "./tictactoe-analysis";
import { OPPONENT_NAMES, type OpponentName } from "./tictactoe-opponents";
import { checkTicTacToeObservation, legalMask } from "./tictactoe-rules";
import type { Side } from "./tictactoe";
import { EDIT_MAX_STEPS, editAgentGroupStart, makeEditAgent, type EditAgentOptions } from "./edit-agent";
import { editAgentReport } from "./edit-eval";
import { editDemonstrations, type EditAct } from "./edit-oracle";
import { featurizeEditObservation } from "./edit-features";
import type { EditObservation } from "./edit-actions";

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
  checkObservation: (obs) => checkTicTacToeObservation(obs),
  legalActions: (obs) => legalMask(obs),
});
// EditAgent-v0's observation is an object (lib/envs/edit-agent), so its policies act on that, not on a
// Float32Array; `featurize` gives networks the relational featuriser's flat vector (its observationSpace)
registerEnv({
  id: "EditAgent-v0",
  create: (options) => makeEditAgent(options as EditAgentOptions),
  maxEpisodeSteps: EDIT_MAX_STEPS,
  evaluate: (act, opts) => editAgentReport(act as unknown as EditAct, opts),
  groupStart: (rng, options) => editAgentGroupStart(rng, options as EditAgentOptions),
  featurize: (obs) => featurizeEditObservation(obs as EditObservation).flat,
  episodeMetrics: (info) => ({ exactMatch: info.exactMatch ? 1 : 0, edits: Number(info.edits), minimalEdits: Number(info.minimalEdits) }),
  demonstrations: (options, rng) => editDemonstrations(makeEditAgent(options as EditAgentOptions).tasks, rng),
});

export * from "./cartpole";
export * from "./lunar-lander";
export * from "./tictactoe";
export * from "./tictactoe-rules";
export * from "./tictactoe-opponents";
export * from "./tictactoe-analysis";
export * from "./tictactoe-render";
export * from "./tictactoe-play";
export * from "./edit-text";
export * from "./edit-distance";
export * from "./edit-actions";
export * from "./edit-tasks";
export * from "./edit-oracle";
export * from "./edit-features";
export * from "./edit-agent";
export * from "./edit-eval";
export { EDIT_KNOWN_WORDS, EDIT_PHRASINGS, fillPhrasing, phrasingOf, type EditSlots } from "./edit-phrasings";
export { FUNCTION_WORDS as EDIT_FUNCTION_WORDS, HELDOUT_VOCAB as EDIT_HELDOUT_VOCAB, TRAIN_VOCAB as EDIT_TRAIN_VOCAB, type EditVocabulary } from "./edit-vocab";
export { DEFAULT_EDIT_SEED, DEFAULT_EDIT_SIZES, generateEditDatasets, type GenerateEditOptions } from "./edit-generator";
