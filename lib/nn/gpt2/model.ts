/**
 * GPT-2 (Radford et al. 2019) on TensorFlow.js, in the shape of nanoGPT's model.py:
 *
 *   x = wte[ids] + wpe[positions]                            token + position embeddings
 *   for each block:  x = x + attn(ln_1(x))                   pre-LayerNorm causal self-attention
 *                    x = x + mlp(ln_2(x))                    GELU (tanh approximation), 4× wide
 *   logits = ln_f(x) · wteᵀ                                   LM head tied to the token embedding
 *
 * Parameters carry Hugging Face's names (./weights.ts), so loading real GPT-2 weights is a plain
 * name-for-name copy (./load.ts). Padding conventions are in ./batch.ts (prompts left-padded,
 * completions right-padded, an attention mask and position ids that skip padding).
 *
 * Every tensor op sits inside tf.tidy or returns its result to the caller, so nothing leaks;
 * `apply`, `forward` and `logProbs` are differentiable (use them inside tf.variableGrads).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { attentionBias, completionMask, leftPad, promptCompletionBatch, positionsFromMask } from "./batch";
import { gpt2Config, type Gpt2Config } from "./config";
import { batchMatMul, customOp, embedding, linear, onWasmBackend, pickedLogProbs, pickedLogProbsGrad, product, productsAreTransposeFree, swapLastTwo, tiedHead } from "./kernels";
import { gpt2ParamShapes, initGpt2Weights, weightsToVariables, type Gpt2Weights } from "./weights";
import { engineAccumulate, kernelEngine } from "../threads/tf-kernels";
import { applyClipped, minimize, type Adam } from "../optim";

export interface Gpt2ApplyOptions {
  /** [batch, seq]: 1 for a token, 0 for padding (left or right). Default: no padding. */
  attentionMask?: tf.Tensor2D | readonly (readonly number[])[];
  /** [batch, seq] position ids. Default: the count of real tokens before each column (0, 1, 2, … without padding). */
  positionIds?: tf.Tensor2D | readonly (readonly number[])[];
  /** Dropout on (config.dropout) when true; default false. */
  training?: boolean;
  /** Seed of the dropout masks when training (draw it from the run's Rng); default 0. */
  dropoutSeed?: number;
}

export interface Gpt2LogProbOptions {
  /** Log-probs of softmax(logits / temperature); default 1. Use the sampling temperature to match `generate`. */
  temperature?: number;
  training?: boolean;
  dropoutSeed?: number;
}

/** One layer's cached keys and values, each [batch·heads, T, headDim]. */
export interface LayerKv {
  k: tf.Tensor3D;
  v: tf.Tensor3D;
}

export interface Gpt2 {
  readonly config: Gpt2Config;
  /** Trainable variables by Hugging Face's names (see ./weights.ts), in a fixed order. */
  readonly params: Readonly<Record<string, tf.Variable>>;
  /**
   * Logits [batch, seq, vocab] for int32 ids [batch, seq]. The tensor API for training:
   * `tf.variableGrads(() => loss(model.apply(ids, { training: true, dropoutSeed })))`.
   */
  apply(ids: tf.Tensor2D, opts?: Gpt2ApplyOptions): tf.Tensor3D;
  /**
   * Logits [batch, maxLen, vocab] for token-id arrays. Rows of different lengths are left-padded
   * (./batch.ts), so column maxLen − 1 is every row's next-token prediction.
   */
  forward(ids: readonly (readonly number[])[], opts?: Omit<Gpt2ApplyOptions, "attentionMask" | "positionIds">): tf.Tensor3D;
  /**
   * log π(completion token j | prompt, completion tokens before j), [batch, maxCompletionLen],
   * 0 on padding. What RLHF/GRPO losses need; differentiable. Prompts must be non-empty.
   */
  logProbs(promptIds: readonly (readonly number[])[], completionIds: readonly (readonly number[])[], opts?: Gpt2LogProbOptions): tf.Tensor2D;
  /**
   * `logProbs` and, from the same logits, the entropy of each next-token distribution (softmax of
   * logits / temperature), both [batch, maxCompletionLen] and 0 on padding. The entropy is for
   * logging (GRPO's `entropy` column); only the log-probs are meant to be differentiated.
   */
  logProbsAndEntropy(promptIds: readonly (readonly number[])[], completionIds: readonly (readonly number[])[], opts?: Gpt2LogProbOptions): { logProbs: tf.Tensor2D; entropy: tf.Tensor2D };
  /** A plain-data copy of the weights (for saving, or another model's setWeights). */
  weights(): Gpt2Weights;
  /** Assigns weights by name; throws naming a missing or mis-shaped one. */
  setWeights(weights: Gpt2Weights): void;
  /** Frees the variables (and the LM head's cached transpose). */
  dispose(): void;
}

