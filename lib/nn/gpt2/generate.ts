/**
 * Incremental decoding with a KV cache, and batched sampling on top of it.
 *
 *   prefill(model, prompts)     runs the left-padded prompts once (./batch.ts), keeps every layer's
 *                               keys and values, returns the logits of each prompt's last token
 *   decodeStep(model, cache, t) feeds one new token per row: its query attends to the cached keys
 *                               plus its own; the cache grows by one row per head (tf.concat)
 *   generate(model, prompts, o) prefill, then sample / decodeStep until every row has produced EOS
 *                               or maxNewTokens tokens
 *
 * Keys and values are cached as [batch·heads, T, headDim] (appending a step copies whole rows). The
 * LM head uses a cached transposed copy of wte (remade after an optimiser step changes wte; none
 * on the kernel engine of lib/nn/threads, which reads wte in place), so decoding does not
 * gradient-track — use `model.logProbs` for anything you differentiate.
 *
 * Memory: the cache holds 2·nLayer·batch·T·nEmbd floats (GPT-2 124M, batch 8, 1,024 tokens: 600 MB;
 * 128 tokens: 75 MB) and, without the kernel engine, the head copy vocab·nEmbd (154 MB for 124M).
 * `generate` frees all of it but the head copy (freed by model.dispose()).
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import { attentionBias, leftPad, PAD_ID } from "./batch";
import { isGpt2Model, transformer, type Gpt2, type LayerKv } from "./model";
import { GPT2_EOS_ID } from "./tokenizer";
import { checkSamplingOptions, sampleToken, type SamplingOptions } from "./sampling";

export interface KvCache {
  readonly batch: number;
  /** Columns cached so far (the left-padded prompt length plus the steps taken). */
  length: number;
  /** [batch·length] 1 for real tokens, 0 for prompt padding. */
  mask: Uint8Array;
  /** Position id of each row's next token (its count of real tokens). */
  nextPosition: Int32Array;
  /** Whether any prompt was padded (else the attention mask is causal only). */
  padded: boolean;
  layers: LayerKv[];
}

function modelOf(model: Gpt2) {
  if (!isGpt2Model(model)) throw new TypeError("expected a model made by createGpt2, loadGpt2 or gpt2FromWeights");
  return model;
}

/** Runs the prompts (left-padded) and caches keys/values; returns logits [batch, vocab] for each row's next token. */
export function prefill(model: Gpt2, promptIds: readonly (readonly number[])[]): { cache: KvCache; logits: tf.Tensor2D } {
  const m = modelOf(model);
  const c = m.config;
  const batch = leftPad(promptIds);
  const { batch: B, length: T } = batch;
  if (T === 0) throw new RangeError("prompts are all empty: start each with a token (GPT-2 uses <|endoftext|>, 50256)");
  const present: LayerKv[] = [];
  const logits = tf.tidy(() => {
    const h = transformer(m.params, c, {
      ids: tf.tensor2d(batch.ids, [B, T], "int32"),
      positions: tf.tensor2d(batch.positions, [B, T], "int32"),
      bias: attentionBias(batch.padded ? batch.mask : null, B, T, T),
      present,
    });
    const last = tf.reshape(tf.slice(tf.reshape(h, [B, T, c.nEmbd]), [0, T - 1, 0], [B, 1, c.nEmbd]), [B, c.nEmbd]) as tf.Tensor2D;
    return m.head(last, true);
  });
  const nextPosition = new Int32Array(B);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) nextPosition[b] += batch.mask[b * T + t];
  return { cache: { batch: B, length: T, mask: batch.mask, nextPosition, padded: batch.padded, layers: present }, logits };
}

