/**
 * The edit agent's policy: a pointer network over the relational features of EditAgent-v0
 * (lib/envs/edit/features), scoring every (op, location, payload) of the Discrete(3936) action
 * space from small layers shared across locations and payloads. No layer ever sees which content
 * word a token is — only what it is like and how it relates to the instruction, the other tokens
 * and the payloads — so a held-out task's unseen words are scored like training words in the same
 * role.
 *
 *   instruction tokens   u_j = relu(W_u x_j + b_u) · present_j                              [48, D]
 *   context              c   = relu(W_c [mean_j u_j, max_j u_j, global] + b_c)               [H]
 *   text locations       e_i = relu(W_e [t_i, Σ_j TI_ijk u_j (k = 0..2)] + W_ce c + b_e)      [41, H]
 *                        h_i = e_i + relu(W_h [e_{i−1}, e_i, e_{i+1}] + b_h)  (who the neighbours are)
 *   payloads             q_p = relu(W_q [y_p, Σ_j PI_pjk u_j, Σ_i PT_pik (W_s h_i)] + W_cq c + b_q)   [24, H]
 *   scores, per op o ∈ {INSERT, REPLACE}:
 *                        s_o(i, p) = (A_o h_i)·(B_o q_p)/√H + a_o·h_i + b_o·q_p + Σ_k PT_pik v_ok(c)
 *                        (v_o(c) = V_o c: how much each payload–token relation — equal, same
 *                        ignoring case, capitalised/upper/lower form, one letter apart — counts,
 *                        as the instruction says)
 *                        s_DELETE(i) = d·h_i,   s_STOP = w·relu(W_z [c, max_i h_i, mean_i h_i] + b_z)
 *   logits[(o·41 + i)·24 + p] = s_o(i, p)   (DELETE and STOP broadcast over the slots the mask closes)
 *
 * TI, PT, PI are the text×instruction, payload×text and payload×instruction relation blocks, so the
 * sums Σ_j TI_ijk u_j are attention with the relations as fixed weights: "what the instruction says
 * about the words this token equals". Illegal actions are masked (−1e9) by the caller, in the
 * loss (lib/nn/categorical) and when acting.
 *
 * The network reads the featuriser's flat vector (EditAgent-v0's observationSpace) and slices its
 * blocks, so it fits every place a flat-observation policy goes: rollouts, GRPO's loss, checkpoints.
 * Acting runs the same tfjs graph, one call per batch of rows. Written for tfjs-wasm's speed: no
 * column slices or concatenations of activations (their kernels are generic loops there), shifts
 * and broadcasts by matMul, pad and add instead.
 *
 * `EDIT_POLICY_NET` is this network as a policy-network kind (lib/nn/policy-nets): GRPO's `net: "edit"`
 * builds it, with hiddenSizes [H, D]; lib/envs/registry.ts registers it beside EditAgent-v0.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { EDIT_ACTIONS, EDIT_LOCATIONS, EDIT_MAX_PAYLOADS } from "./actions";
import { EDIT_FEATURE_SHAPES, EDIT_FEATURE_SIZE } from "./features";
import { greedyAction, sampleAction, softmaxRow } from "../../nn/categorical";
import { orthogonal, type NamedTensors } from "../../nn/mlp/mlp";
import type { DiscretePolicy } from "../../nn/mlp/policy";
import type { PolicyNetConfig, PolicyNetKind } from "../../nn/policy-nets";

export interface EditPolicySpec {
  /** H: width of the location, payload and context vectors. */
  hidden: number;
  /** D: width of an instruction token's vector. */
  instructionWidth: number;
}

const L = EDIT_LOCATIONS, P = EDIT_MAX_PAYLOADS;
const [, FT] = EDIT_FEATURE_SHAPES.text;
const [I, FI] = EDIT_FEATURE_SHAPES.instruction;
const [, FP] = EDIT_FEATURE_SHAPES.payloads;
const TI = EDIT_FEATURE_SHAPES.textInstruction[2], PT = EDIT_FEATURE_SHAPES.payloadText[2], PI = EDIT_FEATURE_SHAPES.payloadInstruction[2];
const FG = EDIT_FEATURE_SHAPES.global[0];
/** Width of the payload×text messages (W_s h_i). */
const S = 16;

