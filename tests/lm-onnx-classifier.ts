/**
 * A tiny text classifier in the layout Transformers.js loads (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx), written byte by byte — no Python, no download — for the
 * test of lib/lm/hf-classifier.ts. The ONNX graph is a lexicon: every token has a weight w (+1 for
 * positive words, −1 for negative ones, 0 else) and
 *
 *   s = Σ_t w[input_ids_t] · attention_mask_t,     logits = [−s, s]   (labels NEGATIVE, POSITIVE)
 *
 * so P(POSITIVE) = softmax(logits)[1] = σ(2s). Tokens are GPT-2's (a RoBERTa-type config, whose
 * tokenizer is byte-level BPE too).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { gpt2TokenizerJson, loadGpt2Tokenizer, GPT2_VOCAB_SIZE } from "../lib/nn/gpt2/tokenizer";

// ---- a minimal protobuf writer (the ONNX format is protobuf)
function varint(n: number | bigint): number[] {
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}
const key = (field: number, wire: number) => varint((field << 3) | wire);
const int = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const bytes = (field: number, b: ArrayLike<number>) => [...key(field, 2), ...varint(b.length), ...Array.from(b)];
const str = (field: number, s: string) => bytes(field, Buffer.from(s, "utf8"));
const msg = (field: number, parts: number[][]) => bytes(field, parts.flat());

const FLOAT = 1, INT64 = 7;
const attrInt = (name: string, i: number) => msg(5, [str(1, name), int(3, i), int(20, 2)]);
const node = (inputs: string[], outputs: string[], op: string, attrs: number[][] = []) => msg(1, [...inputs.map((s) => str(1, s)), ...outputs.map((s) => str(2, s)), str(3, `${op}_${outputs[0]}`), str(4, op), ...attrs]);
const dims = (ds: (number | string)[]) => msg(2, ds.map((d) => msg(1, [typeof d === "number" ? int(1, d) : str(2, d)])));
const valueInfo = (field: number, name: string, elem: number, shape: (number | string)[]) => msg(field, [str(1, name), msg(2, [msg(1, [int(1, elem), dims(shape)])])]);
const initializer = (name: string, shape: number[], type: number, raw: Uint8Array) => msg(5, [...shape.map((d) => int(1, d)), int(2, type), str(8, name), bytes(9, raw)]);

/** The ONNX bytes of the lexicon classifier with per-token weights `w` (length = vocabulary). */
export function lexiconClassifierOnnx(w: Float32Array): Uint8Array {
  const axes = new Uint8Array(new BigInt64Array([1n]).buffer);
  const graph = msg(7, [
    node(["weights", "input_ids"], ["tok"], "Gather"),
    node(["attention_mask"], ["maskf"], "Cast", [attrInt("to", FLOAT)]),
    node(["tok", "maskf"], ["masked"], "Mul"),
    node(["masked", "axes"], ["s"], "ReduceSum", [attrInt("keepdims", 1)]),
    node(["s"], ["ns"], "Neg"),
    node(["ns", "s"], ["logits"], "Concat", [attrInt("axis", 1)]),
    str(2, "lexicon"),
    initializer("weights", [w.length], FLOAT, new Uint8Array(w.buffer, w.byteOffset, w.byteLength)),
    initializer("axes", [1], INT64, axes),
    valueInfo(11, "input_ids", INT64, ["batch", "sequence"]),
    valueInfo(11, "attention_mask", INT64, ["batch", "sequence"]),
    valueInfo(12, "logits", FLOAT, ["batch", 2]),
  ]);
  return Uint8Array.from([...int(1, 8), ...str(2, "tsrl-test"), ...graph, ...msg(8, [str(1, ""), int(2, 13)])]);
}

/** Writes the classifier directory; positive/negative words become ±1 on their " word" token. */
export function writeLexiconClassifier(dir: string, positive: readonly string[], negative: readonly string[]): void {
  const tok = loadGpt2Tokenizer();
  const w = new Float32Array(GPT2_VOCAB_SIZE);
  const set = (words: readonly string[], v: number) => {
    for (const word of words) for (const form of [` ${word}`, word]) { const ids = tok.encode(form); if (ids.length === 1) w[ids[0]] = v; }
  };
  set(positive, 1);
  set(negative, -1);
  fs.mkdirSync(path.join(dir, "onnx"), { recursive: true });
  fs.writeFileSync(path.join(dir, "onnx", "model.onnx"), lexiconClassifierOnnx(w));
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(gpt2TokenizerJson()));
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify({ tokenizer_class: "GPT2Tokenizer", bos_token: "<|endoftext|>", eos_token: "<|endoftext|>", unk_token: "<|endoftext|>", pad_token: "<|endoftext|>", model_max_length: 512, clean_up_tokenization_spaces: false }));
  fs.writeFileSync(path.join(dir, "config.json"), JSON.stringify({ model_type: "roberta", architectures: ["RobertaForSequenceClassification"], id2label: { 0: "NEGATIVE", 1: "POSITIVE" }, label2id: { NEGATIVE: 0, POSITIVE: 1 }, vocab_size: GPT2_VOCAB_SIZE, pad_token_id: 50256 }));
}
