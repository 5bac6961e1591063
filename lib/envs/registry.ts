/**
 * The built-in environments, registered: import `makeEnv` (and friends) from here and CartPole-v1,
 * LunarLander-v3, TicTacToe-v0 and EditAgent-v0 are known, with the policy network EditAgent-v0
 * brings (GRPO's `net: "edit"`). lib/core/registry.ts is the mechanism; each family's entry is its
 * own folder's spec.ts. Importing this module registers them, once per process.
 */
import { registerEnv } from "../core/registry";
import { registerPolicyNet } from "../nn/policy-nets";
import { cartPoleSpec } from "./cartpole/spec";
import { EDIT_POLICY_NET } from "./edit/policy-net";
import { editAgentSpec } from "./edit/spec";
import { lunarLanderSpec } from "./lunar-lander/spec";
import { ticTacToeSpec } from "./tictactoe/spec";

registerEnv(cartPoleSpec);
registerEnv(lunarLanderSpec);
registerEnv(ticTacToeSpec);
registerEnv(editAgentSpec);
registerPolicyNet("edit", EDIT_POLICY_NET);

export { envSpec, makeEnv, makeVectorEnv, registerEnv, registeredEnvs } from "../core/registry";
