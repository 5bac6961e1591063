/** Teaching helpers for the notebooks: exercises that check themselves (check.ts) and their test cases (cases.ts). */
export * from "./check";
export * from "./cases";
