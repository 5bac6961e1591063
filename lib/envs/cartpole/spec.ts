/** CartPole-v1's registry entry (lib/envs/registry.ts registers it): Gymnasium's time limit and reward threshold. */
import type { EnvSpec } from "../../core/registry";
import { makeCartPole } from "./cartpole";

export const cartPoleSpec: EnvSpec<Float32Array, number> = {
  id: "CartPole-v1",
  create: (options) => makeCartPole(options),
  maxEpisodeSteps: 500,
  rewardThreshold: 475,
};
