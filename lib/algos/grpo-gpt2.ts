/**
 * GRPO on a GPT-2, as `tsrl train grpo GPT2` runs it: the pair (grpo, GPT2) of the registry. Its
 * config is GRPO for language models' (./grpo-lm.ts, TRL's names) plus where the run's inputs are:
 *
 *   model     a GPT-2 directory (config.json + model.safetensors), or "tiny" for a fresh tiny GPT-2
 *   reward    a reward SPEC (lib/lm/reward-spec): rules:sentiment=1,length=0.2:16 | rm:DIR | hf:DIR:LABEL
 *   prompts   JSON lines with a "prompt" field (default datasets/lm/prompts.jsonl)
 *
 * Each prompt is fed as <|endoftext|> + its tokens, as the course's tiny model saw text start.
 *
 * The run's directory is a Hugging Face GPT-2 directory (config.json, model.safetensors,
 * tokenizer.json, tokenizer_config.json: `transformers` and `tsrl serve` load it) plus the run:
 * metrics.csv (one row per generation batch), grpo_run.json (model, reward, prompts, config, summary;
 * `tsrl export trl` reads it) and the training state (train_state.json, train_state.safetensors:
 * Adam's moments, the reference, the generators), written together atomically. A resumed run
 * continues exactly (the same numbers as the uninterrupted run).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { NonFiniteError } from "../core/finite";
import { createRng } from "../core/rng";
import { defineSchema, str } from "../core/schema";
import { CheckpointError } from "../data/checkpoint";
import { csvBytes } from "../data/metrics";
import { datasetsDir } from "../data/paths";
import { encodeSafetensors } from "../data/safetensors";
import { readPrompts } from "../lm/preferences";
import { loadReward, parseRewardSpec } from "../lm/reward-spec";
import { initBackend } from "../nn/backend";
import { GPT2_TINY } from "../nn/gpt2/config";
import { loadGpt2, saveGpt2 } from "../nn/gpt2/load";
import { createGpt2, type Gpt2 } from "../nn/gpt2/model";
import { gpt2TokenizerConfig, gpt2TokenizerJson, loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import type { AgentConfig, BaseRow } from "./agent";
import { readTrainingState } from "./checkpoint";
import { createGrpoLmTrainer, grpoLmSchema, type GrpoLmConfig, type GrpoLmRow, type GrpoLmTrainer, type TextCodec } from "./grpo-lm";
import { TRAIN_STATE_JSON, TRAIN_STATE_TENSORS } from "./resume";
import { round, type Trainer, type TrainingRun } from "./trainer";

/** The env id of the pair: a GPT-2 trained on prompts and a reward. */
export const GPT2_ENV = "GPT2";
/** The run file beside the model (`tsrl export trl` and --resume read it). */
export const GRPO_RUN_FILE = "grpo_run.json";
/** The algorithm name in the training state of a GPT-2 run. */
const STATE_ALGORITHM = "grpo-lm";

export const grpoGpt2Schema = defineSchema("grpo", {
  envId: str(GPT2_ENV, "GPT2: a GPT-2 trained on prompts and a reward", { positional: true, nonEmpty: true }),
  model: str("", "a GPT-2 directory (config.json + model.safetensors), or 'tiny' for a fresh random tiny GPT-2"),
  reward: str("", "reward SPEC: rules:sentiment=1,length=0.2:16 | rm:DIR | hf:DIR:LABEL, parts joined by + (see lib/lm/reward-spec.ts)"),
  prompts: str(datasetsDir("lm", "prompts.jsonl"), "JSON lines with a \"prompt\" field", { nonEmpty: true }),
  ...grpoLmSchema.fields,
});

/** The fields of the config that are GRPO's own (the rest say where the inputs are). */
const LM_FIELDS = Object.keys(grpoLmSchema.fields);

