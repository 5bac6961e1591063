/**
 * What TRL needs to continue (or repeat) a `tsrl train grpo GPT2` run at scale, for
 * `tsrl export trl RUN_DIR --out DIR`: the files, as a name → contents map, built from the run
 * directory (a Hugging Face GPT-2 directory plus grpo_run.json, lib/algos/grpo-gpt2.ts).
 *
 *   model/              the run's GPT-2 (config.json, model.safetensors, tokenizer files), as written
 *   prompts.jsonl       {"prompt": "<|endoftext|>…"} a line — datasets.load_dataset("json", …) reads it
 *   grpo_config.json    GRPOConfig's keyword arguments with the run's settings (TRL_MAPPING below)
 *   reward.py           the reward as a Python function where it is a rule reward (lib/export/trl-reward.ts)
 *   train_grpo.py       loads the four and runs GRPOTrainer; refuses to start while a reward part is missing
 *   launch.sh           `accelerate launch` of train_grpo.py (NUM_PROCESSES=8 sh launch.sh)
 *   README.md           what is where, this run's mapping table, and the notes
 *
 * One generation batch in tsrl (promptsPerStep × numGenerations completions) is one optimiser step
 * per iteration; in TRL the same holds when per_device_train_batch_size × processes ×
 * gradient_accumulation_steps equals that batch and steps_per_generation equals
 * gradient_accumulation_steps — train_grpo.py keeps the product when run on several processes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { GRPO_RUN_FILE as RUN_FILE } from "../algos/grpo-gpt2";
import { grpoLmConfig, type GrpoLmConfig } from "../algos/grpo-lm";
import { parseRewardSpec } from "../lm/reward-spec";
import { readPrompts } from "../lm/preferences";
import { rewardPython } from "./trl-reward";

/** The model files copied into model/ (the tokenizer files when the run has them). */
const MODEL_FILES = ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"];
const REQUIRED_MODEL_FILES = ["config.json", "model.safetensors"];

/** How each tsrl setting becomes TRL's (one row per tsrl field; the README shows the same table). */
export const TRL_MAPPING: readonly { tsrl: keyof GrpoLmConfig; trl: string; how: string }[] = [
  { tsrl: "seed", trl: "seed", how: "same" },
  { tsrl: "maxSteps", trl: "max_steps", how: "× numIterations: TRL counts optimiser steps, tsrl generation batches" },
  { tsrl: "promptsPerStep", trl: "per_device_train_batch_size, gradient_accumulation_steps, steps_per_generation", how: "per_device × processes × accumulation = promptsPerStep × numGenerations completions per optimiser step; steps_per_generation = accumulation (one generation batch per step)" },
  { tsrl: "numGenerations", trl: "num_generations", how: "same" },
  { tsrl: "maxCompletionLength", trl: "max_completion_length", how: "same" },
  { tsrl: "temperature", trl: "temperature", how: "same" },
  { tsrl: "topK", trl: "top_k", how: "same (0 = all)" },
  { tsrl: "topP", trl: "top_p", how: "same" },
  { tsrl: "eosId", trl: "(the tokenizer's eos_token_id)", how: "GPT-2's <|endoftext|>, 50256; -1 (no end token) has no TRL setting" },
  { tsrl: "learningRate", trl: "learning_rate", how: "same" },
  { tsrl: "lrSchedule", trl: "lr_scheduler_type", how: "constant → constant, linear → linear" },
  { tsrl: "weightDecay", trl: "weight_decay", how: "same (AdamW's decoupled decay; transformers exempts biases and LayerNorm weights)" },
  { tsrl: "maxGradNorm", trl: "max_grad_norm", how: "same (0 = off)" },
  { tsrl: "beta", trl: "beta", how: "same (k3 KL to the initial model)" },
  { tsrl: "epsilon", trl: "epsilon", how: "same" },
  { tsrl: "epsilonHigh", trl: "epsilon_high", how: "0 → null (= epsilon)" },
  { tsrl: "numIterations", trl: "num_iterations", how: "same" },
  { tsrl: "scaleRewards", trl: "scale_rewards", how: "same values: group, batch, none" },
  { tsrl: "lossType", trl: "loss_type", how: "same values: grpo, bnpo, dr_grpo, dapo" },
  { tsrl: "importanceSamplingLevel", trl: "importance_sampling_level", how: "same values: token, sequence" },
  { tsrl: "microBatchSize", trl: "per_device_train_batch_size", how: "0 (the whole batch) → promptsPerStep × numGenerations; else the micro-batch, when it divides the batch" },
];