// ---------------------------------------------------------------- building blocks

function layerNorm(x: tf.Tensor2D, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor2D {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

/**
 * GELU, tanh approximation (Hendrycks & Gimpel; HF's "gelu_new"): ½x(1 + tanh(√(2/π)(x + 0.044715x³))),
 * computed as x·σ(2√(2/π)(x + 0.044715x³)) — the same function (½(1 + tanh z) = σ(2z)), and wasm's
 * sigmoid is vectorised where its tanh is not (15× faster here).
 */
function gelu(x: tf.Tensor2D): tf.Tensor2D {
  // one op with its own gradient, dy·(s + x·s·(1 − s)·c·(1 + 3a·x²)), s recomputed from x: only x is
  // kept for the backward pass, not the five intermediates autodiff would keep (GPT-2 124M at
  // 4 × 128 tokens: ~400 MB of a wasm heap that cannot pass 4 GB)
  const c = 2 * Math.sqrt(2 / Math.PI), a = 0.044715;
  const sig = (t: tf.Tensor) => tf.sigmoid(tf.mul(c, tf.add(t, tf.mul(a, tf.mul(t, tf.mul(t, t))))));
  const op = customOp((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([t]);
    return {
      value: tf.mul(t, sig(t)),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [X] = saved;
        const s = sig(X);
        const slope = tf.add(s, tf.mul(tf.mul(X, tf.mul(s, tf.sub(1, s))), tf.mul(c, tf.add(1, tf.mul(3 * a, tf.square(X))))));
        return tf.mul(dy, slope);
      },
    };
  });
  return op(x) as tf.Tensor2D;
}

/** Dropout whose masks come from a counter on the caller's seed (one site after another). */
interface DropoutState {
  rate: number;
  seed: number;
  site: number;
}

function dropout<T extends tf.Tensor>(x: T, d: DropoutState | undefined): T {
  if (!d || d.rate === 0) return x;
  return tf.dropout(x, d.rate, undefined, d.seed + 7919 * d.site++) as T;
}

interface BlockInputs {
  batch: number;
  seq: number;
  /** Additive attention bias [batch or 1, 1, seq, keys]. */
  bias: tf.Tensor4D;
  past?: LayerKv;
  /** Receives this layer's keys and values (past and new), for a KV cache. */
  present?: LayerKv[];
  dropout?: DropoutState;
}

/** Causal self-attention: one qkv projection, nHead heads, softmax(q·kᵀ/√d + mask)·v, output projection. */
function attention(p: Record<string, tf.Tensor>, c: Gpt2Config, layer: number, x: tf.Tensor2D, inp: BlockInputs): tf.Tensor2D {
  const { batch: B, seq: T } = inp;
  const H = c.nHead, D = c.nEmbd / H;
  const name = `h.${layer}.attn`;
  const qkv = linear(x, p[`${name}.c_attn.weight`] as tf.Tensor2D, p[`${name}.c_attn.bias`] as tf.Tensor1D); // [B·T, 3E]
  const [q, k, v] = tf.split(qkv, 3, 1);
  const split = (t: tf.Tensor, perm: number[]) => tf.transpose(tf.reshape(t, [B, T, H, D]), perm);
  const qh = tf.reshape(split(tf.mul(q, 1 / Math.sqrt(D)), [0, 2, 1, 3]), [B * H, T, D]);
  let vh = tf.reshape(split(v, [0, 2, 1, 3]), [B * H, T, D]) as tf.Tensor3D;
  // scores = q·kᵀ: on the kernel engine the transpose is a stride of the product (batchMatMul's
  // transposeB); elsewhere kᵀ is made once, the cheapest way for each case
  const transposeFree = productsAreTransposeFree();
  let kOperand: tf.Tensor3D;
  if (!inp.past && !inp.present && !transposeFree) kOperand = tf.reshape(split(k, [0, 2, 3, 1]), [B * H, D, T]) as tf.Tensor3D;
  else {
    // the cache keeps keys as [B·H, keys, D], so a decoding step appends whole rows (tf.concat on
    // axis 1 copies B·H contiguous blocks); appending a column to kᵀ [B·H, D, keys] copied B·H·D
    // pieces of a few floats each: 18% of GPT-2 124M's generation time
    let kh = tf.reshape(split(k, [0, 2, 1, 3]), [B * H, T, D]) as tf.Tensor3D;
    if (inp.past) {
      kh = tf.concat([inp.past.k, kh], 1);
      vh = tf.concat([inp.past.v, vh], 1);
    }
    if (inp.present) inp.present[layer] = { k: tf.keep(kh), v: tf.keep(vh) };
    kOperand = transposeFree ? kh : swapLastTwo(kh);
  }
  const keys = transposeFree ? kOperand.shape[1] : kOperand.shape[2];
  const scores = tf.add(tf.reshape(batchMatMul(qh as tf.Tensor3D, kOperand, false, transposeFree), [B, H, T, keys]), inp.bias);
  const att = dropout(tf.softmax(scores), inp.dropout);
  const y = batchMatMul(tf.reshape(att, [B * H, T, keys]) as tf.Tensor3D, vh); // [B·H, T, D]
  const merged = tf.reshape(tf.transpose(tf.reshape(y, [B, H, T, D]), [0, 2, 1, 3]), [B * T, c.nEmbd]) as tf.Tensor2D;
  return linear(merged, p[`${name}.c_proj.weight`] as tf.Tensor2D, p[`${name}.c_proj.bias`] as tf.Tensor1D);
}

function mlp(p: Record<string, tf.Tensor>, layer: number, x: tf.Tensor2D): tf.Tensor2D {
  const name = `h.${layer}.mlp`;
  const h = gelu(linear(x, p[`${name}.c_fc.weight`] as tf.Tensor2D, p[`${name}.c_fc.bias`] as tf.Tensor1D));
  return linear(h, p[`${name}.c_proj.weight`] as tf.Tensor2D, p[`${name}.c_proj.bias`] as tf.Tensor1D);
}

function block(p: Record<string, tf.Tensor>, c: Gpt2Config, layer: number, x: tf.Tensor2D, inp: BlockInputs): tf.Tensor2D {
  const h = `h.${layer}`;
  x = tf.add(x, dropout(attention(p, c, layer, layerNorm(x, p[`${h}.ln_1.weight`], p[`${h}.ln_1.bias`], c.layerNormEps), inp), inp.dropout));
  x = tf.add(x, dropout(mlp(p, layer, layerNorm(x, p[`${h}.ln_2.weight`], p[`${h}.ln_2.bias`], c.layerNormEps)), inp.dropout));
  return x;
}

export interface TransformerInputs {
  /** int32 [batch, seq]. */
  ids: tf.Tensor2D;
  /** int32 [batch, seq]. */
  positions: tf.Tensor2D;
  /** Additive attention bias [batch or 1, 1, seq, past + seq] (./batch.ts attentionBias). */
  bias: tf.Tensor4D;
  /** Cached keys/values of the earlier columns, one per layer. */
  past?: LayerKv[];
  /** Filled with each layer's keys/values including this call's (kept tensors, the caller disposes them). */
  present?: LayerKv[];
  dropout?: { rate: number; seed: number };
}

/** The transformer up to the final LayerNorm: hidden states [batch·seq, nEmbd]. */
export function transformer(p: Record<string, tf.Tensor>, c: Gpt2Config, inp: TransformerInputs): tf.Tensor2D {
  const [B, T] = inp.ids.shape;
  const pastLen = inp.past ? inp.past[0].v.shape[1] : 0;
  if (pastLen + T > c.nPositions) throw new RangeError(`sequence of ${pastLen + T} tokens is longer than the model's ${c.nPositions} positions`);
  const drop: DropoutState | undefined = inp.dropout && inp.dropout.rate > 0 ? { ...inp.dropout, site: 0 } : undefined;
  const tok = embedding(p["wte.weight"] as tf.Tensor2D, tf.reshape(inp.ids, [B * T]));
  const pos = embedding(p["wpe.weight"] as tf.Tensor2D, tf.reshape(inp.positions, [B * T]));
  let x = dropout(tf.add(tok, pos) as tf.Tensor2D, drop);
  for (let layer = 0; layer < c.nLayer; layer++) {
    x = block(p, c, layer, x, { batch: B, seq: T, bias: inp.bias, past: inp.past?.[layer], present: inp.present, dropout: drop });
  }
  return layerNorm(x, p["ln_f.weight"], p["ln_f.bias"], c.layerNormEps);
}

/**
 * log softmax(logits)[target] per row, [n] from logits [n, vocab] and int32 targets [n]. One op
 * with its own gradient, dy·(onehot(target) − softmax), instead of autodiff through logSumExp and
 * a gather (fewer passes over the 50,257-wide rows, and no exp: see below).
 */
export function tokenLogProbs(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const [n, V] = logits.shape;
  const op = customOp((l: tf.Tensor, t: tf.Tensor, save: tf.GradSaveFunc) => {
    // log Σ exp(l) = max(l) − log(max(softmax(l))): the softmax kernel is vectorised on wasm (exp is
    // not), and its largest entry is ≥ 1/V, so the log is exact where log(softmax) could underflow
    const probs = tf.softmax(l);
    save([probs, t]);
    // on wasm one pass per row (./kernels.ts pickedLogProbs); elsewhere tfjs's ops
    const value = onWasmBackend()
      ? pickedLogProbs(l as tf.Tensor2D, probs as tf.Tensor2D, t as tf.Tensor1D)
      : tf.sub(
        tf.gather(tf.reshape(l, [n * V]), tf.add(tf.mul(tf.range(0, n, 1, "int32"), tf.scalar(V, "int32")), t)),
        tf.reshape(tf.sub(tf.max(l, -1, true), tf.log(tf.max(probs, -1, true))), [n]),
      );
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [P, T] = saved;
        const dl = onWasmBackend()
          ? pickedLogProbsGrad(P as tf.Tensor2D, T as tf.Tensor1D, dy as tf.Tensor1D)
          : tf.mul(tf.sub(tf.oneHot(T as tf.Tensor1D, V), P), tf.reshape(dy, [n, 1]));
        return [dl, tf.zeros(T.shape)];
      },
    };
  });
  return op(logits, targets) as tf.Tensor1D;
}

