/**
 * The playground's GPT-2 jobs, run in its worker:
 *
 *   lm-sample   a prompt, sampling knobs and a model → n completions, each with its reward broken
 *               down by part: every rule of a `rules:` part, each reward model, each classifier
 *   lm-train    the same completions from the model as it is, then a GRPO run (lib/algos/grpo-lm on
 *               the course's prompts, datasets/lm/prompts.jsonl) with live reward curves, then the
 *               same prompt and seed again: before and after, side by side. The trained model stays
 *               in the worker as "trained:<run id>" for later samples.
 *
 * A model is "tiny" (a random tiny GPT-2, seed 0: gibberish, but it trains), a GPT-2 directory, or
 * a trained one. The reward is a `tsrl train grpo GPT2 --reward` spec (lib/cli/reward-spec.ts).
 */
import * as path from "node:path";
import { createGrpoLmTrainer, decodeCompletion, type TextCodec } from "../../algos/grpo-lm";
import { loadReward, parseRewardSpec, type RewardSource } from "../../lm/reward-spec";
import { createRng } from "../../core/rng";
import { datasetsDir } from "../../data/paths";
import { readPrompts } from "../../lm/preferences";
import { ruleBreakdown } from "../../lm/rule-rewards";
import { GPT2_TINY } from "../../nn/gpt2/config";
import { generate } from "../../nn/gpt2/generate";
import { loadGpt2 } from "../../nn/gpt2/load";
import { createGpt2, gpt2FromWeights, type Gpt2 } from "../../nn/gpt2/model";
import { loadGpt2Tokenizer, type Gpt2Tokenizer } from "../../nn/gpt2/tokenizer";
import type { JobContext } from "./job-context";
import type { LmSampleJob, LmSampling, LmTrainJob } from "./protocol";

/** One reward part's column: its name and the weight it enters the total with. */
export interface RewardColumn {
  name: string;
  weight: number;
}

export interface ScoredCompletion {
  text: string;
  /** Σ weight × part. */
  total: number;
  /** One value per column, before weighting. */
  parts: number[];
}

export interface ScoredSample {
  model: string;
  prompt: string;
  columns: RewardColumn[];
  completions: ScoredCompletion[];
}

let tokenizer: Gpt2Tokenizer | undefined;
const tok = () => (tokenizer ??= loadGpt2Tokenizer());
const models = new Map<string, Gpt2>();
const rewardModels = new Map<string, Awaited<ReturnType<typeof loadRewardModelOf>>>();

/** A model to sample from (cached); `fresh` gives a copy of its own to train. */
function modelFor(key: string, fresh = false): Gpt2 {
  if (key === "tiny") return fresh || !models.has(key) ? remember(key, createGpt2(GPT2_TINY, createRng(0)), fresh) : models.get(key)!;
  const known = models.get(key);
  if (key.startsWith("trained:")) {
    if (!known) throw new RangeError(`model ${key}: no such trained model in this session (it is gone when the playground restarts); pick another`);
    return fresh ? gpt2FromWeights(known.config, known.weights()) : known;
  }
  if (known && !fresh) return known;
  return remember(key, loadGpt2(key), fresh);
}

function remember(key: string, model: Gpt2, fresh: boolean): Gpt2 {
  if (!fresh) {
    models.get(key)?.dispose();
    models.set(key, model);
  }
  return model;
}

async function loadRewardModelOf(dir: string) {
  const { loadRewardModel } = await import("../../lm/reward-model");
  return loadRewardModel(dir, tok());
}

/** `n` completions of the prompt (fed as <|endoftext|> + its tokens, as the course's models saw text start). */
function sampleTexts(model: Gpt2, s: LmSampling): string[] {
  const t = tok();
  const room = model.config.nPositions - s.maxTokens;
  if (room < 2) throw new RangeError(`maxTokens ${s.maxTokens} leaves no room for the prompt in the model's ${model.config.nPositions} positions`);
  const ids = [t.eosId, ...t.encode(s.prompt)].slice(-room);
  const gen = generate(model, Array.from({ length: s.n }, () => ids), {
    maxNewTokens: s.maxTokens, temperature: s.temperature, topP: s.topP, eosId: t.eosId, rng: s.temperature > 0 ? createRng(s.seed) : undefined,
  });
  return gen.tokens.map((tokens) => decodeCompletion(t, tokens, t.eosId));
}