/** Settings TRL has that tsrl does not vary: what the tsrl trainer does, written out. */
const FIXED = {
  disable_dropout: true, // tsrl's GRPO runs the model without dropout
  bf16: false, // tsrl trains in float32 (set true on GPUs that have it, for speed)
  logging_steps: 1, // tsrl logs every generation batch (metrics.csv)
  report_to: "none",
  shuffle_dataset: true, // tsrl cycles the prompts in a seeded shuffled order
} as const;

/** GRPOConfig's keyword arguments for one process (train_grpo.py rescales for more). */
export function grpoConfigFor(c: GrpoLmConfig): Record<string, unknown> {
  const batch = c.promptsPerStep * c.numGenerations;
  const micro = c.microBatchSize > 0 && batch % c.microBatchSize === 0 ? c.microBatchSize : batch;
  return {
    seed: c.seed,
    max_steps: c.maxSteps * c.numIterations,
    per_device_train_batch_size: micro,
    gradient_accumulation_steps: batch / micro,
    steps_per_generation: batch / micro,
    num_generations: c.numGenerations,
    max_completion_length: c.maxCompletionLength,
    temperature: c.temperature,
    top_k: c.topK,
    top_p: c.topP,
    learning_rate: c.learningRate,
    lr_scheduler_type: c.lrSchedule,
    weight_decay: c.weightDecay,
    max_grad_norm: c.maxGradNorm,
    beta: c.beta,
    epsilon: c.epsilon,
    epsilon_high: c.epsilonHigh > 0 ? c.epsilonHigh : null,
    num_iterations: c.numIterations,
    scale_rewards: c.scaleRewards,
    loss_type: c.lossType,
    importance_sampling_level: c.importanceSamplingLevel,
    ...FIXED,
  };
}

/** A run directory that is not a `tsrl train grpo GPT2` run, or is missing what the export needs. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExportError";
  }
}

export interface TrlExport {
  /** Relative path → contents. */
  files: Record<string, string | Uint8Array>;
  /** Reward parts the Python reward does not compute. */
  missing: string[];
  prompts: number;
}

/** The export of `runDir` (see the module comment). `promptsFile` overrides the prompts file the run names. */
export function trlExport(runDir: string, opts: { promptsFile?: string } = {}): TrlExport {
  const dir = path.resolve(runDir);
  const runFile = path.join(dir, RUN_FILE);
  if (!fs.existsSync(runFile)) throw new ExportError(`${dir}: no ${RUN_FILE}; expected the directory of a \`tsrl train grpo GPT2\` run`);
  let run: { reward?: unknown; prompts?: unknown; model?: unknown; config?: unknown; steps?: unknown };
  try {
    run = JSON.parse(fs.readFileSync(runFile, "utf8"));
  } catch (err) {
    throw new ExportError(`${runFile}: not JSON (${(err as Error).message})`);
  }
  if (typeof run.reward !== "string") throw new ExportError(`${runFile}: "reward" must be the run's --reward spec, got ${JSON.stringify(run.reward)}`);
  let config: GrpoLmConfig;
  try {
    config = grpoLmConfig(run.config as Partial<GrpoLmConfig>);
  } catch (err) {
    throw new ExportError(`${runFile}: "config": ${(err as Error).message}`);
  }
  for (const f of REQUIRED_MODEL_FILES) if (!fs.existsSync(path.join(dir, f))) throw new ExportError(`${dir}: missing ${f} (the run's GPT-2)`);
  const promptsFile = opts.promptsFile ?? (typeof run.prompts === "string" ? run.prompts : undefined);
  if (!promptsFile) throw new ExportError(`${runFile}: no "prompts" file named; give --prompts FILE`);
  let prompts: string[];
  try {
    prompts = readPrompts(promptsFile);
  } catch (err) {
    throw new ExportError(`prompts ${promptsFile}: ${(err as Error).message}${opts.promptsFile ? "" : " (the file the run names, read from the current directory; give --prompts FILE)"}`);
  }
  const reward = rewardPython(run.reward, parseRewardSpec(run.reward));
  const grpoConfig = grpoConfigFor(config);

  const files: TrlExport["files"] = {};
  for (const f of MODEL_FILES) if (fs.existsSync(path.join(dir, f))) files[`model/${f}`] = fs.readFileSync(path.join(dir, f));
  files["prompts.jsonl"] = prompts.map((p) => JSON.stringify({ prompt: `<|endoftext|>${p}` })).join("\n") + "\n";
  files["grpo_config.json"] = JSON.stringify(grpoConfig, null, 2) + "\n";
  files["reward.py"] = reward.source;
  files["train_grpo.py"] = TRAIN_SCRIPT;
  files["launch.sh"] = LAUNCH_SCRIPT;
  files["README.md"] = readme({ dir, run, config, grpoConfig, reward: run.reward, missing: reward.missing, prompts: prompts.length, promptsFile });
  return { files, missing: reward.missing, prompts: prompts.length };
}