/**
 * Entropy −Σ p·log p of softmax(logits) per row, [n] from logits [n, vocab]: log Σ exp(l) − Σ p·l,
 * with log Σ exp(l) = max(l) − log(max(softmax(l))) as in tokenLogProbs. For logging.
 */
export function tokenEntropies(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => {
    const probs = tf.softmax(logits);
    const lse = tf.sub(tf.max(logits, -1), tf.log(tf.max(probs, -1)));
    return tf.sub(lse, tf.sum(tf.mul(probs, logits), -1)) as tf.Tensor1D;
  });
}

// ---------------------------------------------------------------- the model

function toInt2d(x: tf.Tensor2D | readonly (readonly number[])[], what: string, shape: [number, number]): tf.Tensor2D {
  const t = x instanceof tf.Tensor ? (x.dtype === "int32" ? x : tf.cast(x, "int32")) : tf.tensor2d(x as number[][], undefined, "int32");
  if (t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) throw new RangeError(`${what} has shape [${t.shape}], expected [${shape}] (the ids' shape)`);
  return t as tf.Tensor2D;
}

class Gpt2Model implements Gpt2 {
  readonly config: Gpt2Config;
  readonly params: Readonly<Record<string, tf.Variable>>;
  /** wteᵀ [nEmbd, vocab] for inference, remade when wte's data changes (an optimiser step assigns it). */
  private headCache: { source: object; wteT: tf.Tensor2D } | undefined;

