/**
 * A multilayer perceptron on plain tfjs variables: x → [W·x + b → tanh/relu]* → W·x + b.
 *
 * Weights are drawn from our seeded `Rng` (never tfjs's random), so the same seed gives the same
 * network on every backend. Parameters carry names like `policy/l0/w` (shape [in, out]) and
 * `policy/l0/b` (shape [out]) so checkpoints save and load them by name and shape.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";

export type Activation = "tanh" | "relu";

export interface MlpSpec {
  inputSize: number;
  hiddenSizes: number[];
  outputSize: number;
  activation: Activation;
}

/** Orthogonal initialisation (CleanRL's layer_init for policy and value nets), biases 0. */
export interface MlpInit {
  /** Gain of the hidden layers; default √2 for relu/tanh as in CleanRL's layer_init. */
  hiddenGain?: number;
  /** Gain of the output layer: small (0.01) for a policy so it starts near uniform, 1 for a value. */
  outputGain?: number;
}

/** Weights as plain data, the shape checkpoints and the typed-array forward use. */
export type NamedTensors = Record<string, { data: Float32Array; shape: number[] }>;

export interface Mlp {
  /** Prefix of every parameter name, e.g. "policy". */
  readonly name: string;
  readonly spec: MlpSpec;
  /** Trainable variables by name, in layer order (w then b). */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /**
   * Forward pass on a [batch, inputSize] tensor → [batch, outputSize]. With `dropout`, each hidden
   * unit is zeroed with that probability (and the rest scaled by 1/(1 − p)), training mode only;
   * `seed` makes the mask reproducible (draw it from the run's Rng).
   */
  apply(x: tf.Tensor2D, train?: { dropout: number; seed: number }): tf.Tensor2D;
  dispose(): void;
}

export function layerNames(name: string, layer: number): { w: string; b: string } {
  return { w: `${name}/l${layer}/w`, b: `${name}/l${layer}/b` };
}

export function layerSizes(spec: MlpSpec): number[] {
  return [spec.inputSize, ...spec.hiddenSizes, spec.outputSize];
}

/** Parameter name → shape of an MLP named `name` with this spec (what a checkpoint must hold). */
export function mlpShapes(name: string, spec: MlpSpec): Record<string, number[]> {
  const sizes = layerSizes(spec);
  const shapes: Record<string, number[]> = {};
  for (let l = 0; l + 1 < sizes.length; l++) {
    const { w, b } = layerNames(name, l);
    shapes[w] = [sizes[l], sizes[l + 1]];
    shapes[b] = [sizes[l + 1]];
  }
  return shapes;
}

export function createMlp(name: string, spec: MlpSpec, rng: Rng, init: MlpInit = {}): Mlp {
  checkSpec(spec);
  const sizes = layerSizes(spec);
  const hiddenGain = init.hiddenGain ?? Math.SQRT2;
  const outputGain = init.outputGain ?? 1;
  const params: Record<string, tf.Variable> = {};
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [fanIn, fanOut] = [sizes[l], sizes[l + 1]];
    const gain = l + 2 === sizes.length ? outputGain : hiddenGain;
    const w = orthogonal(fanIn, fanOut, gain, rng);
    const names = layerNames(name, l);
    // no tfjs variable name: tfjs names are process-global, and a notebook may build many agents;
    // tidy frees the initial values (a variable keeps its own reference to the data)
    params[names.w] = tf.tidy(() => tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true));
    params[names.b] = tf.tidy(() => tf.variable(tf.zeros([fanOut]), true));
  }
  const layers = Object.keys(params).length / 2;
  const act = spec.activation === "tanh" ? tf.tanh : tf.relu;
  return {
    name,
    spec,
    params,
    apply(x, train) {
      const p = train?.dropout ?? 0;
      if (!(p >= 0 && p < 1)) throw new RangeError(`dropout must be in [0, 1), got ${p}`);
      return tf.tidy(() => {
        let h: tf.Tensor2D = x;
        for (let l = 0; l < layers; l++) {
          const { w, b } = layerNames(name, l);
          h = tf.add(tf.matMul(h, params[w]), params[b]);
          if (l + 1 < layers) {
            h = act(h);
            if (p > 0) h = tf.dropout(h, p, undefined, train!.seed + l) as tf.Tensor2D;
          }
        }
        return h;
      });
    },
    dispose() {
      for (const v of Object.values(params)) v.dispose();
    },
  };
}

/** Copies the weights out as plain data (one GPU/wasm read per parameter). */
export function mlpWeights(mlp: Mlp): NamedTensors {
  const out: NamedTensors = {};
  for (const [k, v] of Object.entries(mlp.params)) out[k] = { data: Float32Array.from(v.dataSync() as Float32Array), shape: [...v.shape] };
  return out;
}

/** Assigns weights by name; throws naming the missing parameter or the mismatched shape. */
export function setMlpWeights(mlp: Mlp, tensors: NamedTensors): void {
  for (const [k, v] of Object.entries(mlp.params)) {
    const t = tensors[k];
    if (!t) throw new RangeError(`missing weight '${k}' (have: ${Object.keys(tensors).join(", ") || "none"})`);
    const expected = v.shape.join("×"), got = t.shape.join("×");
    if (expected !== got) throw new RangeError(`weight '${k}' has shape [${got}], expected [${expected}]`);
    tf.tidy(() => v.assign(tf.tensor(t.data, t.shape)));
  }
}

function checkSpec(spec: MlpSpec): void {
  const sizes = layerSizes(spec);
  for (const s of sizes) if (!Number.isInteger(s) || s < 1) throw new RangeError(`MLP layer sizes must be positive integers, got [${sizes.join(", ")}]`);
  if (spec.activation !== "tanh" && spec.activation !== "relu") throw new RangeError(`activation must be "tanh" or "relu", got ${JSON.stringify(spec.activation)}`);
}

/**
 * A [rows, cols] matrix with orthonormal columns (rows ≥ cols) or rows (rows < cols), times `gain`
 * (Saxe et al. 2014): Gram–Schmidt on a Gaussian matrix, which is what QR does in numpy/torch.
 */
export function orthogonal(rows: number, cols: number, gain: number, rng: Rng): Float32Array {
  const [n, m] = rows >= cols ? [rows, cols] : [cols, rows]; // build n×m with orthonormal columns, n ≥ m
  const q = new Float64Array(n * m); // column-major: column j at q[j*n … j*n+n)
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  for (let j = 0; j < m; j++) {
    const cj = j * n;
    for (let k = 0; k < j; k++) {
      const ck = k * n;
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[cj + i] * q[ck + i];
      for (let i = 0; i < n; i++) q[cj + i] -= dot * q[ck + i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[cj + i] * q[cj + i];
    norm = Math.sqrt(norm);
    for (let i = 0; i < n; i++) q[cj + i] /= norm;
  }
  const out = new Float32Array(rows * cols); // row-major [rows, cols]
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (rows >= cols ? q[c * n + r] : q[r * n + c]);
    }
  }
  return out;
}

