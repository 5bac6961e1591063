export * from "./backend";
export * from "./optim";
export * from "./policy-nets";
export * from "./mlp/mlp";
export * from "./categorical";
export * from "./mlp/fast-forward";
export { installWasmKernelFixes } from "./wasm-kernels";