  constructor(config: Gpt2Config, params: Record<string, tf.Variable>) {
    this.config = config;
    this.params = params;
  }

  /**
   * Logits [n, vocab] from final hidden states [n, nEmbd]; `cached` is for inference (no gradient
   * to wte): a transposed copy of wte kept for tfjs's kernels, none needed on the kernel engine.
   */
  head(h: tf.Tensor2D, cached = false): tf.Tensor2D {
    const wte = this.params["wte.weight"] as tf.Tensor2D;
    if (!cached) return tiedHead(h, wte);
    // the kernel engine reads wte row by row for h·wteᵀ: no transposed copy needed
    if (productsAreTransposeFree()) return product(h, wte, true);
    if (!this.headCache || this.headCache.source !== wte.dataId) {
      this.headCache?.wteT.dispose();
      this.headCache = { source: wte.dataId, wteT: tf.keep(tf.tidy(() => swapLastTwo(wte))) }; // kept: we may be inside a caller's tidy
    }
    return product(h, this.headCache.wteT);
  }

  apply(ids: tf.Tensor2D, opts: Gpt2ApplyOptions = {}): tf.Tensor3D {
    const [B, T] = ids.shape;
    const c = this.config;
    return tf.tidy(() => {
      let mask: Uint8Array | null = null;
      if (opts.attentionMask !== undefined) {
        const m = opts.attentionMask instanceof tf.Tensor ? opts.attentionMask.dataSync() : (opts.attentionMask as number[][]).flat();
        if (m.length !== B * T) throw new RangeError(`attentionMask has ${m.length} entries, expected ${B}×${T} (the ids' shape)`);
        mask = Uint8Array.from(m, (v) => (v ? 1 : 0));
        if (mask.every((v) => v === 1)) mask = null;
      }
      const positions = opts.positionIds !== undefined
        ? toInt2d(opts.positionIds, "positionIds", [B, T])
        : tf.tensor2d(mask ? positionsFromMask(mask, B, T) : Int32Array.from({ length: B * T }, (_, i) => i % T), [B, T], "int32");
      const h = transformer(this.params, c, {
        ids: ids.dtype === "int32" ? ids : tf.cast(ids, "int32"),
        positions,
        bias: attentionBias(mask, B, T, T),
        dropout: opts.training ? { rate: c.dropout, seed: opts.dropoutSeed ?? 0 } : undefined,
      });
      return tf.reshape(this.head(h), [B, T, c.vocabSize]) as tf.Tensor3D;
    });
  }