/** Feeds one token per row; updates the cache in place (freeing the old tensors) and returns logits [batch, vocab]. */
export function decodeStep(model: Gpt2, cache: KvCache, tokens: readonly number[]): tf.Tensor2D {
  const m = modelOf(model);
  const c = m.config;
  const B = cache.batch, L = cache.length;
  if (tokens.length !== B) throw new RangeError(`decodeStep: ${tokens.length} tokens for a batch of ${B}`);
  const mask = new Uint8Array(B * (L + 1));
  for (let b = 0; b < B; b++) {
    mask.set(cache.mask.subarray(b * L, (b + 1) * L), b * (L + 1));
    mask[b * (L + 1) + L] = 1;
  }
  const present: LayerKv[] = [];
  const logits = tf.tidy(() => {
    const h = transformer(m.params, c, {
      ids: tf.tensor2d(Int32Array.from(tokens), [B, 1], "int32"),
      positions: tf.tensor2d(cache.nextPosition, [B, 1], "int32"),
      bias: attentionBias(cache.padded ? mask : null, B, 1, L + 1),
      past: cache.layers,
      present,
    });
    return m.head(h, true);
  });
  for (const kv of cache.layers) tf.dispose([kv.k, kv.v]);
  cache.layers = present;
  cache.mask = mask;
  cache.length = L + 1;
  for (let b = 0; b < B; b++) cache.nextPosition[b]++;
  return logits;
}

export function disposeKvCache(cache: KvCache): void {
  for (const kv of cache.layers) tf.dispose([kv.k, kv.v]);
  cache.layers = [];
}

export interface GenerateOptions extends SamplingOptions {
  /** Stop after this many new tokens per row. */
  maxNewTokens: number;
  /** A row stops after producing this token (included in its completion). Default 50256 (<|endoftext|>); null = never. */
  eosId?: number | null;
  /** Our seeded generator; required unless greedy (temperature 0). */
  rng?: Rng;
}

export interface Generation {
  /** Each row's new tokens, ending with EOS when it stopped there. */
  tokens: number[][];
  /** log π(token) at the sampling temperature, per token (what model.logProbs(prompts, tokens, { temperature }) gives). */
  logProbs: number[][];
  /** log-prob under the truncated (top-k / top-p) distribution actually sampled from. */
  samplerLogProbs: number[][];
  /** Whether each row stopped at EOS (else at maxNewTokens). */
  finished: boolean[];
}

/**
 * Samples completions for a batch of prompts (of any lengths), with a KV cache. Seeded: the same
 * rng seed gives the same tokens. Frees every tensor it makes.
 */
export function generate(model: Gpt2, promptIds: readonly (readonly number[])[], opts: GenerateOptions): Generation {
  checkSamplingOptions(opts);
  const { maxNewTokens } = opts;
  const eosId = opts.eosId === undefined ? GPT2_EOS_ID : opts.eosId;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) throw new RangeError(`maxNewTokens must be a non-negative integer, got ${maxNewTokens}`);
  const greedy = opts.greedy || opts.temperature === 0;
  if (!greedy && !opts.rng) throw new RangeError("generate: pass rng (our seeded Rng), or greedy: true / temperature: 0");
  const longest = Math.max(0, ...promptIds.map((p) => p.length));
  if (longest + maxNewTokens > model.config.nPositions) {
    throw new RangeError(`prompt of ${longest} tokens + maxNewTokens ${maxNewTokens} exceeds the model's ${model.config.nPositions} positions`);
  }
  const B = promptIds.length;
  const out: Generation = { tokens: promptIds.map(() => []), logProbs: promptIds.map(() => []), samplerLogProbs: promptIds.map(() => []), finished: promptIds.map(() => false) };
  if (maxNewTokens === 0) return out;
  const V = model.config.vocabSize;
  // one stream per row, so a row's tokens do not depend on when the other rows stop
  const rowRngs = promptIds.map(() => (greedy ? undefined : opts.rng!.fork()));
  let { cache, logits } = prefill(model, promptIds);
  try {
    for (let step = 0; step < maxNewTokens; step++) {
      const values = logits.dataSync() as Float32Array;
      logits.dispose();
      const next: number[] = new Array(B);
      for (let b = 0; b < B; b++) {
        if (out.finished[b]) { next[b] = eosId ?? PAD_ID; continue; }
        const s = sampleToken(values.subarray(b * V, (b + 1) * V), opts, rowRngs[b]);
        out.tokens[b].push(s.token);
        out.logProbs[b].push(s.logProb);
        out.samplerLogProbs[b].push(s.samplerLogProb);
        if (eosId !== null && s.token === eosId) out.finished[b] = true;
        next[b] = s.token;
      }
      if (step + 1 === maxNewTokens || out.finished.every(Boolean)) break;
      logits = decodeStep(model, cache, next);
    }
  } finally {
    if (!logits.isDisposed) logits.dispose();
    disposeKvCache(cache);
  }
  return out;
}