function readme(o: { dir: string; run: { model?: unknown; steps?: unknown }; config: GrpoLmConfig; grpoConfig: Record<string, unknown>; reward: string; missing: string[]; prompts: number; promptsFile: string }): string {
  const cell = (v: unknown) => (v === undefined ? "" : `\`${JSON.stringify(v)}\``);
  const rows = TRL_MAPPING.map((m) => {
    const trlValues = m.trl.split(", ").filter((k) => k in o.grpoConfig).map((k) => `${k}=${cell(o.grpoConfig[k])}`).join(", ");
    return `| \`${m.tsrl}\` ${cell(o.config[m.tsrl])} | ${m.trl.startsWith("(") ? m.trl : m.trl.split(", ").map((k) => `\`${k}\``).join(", ")} ${trlValues ? `(${trlValues})` : ""} | ${m.how} |`;
  });
  const initial = typeof o.run.model === "string" ? o.run.model : "unknown";
  return `# TRL export of a tsrl GRPO run

Written by \`tsrl export trl ${o.dir}\`: what TRL's GRPOTrainer needs to continue this run, or repeat
it at scale.

| file | holds |
|---|---|
| \`model/\` | the run's GPT-2 after training (a Hugging Face directory: config.json, model.safetensors, tokenizer files) |
| \`prompts.jsonl\` | the run's ${o.prompts} prompts (${o.promptsFile}), each starting with <|endoftext|> as tsrl feeds them: \`datasets.load_dataset("json", data_files="prompts.jsonl", split="train")\` |
| \`grpo_config.json\` | \`GRPOConfig(**json.load(…))\`: the run's settings under TRL's names (table below) |
| \`reward.py\` | the reward, \`${o.reward}\`, as a Python function${o.missing.length ? " — in part: see below" : ""} |
| \`train_grpo.py\` | loads them and runs GRPOTrainer |
| \`launch.sh\` | \`accelerate launch\` of train_grpo.py |

\`\`\`sh
pip install trl datasets accelerate
sh launch.sh                               # continue from model/ on one process
NUM_PROCESSES=8 sh launch.sh               # one process per GPU: the same batch per optimiser step, split
python train_grpo.py --model ${initial === "tiny" ? "<a new GPT-2>" : initial}      # repeat: start from the run's initial model${initial === "tiny" ? " (the run began from a random tiny GPT-2, which was not kept)" : ""}
\`\`\`

## tsrl → TRL

| tsrl (this run) | TRL GRPOConfig (this run) | how |
|---|---|---|
${rows.join("\n")}

Also set, as tsrl trains: ${Object.entries(FIXED).map(([k, v]) => `\`${k}=${JSON.stringify(v)}\``).join(", ")}.
TRL does not truncate prompts; tsrl kept each prompt's last (positions − max_completion_length)
tokens (these prompts are short). Sampling, shuffling and initialisation draw from PyTorch's
generators, so the same seed does not give the same numbers as tsrl.

