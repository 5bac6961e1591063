/**
 * GPT-2 checkpoints in Hugging Face's layout: a directory with
 *
 *   config.json         GPT2Config's fields (n_layer, n_head, n_embd, n_positions, vocab_size,
 *                       layer_norm_epsilon, …; ./config.ts fromHfConfig)
 *   model.safetensors   the weights by HF's names (./weights.ts), float32, float16 or bfloat16
 *
 * `loadGpt2(dir)` maps HF's names onto ours, as nanoGPT's from_pretrained does, except that no
 * weight is transposed: HF's Conv1D stores [in, out], as we do. It accepts keys with or without the
 * `transformer.` prefix (GPT2LMHeadModel vs GPT2Model), skips HF's attention-mask buffers
 * (`h.N.attn.bias`, `h.N.attn.masked_bias`), and checks that an `lm_head.weight`, if present, is the
 * token embedding (GPT-2's head is tied). Every missing, mis-shaped or unknown tensor is named.
 *
 * Nothing is downloaded: a hub name ("gpt2", "openai-community/gpt2") loads only from a local
 * Hugging Face cache ($HF_HUB_CACHE, $HF_HOME/hub or ~/.cache/huggingface/hub) that already holds
 * both files; otherwise the error says where to put them.
 *
 * `saveGpt2(model, dir)` writes the same two files (keys with `transformer.`, as HF saves
 * GPT2LMHeadModel, and safetensors metadata format "pt") and tsrl's marker, replacing `dir`
 * atomically — only where lib/data/out-dir's `checkOutDir` allows (never a directory tsrl did not
 * write, such as a downloaded model's).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { replaceDirAtomic, writeFileAtomic } from "../../data/atomic";
import { CheckpointError, nonFiniteProblems } from "../../data/checkpoint";
import { checkOutDir } from "../../data/out-dir";
import { encodeSafetensors, readSafetensors, type Dtype, type SafetensorsContents } from "../../data/safetensors";
import { fromHfConfig, toHfConfig, type Gpt2Config } from "./config";
import { gpt2FromWeights, type Gpt2 } from "./model";
import { gpt2ParamShapes, type Gpt2Weights } from "./weights";

export const GPT2_CONFIG_FILE = "config.json";
export const GPT2_WEIGHTS_FILE = "model.safetensors";

/** Hub names of the GPT-2 family and their current repositories. */
const HUB_ALIASES: Record<string, string> = {
  gpt2: "openai-community/gpt2",
  "gpt2-medium": "openai-community/gpt2-medium",
  "gpt2-large": "openai-community/gpt2-large",
  "gpt2-xl": "openai-community/gpt2-xl",
  distilgpt2: "distilbert/distilgpt2",
};

/** Where Hugging Face keeps downloaded models on this machine (it need not exist). */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HF_HOME) return path.join(env.HF_HOME, "hub");
  return path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "huggingface", "hub");
}

/** A snapshot directory of `repo` in the local HF cache holding both files, if any. */
function cachedSnapshot(repo: string): string | undefined {
  const snapshots = path.join(hfHubCacheDir(), `models--${repo.replace(/\//g, "--")}`, "snapshots");
  if (!fs.existsSync(snapshots)) return undefined;
  for (const rev of fs.readdirSync(snapshots)) {
    const dir = path.join(snapshots, rev);
    if (fs.existsSync(path.join(dir, GPT2_CONFIG_FILE)) && fs.existsSync(path.join(dir, GPT2_WEIGHTS_FILE))) return dir;
  }
  return undefined;
}

/** The directory to load from: `source` itself, or a hub name's local cache snapshot; else a clear error. */
export function resolveGpt2Source(source: string): string {
  if (fs.existsSync(source)) return path.resolve(source);
  const looksLikeHubName = /^[A-Za-z0-9][\w.-]*(\/[\w.-]+)?$/.test(source) && !source.startsWith(".");
  if (!looksLikeHubName) throw new CheckpointError(path.resolve(source), "directory does not exist");
  const repo = HUB_ALIASES[source] ?? source;
  const cached = cachedSnapshot(repo);
  if (cached) return cached;
  const cacheDir = path.join(hfHubCacheDir(), `models--${repo.replace(/\//g, "--")}`, "snapshots", "<revision>");
  throw new Error(
    `loadGpt2(${JSON.stringify(source)}): no directory of that name, and weights are never downloaded at run time (this machine has no network). ` +
      `Get ${GPT2_CONFIG_FILE} and ${GPT2_WEIGHTS_FILE} of the Hugging Face model "${repo}" on a machine that has it, ` +
      `put both files in one directory here, and pass that directory's path: loadGpt2("path/to/${repo.split("/").pop()}"). ` +
      `Python's transformers keeps downloads under ${cacheDir}/ (set HF_HUB_CACHE or HF_HOME to point elsewhere); ` +
      `a copy of that cache is found automatically.`,
  );
}