/** The pair (grpo, GPT2): GRPO for language models on a GPT-2 directory, prompts and a reward spec. */
export const grpoGpt2: Trainer = {
  algorithm: "grpo",
  summary: "GRPO on a GPT-2 language model: TRL's GRPOTrainer options (camelCase as kebab-case flags), a reward spec, a prompts file",
  trainsOn: `${GPT2_ENV} (a GPT-2 directory, prompts and a reward spec)`,
  envArgument: GPT2_ENV,
  unit: "step",
  schema: grpoGpt2Schema,
  accepts: (envId) => envId === GPT2_ENV,
  config(partial) {
    const config = grpoGpt2Schema.parse(partial);
    if (!config.model) throw new RangeError("give --model DIR (a GPT-2 directory) or --model tiny");
    if (!config.reward) throw new RangeError("give --reward SPEC, e.g. --reward rules:sentiment=1,length=0.2:16");
    parseRewardSpec(config.reward); // a RewardSpecError names the bad piece
    return config;
  },
  savedConfig(dir) {
    const file = path.join(dir, GRPO_RUN_FILE);
    let run: Record<string, unknown>;
    try {
      run = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      throw new RangeError(`--resume ${path.resolve(dir)}: no readable ${GRPO_RUN_FILE} (${(err as NodeJS.ErrnoException).code === "ENOENT" ? "not a tsrl train grpo GPT2 directory" : (err as Error).message})`);
    }
    const { model, reward, prompts, config } = run as { model?: unknown; reward?: unknown; prompts?: unknown; config?: unknown };
    if (typeof reward !== "string" || typeof prompts !== "string" || typeof config !== "object" || config === null) {
      throw new RangeError(`--resume ${path.resolve(dir)}: ${GRPO_RUN_FILE} lacks reward, prompts or config`);
    }
    return { ...(config as Record<string, unknown>), model: String(model), reward, prompts };
  },
  async start(config) {
    await initBackend({ quiet: true });
    const model = openModel(String(config.model), config.seed);
    return gpt2Run(model, config, String(config.model));
  },
  async resume(dir, config) {
    await initBackend({ quiet: true });
    const model = openModel(dir, config.seed); // the run's own weights; its first source stays in grpo_run.json
    const run = await gpt2Run(model, config, String(config.model));
    try {
      run.trainer.restoreTrainingState(readTrainingState(path.resolve(dir), STATE_ALGORITHM));
    } catch (err) {
      run.dispose();
      if (err instanceof CheckpointError) throw err;
      throw new CheckpointError(path.resolve(dir), `the training state does not fit: ${(err as Error).message}`);
    }
    return run;
  },
};

/** The model of `source`: a fresh tiny GPT-2 of the seed, or a directory's (a RangeError naming --model when it cannot be read). */
function openModel(source: string, seed: number): Gpt2 {
  try {
    return source === "tiny" ? createGpt2(GPT2_TINY, createRng(seed)) : loadGpt2(source);
  } catch (err) {
    throw new RangeError(`--model ${source}: ${(err as Error).message}`);
  }
}

/** Mean reward of the first and last `n` rows: what the run did. */
export function rewardChange(rows: readonly GrpoLmRow[], n = 5): { first: number; last: number } {
  const mean = (xs: readonly GrpoLmRow[]) => (xs.length ? xs.reduce((s, r) => s + r.reward, 0) / xs.length : NaN);
  return { first: mean(rows.slice(0, n)), last: mean(rows.slice(-n)) };
}

