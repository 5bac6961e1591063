/**
 * Policy networks an algorithm can train, by name (GRPO's `net` field): what the update
 * differentiates, what acts, what a checkpoint holds. Each reads flat observation rows — the env's
 * own, or its `featurize`d ones (lib/core/registry) — and gives logits over the discrete actions.
 *
 *   mlp    an MLP on the flat observation (hiddenSizes, activation)            lib/nn/mlp/mlp, lib/nn/mlp/policy
 *   edit   the edit agent's pointer network over its relational features:      lib/envs/edit/policy-net
 *          hiddenSizes = [H, D] (location/payload width, instruction-token width)
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../core/rng";
import { EDIT_ACTIONS } from "../envs/edit/actions";
import { EDIT_FEATURE_SIZE } from "../envs/edit/features";
import { createEditPolicyNet, editPolicy, editPolicyNetFromWeights, editPolicyShapes, editPolicyWeights, type EditPolicySpec } from "../envs/edit/policy-net";
import { mlpShapes, mlpWeights, setMlpWeights, type Activation, type MlpSpec, type NamedTensors } from "../nn/mlp/mlp";
import { createDiscretePolicy, policyFromWeights, type PickAction } from "../nn/mlp/policy";

export const POLICY_NET_NAMES = ["mlp", "edit"] as const;
export type PolicyNetName = (typeof POLICY_NET_NAMES)[number];

/** The fields of an algorithm's config a network is built from. */
export interface PolicyNetConfig {
  net: PolicyNetName;
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
  /** Frees what it holds (tfjs variables for the edit net; nothing for the typed-array MLP). */
  dispose?(): void;
}

interface PolicyNetKind {
  shapes(name: string, config: PolicyNetConfig, obsSize: number, nActions: number): Record<string, number[]>;
  create(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, rng: Rng): TrainablePolicy;
  frozen(name: string, config: PolicyNetConfig, obsSize: number, nActions: number, tensors: NamedTensors): FrozenPolicy;
}

const mlpSpec = (config: PolicyNetConfig, obsSize: number, nActions: number): MlpSpec =>
  ({ inputSize: obsSize, hiddenSizes: config.hiddenSizes, outputSize: nActions, activation: config.activation });

function editSpec(config: PolicyNetConfig, obsSize: number, nActions: number): EditPolicySpec {
  if (obsSize !== EDIT_FEATURE_SIZE || nActions !== EDIT_ACTIONS) {
    throw new RangeError(`net "edit" reads EditAgent-v0's features (${EDIT_FEATURE_SIZE} numbers, ${EDIT_ACTIONS} actions); this env has ${obsSize} and ${nActions}`);
  }
  if (config.hiddenSizes.length !== 2) throw new RangeError(`net "edit" takes hiddenSizes [H, D] (location/payload width, instruction-token width), got [${config.hiddenSizes.join(", ")}]`);
  return { hidden: config.hiddenSizes[0], instructionWidth: config.hiddenSizes[1] };
}

const KINDS: Record<PolicyNetName, PolicyNetKind> = {
  mlp: {
    shapes: (name, config, obsSize, nActions) => mlpShapes(name, mlpSpec(config, obsSize, nActions)),
    create(name, config, obsSize, nActions, rng) {
      const spec = mlpSpec(config, obsSize, nActions);
      const policy = createDiscretePolicy(name, spec, rng);
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
  },
  edit: {
    shapes: (name, config, obsSize, nActions) => editPolicyShapes(name, editSpec(config, obsSize, nActions)),
    create(name, config, obsSize, nActions, rng) {
      const net = createEditPolicyNet(name, editSpec(config, obsSize, nActions), rng);
      const policy = editPolicy(net);
      return {
        obsSize, nActions,
        params: net.params,
        forward: (obs, rows) => net.forward(obs, rows),
        logits: policy.logits,
        act: policy.act,
        probs: policy.probs,
        sync: policy.sync,
        weights: () => editPolicyWeights(net),
        setWeights(t) {
          for (const [k, v] of Object.entries(net.params)) {
            const w = t[k];
            if (!w) throw new RangeError(`missing weight '${k}'`);
            if (w.shape.join("×") !== v.shape.join("×")) throw new RangeError(`weight '${k}' has shape [${w.shape.join("×")}], expected [${v.shape.join("×")}]`);
            tf.tidy(() => v.assign(tf.tensor(w.data, w.shape)));
          }
        },
        dispose: () => net.dispose(),
      };
    },
    frozen(name, config, obsSize, nActions, tensors) {
      const net = editPolicyNetFromWeights(name, editSpec(config, obsSize, nActions), tensors);
      return { ...editPolicy(net), dispose: () => net.dispose() };
    },
  },
};

function kind(config: PolicyNetConfig): PolicyNetKind {
  const k = KINDS[config.net];
  if (!k) throw new RangeError(`unknown policy net ${JSON.stringify(config.net)}; expected one of ${POLICY_NET_NAMES.join(", ")}`);
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