/** Where each feature block starts in the flat vector (the featuriser's order). */
const OFFSETS: Record<keyof typeof EDIT_FEATURE_SHAPES, number> = (() => {
  const out = {} as Record<keyof typeof EDIT_FEATURE_SHAPES, number>;
  let at = 0;
  for (const [name, shape] of Object.entries(EDIT_FEATURE_SHAPES) as [keyof typeof EDIT_FEATURE_SHAPES, readonly number[]][]) {
    out[name] = at;
    at += shape.reduce((a, b) => a * b, 1);
  }
  return out;
})();

/** Parameter name → shape (names under `name/`, e.g. "policy/u/w"): what a checkpoint holds. */
export function editPolicyShapes(name: string, spec: EditPolicySpec): Record<string, number[]> {
  checkSpec(spec);
  const H = spec.hidden, D = spec.instructionWidth;
  const shapes: Record<string, number[]> = {
    "u/w": [FI, D], "u/b": [D],
    "c/w": [2 * D + FG, H], "c/b": [H],
    "e/w": [FT + TI * D, H], "e/c": [H, H], "e/b": [H],
    "h/w": [3 * H, H], "h/b": [H],
    "s/w": [H, S],
    "q/w": [FP + PI * D + PT * S, H], "q/c": [H, H], "q/b": [H],
    "pair/a": [H, 2 * H], "pair/b": [H, 2 * H],
    "pair/loc": [H, 2], "pair/pay": [H, 2], "pair/rel": [H, 2 * PT],
    "delete/w": [H, 1],
    "stop/w": [3 * H, H], "stop/b": [H], "stop/out": [H, 1], "stop/bias": [1],
  };
  return Object.fromEntries(Object.entries(shapes).map(([k, s]) => [`${name}/${k}`, s]));
}

export interface EditPolicyNet {
  readonly name: string;
  /** inputSize: EDIT_FEATURE_SIZE; outputSize: EDIT_ACTIONS (what GRPO's loss reads). */
  readonly spec: EditPolicySpec & { inputSize: number; outputSize: number };
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** Logits [rows, 3936] (unmasked) of `rows` flat feature rows (row-major [rows, EDIT_FEATURE_SIZE]): a tensor the caller owns. */
  forward(obs: Float32Array, rows: number): tf.Tensor2D;
  dispose(): void;
}

/**
 * The network with seeded initial weights: orthogonal (gain √2) for the hidden layers, small
 * (0.01) for the score layers so the policy starts near uniform among the legal actions.
 */
export function createEditPolicyNet(name: string, spec: EditPolicySpec, rng: Rng): EditPolicyNet {
  const shapes = editPolicyShapes(name, spec);
  const params: Record<string, tf.Variable> = {};
  for (const [k, shape] of Object.entries(shapes)) {
    const last = k.split("/").slice(1).join("/");
    let data: Float32Array;
    if (shape.length === 1) data = new Float32Array(shape[0]);
    else {
      const small = last.startsWith("pair/") || last === "delete/w" || last === "stop/out";
      data = orthogonal(shape[0], shape[1], small ? 0.01 : Math.SQRT2, rng);
    }
    params[k] = tf.tidy(() => tf.variable(tf.tensor(data, shape), true));
  }
  return fromParams(name, spec, params);
}

