/**
 * Pretraining a tiny GPT-2 from scratch on the review corpus (datasets/lm/corpus.txt), so that the
 * course's language-model chapters need no download.
 *
 *   stream  = <|endoftext|> review₁ <|endoftext|> review₂ <|endoftext|> …     GPT-2's tokenizer
 *   batch   = `batchSize` windows of seqLen + 1 tokens at random offsets of the stream
 *   loss    = next-token cross-entropy (see below), Adam, global-norm clipping,
 *             learning rate: linear warm-up, then cosine decay to lrMin
 *
 * The loss. GPT-2's head scores all 50,257 tokens at every position, and with a 128-wide model that
 * head (a [tokens, 50,257] matrix of logits, its softmax and their gradients) is ~90% of the work —
 * yet the corpus uses 265 distinct tokens (V'). So by default every position pays only for V':
 *
 *   L = −mean_t log softmax_{V'}(logits_t)[y_t]  −  mean_{t ∈ S} log softmax_V(logits_t)[y_t]
 *
 * The first term is the cross-entropy of the model's distribution restricted to V' (exact
 * gradients for those logits); the second, the plain full-vocabulary cross-entropy on every
 * `fullVocabEvery`-th position S (rotating with the step), pushes the other ~50,000 tokens' logits
 * down. Both are minimised by the same model — the data's next-token distribution, no mass outside
 * V' — and the step costs ~4× less. `fullVocabEvery: 1` trains on lmLoss alone, the textbook loss.
 * The held-out loss is always lmLoss (full vocabulary), so runs compare.
 *
 * Every review follows an <|endoftext|>, so the model learns to start a review there: to sample or
 * score, prefix a prompt with it (`encodePrompt`). The model keeps GPT-2's full 50,257-token
 * vocabulary (the tokenizer stays GPT-2's) with a small width; the corpus uses a few hundred of them.
 *
 * `loadOrPretrain(dir)` loads the HF-style directory written by saveGpt2 when it holds a model, else
 * pretrains and saves it there atomically (with tokenizer files and `pretrain.json`: options, losses, time).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { createAdam, minimize } from "../nn/optim";
import { firstNonFinite, NonFiniteError } from "../core/finite";
import { createRng, type Rng } from "../core/rng";
import { writeFileAtomic } from "../data/atomic";
import { checkOutDir } from "../data/out-dir";
import { datasetsDir } from "../data/paths";
import { initBackend } from "../nn/backend";
import { GPT2_TINY, gpt2Config, type Gpt2Config } from "../nn/gpt2/config";
import { generate } from "../nn/gpt2/generate";
import { GPT2_CONFIG_FILE, GPT2_WEIGHTS_FILE, loadGpt2, saveGpt2 } from "../nn/gpt2/load";
import { attentionBias, MASKED } from "../nn/gpt2/batch";
import { tiedHead } from "../nn/gpt2/kernels";
import { createGpt2, gpt2FromWeights, lmLoss, tokenLogProbs, transformer, type Gpt2 } from "../nn/gpt2/model";
import { GPT2_EOS_ID, gpt2TokenizerConfig, gpt2TokenizerJson, loadGpt2Tokenizer, type Gpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { readCorpus } from "./preferences";

/** The file loadOrPretrain writes next to the weights: how the model was made. */
export const PRETRAIN_INFO_FILE = "pretrain.json";

