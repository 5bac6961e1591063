/**
 * `npm run test:unit`: the inner loop (≤ 60 s on two cores). The same suite as vitest.config.ts
 * without the files that start processes (the kernel, the CLI, a server, a browser, Jupyter running
 * the notebooks), and the tests that train for long (marked `itSlow`); `npm test` runs everything, as
 * CI does.
 */
import { configDefaults, defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config";

/** Files left to `npm test`, each for the reason beside it. */
export const SLOW_TEST_FILES = [
  "tests/browser.test.ts", "tests/playground-browser.test.ts",      // Chromium
  "tests/notebooks.test.ts",                                          // Jupyter runs the notebooks
  "tests/kernel*.test.ts",                                            // kernel processes
  "tests/cli-*.test.ts", "tests/export-trl.test.ts", "tests/train-nonfinite.test.ts", // the CLI as a process
  "tests/imports.test.ts", "tests/data-out-dir.test.ts",              // child processes (node, git)
  "tests/serve-http*.test.ts", "tests/serve-fuzz.test.ts", "tests/playground-api.test.ts", // servers
  "tests/envs-vector-env-workers.test.ts",                          // worker threads stepping envs, a PPO run (18 s)
];

export default mergeConfig(base, defineConfig({
  // TSRL_UNIT=1: the long-training tests inside the fast files skip themselves (tests/slow.ts, itSlow)
  // isolate: false — a fork keeps its module cache from one test file to the next: loading TensorFlow.js
  // and lib/ once per fork instead of once per file (collect 34 s -> 9 s, the run 64 s -> 39 s on 2 quiet
  // cores). `npm test` (CI) keeps every file in a fresh module cache, so a test that leans on another
  // file's leftovers still fails there.
  test: { exclude: [...configDefaults.exclude, ...SLOW_TEST_FILES], env: { TSRL_UNIT: "1" }, poolOptions: { forks: { isolate: false } } },
}));