function fromParams(name: string, spec: EditPolicySpec, params: Record<string, tf.Variable>): EditPolicyNet {
  const H = spec.hidden;
  const p = (k: string) => params[`${name}/${k}`];
  /** x [B, n, a] · w [a, b] → [B, n, b] */
  const dense = (x: tf.Tensor, w: tf.Tensor) => {
    const [B, n, a] = x.shape as number[];
    return tf.reshape(tf.matMul(tf.reshape(x, [B * n, a]) as tf.Tensor2D, w as tf.Tensor2D), [B, n, w.shape[1]!]) as tf.Tensor3D;
  };
  /** Rows of w [a, b], a cut into column blocks of x's pieces: x·w = Σ_k x_k·w_k without concatenating x (slow on wasm). */
  const denseParts = (xs: tf.Tensor[], w: tf.Tensor) => {
    let at = 0;
    let out: tf.Tensor | undefined;
    for (const x of xs) {
      const a = x.shape[x.shape.length - 1]!;
      const y = dense(x, tf.slice(w, [at, 0], [a, w.shape[1]!]));
      out = out ? tf.add(out, y) : y;
      at += a;
    }
    return out as tf.Tensor3D;
  };
  /** Σ over the middle axis of a relation block rel [B, rows, cols, K] with vectors v [B, cols, d] → [B, rows, K·d] */
  const relate = (rel: tf.Tensor, v: tf.Tensor3D) => {
    const [B, rows, cols, K] = rel.shape as number[];
    const t = tf.reshape(tf.transpose(rel, [0, 1, 3, 2]), [B, rows * K, cols]);
    return tf.reshape(tf.matMul(t as tf.Tensor3D, v), [B, rows, K * v.shape[2]]) as tf.Tensor3D;
  };
  /** x [B, L, H] shifted along the locations: row i gets row i − by (zeros where that is off the end). */
  const shift = (x: tf.Tensor3D, by: 1 | -1) => {
    const [B, n, d] = x.shape;
    const m = new Float32Array(n * n); // y[:, i] = Σ_k x[:, k] m[k, i]
    for (let i = 0; i < n; i++) if (i - by >= 0 && i - by < n) m[(i - by) * n + i] = 1;
    const xt = tf.reshape(tf.transpose(x, [0, 2, 1]), [B * d, n]);
    return tf.transpose(tf.reshape(tf.matMul(xt as tf.Tensor2D, tf.tensor2d(m, [n, n])), [B, d, n]), [0, 2, 1]) as tf.Tensor3D;
  };
  const forward = (input: EditInput): tf.Tensor2D => {
    const { text, instruction: instr, payloads: pay, textInstruction: ti, payloadText: pt, payloadInstruction: pi, global } = input;
    const B = text.shape[0];

    // instruction tokens and the context
    const present = tf.slice(instr, [0, 0, 0], [B, I, 1]);
    const u = tf.mul(tf.relu(tf.add(dense(instr, p("u/w")), p("u/b"))), present) as tf.Tensor3D;
    const count = tf.maximum(tf.sum(present, 1), 1);
    const uMean = tf.div(tf.sum(u, 1), count), uMax = tf.max(u, 1);
    const c = tf.relu(tf.add(denseParts([uMean.expandDims(1), uMax.expandDims(1), global.expandDims(1)], p("c/w")), p("c/b"))).reshape([B, H]) as tf.Tensor2D;
    const cRow = (w: tf.Tensor) => tf.reshape(tf.matMul(c, w as tf.Tensor2D), [B, 1, H]);

    // locations: own features, what the instruction says about their words, then the neighbours
    const e = tf.relu(tf.add(tf.add(denseParts([text, relate(ti, u)], p("e/w")), cRow(p("e/c"))), p("e/b"))) as tf.Tensor3D;
    const hw = p("h/w");
    const around = tf.add(tf.add(shift(dense(e, tf.slice(hw, [0, 0], [H, H])), 1), dense(e, tf.slice(hw, [H, 0], [H, H]))), shift(dense(e, tf.slice(hw, [2 * H, 0], [H, H])), -1));
    const rowLive = tf.sum(tf.slice(text, [0, 0, 0], [B, L, 2]), 2, true); // present or END
    const h = tf.mul(tf.add(e, tf.relu(tf.add(around, p("h/b")))), rowLive) as tf.Tensor3D;

    // payloads: own features, their instruction relations, their relations to the located tokens
    const q = tf.relu(tf.add(tf.add(denseParts([pay, relate(pi, u), relate(pt, dense(h, p("s/w")))], p("q/w")), cRow(p("q/c"))), p("q/b"))) as tf.Tensor3D;

    // INSERT and REPLACE: bilinear location·payload + per-location + per-payload + relation terms
    const ha = tf.reshape(tf.transpose(tf.reshape(dense(h, p("pair/a")), [B, L, 2, H]), [0, 2, 1, 3]), [B * 2, L, H]);
    const qb = tf.reshape(tf.transpose(tf.reshape(dense(q, p("pair/b")), [B, P, 2, H]), [0, 2, 1, 3]), [B * 2, P, H]);
    const bilinear = tf.reshape(tf.matMul(ha, qb, false, true), [B, 2, L, P]).div(Math.sqrt(H));
    const loc = tf.reshape(tf.transpose(dense(h, p("pair/loc")), [0, 2, 1]), [B, 2, L, 1]);
    const payScore = tf.reshape(tf.transpose(dense(q, p("pair/pay")), [0, 2, 1]), [B, 2, 1, P]);
    // relation weights v(c) [B, PT, 2]; pt [B, P, L, PT] → [B, L·P, PT]·v → [B, L, P, 2] → [B, 2, L, P]
    const v = tf.transpose(tf.reshape(tf.matMul(c, p("pair/rel") as tf.Tensor2D), [B, 2, PT]), [0, 2, 1]) as tf.Tensor3D;
    const ptByLoc = tf.reshape(tf.transpose(pt, [0, 2, 1, 3]), [B, L * P, PT]) as tf.Tensor3D;
    const rel = tf.transpose(tf.reshape(tf.matMul(ptByLoc, v), [B, L, P, 2]), [0, 3, 1, 2]);
    const edits = tf.add(tf.add(tf.add(bilinear, loc), payScore), rel);

    // DELETE per location; STOP from the context and the pooled locations (broadcast over the slots the mask closes)
    const liveCount = tf.maximum(tf.sum(rowLive, 1), 1);
    const pooled = [c.expandDims(1), tf.max(h, 1).expandDims(1), tf.div(tf.sum(h, 1), liveCount).expandDims(1)];
    const z = tf.relu(tf.add(denseParts(pooled, p("stop/w")), p("stop/b")));
    const grid = tf.zeros([1, 1, L, P]);
    const del = tf.add(tf.reshape(dense(h, p("delete/w")), [B, 1, L, 1]), grid);
    const stop = tf.add(tf.reshape(tf.add(dense(z, p("stop/out")), p("stop/bias")), [B, 1, 1, 1]), grid);
    const all = tf.add(tf.add(tf.pad(edits, [[0, 0], [0, 2], [0, 0], [0, 0]]), tf.pad(del, [[0, 0], [2, 1], [0, 0], [0, 0]])), tf.pad(stop, [[0, 0], [3, 0], [0, 0], [0, 0]]));
    return tf.reshape(all, [B, EDIT_ACTIONS]) as tf.Tensor2D;
  };
  return {
    name,
    spec: { ...spec, inputSize: EDIT_FEATURE_SIZE, outputSize: EDIT_ACTIONS },
    params,
    forward(obs, rows) {
      if (obs.length < rows * EDIT_FEATURE_SIZE) throw new RangeError(`edit policy: ${rows} rows need ${rows * EDIT_FEATURE_SIZE} features, got ${obs.length}`);
      return tf.tidy(() => forward(editInput(obs, rows)));
    },
    dispose() {
      for (const v of Object.values(params)) v.dispose();
    },
  };
}

