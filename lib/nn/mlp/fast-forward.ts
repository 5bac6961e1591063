/**
 * The same MLP forward pass on plain Float32Arrays, for acting.
 *
 * What it buys, for the 4→64→64→2 tanh policy (figs/bench.json, `npm run bench`): one tfjs-wasm
 * forward call with its read-back costs ~29 µs at 1 row and ~38 µs at 4 or 8 rows — mostly per-call
 * overhead — while this loop takes ~10 µs at 1 row and ~22 µs at 4. Its cost grows with the rows
 * (~43 µs at 8, ~88 µs at 16 against tfjs's ~47 µs), so it wins when acting on 1–4 rows (evaluation
 * acts on one), is about even at 8 and loses from 16 rows up: batched work stays in tfjs.
 * The tfjs variables stay the source of truth: call `syncFastMlp` after each update.
 */
import { layerNames, layerSizes, type Mlp, type MlpSpec, type NamedTensors } from "./mlp";

export interface FastMlp {
  readonly spec: MlpSpec;
  /** Per layer, the weights transposed to [out, in] row-major (so each output is one dot product). */
  readonly weightsT: Float32Array[];
  readonly biases: Float32Array[];
  /**
   * Forward pass of `batch` rows of `x` (row-major [batch, inputSize]); returns [batch, outputSize].
   * The returned array is reused by the next call — copy it if you keep it.
   */
  forward(x: Float32Array, batch: number): Float32Array;
  /** Copies a row-major [in, out] weight matrix of layer `l` in (transposing it). */
  setLayer(l: number, w: ArrayLike<number>, b: ArrayLike<number>): void;
}

export function createFastMlp(spec: MlpSpec): FastMlp {
  const sizes = layerSizes(spec);
  const weightsT = sizes.slice(0, -1).map((n, l) => new Float32Array(n * sizes[l + 1]));
  const biases = sizes.slice(1).map((n) => new Float32Array(n));
  const tanh = spec.activation === "tanh";
  const outSize = sizes[sizes.length - 1];
  let buffers: Float32Array[] = [];
  let capacity = 0;

  return {
    spec,
    weightsT,
    biases,
    setLayer(l, w, b) {
      const nIn = sizes[l], nOut = sizes[l + 1];
      if (w.length !== nIn * nOut || b.length !== nOut) throw new RangeError(`layer ${l}: got ${w.length} weights and ${b.length} biases, expected ${nIn}×${nOut} and ${nOut}`);
      const wt = weightsT[l];
      for (let i = 0; i < nIn; i++) for (let j = 0; j < nOut; j++) wt[j * nIn + i] = w[i * nOut + j];
      biases[l].set(b);
    },
    forward(x, batch) {
      if (x.length < batch * spec.inputSize) throw new RangeError(`forward: x has ${x.length} values, expected ${batch}×${spec.inputSize}`);
      if (batch > capacity) {
        capacity = Math.max(batch, capacity * 2);
        buffers = sizes.slice(1).map((n) => new Float32Array(capacity * n));
      }
      let h = x;
      for (let l = 0; l < weightsT.length; l++) {
        const out = buffers[l];
        denseLayer(h, batch, sizes[l], sizes[l + 1], weightsT[l], biases[l], out);
        if (l + 1 < weightsT.length) {
          const n = batch * sizes[l + 1];
          if (tanh) for (let k = 0; k < n; k++) out[k] = Math.tanh(out[k]);
          else for (let k = 0; k < n; k++) if (out[k] < 0) out[k] = 0;
        }
        h = out;
      }
      return h.length === batch * outSize ? h : h.subarray(0, batch * outSize);
    },
  };
}

/** out[r, j] = b[j] + Σ_i h[r, i]·wT[j, i], four rows at a time so that each weight load serves four rows. */
function denseLayer(h: Float32Array, batch: number, nIn: number, nOut: number, wT: Float32Array, b: Float32Array, out: Float32Array): void {
  let r = 0;
  for (; r + 4 <= batch; r += 4) {
    const h0 = r * nIn, h1 = h0 + nIn, h2 = h1 + nIn, h3 = h2 + nIn;
    const o0 = r * nOut, o1 = o0 + nOut, o2 = o1 + nOut, o3 = o2 + nOut;
    for (let j = 0; j < nOut; j++) {
      let s0 = b[j], s1 = s0, s2 = s0, s3 = s0;
      const wo = j * nIn;
      for (let i = 0; i < nIn; i++) {
        const wv = wT[wo + i];
        s0 += h[h0 + i] * wv; s1 += h[h1 + i] * wv; s2 += h[h2 + i] * wv; s3 += h[h3 + i] * wv;
      }
      out[o0 + j] = s0; out[o1 + j] = s1; out[o2 + j] = s2; out[o3 + j] = s3;
    }
  }
  for (; r < batch; r++) {
    const ho = r * nIn, oo = r * nOut;
    for (let j = 0; j < nOut; j++) {
      let s = b[j];
      const wo = j * nIn;
      for (let i = 0; i < nIn; i++) s += h[ho + i] * wT[wo + i];
      out[oo + j] = s;
    }
  }
}

/** Copies the tfjs weights of `mlp` into `fast` (one read per parameter). */
export function syncFastMlp(fast: FastMlp, mlp: Mlp): void {
  for (let l = 0; l < fast.weightsT.length; l++) {
    const { w, b } = layerNames(mlp.name, l);
    fast.setLayer(l, mlp.params[w].dataSync() as Float32Array, mlp.params[b].dataSync() as Float32Array);
  }
}

/** Loads named weights (e.g. from a checkpoint) into `fast`; `name` is the MLP's prefix. */
export function setFastMlpWeights(fast: FastMlp, name: string, tensors: NamedTensors): void {
  for (let l = 0; l < fast.weightsT.length; l++) {
    const { w, b } = layerNames(name, l);
    const tw = tensors[w], tb = tensors[b];
    if (!tw || !tb) throw new RangeError(`missing weight '${!tw ? w : b}'`);
    fast.setLayer(l, tw.data, tb.data);
  }
}

/** A convenience: a FastMlp already synced from `mlp`. */
export function fastMlpFrom(mlp: Mlp): FastMlp {
  const fast = createFastMlp(mlp.spec);
  syncFastMlp(fast, mlp);
  return fast;
}
