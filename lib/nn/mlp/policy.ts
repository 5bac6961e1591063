/**
 * A discrete MLP policy in its two forms: the tfjs network the updates differentiate, and a typed-
 * array copy that acts (lib/nn/mlp/fast-forward: ~10 µs per forward at 1 row against ~29 µs for one
 * tfjs-wasm call, about even at 8 rows; figs/bench.json). The tfjs variables are the truth;
 * `sync()` refreshes the copy after each update.
 */
import type { Rng } from "../../core/rng";
import { greedyAction, sampleAction, softmaxRow } from "../categorical";
import { createFastMlp, setFastMlpWeights, syncFastMlp, type FastMlp } from "./fast-forward";
import { createMlp, type Mlp, type MlpInit, type MlpSpec, type NamedTensors } from "./mlp";

/** How an action is picked for one observation (the same shape as lib/algos' ActFn). */
export type PickAction = (obs: Float32Array, ctx: { greedy: boolean; rng: Rng; mask?: Uint8Array }) => number;

export interface DiscretePolicy {
  readonly net: Mlp;
  readonly obsSize: number;
  readonly nActions: number;
  /** Logits for `rows` observations, typed-array forward (the buffer is reused by the next call). */
  logits(obs: Float32Array, rows: number): Float32Array;
  /** Picks an action for one observation among the legal ones. */
  act: PickAction;
  /** π(·|obs) among the legal actions. */
  probs(obs: Float32Array, mask?: Uint8Array): Float32Array;
  /** Copies the tfjs weights into the acting copy; call after every update. */
  sync(): void;
}

/** A policy network `name` (parameters `name/l0/w`, …) with orthogonal init; output gain 0.01 so it starts near uniform. */
export function createDiscretePolicy(name: string, spec: MlpSpec, rng: Rng, init: MlpInit = { outputGain: 0.01 }): DiscretePolicy {
  const net = createMlp(name, spec, rng, init);
  const fast = createFastMlp(spec);
  syncFastMlp(fast, net);
  return {
    net,
    obsSize: spec.inputSize,
    nActions: spec.outputSize,
    logits: (obs, rows) => fast.forward(obs, rows),
    act: actWith(fast),
    probs: (obs, mask) => softmaxRow(fast.forward(obs, 1), mask),
    sync: () => syncFastMlp(fast, net),
  };
}

/** An acting-only policy from named weights (a checkpoint's): no tfjs involved. */
export function policyFromWeights(name: string, spec: MlpSpec, tensors: NamedTensors): { logits: (obs: Float32Array, rows: number) => Float32Array; act: PickAction } {
  const fast = createFastMlp(spec);
  setFastMlpWeights(fast, name, tensors);
  return { logits: (obs, rows) => fast.forward(obs, rows), act: actWith(fast) };
}

function actWith(fast: FastMlp): PickAction {
  const n = fast.spec.outputSize;
  return (obs, { greedy, rng, mask }) => {
    const logits = fast.forward(obs, 1);
    return greedy ? greedyAction(logits, 0, n, mask) : sampleAction(logits, 0, n, rng, mask);
  };
}
