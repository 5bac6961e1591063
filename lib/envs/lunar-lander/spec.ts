/** LunarLander-v3's registry entry (lib/envs/registry.ts registers it): Gymnasium's time limit and reward threshold. */
import type { EnvSpec } from "../../core/registry";
import { makeLunarLander } from "./lunar-lander";

export const lunarLanderSpec: EnvSpec<Float32Array, number> = {
  id: "LunarLander-v3",
  create: (options) => makeLunarLander(options),
  maxEpisodeSteps: 1000,
  rewardThreshold: 200,
};
