/**
 * tsrl's public API. Notebooks, scripts, the CLI and the tests import from here:
 *
 *   import { makeEnv, trainReinforce, show, learningCurve } from "tsrl";
 *
 * Importing it registers the environments with `makeEnv`.
 */
import * as tf from "@tensorflow/tfjs";

export { tf };
export * from "./core";
export * from "./envs";
export * from "./nn";
export * from "./algos";
export * from "./viz";
export * from "./data";
export { isQuick, budget } from "./quick";