export interface PretrainOptions {
  /** Model shape (default GPT2_TINY: 4 layers, 4 heads, 128 wide, 128 positions, full vocabulary). */
  config?: Partial<Gpt2Config>;
  /** Training texts, one review each (default datasets/lm/corpus.txt). */
  corpus?: readonly string[];
  /** Held-out texts for the held-out loss (default datasets/lm/corpus.heldout.txt; [] for none). */
  heldout?: readonly string[];
  /** Start from these weights instead of random ones (copied; its config must be `config`'s): a second phase of training. */
  init?: Gpt2;
  /** Seed of the initial weights and the batches (default 1). */
  seed?: number;
  /** Optimiser steps (default 600). */
  steps?: number;
  /** Windows per step (default 16). */
  batchSize?: number;
  /** Tokens per window (default 64; at most config.nPositions). */
  seqLen?: number;
  /** Peak learning rate (default 3e-3). */
  lr?: number;
  /** Final learning rate of the cosine decay (default lr / 10). */
  lrMin?: number;
  /** Steps of linear warm-up (default 30). */
  warmupSteps?: number;
  /** Global gradient-norm clip (default 1; 0 = off). */
  maxGradNorm?: number;
  /** Full-vocabulary cross-entropy on every this-many-th position, corpus-vocabulary cross-entropy on all (default 16; 1 = lmLoss only). */
  fullVocabEvery?: number;
  /** Held-out loss every this many steps and at the end (default 100; 0 = only at the end). */
  evalEvery?: number;
  /**
   * Each text sees only itself, and all of itself (default false): windows start at a text's
   * <|endoftext|> (not at any token), attention does not cross an <|endoftext|>, and positions
   * restart at 0 on it — the layout a rollout has (one conversation, <|endoftext|> at 0). Without it
   * a window's later texts read the earlier ones, a window that starts inside a text trains its
   * answer without its question, and positions are wherever the window happened to start.
   */
  documentMask?: boolean;
  /** Called after every step, with the model being trained (to probe it, e.g. lib/lm/order-desk-probe; leave its weights alone). */
  onProgress?: (p: PretrainProgress, model: Gpt2) => void;
  /** Stops training after the current step (the model so far is returned, `aborted` set). */
  signal?: AbortSignal;
}

export interface PretrainProgress {
  step: number;
  steps: number;
  /** Training loss of this step's batch: lmLoss when fullVocabEvery is 1, else the two-term loss (see the module comment). */
  loss: number;
  /** Held-out loss, on the steps where it was measured. */
  heldoutLoss?: number;
  lr: number;
  gradNorm: number;
  /** Tokens trained on so far. */
  tokens: number;
  /** Wall-clock seconds since training began. */
  seconds: number;
}

export interface PretrainResult {
  model: Gpt2;
  history: PretrainProgress[];
  seconds: number;
  aborted: boolean;
  /** Tokens in the training stream (one epoch). */
  corpusTokens: number;
  /** The options in effect (defaults filled in). */
  options: { seed: number; steps: number; batchSize: number; seqLen: number; lr: number; lrMin: number; warmupSteps: number; maxGradNorm: number; evalEvery: number; fullVocabEvery: number; documentMask: boolean; corpusTexts: number };
}

/** `<|endoftext|>` then the prompt's tokens: how the tiny model saw the start of every review. */
export function encodePrompt(tokenizer: Gpt2Tokenizer, prompt: string): number[] {
  return [tokenizer.eosId, ...tokenizer.encode(prompt)];
}

/** One token stream: <|endoftext|> before every text, and one at the end. */
export function tokenizeCorpus(texts: readonly string[], tokenizer: Gpt2Tokenizer = loadGpt2Tokenizer()): Int32Array {
  const ids: number[] = [];
  for (const t of texts) {
    ids.push(GPT2_EOS_ID);
    for (const id of tokenizer.encode(t)) ids.push(id);
  }
  ids.push(GPT2_EOS_ID);
  return Int32Array.from(ids);
}

/** `batchSize` windows of `length` tokens starting at random offsets of `stream`. */
export function sampleWindows(stream: Int32Array, batchSize: number, length: number, rng: Rng): number[][] {
  return sampleWindowStarts(stream.length, batchSize, length, rng).map((start) => Array.from(stream.subarray(start, start + length)));
}

