/**
 * GPT-2's hyperparameters, and their spelling in Hugging Face's `config.json`.
 *
 *   nLayer       transformer blocks                         HF n_layer
 *   nHead        attention heads per block (nEmbd % nHead = 0)  n_head
 *   nEmbd        width of the residual stream                n_embd
 *   nPositions   longest sequence (the block size): rows of the position embedding   n_positions
 *   vocabSize    rows of the token embedding (50,257 for GPT-2's tokenizer)          vocab_size
 *   layerNormEps ε of every LayerNorm (1e-5)                 layer_norm_epsilon
 *   dropout      one rate for the embedding, attention-probability and residual dropouts
 *                (HF's embd_pdrop, attn_pdrop, resid_pdrop; GPT-2 trained with 0.1)
 */

export interface Gpt2Config {
  nLayer: number;
  nHead: number;
  nEmbd: number;
  nPositions: number;
  vocabSize: number;
  layerNormEps: number;
  dropout: number;
}

/** GPT-2 "small", the 124M-parameter model OpenAI released (Hugging Face's `gpt2`). */
export const GPT2_124M: Readonly<Gpt2Config> = Object.freeze({
  nLayer: 12, nHead: 12, nEmbd: 768, nPositions: 1024, vocabSize: 50257, layerNormEps: 1e-5, dropout: 0.1,
});

/**
 * The course's small model for pretraining on a small corpus here: 4 blocks, 4 heads, 128 wide,
 * 128 positions, GPT-2's full vocabulary (so GPT-2's tokenizer works unchanged). 7.2M parameters,
 * 6.4M of them the token embedding; its 50,257-wide LM head is most of the compute.
 */
export const GPT2_TINY: Readonly<Gpt2Config> = Object.freeze({
  nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 128, vocabSize: 50257, layerNormEps: 1e-5, dropout: 0,
});

/** A complete, validated config: GPT-2 124M's values for every field not given. */
export function gpt2Config(fields: Partial<Gpt2Config> = {}): Gpt2Config {
  const config = { ...GPT2_124M, ...fields };
  const problems = configProblems(config);
  if (problems.length > 0) throw new RangeError(`invalid GPT-2 config: ${problems.join("; ")}`);
  return config;
}

function configProblems(c: Gpt2Config): string[] {
  const problems: string[] = [];
  for (const key of ["nLayer", "nHead", "nEmbd", "nPositions", "vocabSize"] as const) {
    if (!Number.isInteger(c[key]) || c[key] < 1) problems.push(`${key} must be a positive integer, got ${c[key]}`);
  }
  if (Number.isInteger(c.nEmbd) && Number.isInteger(c.nHead) && c.nEmbd % c.nHead !== 0) {
    problems.push(`nEmbd (${c.nEmbd}) must be divisible by nHead (${c.nHead})`);
  }
  if (!(c.layerNormEps > 0)) problems.push(`layerNormEps must be > 0, got ${c.layerNormEps}`);
  if (!(c.dropout >= 0 && c.dropout < 1)) problems.push(`dropout must be in [0, 1), got ${c.dropout}`);
  return problems;
}

/** Parameter count: embeddings, blocks and final LayerNorm (the LM head is the token embedding). */
export function gpt2ParamCount(c: Gpt2Config): number {
  const E = c.nEmbd;
  const block = 2 * E + (E * 3 * E + 3 * E) + (E * E + E) + 2 * E + (E * 4 * E + 4 * E) + (4 * E * E + E);
  return c.vocabSize * E + c.nPositions * E + c.nLayer * block + 2 * E;
}

/** Floating-point operations of one forward pass over `tokens` tokens attending to `context` keys each (2 per multiply-add). */
export function gpt2ForwardFlops(c: Gpt2Config, tokens: number, context: number): number {
  const E = c.nEmbd;
  const matmul = c.nLayer * 12 * E * E + c.vocabSize * E; // qkv 3E², proj E², mlp 8E², head V·E
  const attention = c.nLayer * 2 * E * context; // q·kᵀ and p·v
  return 2 * tokens * (matmul + attention);
}

/** The fields Hugging Face's GPT2Config writes (`model_type: "gpt2"`, GPT2LMHeadModel). */
export function toHfConfig(c: Gpt2Config): Record<string, unknown> {
  return {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: c.vocabSize,
    n_positions: c.nPositions,
    n_ctx: c.nPositions,
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null,
    activation_function: "gelu_new",
    resid_pdrop: c.dropout,
    embd_pdrop: c.dropout,
    attn_pdrop: c.dropout,
    layer_norm_epsilon: c.layerNormEps,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: 50256,
    eos_token_id: 50256,
    torch_dtype: "float32",
  };
}

/**
 * Reads a Hugging Face GPT-2 `config.json` object. Fields that would change the computation in
 * ways this model does not implement (another activation, an inner MLP width other than 4·n_embd,
 * attention scaled by layer index, untied embeddings) are refused with the field named.
 */
export function fromHfConfig(json: Record<string, unknown>, source = "config.json"): Gpt2Config {
  const problems: string[] = [];
  const num = (key: string, fallback?: number): number => {
    const v = json[key];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      problems.push(`missing field "${key}"`);
      return NaN;
    }
    if (typeof v !== "number") problems.push(`field "${key}" must be a number, got ${JSON.stringify(v)}`);
    return v as number;
  };
  if (json.model_type !== undefined && json.model_type !== "gpt2") problems.push(`model_type is ${JSON.stringify(json.model_type)}, expected "gpt2"`);
  const nEmbd = num("n_embd");
  const act = json.activation_function ?? "gelu_new";
  if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") problems.push(`activation_function ${JSON.stringify(act)} is not supported (expected "gelu_new", GELU's tanh approximation)`);
  if (json.n_inner !== undefined && json.n_inner !== null && json.n_inner !== 4 * nEmbd) problems.push(`n_inner ${JSON.stringify(json.n_inner)} is not supported (expected null or 4·n_embd = ${4 * nEmbd})`);
  if (json.scale_attn_by_inverse_layer_idx === true) problems.push("scale_attn_by_inverse_layer_idx = true is not supported");
  if (json.scale_attn_weights === false) problems.push("scale_attn_weights = false is not supported");
  if (json.tie_word_embeddings === false) problems.push("tie_word_embeddings = false is not supported: GPT-2's LM head is its token embedding");
  if (json.add_cross_attention === true) problems.push("add_cross_attention = true is not supported");
  const config: Gpt2Config = {
    nLayer: num("n_layer"),
    nHead: num("n_head"),
    nEmbd,
    nPositions: num("n_positions", typeof json.n_ctx === "number" ? json.n_ctx : undefined),
    vocabSize: num("vocab_size"),
    layerNormEps: num("layer_norm_epsilon", 1e-5),
    dropout: num("resid_pdrop", 0.1),
  };
  if (problems.length === 0) problems.push(...configProblems(config));
  if (problems.length > 0) throw new RangeError(`${source}: ${problems.join("; ")}`);
  return config;
}
