/** The environments (`tsrl/envs`): `makeEnv` with the built-in ones registered (./registry.ts), and each family's own face. */
export * from "./registry";
export * from "./cartpole";
export * from "./lunar-lander";
export * from "./tictactoe";
export * from "./edit";
