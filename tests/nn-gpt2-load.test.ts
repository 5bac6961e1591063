import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { maxDiff } from "./max-diff";
import { createRng } from "../lib/core/rng";
import { encodeSafetensors, f16ToNumber, numberToF16, readSafetensors, bf16ToNumber, numberToBf16, type Dtype } from "../lib/data/safetensors";
import { initBackend } from "../lib/nn/backend";
import { createGpt2, gpt2FromWeights, loadGpt2, saveGpt2, toHfConfig, type Gpt2, type Gpt2Weights } from "../lib/nn/gpt2";

const CONFIG = { nLayer: 2, nHead: 2, nEmbd: 16, nPositions: 16, vocabSize: 61, dropout: 0 };
const IDS = [[3, 1, 4, 1, 5, 9, 2, 6], [5, 3, 5, 8, 9, 7, 9, 3]];
let model: Gpt2;
let tmp: string;

beforeAll(async () => {
  await initBackend({ quiet: true });
  model = createGpt2(CONFIG, createRng(1));
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tsrl-gpt2-"));
});
afterAll(() => {
  model?.dispose();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function logitsOf(m: Gpt2): Float32Array {
  return tf.tidy(() => m.forward(IDS).dataSync() as Float32Array);
}

/** Writes a Hugging Face-style checkpoint by hand: config.json + model.safetensors with the given keys. */
function writeCheckpoint(dir: string, weights: Gpt2Weights, opts: { prefix?: string; dtype?: Dtype; extra?: Record<string, { data: Float32Array | Uint8Array; shape: number[]; dtype?: Dtype }>; config?: Record<string, unknown> } = {}): string {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: Record<string, { data: Float32Array | Uint8Array; shape: number[]; dtype?: Dtype }> = {};
  for (const [name, w] of Object.entries(weights)) tensors[`${opts.prefix ?? ""}${name}`] = { ...w, dtype: opts.dtype ?? "F32" };
  Object.assign(tensors, opts.extra ?? {});
  fs.writeFileSync(path.join(dir, "model.safetensors"), encodeSafetensors(tensors, { format: "pt" }));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify(opts.config ?? { ...toHfConfig(model.config) }));
  return dir;
}

function rounded(weights: Gpt2Weights, round: (x: number) => number): Gpt2Weights {
  const out: Gpt2Weights = {};
  for (const [k, w] of Object.entries(weights)) out[k] = { data: Float32Array.from(w.data, round), shape: w.shape };
  return out;
}

describe("loadGpt2", () => {
  it("loads both key layouts (with and without 'transformer.') and gives the in-memory model's logits", () => {
    const expected = logitsOf(model);
    for (const prefix of ["transformer.", ""]) {
      const dir = writeCheckpoint(path.join(tmp, `f32${prefix || "-bare"}`), model.weights(), { prefix });
      const loaded = loadGpt2(dir);
      expect(loaded.config).toEqual({ ...CONFIG, layerNormEps: 1e-5 });
      expect(maxDiff(logitsOf(loaded), expected)).toBeLessThan(1e-5);
      loaded.dispose();
    }
  });

  it("loads float16 and bfloat16 checkpoints (same logits as the model with those rounded weights)", () => {
    for (const [dtype, round] of [["F16", (x: number) => f16ToNumber(numberToF16(x))], ["BF16", (x: number) => bf16ToNumber(numberToBf16(x))]] as const) {
      const w = rounded(model.weights(), round);
      const reference = gpt2FromWeights(model.config, w);
      const dir = writeCheckpoint(path.join(tmp, dtype), model.weights(), { prefix: "transformer.", dtype });
      const loaded = loadGpt2(dir);
      expect(maxDiff(logitsOf(loaded), logitsOf(reference))).toBeLessThan(1e-5);
      loaded.dispose();
      reference.dispose();
    }
  });

  it("skips Hugging Face's attention-mask buffers and accepts a tied lm_head.weight", () => {
    const w = model.weights();
    const mask = { data: new Uint8Array(16 * 16).fill(1), shape: [1, 1, 16, 16], dtype: "BOOL" as Dtype };
    const dir = writeCheckpoint(path.join(tmp, "buffers"), w, {
      prefix: "transformer.",
      extra: { "transformer.h.0.attn.bias": mask, "transformer.h.1.attn.masked_bias": { data: Float32Array.of(-1e4), shape: [] }, "lm_head.weight": w["wte.weight"] },
    });
    const loaded = loadGpt2(dir);
    expect(maxDiff(logitsOf(loaded), logitsOf(model))).toBeLessThan(1e-5);
    loaded.dispose();
  });

  it("names a missing tensor, a mis-shaped one, an unknown one and an untied head, with the expected shapes", () => {
    const w = model.weights();
    const { ["h.1.mlp.c_fc.weight"]: _dropped, ...missing } = w;
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "missing"), missing))).toThrow(/missing tensor 'h\.1\.mlp\.c_fc\.weight' \(expected shape \[16, 64\]\)/);
    const misshaped = { ...w, "h.0.attn.c_attn.weight": { data: new Float32Array(48 * 16), shape: [48, 16] } };
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "misshaped"), misshaped))).toThrow(/tensor 'h\.0\.attn\.c_attn\.weight' has shape \[48, 16\], expected \[16, 48\]/);
    const extra = { ...w, "h.2.ln_1.weight": { data: new Float32Array(16), shape: [16] } };
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "extra"), extra))).toThrow(/unexpected tensor 'h\.2\.ln_1\.weight'/);
    const untied = writeCheckpoint(path.join(tmp, "untied"), w, { extra: { "lm_head.weight": { data: new Float32Array(61 * 16).fill(0.5), shape: [61, 16] } } });
    expect(() => loadGpt2(untied)).toThrow(/lm_head\.weight.*tied/);
  });

  it("names bad or unsupported config.json fields and missing files", () => {
    const w = model.weights();
    const badConfig = { ...toHfConfig(model.config), n_layer: 3 };
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "deeper"), w, { config: badConfig }))).toThrow(/missing tensor 'h\.2\.ln_1\.weight'/);
    const relu = { ...toHfConfig(model.config), activation_function: "relu" };
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "relu"), w, { config: relu }))).toThrow(/activation_function "relu"/);
    const noHeads = { ...toHfConfig(model.config) } as Record<string, unknown>;
    delete noHeads.n_head;
    expect(() => loadGpt2(writeCheckpoint(path.join(tmp, "noheads"), w, { config: noHeads }))).toThrow(/missing field "n_head"/);
    const empty = path.join(tmp, "empty");
    fs.mkdirSync(empty);
    fs.writeFileSync(path.join(empty, "config.json"), JSON.stringify(toHfConfig(model.config)));
    fs.writeFileSync(path.join(empty, "pytorch_model.bin"), "");
    expect(() => loadGpt2(empty)).toThrow(/missing model\.safetensors \(found pytorch_model\.bin/);
  });

  it("a hub name says that nothing is downloaded and where to put the files", () => {
    const saved = { ...process.env };
    process.env.HF_HUB_CACHE = path.join(tmp, "no-hf-cache");
    try {
      for (const name of ["gpt2", "openai-community/gpt2"]) {
        let message = "";
        try { loadGpt2(name); } catch (err) { message = (err as Error).message; }
        expect(message).toMatch(/never downloaded/);
        expect(message).toContain("openai-community/gpt2");
        expect(message).toMatch(/config\.json and model\.safetensors/);
        expect(message).toContain(path.join(tmp, "no-hf-cache", "models--openai-community--gpt2", "snapshots"));
      }
      // …and a copy in the local Hugging Face cache is found
      const snapshot = path.join(tmp, "no-hf-cache", "models--openai-community--gpt2", "snapshots", "abc123");
      writeCheckpoint(snapshot, model.weights());
      const cached = loadGpt2("gpt2");
      expect(maxDiff(logitsOf(cached), logitsOf(model))).toBeLessThan(1e-5);
      cached.dispose();
    } finally {
      process.env = saved;
    }
  });
});

