/**
 * GPT-2's parameters by Hugging Face's names, their shapes, and GPT-2's random initialisation.
 *
 *   wte.weight                 [vocab, E]     token embedding, also the LM head (tied)
 *   wpe.weight                 [positions, E] position embedding
 *   h.{i}.ln_1.weight / bias   [E]            LayerNorm before attention
 *   h.{i}.attn.c_attn.weight   [E, 3E]        q, k, v in one projection (Conv1D layout: [in, out])
 *   h.{i}.attn.c_attn.bias     [3E]
 *   h.{i}.attn.c_proj.weight   [E, E]         attention output projection
 *   h.{i}.attn.c_proj.bias     [E]
 *   h.{i}.ln_2.weight / bias   [E]            LayerNorm before the MLP
 *   h.{i}.mlp.c_fc.weight      [E, 4E]        MLP up-projection
 *   h.{i}.mlp.c_fc.bias        [4E]
 *   h.{i}.mlp.c_proj.weight    [4E, E]        MLP down-projection
 *   h.{i}.mlp.c_proj.bias      [E]
 *   ln_f.weight / bias         [E]            final LayerNorm
 *
 * Hugging Face's Conv1D stores its weight [in, out] and computes x·W + b, which is our layout:
 * unlike nanoGPT (nn.Linear, [out, in]) nothing is transposed on load or save.
 */
import * as tf from "@tensorflow/tfjs";
import type { Rng } from "../../core/rng";
import type { Gpt2Config } from "./config";

/** Parameter name (Hugging Face's, without the `transformer.` prefix) → shape, in a fixed order. */
export function gpt2ParamShapes(c: Gpt2Config): Record<string, number[]> {
  const E = c.nEmbd;
  const shapes: Record<string, number[]> = {
    "wte.weight": [c.vocabSize, E],
    "wpe.weight": [c.nPositions, E],
  };
  for (let i = 0; i < c.nLayer; i++) {
    const h = `h.${i}`;
    shapes[`${h}.ln_1.weight`] = [E];
    shapes[`${h}.ln_1.bias`] = [E];
    shapes[`${h}.attn.c_attn.weight`] = [E, 3 * E];
    shapes[`${h}.attn.c_attn.bias`] = [3 * E];
    shapes[`${h}.attn.c_proj.weight`] = [E, E];
    shapes[`${h}.attn.c_proj.bias`] = [E];
    shapes[`${h}.ln_2.weight`] = [E];
    shapes[`${h}.ln_2.bias`] = [E];
    shapes[`${h}.mlp.c_fc.weight`] = [E, 4 * E];
    shapes[`${h}.mlp.c_fc.bias`] = [4 * E];
    shapes[`${h}.mlp.c_proj.weight`] = [4 * E, E];
    shapes[`${h}.mlp.c_proj.bias`] = [E];
  }
  shapes["ln_f.weight"] = [E];
  shapes["ln_f.bias"] = [E];
  return shapes;
}

/** Weights as plain data, by name. */
export type Gpt2Weights = Record<string, { data: Float32Array; shape: number[] }>;

/**
 * GPT-2's initialisation (as nanoGPT and Hugging Face): every weight matrix and both embeddings
 * ~ N(0, 0.02²), the two residual projections (attn.c_proj, mlp.c_proj) ~ N(0, (0.02/√(2·nLayer))²)
 * so the residual stream's variance does not grow with depth; biases 0, LayerNorm gains 1.
 * Drawn in the order of `gpt2ParamShapes` from our seeded Rng: same seed, same model, on every backend.
 */
export function initGpt2Weights(c: Gpt2Config, rng: Rng): Gpt2Weights {
  const out: Gpt2Weights = {};
  const residualStd = 0.02 / Math.sqrt(2 * c.nLayer);
  for (const [name, shape] of Object.entries(gpt2ParamShapes(c))) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (name.endsWith(".bias")) {
      // zeros
    } else if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) {
      data.fill(1);
    } else {
      const std = /c_proj\.weight$/.test(name) ? residualStd : 0.02;
      for (let i = 0; i < data.length; i++) data[i] = rng.normal(0, std);
    }
    out[name] = { data, shape };
  }
  return out;
}

/** Makes one trainable variable per weight (no tfjs names: those are process-global). */
export function weightsToVariables(weights: Gpt2Weights): Record<string, tf.Variable> {
  const params: Record<string, tf.Variable> = {};
  for (const [name, { data, shape }] of Object.entries(weights)) {
    params[name] = tf.tidy(() => tf.variable(tf.tensor(data, shape, "float32"), true));
  }
  return params;
}
