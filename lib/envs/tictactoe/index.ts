/**
 * TicTacToe-v0 (`tsrl/envs/tictactoe`): the environment, its rules, the built-in opponents, the
 * analysis (matches, the exhaustive check, the report card), boards drawn, interactive play and
 * its registry entry.
 */
export * from "./tictactoe";
export * from "./rules";
export * from "./opponents";
export * from "./analysis";
export * from "./render";
export * from "./play";
export { ticTacToeSpec } from "./spec";
