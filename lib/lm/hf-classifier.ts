/**
 * A Hugging Face text-classification model as a reward: Transformers.js's
 * `pipeline("text-classification", dir)` from a local directory, scored as the probability the
 * classifier gives one label (e.g. "POSITIVE" of an SST-2 sentiment model):
 *
 *   const reward = await hfClassifierReward({ dir: "models/distilbert-sst2", label: "POSITIVE" });
 *   await reward(prompts, completions)        // [p(POSITIVE | completion), …]
 *
 * Offline by construction: `env.allowRemoteModels = false` and `local_files_only`, so nothing is
 * downloaded; the directory must hold what Transformers.js loads (see `HF_CLASSIFIER_FILES`). Without
 * it, the error says what to put where.
 *
 * `@huggingface/transformers` is not one of tsrl's dependencies (with onnxruntime and sharp it adds
 * ~470 MB); it is loaded when this reward is made, from the project or the working directory, and
 * the error says how to install it. Tests can pass their own `pipeline` (same call shape).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { createRequire } from "node:module";
import { packageRoot } from "../data/paths";
import type { RewardFn } from "./rule-rewards";

/** What a Transformers.js text-classification directory holds (dtype "fp32"; "q8" reads onnx/model_quantized.onnx). */
export const HF_CLASSIFIER_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"] as const;

export interface ClassLabelScore {
  label: string;
  score: number;
}

/** The call shape of Transformers.js's TextClassificationPipeline that we use. */
export type TextClassifier = (texts: string[], options: { top_k: number | null }) => Promise<ClassLabelScore[][] | ClassLabelScore[]>;

export interface HfClassifierOptions {
  /** A local directory with a Transformers.js text-classification model (HF_CLASSIFIER_FILES). */
  dir: string;
  /** The label whose probability is the reward, as in the model's config.json id2label (case-insensitive). */
  label: string;
  /** What the classifier reads: the completion alone (default) or prompt + completion ("text"). */
  input?: "completion" | "text";
  /** Texts per pipeline call (default 32). */
  batchSize?: number;
  /** Transformers.js dtype of the ONNX weights (default "fp32": onnx/model.onnx; "q8": onnx/model_quantized.onnx). */
  dtype?: string;
  /** A ready pipeline (tests, or a model loaded some other way); then `dir` is not read. */
  pipeline?: TextClassifier;
}

function onnxFileOf(dtype: string): string {
  return dtype === "fp32" ? "onnx/model.onnx" : dtype === "q8" ? "onnx/model_quantized.onnx" : `onnx/model_${dtype}.onnx`;
}

/** Throws, saying what to put where, unless `dir` holds a Transformers.js text-classification model. */
export function checkClassifierDir(dir: string, dtype = "fp32"): string {
  const abs = path.resolve(dir);
  const needed = [...HF_CLASSIFIER_FILES.filter((f) => !f.startsWith("onnx/")), onnxFileOf(dtype)];
  const missing = fs.existsSync(abs) ? needed.filter((f) => !fs.existsSync(path.join(abs, f))) : needed;
  if (missing.length > 0) {
    throw new Error(
      `hfClassifierReward: ${fs.existsSync(abs) ? `${abs} lacks ${missing.join(", ")}` : `${abs} does not exist`}. ` +
        `Put a Transformers.js text-classification model there — ${needed.join(", ")} — e.g. the files of the Hugging Face repository ` +
        `"Xenova/distilbert-base-uncased-finetuned-sst-2-english" (labels NEGATIVE, POSITIVE), copied from a machine that has them, ` +
        `or a transformers model exported with Optimum (optimum-cli export onnx --task text-classification --model NAME ${path.basename(abs)}; ` +
        `then move model.onnx into onnx/). Nothing is downloaded at run time.`,
    );
  }
  return abs;
}

/**
 * The probability of `label` for each text, from the pipeline's outputs (with top_k: null, every
 * label's score per text). Throws naming the labels there are when `label` is not among them.
 */