/** A run of GRPO on `model` (which the run owns and frees), with the config's reward and prompts. */
async function gpt2Run(model: Gpt2, config: AgentConfig, recordedModel: string): Promise<TrainingRun & { trainer: GrpoLmTrainer }> {
  const rewardText = String(config.reward), promptsFile = String(config.prompts);
  let prompts: string[];
  let reward: Awaited<ReturnType<typeof loadReward>>;
  try {
    prompts = readPrompts(promptsFile);
  } catch (err) {
    model.dispose();
    throw new RangeError(`--prompts: ${(err as Error).message}`);
  }
  try {
    reward = await loadReward(parseRewardSpec(rewardText));
  } catch (err) {
    model.dispose();
    throw new RangeError(`--reward ${JSON.stringify(rewardText)}: ${(err as Error).message}`);
  }
  const tok = loadGpt2Tokenizer();
  const codec: TextCodec = { encode: (p) => [tok.eosId, ...tok.encode(p)], decode: (ids) => tok.decode(ids) };
  const lmConfig = Object.fromEntries(LM_FIELDS.map((k) => [k, config[k]])) as Partial<GrpoLmConfig>;
  let trainer: GrpoLmTrainer;
  try {
    trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts, reward: reward.reward, config: lmConfig });
  } catch (err) {
    reward.dispose();
    model.dispose();
    throw err;
  }
  /** What the run did so far, for grpo_run.json and the command's summary. */
  const progressOf = () => {
    const change = rewardChange(trainer.metrics);
    return {
      model: recordedModel, reward: rewardText, prompts: promptsFile,
      steps: trainer.metrics.length, completions: trainer.metrics.at(-1)?.episodes ?? 0,
      rewardFirst: round(change.first, 4), rewardLast: round(change.last, 4), kl: round(trainer.metrics.at(-1)?.kl ?? NaN, 5),
    };
  };
  return {
    trainer,
    metrics: trainer.metrics as readonly BaseRow[],
    train: (opts) => trainer.train(opts),
    save(dir, result, opts = {}) {
      const out = path.resolve(dir);
      const stopped = result?.stopped ?? (opts.failed ? "failed" : "running");
      const wallTime = round(result?.wallTime ?? (opts.failed ? NaN : trainer.metrics.at(-1)?.wallTime ?? NaN), 3);
      const summary = { algorithm: "grpo", env: GPT2_ENV, ...progressOf(), seed: config.seed, stopped, wallTime, checkpoint: out };
      // one atomic directory: the model, its tokenizer, the run and its training state (this run's --out, checked before training)
      const state = trainer.trainingState();
      saveGpt2Run(model, out, {
        ...(trainer.metrics.length ? { "metrics.csv": csvBytes(trainer.metrics) } : {}),
        [GRPO_RUN_FILE]: JSON.stringify({ ...summary, config: trainer.config }, null, 2) + "\n",
        [TRAIN_STATE_JSON]: JSON.stringify({ format: "tsrl-train-state", version: 1, algorithm: STATE_ALGORITHM, exact: state.exact, ...state.json }) + "\n",
        [TRAIN_STATE_TENSORS]: encodeSafetensors(state.tensors, { format: "tsrl-train-state" }),
      }, trainer.metrics.length);
      return out;
    },
    summary(result) {
      const s = progressOf();
      return { fields: s, line: `${s.steps} steps (${s.completions} completions), ${result.wallTime.toFixed(1)} s; reward ${s.rewardFirst} → ${s.rewardLast}, KL ${s.kl}` };
    },
    dispose() {
      trainer.dispose();
      reward.dispose();
      model.dispose();
    },
  };
}

/**
 * A GPT-2 run's directory, written atomically (replacing this run's own): the model, GPT-2's
 * tokenizer files and the run's `files`. Weights that are not finite are a NonFiniteError naming
 * the step — the run diverged — and nothing is written: the directory keeps its last finite model.
 */
export function saveGpt2Run(model: Gpt2, dir: string, files: Record<string, string | Uint8Array>, step: number): string {
  try {
    return saveGpt2(model, dir, {
      overwrite: true,
      extraFiles: { "tokenizer.json": JSON.stringify(gpt2TokenizerJson()), "tokenizer_config.json": JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n", ...files },
    });
  } catch (err) {
    if (err instanceof CheckpointError && /non-finite|not finite/.test(err.message)) throw new NonFiniteError(`step ${step}: ${err.message}`);
    throw err;
  }
}