  forward(ids: readonly (readonly number[])[], opts: Omit<Gpt2ApplyOptions, "attentionMask" | "positionIds"> = {}): tf.Tensor3D {
    const batch = leftPad(ids);
    return tf.tidy(() => {
      const t = tf.tensor2d(batch.ids, [batch.batch, batch.length], "int32");
      const mask = batch.padded ? tf.tensor2d(batch.mask, [batch.batch, batch.length], "int32") : undefined;
      return this.apply(t, { ...opts, attentionMask: mask });
    });
  }

  logProbs(promptIds: readonly (readonly number[])[], completionIds: readonly (readonly number[])[], opts: Gpt2LogProbOptions = {}): tf.Tensor2D {
    return this.completionScores(promptIds, completionIds, opts, false).logProbs;
  }

  logProbsAndEntropy(promptIds: readonly (readonly number[])[], completionIds: readonly (readonly number[])[], opts: Gpt2LogProbOptions = {}): { logProbs: tf.Tensor2D; entropy: tf.Tensor2D } {
    const out = this.completionScores(promptIds, completionIds, opts, true);
    return { logProbs: out.logProbs, entropy: out.entropy! };
  }

  private completionScores(promptIds: readonly (readonly number[])[], completionIds: readonly (readonly number[])[], opts: Gpt2LogProbOptions, withEntropy: boolean): { logProbs: tf.Tensor2D; entropy?: tf.Tensor2D } {
    const c = this.config;
    const temperature = opts.temperature ?? 1;
    if (!(temperature > 0)) throw new RangeError(`temperature must be > 0, got ${temperature}`);
    const batch = promptCompletionBatch(promptIds, completionIds);
    const { batch: B, length: L, promptLength: P, completionLength: C } = batch;
    const result = tf.tidy(() => {
      if (C === 0) return withEntropy ? [tf.zeros([B, 0]), tf.zeros([B, 0])] : [tf.zeros([B, 0])];
      const h = transformer(this.params, c, {
        ids: tf.tensor2d(batch.ids, [B, L], "int32"),
        positions: tf.tensor2d(batch.positions, [B, L], "int32"),
        bias: attentionBias(batch.padded ? batch.mask : null, B, L, L),
        dropout: opts.training ? { rate: c.dropout, seed: opts.dropoutSeed ?? 0 } : undefined,
      });
      // only the columns that predict completion tokens go through the (expensive) head
      const predicting = tf.reshape(tf.slice(tf.reshape(h, [B, L, c.nEmbd]), [0, P - 1, 0], [B, C, c.nEmbd]), [B * C, c.nEmbd]) as tf.Tensor2D;
      let logits = this.head(predicting);
      if (temperature !== 1) logits = tf.div(logits, temperature);
      const targets = tf.tensor1d(Int32Array.from({ length: B * C }, (_, i) => batch.ids[Math.floor(i / C) * L + P + (i % C)]), "int32");
      const mask = completionMask(completionIds);
      const logProbs = tf.mul(tf.reshape(tokenLogProbs(logits, targets), [B, C]), mask);
      return withEntropy ? [logProbs, tf.mul(tf.reshape(tokenEntropies(logits), [B, C]), mask)] : [logProbs];
    });
    return { logProbs: result[0] as tf.Tensor2D, entropy: result[1] as tf.Tensor2D | undefined };
  }

