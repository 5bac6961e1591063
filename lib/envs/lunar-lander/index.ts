/** LunarLander-v3 (`tsrl/envs/lunar-lander`): the environment, Gymnasium's heuristic pilot, its pictures and its registry entry. */
export * from "./lunar-lander";
export * from "./heuristic";
export * from "./render";
export { lunarLanderSpec } from "./spec";