/** Where sampleWindows' windows start (the same draws of `rng`). */
export function sampleWindowStarts(streamLength: number, batchSize: number, length: number, rng: Rng): number[] {
  if (streamLength < length) throw new RangeError(`the token stream (${streamLength} tokens) is shorter than one window of ${length}`);
  return Array.from({ length: batchSize }, () => rng.int(streamLength - length + 1));
}

/** Each token's position in its text: 0 on an <|endoftext|>, counting up to the next one. */
export function documentPositions(stream: Int32Array): Int32Array {
  const pos = new Int32Array(stream.length);
  for (let i = 0, p = 0; i < stream.length; i++, p++) {
    if (stream[i] === GPT2_EOS_ID) p = 0;
    pos[i] = p;
  }
  return pos;
}

/** The <|endoftext|> positions a window of `length` tokens can start at (every text's start but the last few). */
export function documentStarts(stream: Int32Array, length: number): Int32Array {
  const starts: number[] = [];
  for (let i = 0; i + length <= stream.length; i++) if (stream[i] === GPT2_EOS_ID) starts.push(i);
  if (starts.length === 0) throw new RangeError(`no text starts a window of ${length} tokens in a stream of ${stream.length}`);
  return Int32Array.from(starts);
}

/** A window's inputs laid out one text at a time (see PretrainOptions.documentMask). */
export interface WindowLayout {
  /** Position ids [B·T] (input positions, row-major). */
  positions: Int32Array;
  /** Additive attention bias [B, 1, T, T]: causal, and masked across an <|endoftext|>. */
  bias: tf.Tensor4D;
}

/**
 * The document layout of windows of `T + 1` tokens starting at `starts` in `stream` (their first T
 * tokens are the inputs): positions from `documentPositions`, capped at `maxPosition`, and a query
 * sees a key only when no <|endoftext|> lies after the key and at or before the query.
 */
export function documentLayout(stream: Int32Array, docPositions: Int32Array, starts: readonly number[], T: number, maxPosition: number): WindowLayout {
  const B = starts.length;
  const positions = new Int32Array(B * T), bias = new Float32Array(B * T * T).fill(MASKED);
  starts.forEach((start, b) => {
    let docStart = 0; // first input index of the current text within the window
    for (let q = 0; q < T; q++) {
      if (stream[start + q] === GPT2_EOS_ID) docStart = q;
      positions[b * T + q] = Math.min(docPositions[start + q], maxPosition);
      bias.fill(0, (b * T + q) * T + docStart, (b * T + q) * T + q + 1);
    }
  });
  return { positions, bias: tf.tensor4d(bias, [B, 1, T, T]) };
}

/** Consecutive non-overlapping windows of `length` tokens (at most `max`): a fixed held-out set. */
export function tileWindows(stream: Int32Array, length: number, max = Infinity): number[][] {
  const rows: number[][] = [];
  for (let s = 0; s + length <= stream.length && rows.length < max; s += length) rows.push(Array.from(stream.subarray(s, s + length)));
  return rows;
}

/** Mean lmLoss over `windows`, in batches of `batchSize` (no gradients). */
export function meanLmLoss(model: Gpt2, windows: readonly number[][], batchSize = 16): number {
  let total = 0;
  for (let i = 0; i < windows.length; i += batchSize) {
    const chunk = windows.slice(i, i + batchSize);
    total += tf.tidy(() => lmLoss(model, chunk).dataSync()[0]) * chunk.length;
  }
  return total / windows.length;
}

/**
 * The held-out loss in the document layout: up to `max` windows of `length` tokens, each starting
 * at a text's <|endoftext|> (consecutive texts, so every text is in one window from its start),
 * mean full-vocabulary cross-entropy, in batches of 16.
 */