  weights(): Gpt2Weights {
    const out: Gpt2Weights = {};
    for (const [name, v] of Object.entries(this.params)) out[name] = { data: Float32Array.from(v.dataSync() as Float32Array), shape: [...v.shape] };
    return out;
  }

  setWeights(weights: Gpt2Weights): void {
    for (const [name, v] of Object.entries(this.params)) {
      const w = weights[name];
      if (!w) throw new RangeError(`missing weight '${name}' (expected shape [${v.shape.join(", ")}])`);
      if (w.shape.length !== v.shape.length || w.shape.some((d, i) => d !== v.shape[i])) {
        throw new RangeError(`weight '${name}' has shape [${w.shape.join(", ")}], expected [${v.shape.join(", ")}]`);
      }
      tf.tidy(() => v.assign(tf.tensor(w.data, w.shape, "float32")));
    }
  }

  dispose(): void {
    this.headCache?.wteT.dispose();
    this.headCache = undefined;
    for (const v of Object.values(this.params)) v.dispose();
  }
}

/** The internal model class, for ./generate.ts (the cached head). */
export function isGpt2Model(m: Gpt2): m is Gpt2Model {
  return m instanceof Gpt2Model;
}

export type { Gpt2Model };

/** A model from weights by name (checked against the config's names and shapes). */
export function gpt2FromWeights(config: Gpt2Config, weights: Gpt2Weights): Gpt2 {
  const shapes = gpt2ParamShapes(config);
  for (const [name, shape] of Object.entries(shapes)) {
    const w = weights[name];
    if (!w) throw new RangeError(`missing weight '${name}' (expected shape [${shape.join(", ")}])`);
    if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) {
      throw new RangeError(`weight '${name}' has shape [${w.shape.join(", ")}], expected [${shape.join(", ")}]`);
    }
  }
  const ordered: Gpt2Weights = {};
  for (const name of Object.keys(shapes)) ordered[name] = weights[name];
  return new Gpt2Model(config, weightsToVariables(ordered));
}

/** A freshly initialised GPT-2 (./weights.ts initGpt2Weights), seeded by our Rng. */
export function createGpt2(config: Partial<Gpt2Config>, rng: Rng): Gpt2 {
  const c = gpt2Config(config);
  return gpt2FromWeights(c, initGpt2Weights(c, rng));
}

/**
 * Mean next-token cross-entropy (nats) of equal-length sequences [batch, seq + 1]: predicts
 * ids[:, 1:] from ids[:, :-1]. The pretraining loss; a scalar for tf.variableGrads.
 */
export function lmLoss(model: Gpt2, ids: tf.Tensor2D | readonly (readonly number[])[], opts: { training?: boolean; dropoutSeed?: number } = {}): tf.Scalar {
  return tf.tidy(() => {
    let t: tf.Tensor2D;
    if (ids instanceof tf.Tensor) t = ids.dtype === "int32" ? ids : tf.cast(ids, "int32");
    else {
      const rows = ids as readonly (readonly number[])[];
      const len = rows[0]?.length ?? 0;
      rows.forEach((r, b) => { if (r.length !== len) throw new RangeError(`lmLoss: sequences must have equal lengths; row ${b} has ${r.length}, row 0 has ${len}`); });
      t = tf.tensor2d(rows as number[][], [rows.length, len], "int32");
    }
    const [B, L] = t.shape;
    if (L < 2) throw new RangeError(`lmLoss: sequences need at least 2 tokens, got ${L}`);
    const inputs = tf.slice(t, [0, 0], [B, L - 1]);
    const targets = tf.reshape(tf.slice(t, [0, 1], [B, L - 1]), [B * (L - 1)]) as tf.Tensor1D;
    const logits = tf.reshape(model.apply(inputs, opts), [B * (L - 1), model.config.vocabSize]) as tf.Tensor2D;
    return tf.neg(tf.mean(tokenLogProbs(logits, targets))) as tf.Scalar;
  });
}

