/**
 * GPT-2 in TensorFlow.js: the model (./model.ts), Hugging Face checkpoints (./load.ts), KV-cache
 * generation (./generate.ts), sampling (./sampling.ts), the tokenizer (./tokenizer.ts), padding
 * conventions (./batch.ts).
 */
export { GPT2_124M, GPT2_TINY, gpt2Config, gpt2ParamCount, gpt2ForwardFlops, toHfConfig, fromHfConfig, type Gpt2Config } from "./config";
export { gpt2ParamShapes, initGpt2Weights, type Gpt2Weights } from "./weights";
export { createGpt2, gpt2FromWeights, lmLoss, gpt2TrainStep, tokenLogProbs, tokenEntropies, type Gpt2, type Gpt2ApplyOptions, type Gpt2LogProbOptions, type Gpt2Optimizer, type LayerKv } from "./model";
export { promptCompletionBatch, completionMask, type PaddedBatch } from "./batch";
export { loadGpt2, saveGpt2, resolveGpt2Source, hfHubCacheDir, GPT2_CONFIG_FILE, GPT2_WEIGHTS_FILE, type LoadGpt2Options, type SaveGpt2Options } from "./load";
export { prefill, decodeStep, disposeKvCache, generate, type KvCache, type GenerateOptions, type Generation } from "./generate";
export { sampleToken, samplingDistribution, type SamplingOptions, type SampledToken, type TruncatedDistribution } from "./sampling";
export { loadGpt2Tokenizer, gpt2TokenizerJson, gpt2TokenizerConfig, writeGpt2TokenizerFiles, GPT2_EOS_ID, GPT2_VOCAB_SIZE, type Gpt2Tokenizer } from "./tokenizer";
