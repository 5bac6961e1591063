/**
 * Training the MLPs of ./mlp.ts on plain Float32Arrays: forward, exact backprop, and (in
 * ../optim.ts) global-norm clipping and Adam — no tfjs ops at all.
 *
 * Why: PPO takes many small minibatch steps (64 rows through a 4→64→64→2 policy and a value net),
 * and in tfjs-wasm every op costs tens to hundreds of µs whatever its size, so one step of
 * forward + backward + Adam over a dozen variables is milliseconds of per-op overhead. Here it is a
 * few loops: a whole PPO minibatch step of 64 rows (policy and value nets, clip, Adam) takes ~1.0 ms
 * against tfjs-wasm's ~3.5–4.5 ms on our 2-core machine (`tsrl bench`, `minibatchStep`). The loops
 * cost in proportion to the rows (~2.5 GMAC/s), tfjs mostly per op, so the two meet near 256–512
 * rows: use this for minibatches up to a few hundred rows, tfjs for big batches.
 *
 * The network is the same as `createMlp`'s: x → [x·W + b → tanh/relu]* → x·W + b, parameters
 * named `name/l{k}/w` (shape [in, out], row-major) and `name/l{k}/b` (shape [out]), so weights move
 * between the two (and into checkpoints) by name. Values are stored as float32; every dot product
 * is summed in float64; tanh is a rational approximation within 3e-8 (./gemm.ts). The
 * tests check forward, gradients, Adam and a whole PPO step against tfjs. No dropout.
 *
 * Usage, one minibatch step (the loss gradient dL/dout is yours to compute: lib/algos/ppo-loss.ts
 * has PPO's):
 *
 *   const out = net.forward(x, rows);          // [rows, outputSize]; kept for backward
 *   … loss and dOut = dL/dout, [rows, outputSize] …
 *   net.backward(dOut);                         // net.grads = dL/dθ (overwritten; {accumulate: true} adds)
 *   clipGradNorm([...policy.grads, ...value.grads], 0.5);
 *   adam.apply(params, grads);                  // updates net.params in place
 *
 * Buffer rules: `forward` returns a view of an internal buffer that the next `forward` overwrites
 * (copy it if you keep it); `backward` uses what the last `forward` kept, so call it before the
 * next `forward` on the same trainer. `infer` is a forward with its own buffers: acting with it in
 * between does not disturb a pending backward (and it is faster than FastMlp at every row count).
 * Buffers grow to the largest `rows` seen, then nothing is allocated per call.
 *
 * Storage: by default a trainer owns its parameters and gradients. With `MlpStorage` they are views
 * of flat arrays you pass (layer by layer, w then b) — e.g. of a SharedArrayBuffer, so that a
 * trainer in another thread (`mlpTrainerOn`) computes gradients over the very same parameters
 * (lib/algos/ppo-part-worker.ts), or two trainers here share parameters but not gradients.
 */
import type { Rng } from "../../core/rng";
import { activationGrad, addBiasActivate, columnSums, gemm, LINEAR, RELU, TANH } from "./gemm";
import { layerNames, layerSizes, orthogonal, setMlpWeights, type Mlp, type MlpInit, type MlpSpec, type NamedTensors } from "./mlp";
import type { FastMlp } from "./fast-forward";

