/**
 * tsrl's public API is named one by one in lib/index.ts (≤ 150 values). This pins the list: a name
 * added to or dropped from `tsrl` fails here until the list below changes with it, so the API cannot
 * silently regrow into "everything". Internals stay reachable at `tsrl/<folder>/<module>` and each
 * environment family at `tsrl/envs/<family>`.
 */
import { describe, expect, it } from "vitest";

/** The values `import { … } from "tsrl"` gives (types are not counted: they cost nothing at run time). */
const PUBLIC_API = [
  "ADVANTAGE_EPS", "InvalidActionError", "actorCriticAdvantages", "actorCriticConfig", "actorCriticUpdate",
  "algorithmNames", "backendInfo", "barChart", "baselineAdvantages", "box", "budget", "cartPoleStates",
  "checkAll", "checkFunction", "checkThat", "checkValue", "clipByGlobalNorm", "clippedSurrogate",
  "collectEpisodes", "collectSteps", "computeGae", "concat", "createActorCriticAgent", "createAdam",
  "createAgent", "createDiscretePolicy", "createGrpoAgent", "createGrpoLmTrainer", "createMetricsLog",
  "createMlp", "createPolicyNet", "createPpoAgent", "createPpoNets", "createReinforceAgent", "createRng",
  "datasetsDir", "diffView", "discrete", "display", "entropyOfLogProbs", "envSpec", "evaluatePolicy",
  "explainedVariance", "figsDir", "frozenPolicyNet", "groupAdvantages", "grpoAdvantages", "grpoConfig",
  "grpoLmConfig", "grpoLmLoss", "grpoRollout", "grpoUpdate", "histogram", "initBackend", "isQuick", "klK3",
  "layer", "learningCurve", "lineChart", "liveChart", "lmGroupAdvantages", "loadAgent", "loadMetrics",
  "loadPolicy", "logProbsUnder", "logSoftmax", "makeEnv", "makeVectorEnv", "meanStd", "minimize", "nextValues", "pickLogProb",
  "ppoAdvantages", "ppoConfig", "ppoLoss", "ppoPolicyLoss", "ppoUpdate", "ppoValueLoss", "progress",
  "rankAdvantages", "readCsv", "registerEnv", "registeredEnvs", "reinforceConfig", "reinforceLoss",
  "reinforceUpdate", "rewardToGo", "rewardToGoCases", "ruleY", "runsDir", "save", "saveAgent",
  "scatterChart", "seedBand", "show", "showAnimation", "showSvg", "standardize", "standardizeCases",
  "startRollout", "syntheticPpoMinibatch", "table", "tf", "trackWork", "writeCsv",
];

describe("the public API", () => {
  it("is exactly the pinned names, at most 150 values", async () => {
    const api = await import("../lib/index");
    const names = Object.keys(api).sort();
    expect(names).toEqual([...PUBLIC_API].sort());
    expect(names.length).toBeLessThanOrEqual(150);
  });

  it("reaches each environment family through its own subpath", async () => {
    const families = await Promise.all([
      import("../lib/envs/cartpole"), import("../lib/envs/tictactoe"), import("../lib/envs/lunar-lander"), import("../lib/envs/edit"),
    ]);
    expect(families.map((f) => Object.keys(f).filter((k) => k.endsWith("Spec")))).toEqual([
      ["cartPoleSpec"], ["ticTacToeSpec"], ["lunarLanderSpec"], ["editAgentSpec"],
    ]);
  });
});
