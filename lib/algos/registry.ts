/**
 * The algorithm registry: every trainable algorithm, by name. `tsrl train <name>`, `tsrl eval DIR`
 * (which dispatches on the checkpoint's algorithm), checkpoint loading and the contract tests in
 * tests/algos-contract.test.ts all go through it, so a new algorithm is one module plus one line here.
 */
import { suggest } from "../core/schema";
import type { Agent, AlgorithmSpec, BaseRow } from "./agent";
import { actorCritic } from "./actor-critic";
import { grpo } from "./grpo";
import { ppo } from "./ppo";
import { reinforce } from "./reinforce";

const ALGORITHMS: readonly AlgorithmSpec[] = [
  reinforce as unknown as AlgorithmSpec,
  actorCritic as unknown as AlgorithmSpec,
  ppo as unknown as AlgorithmSpec,
  grpo as unknown as AlgorithmSpec,
];

/** Names of the registered algorithms, in registration order. */
export function algorithmNames(): string[] {
  return ALGORITHMS.map((a) => a.name);
}

/** The registered algorithm `name`; throws naming the known ones. */
export function algorithmSpec(name: string): AlgorithmSpec {
  const spec = ALGORITHMS.find((a) => a.name === name);
  if (!spec) throw new RangeError(`unknown algorithm ${JSON.stringify(name)}${suggest(name, algorithmNames()).replace(/'/g, '"')}`);
  return spec;
}

/**
 * Creates an agent of any registered algorithm: `await createAgent("reinforce", { envId: "CartPole-v1", seed: 3 })`.
 * The config is validated against the algorithm's schema (a ConfigError names the field).
 */
export async function createAgent(name: string, config: Record<string, unknown> = {}): Promise<Agent<Record<string, unknown>, BaseRow>> {
  const spec = algorithmSpec(name);
  return (await spec.create(config as never)) as unknown as Agent<Record<string, unknown>, BaseRow>;
}