export interface MlpTrainer {
  /** Prefix of every parameter name, e.g. "policy". */
  readonly name: string;
  readonly spec: MlpSpec;
  /** Parameter names in layer order, as `Mlp.params`: name/l0/w, name/l0/b, name/l1/w, … */
  readonly names: readonly string[];
  /** Their shapes: [in, out] for w, [out] for b. */
  readonly shapes: readonly (readonly number[])[];
  /**
   * The parameters (same order as `names`), w row-major [in, out]. These arrays are the network:
   * the optimiser updates them in place and `forward` reads them; they are never replaced.
   */
  readonly params: readonly Float32Array[];
  /** dL/dθ from the last `backward` (same order and layout as `params`); never replaced. */
  readonly grads: readonly Float32Array[];
  /** Number of scalar parameters. */
  readonly size: number;
  /**
   * Forward pass of `rows` rows of `x` (row-major [rows, inputSize]) → [rows, outputSize], keeping
   * the input and every layer's output for `backward`. The result is a view reused by the next call.
   */
  forward(x: ArrayLike<number>, rows: number): Float32Array;
  /**
   * Backprop of `dOut` = dL/d(output of the last forward), row-major [rows, outputSize]: writes
   * dL/dθ into `grads` (or adds to them with `accumulate`) and returns `grads`.
   * Convention at a relu kink: relu′(0) = 0, as tfjs (and PyTorch).
   */
  backward(dOut: ArrayLike<number>, opts?: { accumulate?: boolean }): readonly Float32Array[];
  /** Sets every gradient to 0 (for `backward(…, { accumulate: true })`). */
  zeroGrads(): void;
  /** A forward pass for acting or evaluation: same weights, its own buffers, keeps nothing for backward. */
  infer(x: ArrayLike<number>, rows: number): Float32Array;
  /** A copy of the weights by name (fresh arrays: safe to keep, to checkpoint, to `setMlpWeights`). */
  weights(): NamedTensors;
  /**
   * Copies weights in by name (extra names, e.g. another network's, are ignored). Checks every
   * name and shape first and throws naming the missing or mis-shaped tensor; then copies.
   */
  setWeights(tensors: NamedTensors): void;
}

/**
 * Where a trainer keeps its parameters and gradients: flat arrays of exactly `mlpParamCount(spec)`
 * numbers each, carved into the layers' arrays in order (w then b per layer). Omitted: its own.
 */
export interface MlpStorage {
  params?: Float32Array;
  grads?: Float32Array;
}

/** Number of scalar parameters of an MLP with this spec (weights and biases of every layer). */
export function mlpParamCount(spec: MlpSpec): number {
  const sizes = layerSizes(spec);
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += (sizes[l] + 1) * sizes[l + 1];
  return n;
}

/** A trainer with the given weights (by name, as `weights()` gives them or a checkpoint holds them). */
export function createMlpTrainer(name: string, spec: MlpSpec, weights: NamedTensors, storage?: MlpStorage): MlpTrainer {
  const trainer = buildTrainer(name, spec, storage);
  trainer.setWeights(weights);
  return trainer;
}

/**
 * A freshly initialised trainer: orthogonal weights, zero biases — the same draws from `rng`, in the
 * same order, as `createMlp(name, spec, rng, init)`, so the same seed gives the same network.
 */
export function initMlpTrainer(name: string, spec: MlpSpec, rng: Rng, init: MlpInit = {}, storage?: MlpStorage): MlpTrainer {
  const trainer = buildTrainer(name, spec, storage);
  const sizes = layerSizes(spec);
  const hiddenGain = init.hiddenGain ?? Math.SQRT2;
  const outputGain = init.outputGain ?? 1;
  for (let l = 0; l + 1 < sizes.length; l++) {
    const gain = l + 2 === sizes.length ? outputGain : hiddenGain;
    trainer.params[2 * l].set(orthogonal(sizes[l], sizes[l + 1], gain, rng));
  }
  return trainer;
}

/**
 * A trainer over parameters that live elsewhere (`storage.params`, as another trainer's storage or a
 * shared buffer holds them): nothing is copied or initialised; it reads whatever they hold now.
 */
export function mlpTrainerOn(name: string, spec: MlpSpec, storage: MlpStorage & { params: Float32Array }): MlpTrainer {
  return buildTrainer(name, spec, storage);
}

/** A trainer holding a copy of a tfjs `Mlp`'s current weights (one read per variable). */
export function mlpTrainerFrom(mlp: Mlp): MlpTrainer {
  const trainer = buildTrainer(mlp.name, mlp.spec);
  copyMlpToTrainer(mlp, trainer);
  return trainer;
}