function readJson(file: string, dir: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new CheckpointError(dir, `${path.basename(file)} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CheckpointError(dir, `${path.basename(file)} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** Reads and checks the weights of `contents` against `config`; throws naming every problem. */
export function gpt2WeightsFromSafetensors(contents: SafetensorsContents, config: Gpt2Config, dir: string, opts: LoadGpt2Options = {}): Gpt2Weights {
  const expected = gpt2ParamShapes(config);
  const weights: Gpt2Weights = {};
  const problems: string[] = [];
  let lmHead: { data: Float32Array; shape: number[] } | undefined;
  const fmt = (s: readonly number[]) => `[${s.join(", ")}]`;
  for (const [key, t] of Object.entries(contents.tensors)) {
    const name = key.startsWith("transformer.") ? key.slice("transformer.".length) : key;
    let data: Float32Array;
    if (t.dtype === "F32" || t.dtype === "F16" || t.dtype === "BF16") data = t.data as Float32Array;
    else if (t.dtype === "F64") data = Float32Array.from(t.data as Float64Array);
    else if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) continue; // HF's causal-mask buffers (often U8/BOOL)
    else { problems.push(`tensor '${key}' has dtype ${t.dtype}; weights must be floating point`); continue; }
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) continue;
    if (name === "lm_head.weight") { lmHead = { data, shape: t.shape }; continue; }
    if (!(name in expected)) { problems.push(`unexpected tensor '${key}' (shape ${fmt(t.shape)}) for a GPT-2 with ${config.nLayer} layers`); continue; }
    if (name in weights) { problems.push(`tensor '${name}' appears twice (with and without the 'transformer.' prefix)`); continue; }
    weights[name] = { data, shape: t.shape };
  }
  for (const [name, shape] of Object.entries(expected)) {
    const w = weights[name];
    if (!w) problems.push(`missing tensor '${name}' (expected shape ${fmt(shape)})`);
    else if (w.shape.length !== shape.length || w.shape.some((d, i) => d !== shape[i])) problems.push(`tensor '${name}' has shape ${fmt(w.shape)}, expected ${fmt(shape)}`);
  }
  if (lmHead && weights["wte.weight"] && problems.length === 0) {
    const wte = weights["wte.weight"].data;
    let tied = lmHead.data.length === wte.length;
    for (let i = 0; tied && i < wte.length; i++) if (Math.abs(lmHead.data[i] - wte[i]) > 1e-6 * (1 + Math.abs(wte[i]))) tied = false;
    if (!tied) problems.push(`'lm_head.weight' (shape ${fmt(lmHead.shape)}) differs from 'wte.weight': GPT-2's LM head must be tied to the token embedding`);
  }
  if (problems.length === 0 && !opts.allowNonFinite) {
    problems.push(...nonFiniteProblems(weights).map((p) => `${p} (the run that wrote it diverged; loadGpt2(dir, { allowNonFinite: true }) to inspect it)`));
  }
  if (problems.length > 0) throw new CheckpointError(dir, problems);
  return weights;
}

/**
 * Loads GPT-2 from a Hugging Face-style directory (see the module comment), or from a hub name
 * found in the local Hugging Face cache. Errors name the file, tensor or field at fault.
 */
export interface LoadGpt2Options {
  /** Accept weights holding NaN or ±∞ (default false: a CheckpointError names each such tensor). */
  allowNonFinite?: boolean;
}

