export * from "./returns";
export * from "./reinforce";
export * from "./evaluate";
export * from "./reinforce-checkpoint";
