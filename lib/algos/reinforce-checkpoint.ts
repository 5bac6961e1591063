/**
 * REINFORCE agents on disk: the checkpoint layout (lib/data) filled with this algorithm's config
 * and weights, and a loader that rebuilds an acting policy and checks every tensor's name and shape.
 */
import { CheckpointError, checkpointConfig, loadCheckpoint, saveCheckpoint } from "../data/checkpoint";
import { makeEnv } from "../core/registry";
import { flatSize } from "../core/spaces";
import { greedyAction, sampleAction } from "../nn/categorical";
import { createFastMlp, setFastMlpWeights } from "../nn/fast-forward";
import { layerNames, layerSizes, type MlpSpec } from "../nn/mlp";
import type { ActFn } from "./evaluate";
import { reinforceConfig, type ReinforceAgent, type ReinforceConfig, type ReinforceResult } from "./reinforce";

export const REINFORCE_ALGORITHM = "reinforce";

/** Writes config.json (algorithm, env, hyperparameters, result), model.safetensors and metrics.csv. */
export function saveReinforceCheckpoint(dir: string, agent: ReinforceAgent, result?: ReinforceResult): string {
  const summary = result ? Object.fromEntries(Object.entries(result).filter(([k]) => k !== "metrics")) : undefined;
  return saveCheckpoint(dir, {
    config: checkpointConfig({
      algorithm: REINFORCE_ALGORITHM,
      env: agent.config.envId,
      hyperparameters: { ...agent.config },
      result: summary,
      metrics: agent.metrics as unknown as Record<string, number>[],
    }),
    tensors: agent.weights(),
    metrics: agent.metrics as unknown as Record<string, number>[],
  });
}

/** Tensor name → shape for a REINFORCE agent with this config on an env with these sizes. */
export function reinforceShapes(config: ReinforceConfig, obsSize: number, nActions: number): Record<string, number[]> {
  const shapes: Record<string, number[]> = {};
  const add = (name: string, spec: MlpSpec) => {
    const sizes = layerSizes(spec);
    for (let l = 0; l + 1 < sizes.length; l++) {
      const { w, b } = layerNames(name, l);
      shapes[w] = [sizes[l], sizes[l + 1]];
      shapes[b] = [sizes[l + 1]];
    }
  };
  const spec = (out: number): MlpSpec => ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: out, activation: config.activation });
  add("policy", spec(nActions));
  if (config.baseline === "value") add("value", spec(1));
  return shapes;
}

export interface LoadedPolicy {
  dir: string;
  config: ReinforceConfig;
  envId: string;
  /** Acts with the checkpoint's policy (typed-array forward; no tfjs needed). */
  act: ActFn;
}

/** Loads a REINFORCE checkpoint; throws CheckpointError naming what is missing, unknown or mis-shaped. */
export function loadReinforcePolicy(dir: string): LoadedPolicy {
  // first pass without shape expectations: we need config.json to know the shapes
  const head = loadCheckpoint(dir, { metrics: false });
  const algorithm = head.config.algorithm;
  if (algorithm !== REINFORCE_ALGORITHM) {
    throw new CheckpointError(head.dir, `config.json algorithm is ${JSON.stringify(algorithm)}, expected "${REINFORCE_ALGORITHM}"`);
  }
  let config: ReinforceConfig;
  try {
    config = reinforceConfig(head.config.hyperparameters as Partial<ReinforceConfig>);
  } catch (err) {
    throw new CheckpointError(head.dir, `config.json hyperparameters: ${(err as Error).message}`);
  }
  let env;
  try {
    env = makeEnv<Float32Array, number>(config.envId);
  } catch (err) {
    throw new CheckpointError(head.dir, `config.json env: ${(err as Error).message}`);
  }
  if (env.actionSpace.kind !== "discrete") throw new CheckpointError(head.dir, `env ${config.envId} has a ${env.actionSpace.kind} action space; REINFORCE checkpoints need a discrete one`);
  const obsSize = flatSize(env.observationSpace), nActions = env.actionSpace.n;
  const expect = reinforceShapes(config, obsSize, nActions);
  const loaded = loadCheckpoint(dir, { expect, metrics: false });
  const policy = createFastMlp({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: nActions, activation: config.activation });
  setFastMlpWeights(policy, "policy", loaded.tensors);
  const act: ActFn = (obs, { greedy, rng }) => {
    const logits = policy.forward(obs, 1);
    return greedy ? greedyAction(logits, 0, nActions) : sampleAction(logits, 0, nActions, rng);
  };
  return { dir: loaded.dir, config, envId: config.envId, act };
}