/** The feature blocks of `rows` flat rows as tensors (split on typed arrays: slicing a tensor's columns is slow on wasm). */
export type EditInput = Record<keyof typeof EDIT_FEATURE_SHAPES, tf.Tensor>;

function editInput(obs: Float32Array, rows: number): EditInput {
  const out = {} as EditInput;
  for (const [key, shape] of Object.entries(EDIT_FEATURE_SHAPES) as [keyof typeof EDIT_FEATURE_SHAPES, readonly number[]][]) {
    const size = shape.reduce((a, b) => a * b, 1), at = OFFSETS[key];
    const data = new Float32Array(rows * size);
    for (let r = 0; r < rows; r++) data.set(obs.subarray(r * EDIT_FEATURE_SIZE + at, r * EDIT_FEATURE_SIZE + at + size), r * size);
    out[key] = tf.tensor(data, [rows, ...shape]);
  }
  return out;
}

/** Weights as plain data, by name. */
export function editPolicyWeights(net: Pick<EditPolicyNet, "params">): NamedTensors {
  const out: NamedTensors = {};
  for (const [k, v] of Object.entries(net.params)) out[k] = { data: Float32Array.from(v.dataSync() as Float32Array), shape: [...v.shape] };
  return out;
}

/** A network holding `tensors` (checked by name and shape; throws naming the bad one). */
export function editPolicyNetFromWeights(name: string, spec: EditPolicySpec, tensors: NamedTensors): EditPolicyNet {
  const shapes = Object.entries(editPolicyShapes(name, spec));
  for (const [k, shape] of shapes) { // every check before any variable exists: a bad checkpoint leaks nothing
    const t = tensors[k];
    if (!t) throw new RangeError(`missing weight '${k}' (have: ${Object.keys(tensors).slice(0, 8).join(", ") || "none"}…)`);
    if (t.shape.join("×") !== shape.join("×")) throw new RangeError(`weight '${k}' has shape [${t.shape.join("×")}], expected [${shape.join("×")}]`);
  }
  const params: Record<string, tf.Variable> = {};
  for (const [k, shape] of shapes) params[k] = tf.tidy(() => tf.variable(tf.tensor(tensors[k].data, shape), true));
  return fromParams(name, spec, params);
}

