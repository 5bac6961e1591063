/** CartPole-v1 (`tsrl/envs/cartpole`): the environment, Gymnasium's physics, its pictures and its registry entry. */
export * from "./cartpole";
export * from "./physics";
export * from "./render";
export { cartPoleSpec } from "./spec";