describe("saveGpt2", () => {
  it("round-trips (same logits) and writes Hugging Face's files: config fields, transformer.-prefixed keys, format pt", () => {
    const dir = saveGpt2(model, path.join(tmp, "saved"));
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    expect(config).toMatchObject({ model_type: "gpt2", architectures: ["GPT2LMHeadModel"], n_layer: 2, n_head: 2, n_embd: 16, n_positions: 16, vocab_size: 61, layer_norm_epsilon: 1e-5, activation_function: "gelu_new" });
    const st = readSafetensors(path.join(dir, "model.safetensors"));
    expect(st.metadata.format).toBe("pt");
    expect(Object.keys(st.tensors)).toContain("transformer.h.0.attn.c_attn.weight");
    expect(st.tensors["transformer.h.0.attn.c_attn.weight"].shape).toEqual([16, 48]);
    expect(Object.keys(st.tensors).every((k) => k.startsWith("transformer."))).toBe(true);
    const loaded = loadGpt2(dir);
    expect(maxDiff(logitsOf(loaded), logitsOf(model))).toBe(0);
    loaded.dispose();
    // saving again replaces the directory; float16 storage halves the file
    saveGpt2(model, dir, { dtype: "F16" });
    expect(readSafetensors(path.join(dir, "model.safetensors")).tensors["transformer.wte.weight"].dtype).toBe("F16");
    const half = loadGpt2(dir);
    expect(maxDiff(logitsOf(half), logitsOf(model))).toBeLessThan(1e-2);
    half.dispose();
    expect(fs.readdirSync(tmp).some((f) => f.startsWith("saved.") )).toBe(false);
  });
});