/** tfjs → trainer: copies the `Mlp`'s variables into the trainer's arrays. */
export function copyMlpToTrainer(mlp: Mlp, trainer: MlpTrainer): void {
  checkSameNet(trainer, mlp.name, mlp.spec);
  trainer.names.forEach((k, i) => trainer.params[i].set(mlp.params[k].dataSync() as Float32Array));
}

/** trainer → tfjs: assigns the trainer's weights to the `Mlp`'s variables (e.g. for a tfjs-side loss or a checkpoint made from the Mlp). */
export function copyTrainerToMlp(trainer: MlpTrainer, mlp: Mlp): void {
  checkSameNet(trainer, mlp.name, mlp.spec);
  setMlpWeights(mlp, trainer.weights());
}

/**
 * trainer → acting copy: writes the trainer's weights into a `FastMlp` (lib/nn/mlp/fast-forward), which
 * holds them transposed. ~9k numbers for 4→64→64→2: a few µs, so do it after every update.
 * (Or act with `trainer.infer`, which reads the trainer's own arrays and needs no copy.)
 */
export function copyTrainerToFastMlp(trainer: MlpTrainer, fast: FastMlp): void {
  const sizes = layerSizes(trainer.spec), fastSizes = layerSizes(fast.spec);
  if (sizes.join(",") !== fastSizes.join(",")) throw new RangeError(`copyTrainerToFastMlp: trainer '${trainer.name}' has layers [${sizes.join(", ")}], the FastMlp [${fastSizes.join(", ")}]`);
  for (let l = 0; l + 1 < sizes.length; l++) fast.setLayer(l, trainer.params[2 * l], trainer.params[2 * l + 1]);
}

// ---------------------------------------------------------------------------------------------

/** An MLP's parameters and gradients as flat arrays, layer by layer (w then b), with their names and shapes. */
interface Layers {
  /** Input, hidden and output widths. */
  sizes: number[];
  names: string[];
  shapes: number[][];
  params: Float32Array[];
  grads: Float32Array[];
  /** The same arrays by kind: each layer's weights [in, out] and biases, and their gradients. */
  ws: Float32Array[];
  bs: Float32Array[];
  gws: Float32Array[];
  gbs: Float32Array[];
  /** TANH or RELU (./gemm.ts codes) for the hidden layers; the output is linear. */
  act: number;
}

function layersOf(name: string, spec: MlpSpec, storage: MlpStorage = {}): Layers {
  const sizes = layerSizes(spec);
  for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new RangeError(`MLP layer sizes must be positive integers, got [${sizes.join(", ")}]`);
  if (spec.activation !== "tanh" && spec.activation !== "relu") throw new RangeError(`activation must be "tanh" or "relu", got ${JSON.stringify(spec.activation)}`);
  const count = mlpParamCount(spec);
  for (const [what, flat] of Object.entries(storage)) {
    if (flat && flat.length !== count) throw new RangeError(`MLP '${name}': storage.${what} has ${flat.length} numbers, expected ${count} (the parameters of [${sizes.join(", ")}])`);
  }
  const params = storage.params ?? new Float32Array(count), grads = storage.grads ?? new Float32Array(count);
  let at = 0;
  const take = (flat: Float32Array, n: number) => flat.subarray(at, at + n);
  const layers: Layers = { sizes, names: [], shapes: [], params: [], grads: [], ws: [], bs: [], gws: [], gbs: [], act: spec.activation === "tanh" ? TANH : RELU };
  for (let l = 0; l + 1 < sizes.length; l++) {
    const { w, b } = layerNames(name, l);
    const nw = sizes[l] * sizes[l + 1], nb = sizes[l + 1];
    const wArr = take(params, nw), gw = take(grads, nw);
    at += nw;
    const bArr = take(params, nb), gb = take(grads, nb);
    at += nb;
    layers.names.push(w, b);
    layers.shapes.push([sizes[l], sizes[l + 1]], [sizes[l + 1]]);
    layers.params.push(wArr, bArr);
    layers.grads.push(gw, gb);
    layers.ws.push(wArr); layers.bs.push(bArr); layers.gws.push(gw); layers.gbs.push(gb);
  }
  return layers;
}