function documentHeldout(stream: Int32Array, length: number, max: number, maxPosition: number): (model: Gpt2) => number {
  const all = documentStarts(stream, Math.min(length, stream.length));
  const starts: number[] = [];
  for (let k = 0, next = 0; k < all.length && starts.length < max; k++) if (all[k] >= next) { starts.push(all[k]); next = all[k] + length - 1; }
  const docPositions = documentPositions(stream);
  const T = Math.min(length, stream.length) - 1;
  return (model) => {
    let total = 0;
    for (let i = 0; i < starts.length; i += 16) {
      const chunk = starts.slice(i, i + 16);
      total += tf.tidy(() => {
        const layout = documentLayout(stream, docPositions, chunk, T, maxPosition);
        return corpusLmLoss(model, chunk.map((s) => Array.from(stream.subarray(s, s + T + 1))), new Int32Array(0), 1, 0, layout).dataSync()[0];
      }) * chunk.length;
    }
    return total / starts.length;
  };
}

/** The distinct token ids of a stream, ascending (the corpus vocabulary V'). */
export function streamVocabulary(stream: Int32Array): Int32Array {
  return Int32Array.from(new Set(stream)).sort();
}

/**
 * The pretraining loss of equal-length windows [batch, seq + 1] (see the module comment):
 * cross-entropy over the corpus vocabulary `vocab` at every position plus full-vocabulary
 * cross-entropy at positions ≡ `offset` (mod `fullVocabEvery`). Every target must be in `vocab`.
 * With fullVocabEvery = 1 it is lmLoss. A scalar for tf.variableGrads.
 */
export function corpusLmLoss(model: Gpt2, windows: readonly (readonly number[])[], vocab: Int32Array, fullVocabEvery: number, offset = 0, layout?: WindowLayout): tf.Scalar {
  if (fullVocabEvery === 1 && !layout) return lmLoss(model, windows);
  if (!(Number.isInteger(fullVocabEvery) && fullVocabEvery >= 1)) throw new RangeError(`fullVocabEvery must be a positive integer, got ${fullVocabEvery}`);
  const c = model.config;
  const B = windows.length, T = windows[0].length - 1;
  const index = new Map<number, number>();
  vocab.forEach((id, i) => index.set(id, i));
  const inputs = new Int32Array(B * T), targets = new Int32Array(B * T), local = new Int32Array(B * T);
  windows.forEach((w, b) => {
    if (w.length !== T + 1) throw new RangeError(`corpusLmLoss: windows must have equal lengths; window ${b} has ${w.length}, window 0 has ${T + 1}`);
    for (let t = 0; t < T; t++) {
      const i = b * T + t, y = w[t + 1], k = fullVocabEvery === 1 ? 0 : index.get(y);
      if (k === undefined) throw new RangeError(`corpusLmLoss: target token ${y} (window ${b}, position ${t + 1}) is not in the corpus vocabulary`);
      inputs[i] = w[t];
      targets[i] = y;
      local[i] = k;
    }
  });
  const full = Int32Array.from({ length: B * T }, (_, i) => i).filter((i) => i % fullVocabEvery === offset % fullVocabEvery);
  return tf.tidy(() => {
    const h = transformer(model.params, c, {
      ids: tf.tensor2d(inputs, [B, T], "int32"),
      positions: tf.tensor2d(layout?.positions ?? Int32Array.from({ length: B * T }, (_, i) => i % T), [B, T], "int32"),
      bias: layout?.bias ?? attentionBias(null, B, T, T),
    });
    const wte = model.params["wte.weight"] as tf.Tensor2D;
    const lossV = fullVocabEvery === 1 ? undefined : tf.neg(tf.mean(tokenLogProbs(tf.matMul(h, tf.gather(wte, tf.tensor1d(vocab, "int32")), false, true) as tf.Tensor2D, tf.tensor1d(local, "int32")))); // over V' [B·T, |V'|]
    const hs = tf.gather(h, tf.tensor1d(full, "int32")) as tf.Tensor2D;
    const lossFull = tf.neg(tf.mean(tokenLogProbs(tiedHead(hs, wte), tf.tensor1d(full.map((i) => targets[i]), "int32"))));
    return (lossV ? tf.add(lossV, lossFull) : lossFull) as tf.Scalar; // fullVocabEvery 1: every position full, lmLoss's terms
  });
}