export function loadGpt2(source: string, opts: LoadGpt2Options = {}): Gpt2 {
  const dir = resolveGpt2Source(source);
  if (!fs.statSync(dir).isDirectory()) throw new CheckpointError(dir, `is not a directory; expected one holding ${GPT2_CONFIG_FILE} and ${GPT2_WEIGHTS_FILE}`);
  const configFile = path.join(dir, GPT2_CONFIG_FILE), weightsFile = path.join(dir, GPT2_WEIGHTS_FILE);
  if (!fs.existsSync(configFile)) throw new CheckpointError(dir, `missing ${GPT2_CONFIG_FILE} (Hugging Face's GPT2Config)`);
  if (!fs.existsSync(weightsFile)) {
    const other = ["model.safetensors.index.json", "pytorch_model.bin", "tf_model.h5"].find((f) => fs.existsSync(path.join(dir, f)));
    throw new CheckpointError(dir, `missing ${GPT2_WEIGHTS_FILE}${other ? ` (found ${other}: save the model as a single safetensors file, e.g. model.save_pretrained(dir, safe_serialization=True, max_shard_size="2GB"))` : ""}`);
  }
  for (const f of [configFile, weightsFile]) if (fs.statSync(f).isDirectory()) throw new CheckpointError(dir, `${path.basename(f)} is a directory, expected a file`);
  const hf = readJson(configFile, dir);
  if (typeof hf.algorithm === "string" && hf.n_layer === undefined) {
    throw new CheckpointError(dir, `is a tsrl agent checkpoint (algorithm ${hf.algorithm}), not a GPT-2 directory (config.json with n_layer, n_embd, …)`);
  }
  let config: Gpt2Config;
  try {
    config = fromHfConfig(hf, configFile);
  } catch (err) {
    if (err instanceof CheckpointError) throw err;
    throw new CheckpointError(dir, (err as Error).message);
  }
  let contents: SafetensorsContents;
  try {
    contents = readSafetensors(weightsFile);
  } catch (err) {
    throw new CheckpointError(dir, `${GPT2_WEIGHTS_FILE} is unreadable: ${(err as Error).message}`);
  }
  return gpt2FromWeights(config, gpt2WeightsFromSafetensors(contents, config, dir, opts));
}

export interface SaveGpt2Options {
  /** Storage type of the weights: "F32" (default), "F16" or "BF16". */
  dtype?: Extract<Dtype, "F32" | "F16" | "BF16">;
  /** Key prefix: "transformer." (default, as HF saves GPT2LMHeadModel) or "" (GPT2Model). */
  prefix?: "transformer." | "";
  /** Extra files to write next to the weights (e.g. a tokenizer.json), name → contents. */
  extraFiles?: Record<string, string | Uint8Array>;
  /** Replace a tsrl directory already at `dir` (default true; false refuses to). Never anything else. */
  overwrite?: boolean;
  /** Write weights holding NaN or ±∞ (default false: refused, naming the tensor, before anything is written). */
  allowNonFinite?: boolean;
}

/** Writes config.json + model.safetensors (see the module comment), replacing `dir` atomically; returns its absolute path. */
export function saveGpt2(model: Gpt2, dir: string, opts: SaveGpt2Options = {}): string {
  const { dtype = "F32", prefix = "transformer." } = opts;
  const { dir: target } = checkOutDir(dir, { overwrite: opts.overwrite }); // the guard, on the path as given ("" is not ".")
  const tensors: Record<string, { data: Float32Array; shape: number[]; dtype: Dtype }> = {};
  for (const [name, w] of Object.entries(model.weights())) tensors[`${prefix}${name}`] = { ...w, dtype };
  if (!opts.allowNonFinite) {
    const bad = nonFiniteProblems(tensors);
    if (bad.length) throw new CheckpointError(target, bad.map((p) => `${p}: refusing to write non-finite weights (training diverged?)`));
  }
  const bytes = encodeSafetensors(tensors, { format: "pt" });
  replaceDirAtomic(target, (staging) => {
    writeFileAtomic(path.join(staging, GPT2_WEIGHTS_FILE), bytes);
    writeFileAtomic(path.join(staging, GPT2_CONFIG_FILE), JSON.stringify({ ...toHfConfig(model.config), torch_dtype: { F32: "float32", F16: "float16", BF16: "bfloat16" }[dtype] }, null, 2) + "\n");
    for (const [name, contents] of Object.entries(opts.extraFiles ?? {})) writeFileAtomic(path.join(staging, name), contents);
  }, { overwrite: opts.overwrite, kind: "gpt2" });
  return target;
}

/** True when `dir` holds a Hugging Face GPT-2 config (model_type "gpt2"), not a tsrl agent checkpoint. */
export function isGpt2Directory(dir: string | undefined): boolean {
  if (!dir) return false;
  try {
    const config = JSON.parse(fs.readFileSync(path.join(dir, "config.json"), "utf8"));
    return config?.model_type === "gpt2" && config.algorithm === undefined;
  } catch {
    return false;
  }
}