/** The forward pass of `rows` rows of `x`, each layer's output into `layerOut` (the last one: the network's). */
function forwardLayers({ sizes, ws, bs, act }: Layers, x: Float32Array, rows: number, layerOut: Float32Array[]): void {
  const L = ws.length;
  let h = x;
  for (let l = 0; l < L; l++) {
    const n = sizes[l + 1], out = layerOut[l];
    gemm(rows, n, sizes[l], h, 0, sizes[l], 1, ws[l], n, 1, out);
    addBiasActivate(out, rows, n, bs[l], l + 1 < L ? act : LINEAR);
    h = out;
  }
}

/** What a backward pass reads and writes besides the parameters: the forward's input and outputs, two dL/dz buffers used in turn, a dW scratch for accumulating. */
interface BackwardBuffers {
  x: Float32Array;
  acts: Float32Array[];
  dz: [Float32Array, Float32Array];
  scratchW?: Float32Array;
}

/** Backprop of dL/dout through the layers of the forward kept in `buf`: layers.grads = dL/dθ (added to them with `add`). */
function backwardLayers(layers: Layers, buf: BackwardBuffers, dOut: Float32Array, rows: number, add: boolean): void {
  const { sizes, ws, gws, gbs, act } = layers;
  let g = dOut;
  let turn = 0;
  for (let l = ws.length - 1; l >= 0; l--) {
    const n = sizes[l + 1], m = sizes[l];
    const h = l === 0 ? buf.x : buf.acts[l - 1];
    // dW = Hᵀ·dZ ([m, n], summed over the rows), db = Σ_rows dZ
    if (add) {
      gemm(m, n, rows, h, 0, 1, m, g, n, 1, buf.scratchW!);
      const gw = gws[l];
      for (let i = 0; i < gw.length; i++) gw[i] += buf.scratchW![i];
    } else {
      gemm(m, n, rows, h, 0, 1, m, g, n, 1, gws[l]);
    }
    columnSums(g, rows, n, gbs[l], add);
    if (l > 0) {
      // dZ_{l−1} = (dZ·Wᵀ) ⊙ act′, act′ from the layer's own output
      const next = buf.dz[turn];
      turn ^= 1;
      gemm(rows, m, n, g, 0, n, 1, ws[l], 1, n, next);
      activationGrad(next, buf.acts[l - 1], rows * m, act);
      g = next;
    }
  }
}

/** Per-row buffers of the layers' outputs (and dL/dz), grown to the largest batch seen; `view` is the output of the last `rows`. */
interface RowBuffers {
  capacity: number;
  x: Float32Array;
  acts: Float32Array[];
  rows: number;
  view: Float32Array;
}

const emptyBuffers = (): RowBuffers => ({ capacity: 0, x: new Float32Array(0), acts: [], rows: -1, view: new Float32Array(0) });

function grow(buf: RowBuffers, sizes: readonly number[], rows: number): void {
  buf.capacity = Math.max(rows, buf.capacity * 2);
  buf.x = new Float32Array(buf.capacity * sizes[0]);
  buf.acts = sizes.slice(1).map((n) => new Float32Array(buf.capacity * n));
  buf.rows = -1;
}

/** The output rows of the last pass, as a view kept while `rows` does not change. */
function outputView(buf: RowBuffers, rows: number, nOutput: number): Float32Array {
  if (buf.rows !== rows) {
    buf.rows = rows;
    buf.view = buf.acts[buf.acts.length - 1].subarray(0, rows * nOutput);
  }
  return buf.view;
}