/** Each part of the reward on each completion: every rule alone, each reward model, each classifier. */
async function scoreByPart(sources: readonly RewardSource[], prompt: string, completions: string[]): Promise<{ columns: RewardColumn[]; values: number[][] }> {
  const columns: RewardColumn[] = [];
  const values: number[][] = completions.map(() => []);
  const prompts = completions.map(() => prompt);
  for (const s of sources) {
    let scores: number[][];
    if (s.kind === "rules") {
      s.rules.forEach((r) => columns.push({ name: r.kind, weight: s.weight * (r.weight ?? 1) }));
      scores = ruleBreakdown(s.rules, prompts, completions);
    } else if (s.kind === "rm") {
      let rm = rewardModels.get(s.dir);
      if (!rm) rewardModels.set(s.dir, (rm = await loadRewardModelOf(s.dir)));
      columns.push({ name: `reward model ${path.basename(s.dir)}`, weight: s.weight });
      scores = (await rm.score(prompts, completions)).map((v) => [v]);
    } else {
      const part = await loadReward([{ ...s, weight: 1 }]);
      columns.push({ name: `classifier ${s.label}`, weight: s.weight });
      scores = (await part.reward(prompts, completions)).map((v) => [v]);
      part.dispose();
    }
    scores.forEach((row, i) => values[i].push(...row));
  }
  return { columns, values };
}

async function scoredSample(modelKey: string, model: Gpt2, sources: readonly RewardSource[], s: LmSampling): Promise<ScoredSample> {
  const texts = sampleTexts(model, s);
  const { columns, values } = await scoreByPart(sources, s.prompt, texts);
  return {
    model: modelKey,
    prompt: s.prompt,
    columns,
    completions: texts.map((text, i) => ({ text, parts: values[i], total: values[i].reduce((sum, v, k) => sum + columns[k].weight * v, 0) })),
  };
}

export async function lmSample(job: LmSampleJob, ctx: JobContext): Promise<ScoredSample> {
  const sources = parseRewardSpec(job.reward);
  ctx.progress({ done: 0, total: 1, unit: "samples", fields: { model: job.model } });
  const out = await scoredSample(job.model, modelFor(job.model), sources, job);
  ctx.progress({ done: 1, total: 1, unit: "samples", fields: { model: job.model } });
  return out;
}

export interface LmTrainResult {
  before: ScoredSample;
  after: ScoredSample;
  /** The trained model's key, for later samples. */
  trained: string;
  steps: number;
  stopped: string;
}

export async function lmTrain(job: LmTrainJob, ctx: JobContext): Promise<LmTrainResult> {
  const sources = parseRewardSpec(job.reward);
  const model = modelFor(job.model, true);
  const reward = await loadReward(sources);
  const t = tok();
  const codec: TextCodec = { encode: (p) => [t.eosId, ...t.encode(p)], decode: (ids) => t.decode(ids) };
  let trainer: ReturnType<typeof createGrpoLmTrainer> | undefined;
  let kept = false; // once the trained model is in the cache, the cache owns it
  try {
    const before = await scoredSample(job.model, model, sources, job);
    trainer = createGrpoLmTrainer({
      model, tokenizer: codec, prompts: readPrompts(datasetsDir("lm", "prompts.jsonl")), reward: reward.reward,
      config: { seed: job.seed, maxSteps: job.steps, learningRate: job.lr, beta: job.beta },
    });
    const result = await trainer.train({ signal: ctx.signal, onAbort: "return", onUpdate: (row) => ctx.row(row), onProgress: (p) => ctx.progress(p) });
    const trained = `trained:${ctx.id}`;
    for (const key of [...models.keys()]) if (key.startsWith("trained:")) { models.get(key)!.dispose(); models.delete(key); } // one trained model at a time
    models.set(trained, model);
    kept = true;
    const after = await scoredSample(trained, model, sources, job);
    return { before, after, trained, steps: result.updates, stopped: result.stopped };
  } catch (err) {
    if (!kept) model.dispose();
    throw err;
  } finally {
    trainer?.dispose();
    reward.dispose();
  }
}