## The reward
${o.missing.length ? `Not computed by reward.py (train_grpo.py stops until they are added, or --allow-partial-reward trains on the rules alone):\n\n${o.missing.map((m) => `- ${m}`).join("\n")}\n` : "Every part of it is a rule, computed by reward.py as tsrl computes it.\n"}
A length rule in tokens counts TRL's sampled completion_ids (tsrl re-tokenises the text: the same but
for rare non-canonical tokenisations); a regex rule's pattern is read by Python's \`re\`.
`;
}

const TRAIN_SCRIPT = `"""Continue (or repeat) a tsrl GRPO run with TRL's GRPOTrainer (written by \`tsrl export trl\`).

    sh launch.sh                      # accelerate launch train_grpo.py, NUM_PROCESSES=1
    python train_grpo.py --model DIR  # start from another GPT-2 (the run's initial one, to repeat it)

The run's settings are grpo_config.json (GRPOConfig's keyword arguments for one process); on N
processes the batch of one optimiser step is kept: per_device_train_batch_size x N x
gradient_accumulation_steps stays what it is for one process.
"""
import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def batch_for(config, processes):
    """Splits one process's optimiser-step batch over \`processes\`, or says why it cannot."""
    per_device, accumulation = config["per_device_train_batch_size"], config["gradient_accumulation_steps"]
    total = per_device * accumulation
    if accumulation % processes == 0:
        return per_device, accumulation // processes
    if total % processes == 0:
        return total // processes, 1
    sys.exit(f"train_grpo.py: {total} completions per optimiser step do not split over {processes} processes; "
             "edit per_device_train_batch_size and gradient_accumulation_steps in grpo_config.json")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=str(HERE / "model"), help="GPT-2 directory or hub id to start from (default: the run's model)")
    parser.add_argument("--output-dir", default=str(HERE / "trl-output"), help="where TRL writes checkpoints and the final model")
    parser.add_argument("--allow-partial-reward", action="store_true", help="train even though reward.py lacks part of the run's reward")
    args = parser.parse_args()

    sys.path.insert(0, str(HERE))
    import reward as tsrl_reward

    if tsrl_reward.MISSING and not args.allow_partial_reward:
        sys.exit("train_grpo.py: reward.py does not compute all of the run's reward:\\n  - "
                 + "\\n  - ".join(tsrl_reward.MISSING)
                 + "\\nadd those parts to reward.py (see README.md), or pass --allow-partial-reward to train on the rules alone")
    try:
        from datasets import load_dataset
        from trl import GRPOConfig, GRPOTrainer
    except ImportError as err:
        sys.exit(f"train_grpo.py needs TRL: pip install trl datasets accelerate ({err})")

    config = json.loads((HERE / "grpo_config.json").read_text())
    processes = int(os.environ.get("WORLD_SIZE", "1"))
    per_device, accumulation = batch_for(config, processes)
    config.update(per_device_train_batch_size=per_device, gradient_accumulation_steps=accumulation, steps_per_generation=accumulation)

    dataset = load_dataset("json", data_files=str(HERE / "prompts.jsonl"), split="train")
    trainer = GRPOTrainer(
        model=args.model,
        reward_funcs=tsrl_reward.reward,
        args=GRPOConfig(output_dir=args.output_dir, **config),
        train_dataset=dataset,
    )
    trainer.train()
    trainer.save_model(args.output_dir)


if __name__ == "__main__":
    main()
`;

const LAUNCH_SCRIPT = `#!/bin/sh
# Runs train_grpo.py under accelerate (written by \`tsrl export trl\`):
#   sh launch.sh                    one process
#   NUM_PROCESSES=8 sh launch.sh    one per GPU (train_grpo.py keeps the batch of an optimiser step)
# Arguments go to train_grpo.py, e.g. sh launch.sh --model ../initial-gpt2
set -e
cd "$(dirname "$0")"
exec accelerate launch --num_processes "\${NUM_PROCESSES:-1}" train_grpo.py "$@"
`;
