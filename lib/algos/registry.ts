/**
 * The algorithm registry: every trainable algorithm, by name, and every pair `tsrl train
 * <algorithm> <env>` runs. `tsrl train`, `tsrl eval DIR` (which dispatches on the checkpoint's
 * algorithm), checkpoint loading and the contract tests in tests/algos-contract.test.ts all go
 * through it, so a new algorithm is one module plus one line here.
 *
 *   agent algorithms   reinforce, actor-critic, ppo, grpo — on any environment of the env registry
 *                      (each module's `defineAlgorithm` entry)
 *   other pairs        grpo on GPT2 — GRPO for language models on a GPT-2 directory (./grpo-gpt2.ts)
 *
 * A pair resolves to the first trainer of that name that accepts the env: the specific pairs first.
 */
import { suggest } from "../core/schema";
import { actorCritic } from "./actor-critic";
import type { Agent, AgentAlgorithm, AgentConfig, BaseRow } from "./agent";
import { openAgent, openPolicy, type AlgorithmLookup, type LoadAgentOptions, type LoadedPolicy } from "./checkpoint";
import { grpo } from "./grpo";
import { grpoEpisodesTrainer } from "./grpo-episodes-trainer";
import { grpoGpt2 } from "./grpo-gpt2";
import { ppo } from "./ppo";
import { reinforce } from "./reinforce";
import { agentTrainer, type Trainer } from "./trainer";

const ALGORITHMS: readonly AgentAlgorithm[] = [reinforce, actorCritic, ppo, grpo];

const LOOKUP: AlgorithmLookup = { find: (name) => ALGORITHMS.find((a) => a.name === name), names: () => algorithmNames() };

/** Every pair `tsrl train` knows, the more specific first. */
const TRAINERS: readonly Trainer[] = [grpoGpt2, grpoEpisodesTrainer, ...ALGORITHMS.map((a) => agentTrainer(a, LOOKUP))];

/** Names of the registered (agent) algorithms, in registration order. */
export function algorithmNames(): string[] {
  return ALGORITHMS.map((a) => a.name);
}

/** The registered algorithm `name`; throws naming the known ones. */
export function algorithmSpec(name: string): AgentAlgorithm {
  const spec = LOOKUP.find(name);
  if (!spec) throw new RangeError(`unknown algorithm ${JSON.stringify(name)}${suggest(name, algorithmNames()).replace(/'/g, '"')}`);
  return spec;
}

/**
 * Creates an agent of any registered algorithm: `await createAgent("reinforce", { envId: "CartPole-v1", seed: 3 })`.
 * The config is validated against the algorithm's schema (a ConfigError names the field).
 */
export async function createAgent(name: string, config: Record<string, unknown> = {}): Promise<Agent<AgentConfig, BaseRow>> {
  return algorithmSpec(name).create(config);
}

/** Loads a checkpoint of any registered algorithm as an acting policy; throws CheckpointError naming what is missing, unknown, mis-shaped or not finite. */
export function loadPolicy(dir: string, opts: LoadAgentOptions = {}): LoadedPolicy {
  return openPolicy(dir, LOOKUP, opts);
}

/**
 * Rebuilds a trainable agent from a checkpoint of any registered algorithm: same algorithm and
 * config, the saved weights; with `resume: true` its training state too (train() continues the run).
 * `config` overrides fields of the saved config (e.g. a larger budget); the env id cannot change.
 */
export function loadAgent(dir: string, opts: LoadAgentOptions & { config?: Record<string, unknown> } = {}): Promise<Agent<AgentConfig, BaseRow>> {
  return openAgent(dir, LOOKUP, opts);
}

/** The trainers of `algorithm` (one per kind of pair it has), most specific first; empty when unknown. */
export function trainersOf(algorithm: string): Trainer[] {
  return TRAINERS.filter((t) => t.algorithm === algorithm);
}

/** What `tsrl train <algorithm> <env>` runs; throws naming the known algorithms or what the algorithm trains on. */
export function trainerFor(algorithm: string, envId: string): Trainer {
  const named = trainersOf(algorithm);
  if (named.length === 0) throw new RangeError(`unknown algorithm ${JSON.stringify(algorithm)}; expected one of ${algorithmNames().join(", ")}`);
  const trainer = named.find((t) => t.accepts(envId));
  if (!trainer) throw new RangeError(`${algorithm} does not train on ${JSON.stringify(envId)}; it trains on ${named.map((t) => t.trainsOn).join(" or ")}`);
  return trainer;
}