/** What an optimiser must offer `gpt2TrainStep`: lib/nn/optim's Adam. */
export type Gpt2Optimizer = Pick<Adam, "apply">;

/**
 * One pretraining step: lmLoss on `ids`, gradients, global-norm clipping (0 = off), the optimiser's
 * update. Returns the loss before the step and the gradient norm before clipping. `microbatch`:
 * rows per forward/backward pass, the gradients summed over the passes (the same step in less
 * memory: GPT-2 124M's activations for 4 × 128 tokens do not fit beside its weights and Adam's
 * state in wasm32's 4 GiB heap); dropout masks then follow the seed per group of rows.
 */
export function gpt2TrainStep(model: Gpt2, optimizer: Gpt2Optimizer, ids: tf.Tensor2D | readonly (readonly number[])[], opts: { maxGradNorm?: number; dropoutSeed?: number; microbatch?: number } = {}): { loss: number; gradNorm: number } {
  const params = Object.values(model.params);
  const maxNorm = opts.maxGradNorm ?? 1;
  const rows = ids instanceof tf.Tensor ? ids.shape[0] : ids.length;
  const micro = opts.microbatch ?? rows;
  if (!Number.isInteger(micro) || micro < 1) throw new RangeError(`microbatch must be a positive integer, got ${opts.microbatch}`);
  if (micro < rows) return microbatchedStep(model, optimizer, ids, { maxNorm, micro, dropoutSeed: opts.dropoutSeed });
  return tf.tidy(() => {
    // lib/nn/optim's one step: gradients, the global norm clipped (on all cores for big models), Adam
    const step = minimize(() => lmLoss(model, ids, { training: true, dropoutSeed: opts.dropoutSeed }), params, optimizer, maxNorm);
    return { loss: step.loss.dataSync()[0], gradNorm: step.gradNorm.dataSync()[0] };
  });
}

/**
 * gpt2TrainStep over groups of `micro` rows: each group's gradient (of its share of the mean
 * loss) is added into one set of sums, so only one group's activations exist at a time — the same
 * step as the whole batch at once, up to float rounding. On the kernel engine the sums are added
 * in place; elsewhere with tf.add.
 */
function microbatchedStep(model: Gpt2, optimizer: Gpt2Optimizer, ids: tf.Tensor2D | readonly (readonly number[])[], o: { maxNorm: number; micro: number; dropoutSeed?: number }): { loss: number; gradNorm: number } {
  const params = Object.values(model.params);
  const all = ids instanceof tf.Tensor ? (ids.arraySync() as number[][]) : ids;
  const rows = all.length;
  let sums: tf.Tensor[] | undefined;
  let loss = 0;
  try {
    for (let start = 0; start < rows; start += o.micro) {
      const group = all.slice(start, start + o.micro);
      const share = group.length / rows;
      const { value, grads } = tf.variableGrads(() => tf.mul(lmLoss(model, group, { training: true, dropoutSeed: o.dropoutSeed === undefined ? undefined : o.dropoutSeed + start }), share) as tf.Scalar, params);
      loss += value.dataSync()[0];
      value.dispose();
      const g = params.map((p) => grads[p.name]);
      if (!sums) sums = g;
      else {
        const engine = kernelEngine() !== undefined;
        sums = sums.map((acc, i) => {
          if (engine && engineAccumulate(acc, g[i])) {
            g[i].dispose();
            return acc;
          }
          const next = tf.add(acc, g[i]);
          tf.dispose([acc, g[i]]);
          return next;
        });
      }
    }
    const g = sums!;
    return tf.tidy(() => ({ loss, gradNorm: applyClipped(params, g, optimizer, o.maxNorm).dataSync()[0] }));
  } finally {
    if (sums) tf.dispose(sums);
  }
}