/** The learning rate of step `step` (0-based): linear warm-up to `lr`, cosine decay to `lrMin` at `steps`. */
export function pretrainLr(step: number, steps: number, lr: number, lrMin: number, warmupSteps: number): number {
  if (step < warmupSteps) return (lr * (step + 1)) / warmupSteps;
  const t = steps > warmupSteps ? (step - warmupSteps) / Math.max(1, steps - warmupSteps - 1) : 1;
  return lrMin + 0.5 * (lr - lrMin) * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

function checkOptions(o: Required<Omit<PretrainOptions, "config" | "corpus" | "heldout" | "onProgress" | "signal" | "init">>, c: Gpt2Config): void {
  const positiveInt = (key: keyof typeof o) => {
    if (!(Number.isInteger(o[key]) && (o[key] as number) > 0)) throw new RangeError(`pretrain: ${key} must be a positive integer, got ${o[key]}`);
  };
  positiveInt("steps");
  positiveInt("batchSize");
  positiveInt("seqLen");
  positiveInt("fullVocabEvery");
  if (o.seqLen > c.nPositions) throw new RangeError(`pretrain: seqLen (${o.seqLen}) exceeds the model's nPositions (${c.nPositions})`);
  if (!(o.lr > 0)) throw new RangeError(`pretrain: lr must be > 0, got ${o.lr}`);
  if (!(o.lrMin >= 0 && o.lrMin <= o.lr)) throw new RangeError(`pretrain: lrMin must be in [0, lr], got ${o.lrMin}`);
  if (!(Number.isInteger(o.warmupSteps) && o.warmupSteps >= 0)) throw new RangeError(`pretrain: warmupSteps must be an integer ≥ 0, got ${o.warmupSteps}`);
  if (!(o.maxGradNorm >= 0)) throw new RangeError(`pretrain: maxGradNorm must be ≥ 0, got ${o.maxGradNorm}`);
  if (!(Number.isInteger(o.evalEvery) && o.evalEvery >= 0)) throw new RangeError(`pretrain: evalEvery must be an integer ≥ 0, got ${o.evalEvery}`);
}

/** Pretrains a GPT-2 from scratch on a corpus (see the module comment). Yields to the event loop after every step. */
export async function pretrainGpt2(opts: PretrainOptions = {}): Promise<PretrainResult> {
  await initBackend({ quiet: true });
  const config = gpt2Config({ ...GPT2_TINY, ...opts.config });
  const lr = opts.lr ?? 3e-3;
  const o = {
    seed: opts.seed ?? 1, steps: opts.steps ?? 600, batchSize: opts.batchSize ?? 16, seqLen: opts.seqLen ?? 64,
    lr, lrMin: opts.lrMin ?? lr / 10, warmupSteps: opts.warmupSteps ?? 30, maxGradNorm: opts.maxGradNorm ?? 1, evalEvery: opts.evalEvery ?? 100,
    fullVocabEvery: opts.fullVocabEvery ?? 16, documentMask: opts.documentMask ?? false,
  };
  checkOptions(o, config);
  const tokenizer = loadGpt2Tokenizer();
  const corpus = opts.corpus ?? readCorpus(datasetsDir("lm", "corpus.txt"));
  const heldoutTexts = opts.heldout ?? readCorpus(datasetsDir("lm", "corpus.heldout.txt"));
  const stream = tokenizeCorpus(corpus, tokenizer);
  const vocab = streamVocabulary(stream);
  const docPositions = o.documentMask ? documentPositions(stream) : undefined;
  const textStarts = o.documentMask ? documentStarts(stream, o.seqLen + 1) : undefined;
  const heldoutStream = heldoutTexts.length > 0 ? tokenizeCorpus(heldoutTexts, tokenizer) : undefined;
  const heldout = heldoutStream ? tileWindows(heldoutStream, o.seqLen + 1, 64) : [];
  // with documentMask the held-out loss is measured in the layout the model trains in: windows from a text's start, masked
  const heldoutLayout = heldoutStream && o.documentMask ? documentHeldout(heldoutStream, o.seqLen + 1, 64, config.nPositions - 1) : undefined;
  const rng = createRng(o.seed);
  const initRng = rng.fork(); // drawn either way, so the batches of a seed do not depend on `init`
  if (opts.init && JSON.stringify(gpt2Config(opts.init.config)) !== JSON.stringify(config)) {
    throw new RangeError(`pretrain: init's config ${JSON.stringify(opts.init.config)} is not the config to train ${JSON.stringify(config)}`);
  }
  const model = opts.init ? gpt2FromWeights(config, opts.init.weights()) : createGpt2(config, initRng);
  const batchRng = rng.fork();
  const adam = createAdam({ lr: o.lr, beta1: 0.9, beta2: 0.95, weightDecay: 0 });
  const params = Object.values(model.params);
  const history: PretrainProgress[] = [];
  const start = performance.now();
  let aborted = false;
  try {
    for (let step = 0; step < o.steps; step++) {
      if (opts.signal?.aborted) {
        aborted = true;
        break;
      }
      adam.lr = pretrainLr(step, o.steps, o.lr, o.lrMin, o.warmupSteps);
      const starts = textStarts ? Array.from({ length: o.batchSize }, () => textStarts[batchRng.int(textStarts.length)]) : sampleWindowStarts(stream.length, o.batchSize, o.seqLen + 1, batchRng);
      const batch = starts.map((s) => Array.from(stream.subarray(s, s + o.seqLen + 1)));
      const { loss, gradNorm } = tf.tidy(() => {
        const layout = docPositions ? documentLayout(stream, docPositions, starts, o.seqLen, config.nPositions - 1) : undefined;
        const r = minimize(() => corpusLmLoss(model, batch, vocab, o.fullVocabEvery, step, layout), params, adam, o.maxGradNorm);
        return { loss: r.loss.dataSync()[0], gradNorm: r.gradNorm.dataSync()[0] };
      });
      const bad = firstNonFinite({ loss, gradNorm });
      if (bad) throw new NonFiniteError(`pretrain: step ${step + 1}: ${bad[0]} is ${bad[1]}; training diverged (a smaller lr may help)`);
      const row: PretrainProgress = { step: step + 1, steps: o.steps, loss, lr: adam.lr, gradNorm, tokens: (step + 1) * o.batchSize * o.seqLen, seconds: 0 };
      const last = step === o.steps - 1;
      if (heldout.length > 0 && (last || (o.evalEvery > 0 && (step + 1) % o.evalEvery === 0))) row.heldoutLoss = heldoutLayout ? heldoutLayout(model) : meanLmLoss(model, heldout);
      row.seconds = (performance.now() - start) / 1000;
      history.push(row);
      opts.onProgress?.(row, model);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    adam.dispose();
  }
  return { model, history, seconds: (performance.now() - start) / 1000, aborted, corpusTokens: stream.length, options: { ...o, corpusTexts: corpus.length } };
}

/** What `pretrain.json` records. */
export interface PretrainInfo {
  config: Gpt2Config;
  options: Record<string, unknown>;
  steps: number;
  seconds: number;
  corpusTokens: number;
  finalLoss: number;
  heldoutLoss?: number;
  aborted: boolean;
}

/** Whether `dir` holds a saved model (config.json and model.safetensors). */
export function hasSavedGpt2(dir: string): boolean {
  return fs.existsSync(path.join(dir, GPT2_CONFIG_FILE)) && fs.existsSync(path.join(dir, GPT2_WEIGHTS_FILE));
}

/** Saves a pretrained model with its tokenizer files and pretrain.json (options in effect, losses, time), atomically. */
export function savePretrained(result: PretrainResult, dir: string): string {
  const lastHeldout = [...result.history].reverse().find((r) => r.heldoutLoss !== undefined)?.heldoutLoss;
  const info: PretrainInfo = {
    config: result.model.config,
    options: { ...result.options },
    steps: result.history.length,
    seconds: Math.round(result.seconds * 10) / 10,
    corpusTokens: result.corpusTokens,
    finalLoss: result.history.at(-1)?.loss ?? NaN,
    heldoutLoss: lastHeldout,
    aborted: result.aborted,
  };
  return saveGpt2(result.model, dir, {
    extraFiles: {
      [PRETRAIN_INFO_FILE]: JSON.stringify(info, null, 2) + "\n",
      "tokenizer.json": JSON.stringify(gpt2TokenizerJson()),
      "tokenizer_config.json": JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n",
    },
  });
}

/** Reads pretrain.json of a saved model, if there is one. */
export function readPretrainInfo(dir: string): PretrainInfo | undefined {
  const file = path.join(dir, PRETRAIN_INFO_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, "utf8")) as PretrainInfo;
  } catch (err) {
    throw new Error(`${file} is not valid JSON: ${(err as Error).message}`);
  }
}