/** A DiscretePolicy with the edit network: `logits` run the tfjs graph (a fresh array), `sync` has nothing to copy. */
export type EditPolicy = Omit<DiscretePolicy, "net"> & { readonly net: EditPolicyNet };

/** Acting on top of a network: logits through tfjs, sampling and argmax on typed arrays. */
export function editPolicy(net: EditPolicyNet): EditPolicy {
  const logits = (obs: Float32Array, rows: number): Float32Array => {
    const out = net.forward(obs, rows);
    const data = out.dataSync() as Float32Array;
    out.dispose();
    return data;
  };
  return {
    net,
    obsSize: EDIT_FEATURE_SIZE,
    nActions: EDIT_ACTIONS,
    logits,
    act: (obs, { greedy, rng, mask }) => {
      const z = logits(obs, 1);
      return greedy ? greedyAction(z, 0, EDIT_ACTIONS, mask) : sampleAction(z, 0, EDIT_ACTIONS, rng, mask);
    },
    probs: (obs, mask) => softmaxRow(logits(obs, 1), mask),
    sync: () => {},
  };
}

function checkSpec(spec: EditPolicySpec): void {
  for (const k of ["hidden", "instructionWidth"] as const) {
    if (!Number.isInteger(spec[k]) || spec[k] < 1) throw new RangeError(`edit policy: ${k} must be a positive integer, got ${JSON.stringify(spec[k])}`);
  }
}

/** Setting the weights of a live network by name; throws naming a missing or mis-shaped one. */
export function setEditPolicyWeights(net: Pick<EditPolicyNet, "params">, tensors: NamedTensors): void {
  for (const [k, v] of Object.entries(net.params)) {
    const w = tensors[k];
    if (!w) throw new RangeError(`missing weight '${k}'`);
    if (w.shape.join("×") !== v.shape.join("×")) throw new RangeError(`weight '${k}' has shape [${w.shape.join("×")}], expected [${v.shape.join("×")}]`);
    tf.tidy(() => v.assign(tf.tensor(w.data, w.shape)));
  }
}

/** An algorithm config's network fields as this network's spec; throws when the env or the sizes do not fit. */
function specOf(config: PolicyNetConfig, obsSize: number, nActions: number): EditPolicySpec {
  if (obsSize !== EDIT_FEATURE_SIZE || nActions !== EDIT_ACTIONS) {
    throw new RangeError(`net "edit" reads EditAgent-v0's features (${EDIT_FEATURE_SIZE} numbers, ${EDIT_ACTIONS} actions); this env has ${obsSize} and ${nActions}`);
  }
  if (config.hiddenSizes.length !== 2) throw new RangeError(`net "edit" takes hiddenSizes [H, D] (location/payload width, instruction-token width), got [${config.hiddenSizes.join(", ")}]`);
  return { hidden: config.hiddenSizes[0], instructionWidth: config.hiddenSizes[1] };
}

/** The edit network as a kind of policy network (`net: "edit"`). */
export const EDIT_POLICY_NET: PolicyNetKind = {
  summary: "EditAgent-v0's pointer network over its relational features; hiddenSizes H,D (location/payload width, instruction-token width)",
  shapes: (name, config, obsSize, nActions) => editPolicyShapes(name, specOf(config, obsSize, nActions)),
  create(name, config, obsSize, nActions, rng) {
    const net = createEditPolicyNet(name, specOf(config, obsSize, nActions), rng);
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
      setWeights: (t) => setEditPolicyWeights(net, t),
      dispose: () => net.dispose(),
    };
  },
  frozen(name, config, obsSize, nActions, tensors) {
    const net = editPolicyNetFromWeights(name, specOf(config, obsSize, nActions), tensors);
    return { ...editPolicy(net), dispose: () => net.dispose() };
  },
};
