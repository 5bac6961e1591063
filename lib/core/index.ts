export * from "./rng";
export * from "./spaces";
export * from "./env";
export * from "./vector-env";
export * from "./registry";
export * from "./wrappers";
export * from "./abort";