export interface LoadOrPretrainResult {
  model: Gpt2;
  /** True when the model came from `dir`, false when it was trained now. */
  loaded: boolean;
  /** The training curve (only when trained now). */
  history?: PretrainProgress[];
  info?: PretrainInfo;
}

/**
 * The model in `dir` if it holds one (config.json + model.safetensors: any GPT-2 in HF's layout,
 * so a real GPT-2 directory works too); otherwise pretrains one with `opts` and saves it in `dir`
 * atomically. An aborted training is returned but not saved. A `dir` that may not receive a model
 * (a file, a directory tsrl did not write, …: lib/data/out-dir) throws an OutDirError before training.
 */
export async function loadOrPretrain(dir: string, opts: PretrainOptions = {}): Promise<LoadOrPretrainResult> {
  if (hasSavedGpt2(dir)) {
    await initBackend({ quiet: true });
    return { model: loadGpt2(dir), loaded: true, info: readPretrainInfo(dir) };
  }
  checkOutDir(dir); // before training, not after: a place that may not receive the model fails now (lib/data/out-dir)
  const result = await pretrainGpt2(opts);
  if (!result.aborted) savePretrained(result, dir);
  return { model: result.model, loaded: false, history: result.history, info: result.aborted ? undefined : readPretrainInfo(dir) };
}

