export * from "./backend";
export * from "./mlp";
export * from "./categorical";
export * from "./fast-forward";
export { installWasmKernelFixes } from "./wasm-kernels";
export * from "./edit-policy";