export function labelScores(outputs: ClassLabelScore[][] | ClassLabelScore[], label: string, texts: number): number[] {
  const rows: ClassLabelScore[][] = texts === 1 && outputs.length > 0 && !Array.isArray(outputs[0]) ? [outputs as ClassLabelScore[]] : (outputs as ClassLabelScore[][]);
  if (!Array.isArray(rows) || rows.length !== texts || rows.some((r) => !Array.isArray(r))) {
    throw new RangeError(`text classifier returned ${Array.isArray(rows) ? rows.length : typeof rows} results for ${texts} texts (expected one list of {label, score} per text)`);
  }
  const wanted = label.toLowerCase();
  return rows.map((r, i) => {
    const hit = r.find((x) => typeof x?.label === "string" && x.label.toLowerCase() === wanted);
    if (!hit) throw new RangeError(`label ${JSON.stringify(label)} is not among the classifier's labels for text ${i}: ${r.map((x) => JSON.stringify(x?.label)).join(", ")} (see id2label in its config.json)`);
    if (typeof hit.score !== "number" || !Number.isFinite(hit.score)) throw new RangeError(`text classifier gave label ${JSON.stringify(hit.label)} the score ${JSON.stringify(hit.score)} for text ${i}`);
    return hit.score;
  });
}

/** Loads @huggingface/transformers from the project or the working directory; throws saying how to install it. */
export function requireTransformers(): Record<string, unknown> {
  const req = createRequire(typeof __filename === "string" ? __filename : path.join(process.cwd(), "index.js"));
  let resolved: string | undefined;
  for (const from of [packageRoot(), process.cwd()]) {
    try {
      resolved = req.resolve("@huggingface/transformers", { paths: [from] });
      break;
    } catch {
      // try the next place
    }
  }
  if (!resolved) {
    throw new Error(
      "hfClassifierReward needs the npm package @huggingface/transformers, which tsrl does not install (with onnxruntime it is ~470 MB): " +
        "run `npm install @huggingface/transformers` in the project (or in your working directory), then try again.",
    );
  }
  return req(resolved) as Record<string, unknown>;
}

/** A RewardFn scoring completions by a local Transformers.js text classifier (see the module comment). */
export async function hfClassifierReward(opts: HfClassifierOptions): Promise<RewardFn> {
  const { label, input = "completion", batchSize = 32, dtype = "fp32" } = opts;
  if (typeof label !== "string" || label === "") throw new RangeError(`hfClassifierReward: label must be a non-empty string (a label of the model's id2label), got ${JSON.stringify(label)}`);
  if (input !== "completion" && input !== "text") throw new RangeError(`hfClassifierReward: input must be "completion" or "text", got ${JSON.stringify(input)}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new RangeError(`hfClassifierReward: batchSize must be a positive integer, got ${batchSize}`);
  let classify = opts.pipeline;
  if (!classify) {
    if (typeof opts.dir !== "string" || opts.dir === "") throw new RangeError("hfClassifierReward: dir must name a local directory holding a Transformers.js text-classification model");
    const dir = checkClassifierDir(opts.dir, dtype);
    const transformers = requireTransformers() as { env: Record<string, unknown>; pipeline: (task: string, model: string, o: object) => Promise<TextClassifier> };
    transformers.env.allowRemoteModels = false;
    transformers.env.allowLocalModels = true;
    classify = await transformers.pipeline("text-classification", dir, { local_files_only: true, dtype });
  }
  const pipe = classify;
  return async (prompts: string[], completions: string[]) => {
    if (prompts.length !== completions.length) throw new RangeError(`hfClassifierReward: ${prompts.length} prompts but ${completions.length} completions`);
    const texts = completions.map((c, i) => (input === "text" ? prompts[i] + c : c));
    const out: number[] = [];
    for (let i = 0; i < texts.length; i += batchSize) {
      const chunk = texts.slice(i, i + batchSize);
      out.push(...labelScores(await pipe(chunk, { top_k: null }), label, chunk.length));
    }
    return out;
  };
}