export interface SampleTextOptions {
  /** New tokens per completion (default 24). */
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  topP?: number;
  greedy?: boolean;
  rng?: Rng;
}

/** Completions (text after each prompt) sampled from `model`, each prompt prefixed with <|endoftext|>. */
export function sampleCompletions(model: Gpt2, prompts: readonly string[], opts: SampleTextOptions = {}, tokenizer: Gpt2Tokenizer = loadGpt2Tokenizer()): string[] {
  const out = generate(model, prompts.map((p) => encodePrompt(tokenizer, p)), {
    maxNewTokens: opts.maxNewTokens ?? 24,
    temperature: opts.temperature,
    topK: opts.topK,
    topP: opts.topP,
    greedy: opts.greedy,
    rng: opts.rng ?? createRng(0),
  });
  return out.tokens.map((ids) => tokenizer.decode(ids.filter((id) => id !== GPT2_EOS_ID)));
}

/** Writes a pretraining curve as CSV (step, loss, heldoutLoss, lr, gradNorm, tokens, seconds). */
export function writePretrainCsv(history: readonly PretrainProgress[], file: string): void {
  const cols = ["step", "loss", "heldoutLoss", "lr", "gradNorm", "tokens", "seconds"] as const;
  const fmt = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? "" : Number.isInteger(v) ? String(v) : v.toPrecision(6));
  writeFileAtomic(file, [cols.join(","), ...history.map((r) => cols.map((c) => fmt(r[c])).join(","))].join("\n") + "\n");
}
