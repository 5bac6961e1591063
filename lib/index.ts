/**
 * tsrl's public API. Notebooks, scripts, the CLI and the tests import from here:
 *
 *   import { makeEnv, createAgent, show, learningCurve } from "tsrl";
 *
 * Importing it has no side effect a user would notice: the environments are known to `makeEnv`
 * whether or not lib/envs was imported, and the TensorFlow.js backend is only chosen by
 * `initBackend()` (which agents call), never switched by an import.
 */
import * as tf from "@tensorflow/tfjs";

export { tf };
export * from "./core";
export * from "./envs";
export * from "./nn";
export * from "./algos";
export * from "./viz";
export * from "./data";
export * from "./teach";
export { isQuick, budget } from "./quick";
export * from "./nn/gpt2";
export * from "./lm";