function buildTrainer(name: string, spec: MlpSpec, storage?: MlpStorage): MlpTrainer {
  const layers = layersOf(name, spec, storage);
  const { sizes, names, shapes, params, grads } = layers;
  const nIn = sizes[0], nOutput = sizes[sizes.length - 1];
  const largestW = Math.max(...layers.ws.map((w) => w.length));
  const widest = Math.max(...sizes.slice(1)); // dL/dz buffers hold any layer's, dOut included
  const train = emptyBuffers(), inf = emptyBuffers();
  let dz: [Float32Array, Float32Array] = [new Float32Array(0), new Float32Array(0)];
  let scratchW: Float32Array | undefined; // dW of this batch, for backward(…, { accumulate: true })
  let keptRows = -1; // rows of the forward that backward will use (-1: none yet)

  function checkRows(what: string, x: ArrayLike<number>, rows: number): void {
    if (!Number.isInteger(rows) || rows < 1) throw new RangeError(`${name}.${what}: rows must be a positive integer, got ${rows}`);
    if (x.length < rows * nIn) throw new RangeError(`${name}.${what}: x has ${x.length} values, expected ${rows}×${nIn}`);
  }

  return {
    name,
    spec,
    names,
    shapes,
    params,
    grads,
    size: params.reduce((s, p) => s + p.length, 0),

    forward(x, rows) {
      checkRows("forward", x, rows);
      if (rows > train.capacity) {
        grow(train, sizes, rows);
        dz = [new Float32Array(train.capacity * widest), new Float32Array(train.capacity * widest)];
      }
      copyInto(train.x, x, rows * nIn);
      forwardLayers(layers, train.x, rows, train.acts);
      keptRows = rows;
      return outputView(train, rows, nOutput);
    },

    backward(dOut, opts) {
      const rows = keptRows;
      if (rows < 0) throw new RangeError(`${name}.backward: call forward first`);
      if (dOut.length < rows * nOutput) throw new RangeError(`${name}.backward: dOut has ${dOut.length} values, expected ${rows}×${nOutput} (the rows of the last forward)`);
      const add = opts?.accumulate === true;
      if (add) scratchW ??= new Float32Array(largestW);
      const g = dOut instanceof Float32Array ? dOut : copyInto(dz[1], dOut, rows * nOutput);
      backwardLayers(layers, { x: train.x, acts: train.acts, dz, scratchW }, g, rows, add);
      return grads;
    },

    zeroGrads() {
      for (const g of grads) g.fill(0);
    },

    infer(x, rows) {
      checkRows("infer", x, rows);
      if (rows > inf.capacity) grow(inf, sizes, rows);
      const xs = x instanceof Float32Array ? x : copyInto(inf.x, x, rows * nIn);
      forwardLayers(layers, xs, rows, inf.acts);
      return outputView(inf, rows, nOutput);
    },

    weights() {
      const out: NamedTensors = {};
      names.forEach((k, i) => (out[k] = { data: Float32Array.from(params[i]), shape: [...shapes[i]] }));
      return out;
    },

    setWeights(tensors) {
      names.forEach((k, i) => {
        const t = tensors[k];
        if (!t) throw new RangeError(`missing weight '${k}' (have: ${Object.keys(tensors).join(", ") || "none"})`);
        const expected = shapes[i].join("×"), got = t.shape.join("×");
        if (expected !== got) throw new RangeError(`weight '${k}' has shape [${got}], expected [${expected}]`);
        if (t.data.length !== params[i].length) throw new RangeError(`weight '${k}' has ${t.data.length} values for shape [${got}]`);
      });
      names.forEach((k, i) => params[i].set(tensors[k].data));
    },
  };
}

function copyInto(dst: Float32Array, src: ArrayLike<number>, n: number): Float32Array {
  if (src instanceof Float32Array) dst.set(n === src.length ? src : src.subarray(0, n));
  else for (let i = 0; i < n; i++) dst[i] = src[i];
  return dst;
}

function checkSameNet(trainer: MlpTrainer, name: string, spec: MlpSpec): void {
  const a = layerSizes(trainer.spec).join(","), b = layerSizes(spec).join(",");
  if (trainer.name !== name || a !== b || trainer.spec.activation !== spec.activation) {
    throw new RangeError(`trainer '${trainer.name}' [${a}] ${trainer.spec.activation} does not match MLP '${name}' [${b}] ${spec.activation}`);
  }
}

