/**
 * Pretraining: a few steps lower the loss; loadOrPretrain trains and saves on the first call and
 * loads the cache on the second (same logits); the AbortSignal stops it and nothing is saved; the
 * learning-rate schedule and the corpus stream. A small model and corpus keep it quick.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { itSlow } from "./slow";
import { initBackend } from "../lib/nn/backend";
import { loadGpt2Tokenizer } from "../lib/nn/gpt2/tokenizer";
import { datasetsDir } from "../lib/data/paths";
import { readCorpus } from "../lib/lm/preferences";
import { createRng } from "../lib/core/rng";
import { createGpt2, lmLoss } from "../lib/nn/gpt2/model";
import { corpusLmLoss, documentLayout, documentPositions, encodePrompt, loadOrPretrain, streamVocabulary, pretrainGpt2, pretrainLr, readPretrainInfo, sampleCompletions, tokenizeCorpus } from "../lib/lm/pretrain";

const SMALL = { nLayer: 1, nHead: 2, nEmbd: 32, nPositions: 32 };
const corpus = readCorpus(datasetsDir("lm", "corpus.txt")).slice(0, 60);
const heldout = readCorpus(datasetsDir("lm", "corpus.heldout.txt")).slice(0, 10);
const quick = { config: SMALL, corpus, heldout, steps: 12, batchSize: 4, seqLen: 16, lr: 1e-2, warmupSteps: 2, evalEvery: 0, seed: 3 };

beforeAll(async () => {
  await initBackend({ quiet: true });
});

describe("pretraining", () => {
  it("the stream puts <|endoftext|> before every text; prompts get it too", () => {
    const tok = loadGpt2Tokenizer();
    const s = tokenizeCorpus(["The film was great.", "Bad."], tok);
    expect(Array.from(s)).toEqual([50256, ...tok.encode("The film was great."), 50256, ...tok.encode("Bad."), 50256]);
    expect(encodePrompt(tok, "The film was")).toEqual([50256, ...tok.encode("The film was")]);
  });

  it("document layout: positions restart at each <|endoftext|> (a window inside a text counts from the text's start); attention stays within a text", () => {
    const E = 50256;
    const stream = Int32Array.from([E, 11, 12, 13, E, 21, 22, E, 31]);
    const pos = documentPositions(stream);
    expect(Array.from(pos)).toEqual([0, 1, 2, 3, 0, 1, 2, 0, 1]);
    // a window of 5 inputs starting inside the first text (at 12): inputs 12 13 E 21 22
    const { positions, bias } = documentLayout(stream, pos, [2], 5, 255);
    expect(Array.from(positions)).toEqual([2, 3, 0, 1, 2]);
    const visible = (bias.arraySync() as number[][][][])[0][0].map((row) => row.map((v) => (v === 0 ? 1 : 0)));
    expect(visible).toEqual([
      [1, 0, 0, 0, 0],
      [1, 1, 0, 0, 0],
      [0, 0, 1, 0, 0], // the <|endoftext|> starts a text: it sees only itself
      [0, 0, 1, 1, 0],
      [0, 0, 1, 1, 1],
    ]);
    bias.dispose();
    expect(Array.from(documentLayout(stream, pos, [0], 8, 2).positions)).toEqual([0, 1, 2, 2, 0, 1, 2, 0]); // capped at maxPosition
  });

  it("document-masked loss = each text's loss on its own (the packed window changes nothing a text can see)", () => {
    const E = 50256;
    const model = createGpt2({ ...SMALL, vocabSize: 50257 }, createRng(5));
    const a = [E, 464, 2646, 373], b = [E, 1049, 2057, 373, 2089];
    const stream = Int32Array.from([...a, ...b]);
    const vocab = streamVocabulary(stream);
    const layout = documentLayout(stream, documentPositions(stream), [0], stream.length - 1, SMALL.nPositions - 1);
    const packed = corpusLmLoss(model, [Array.from(stream)], vocab, 1, 0, layout).dataSync()[0];
    // alone: text a predicts its 3 next tokens and then b's <|endoftext|> (from a's context alone), text b its 4
    const aWithNext = [...a, E];
    const alone = (lmLoss(model, [aWithNext]).dataSync()[0] * 4 + lmLoss(model, [b]).dataSync()[0] * 4) / 8;
    expect(packed).toBeCloseTo(alone, 5);
    const unmasked = corpusLmLoss(model, [Array.from(stream)], vocab, 1).dataSync()[0];
    expect(Math.abs(unmasked - alone)).toBeGreaterThan(1e-4); // without the mask, b reads a
    layout.bias.dispose();
    model.dispose();
  });

  it("learning rate: linear warm-up, cosine decay to lrMin", () => {
    expect(pretrainLr(0, 100, 1, 0.1, 10)).toBeCloseTo(0.1, 12);
    expect(pretrainLr(9, 100, 1, 0.1, 10)).toBeCloseTo(1, 12);
    expect(pretrainLr(10, 100, 1, 0.1, 10)).toBeCloseTo(1, 12);
    expect(pretrainLr(99, 100, 1, 0.1, 10)).toBeCloseTo(0.1, 12);
    expect(pretrainLr(10 + 89 / 2, 100, 1, 0.1, 10)).toBeCloseTo(0.55, 12);
  });

  it("the corpus-vocabulary loss: restricted cross-entropy everywhere + full cross-entropy on every k-th position", () => {
    const model = createGpt2({ ...SMALL, vocabSize: 50257 }, createRng(4));
    const windows = [[50256, 464, 2646, 373, 1049], [50256, 464, 2057, 373, 2089]];
    const vocab = streamVocabulary(Int32Array.from(windows.flat()));
    expect(Array.from(vocab)).toEqual([373, 464, 1049, 2057, 2089, 2646, 50256]);
    const logits = model.forward(windows.map((w) => w.slice(0, 4))); // [2, 4, V]
    const rows = logits.arraySync() as number[][][];
    const logSoftmax = (l: number[], ids: readonly number[], y: number) => {
      const m = Math.max(...ids.map((i) => l[i]));
      return l[y] - m - Math.log(ids.reduce((a, i) => a + Math.exp(l[i] - m), 0));
    };
    const all = Array.from({ length: 50257 }, (_, i) => i);
    let restricted = 0;
    const fullAt: number[] = [];
    windows.forEach((w, b) => w.slice(1).forEach((y, t) => {
      restricted -= logSoftmax(rows[b][t], Array.from(vocab), y) / 8;
      fullAt.push(-logSoftmax(rows[b][t], all, y));
    }));
    // every 3rd position starting at offset 1 (mod 3): flat positions 1, 4, 7
    const expected = restricted + (fullAt[1] + fullAt[4] + fullAt[7]) / 3;
    expect(corpusLmLoss(model, windows, vocab, 3, 1).dataSync()[0]).toBeCloseTo(expected, 4);
    expect(corpusLmLoss(model, windows, vocab, 1).dataSync()[0]).toBeCloseTo(lmLoss(model, windows).dataSync()[0], 6);
    expect(() => corpusLmLoss(model, [[1, 2, 3]], vocab, 2)).toThrow(/target token 2 .* is not in the corpus vocabulary/);
    logits.dispose();
    model.dispose();
  });

  itSlow("a few steps lower the training and held-out loss, without leaking tensors", async () => {
    const tensors = tf.memory().numTensors;
    const rows: number[] = [];
    const r = await pretrainGpt2({ ...quick, onProgress: (p) => rows.push(p.loss) });
    expect(r.history.length).toBe(12);
    expect(rows).toEqual(r.history.map((h) => h.loss));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(r.history[0].loss).toBeGreaterThan(15); // ≈ ln |V'| + ln 50257 at initialisation
    expect(mean(rows.slice(-3))).toBeLessThan(mean(rows.slice(0, 3)) - 1.5);
    expect(r.history.at(-1)!.heldoutLoss).toBeLessThan(Math.log(50257) - 1); // full-vocabulary held-out loss, ≈ 10.8 at initialisation
    r.model.dispose();
    expect(tf.memory().numTensors).toBe(tensors);
  });

  itSlow("loadOrPretrain trains and saves once, then loads the cache (same logits)", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-pretrain-")), "tiny");
    const first = await loadOrPretrain(dir, quick);
    expect(first.loaded).toBe(false);
    expect(first.history!.length).toBe(12);
    expect(fs.readdirSync(dir).sort()).toEqual(["config.json", "model.safetensors", "pretrain.json", "tokenizer.json", "tokenizer_config.json", "tsrl-checkpoint.json"]);
    expect(readPretrainInfo(dir)).toMatchObject({ steps: 12, aborted: false, config: { nLayer: 1, nEmbd: 32 } });
    let trained = false;
    const second = await loadOrPretrain(dir, { ...quick, onProgress: () => { trained = true; } });
    expect(second.loaded).toBe(true);
    expect(trained).toBe(false);
    const ids = [[50256, 464, 2646, 373]];
    const a = first.model.forward(ids), b = second.model.forward(ids);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(sampleCompletions(second.model, ["The film was"], { maxNewTokens: 4, greedy: true })).toEqual(sampleCompletions(first.model, ["The film was"], { maxNewTokens: 4, greedy: true }));
    tf.dispose([a, b]);
    first.model.dispose();
    second.model.dispose();
  });

  it("stops on its AbortSignal, and an aborted run is not saved", async () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-pretrain-")), "tiny");
    const controller = new AbortController();
    const seen = new Set<unknown>();
    const r = await loadOrPretrain(dir, { ...quick, signal: controller.signal, onProgress: (p, model) => { seen.add(model); if (p.step === 3) controller.abort(); } });
    expect(r.loaded).toBe(false);
    expect(seen.size).toBe(1); // onProgress is handed the model being trained: the one returned
    expect([...seen][0]).toBe(r.model);
    expect(r.history!.length).toBe(3);
    expect(fs.existsSync(dir)).toBe(false);
    r.model.dispose();
    await expect(pretrainGpt2({ ...quick, seqLen: 64 })).rejects.toThrow(/seqLen \(64\) exceeds the model's nPositions \(32\)/);
  });
});
