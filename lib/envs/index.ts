/** Importing this module registers every environment with `makeEnv`. */
import { registerEnv } from "../core/registry";
import { makeCartPole } from "./cartpole";

registerEnv({ id: "CartPole-v1", create: (options) => makeCartPole(options), maxEpisodeSteps: 500, rewardThreshold: 475 });

export * from "./cartpole";
