/**
 * Policy networks an algorithm can train, by name (GRPO's `net` field): what the update
 * differentiates, what acts, what a checkpoint holds. Each reads flat observation rows — the env's
 * own, or its featurised ones (lib/core/registry's `observation.featurize`) — and gives logits over
 * the discrete actions.
 *
 *   mlp    an MLP on the flat observation (hiddenSizes, activation): ./mlp/mlp.ts, ./mlp/policy.ts — built in
 *   edit   the edit agent's pointer network (lib/envs/edit/policy-net.ts), registered with EditAgent-v0
 *
 * An environment that brings its own network registers its kind here (lib/envs/registry.ts does it
 * for the built-in ones), so the algorithms never name an environment's network themselves.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { mlpShapes, mlpWeights, setMlpWeights, type Activation, type MlpSpec, type NamedTensors } from "./mlp/mlp";
import { createDiscretePolicy, policyFromWeights, type PickAction } from "./mlp/policy";

/** The fields of an algorithm's config a network is built from. */
export interface PolicyNetConfig {
  net: string;
  hiddenSizes: number[];
  activation: Activation;
}

/** A policy an algorithm trains: differentiable logits for the loss, typed-array logits and actions for rollouts. */
export interface TrainablePolicy {
  readonly obsSize: number;
  readonly nActions: number;
  /** Trainable variables by name (the checkpoint's names). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Logits [rows, nActions] of `rows` flat observations, as a tensor (call inside tf.tidy); `train` turns dropout on where the net has it. */
  forward(obs: Float32Array, rows: number, train?: { dropout: number; seed: number }): tf.Tensor2D;
  /** Logits for acting, [rows, nActions] row-major (the buffer may be reused by the next call). */
  logits(obs: Float32Array, rows: number): Float32Array;
  act: PickAction;
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  /** Refreshes the acting copy after an update (a no-op where acting runs the tfjs graph). */
  sync(): void;
  weights(): NamedTensors;
  setWeights(t: NamedTensors): void;
  dispose(): void;
}

/** An acting-only policy from a checkpoint's tensors. */
export interface FrozenPolicy {
  logits(obs: Float32Array, rows: number): Float32Array;
  act: PickAction;
  /** Frees what it holds (tfjs variables for a tfjs-acting net; nothing for the typed-array MLP). */
  dispose?(): void;
}

/** A kind of policy network: its checkpoint shapes, a trainable one with seeded weights, an acting copy of given weights. */
export interface PolicyNetKind {
  /** One line for `--help` and errors. */
  readonly summary: string;
  shapes(name: string, config: PolicyNetConfig, obsSize: number, nActions: number): Record<string, number[]>;
  create(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, rng: Rng): TrainablePolicy;
  frozen(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, tensors: NamedTensors): FrozenPolicy;
}

const mlpSpec = (config: PolicyNetConfig, obsSize: number, nActions: number): MlpSpec =>
  ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: nActions, activation: config.activation });

/** The built-in kind: an MLP on the flat observation, acting through its typed-array copy. */
export const MLP_POLICY_NET: PolicyNetKind = {
  summary: "an MLP on the flat observation (hiddenSizes, activation)",
  shapes: (name, config, obsSize, nActions) => mlpShapes(name, mlpSpec(config, obsSize, nActions)),
  create(name, config, obsSize, nActions, rng) {
    const policy = createDiscretePolicy(name, mlpSpec(config, obsSize, nActions), rng);
    return {
      obsSize, nActions,
      params: policy.net.params,
      forward: (obs, rows, train) => policy.net.apply(tf.tensor2d(obs.subarray(0, rows * obsSize), [rows, obsSize]), train),
      logits: policy.logits,
      act: policy.act,
      probs: policy.probs,
      sync: policy.sync,
      weights: () => mlpWeights(policy.net),
      setWeights(t) {
        setMlpWeights(policy.net, t);
        policy.sync();
      },
      dispose: () => policy.net.dispose(),
    };
  },
  frozen: (name, config, obsSize, nActions, tensors) => policyFromWeights(name, mlpSpec(config, obsSize, nActions), tensors),
};

// One table per process through a global symbol, as lib/core/registry's environments: the kernel's
// copy of this module and a notebook's must see the same networks.
const KINDS = Symbol.for("tsrl.policyNets");
const kinds: Map<string, PolicyNetKind> = ((globalThis as Record<symbol, unknown>)[KINDS] as Map<string, PolicyNetKind> | undefined)
  ?? ((globalThis as Record<symbol, unknown>)[KINDS] = new Map<string, PolicyNetKind>([["mlp", MLP_POLICY_NET]])) as Map<string, PolicyNetKind>;

/** Makes `name` a policy network algorithms can build (`net: name`). */
export function registerPolicyNet(name: string, kind: PolicyNetKind): void {
  kinds.set(name, kind);
}

/** Names of the registered networks ("mlp" first). */
export function policyNetNames(): string[] {
  return [...kinds.keys()];
}

function kind(config: PolicyNetConfig): PolicyNetKind {
  const k = kinds.get(config.net);
  if (!k) throw new RangeError(`unknown policy net ${JSON.stringify(config.net)}; expected one of ${policyNetNames().join(", ")}`);
  return k;
}

/** Parameter name → shape of the policy `config` describes (what a checkpoint must hold). */
export function policyNetShapes(name: string, config: PolicyNetConfig, obsSize: number, nActions: number): Record<string, number[]> {
  return kind(config).shapes(name, config, obsSize, nActions);
}

/** A trainable policy with seeded initial weights. */
export function createPolicyNet(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, rng: Rng): TrainablePolicy {
  return kind(config).create(name, config, obsSize, nActions, rng);
}

/** An acting-only copy with these weights (a checkpoint's, or a frozen reference policy). */
export function frozenPolicyNet(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, tensors: NamedTensors): FrozenPolicy {
  return kind(config).frozen(name, config, obsSize, nActions, tensors);
}
