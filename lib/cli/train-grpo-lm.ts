/**
 * `tsrl train grpo GPT2 --model DIR|tiny --reward SPEC [--prompts FILE] [--out DIR] [--json] [options]`
 * — GRPO fine-tuning of a GPT-2 (lib/algos/grpo-lm.ts) from the command line, with the train verb's
 * contract (lib/cli/train.ts): progress on stderr, one JSON summary line on stdout with --json, exit
 * 0 when done, 2 for a bad flag / config / reward spec / model directory, 1 for a failure during
 * training (the model so far is still written) or a divergence (nothing written), 130 / 143 / 129
 * after SIGINT / SIGTERM / SIGHUP (the model so far is written); --save-every and --resume DIR
 * (exact: the same numbers as the uninterrupted run) as for the agents.
 *
 * The output directory is a Hugging Face GPT-2 directory (config.json, model.safetensors,
 * tokenizer.json, tokenizer_config.json: `transformers` and `tsrl serve` load it) plus the run:
 * metrics.csv (one row per generation batch), grpo_run.json (config, reward, summary) and the
 * training state (train_state.json, train_state.safetensors: Adam's moments, the reference, the
 * generators), written together atomically. --out follows `tsrl train`'s contract (lib/data/out-dir):
 * new, empty, or a tsrl directory replaced with --overwrite; checked before training.
 * Each prompt is fed as <|endoftext|> + its tokens, as the course's tiny model saw text start.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isNonFiniteError } from "../core/finite";
import { createRng } from "../core/rng";
import { CheckpointError } from "../data/checkpoint";
import { csvBytes } from "../data/metrics";
import { datasetsDir } from "../data/paths";
import { encodeSafetensors } from "../data/safetensors";
import { createGrpoLmTrainer, grpoLmConfig, grpoLmSchema, type GrpoLmConfig, type GrpoLmRow, type TextCodec } from "../algos/grpo-lm";
import { readTrainingState } from "../algos/checkpoint";
import { TRAIN_STATE_JSON, TRAIN_STATE_TENSORS } from "../algos/resume";
import type { SaveEvery } from "../algos/agent";
import { initBackend } from "../nn/backend";
import { GPT2_TINY } from "../nn/gpt2/config";
import { loadGpt2, saveGpt2 } from "../nn/gpt2/load";
import { createGpt2, type Gpt2 } from "../nn/gpt2/model";
import { gpt2TokenizerConfig, gpt2TokenizerJson, loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { readPrompts } from "../lm/preferences";
import { installInterrupts } from "./interrupt";
import { parseCommand, type CommandSpec, type FlagSpec } from "./args";
import { loadReward, parseRewardSpec, RewardSpecError, type RewardSource } from "./reward-spec";
import { checkOut, DEFAULT_SAVE_EVERY, parseSaveEvery, schemaFlags } from "./train";

export const GRPO_LM_ENV = "GPT2";
export const GRPO_RUN_FILE = "grpo_run.json";
/** The algorithm name in the training state of a GPT-2 run. */
const STATE_ALGORITHM = "grpo-lm";

const FLAGS: FlagSpec[] = [
  { name: "model", type: "string", help: "a GPT-2 directory (config.json + model.safetensors), or 'tiny' for a fresh random tiny GPT-2" },
  { name: "reward", type: "string", help: "reward SPEC: rules:sentiment=1,length=0.2:16 | rm:DIR | hf:DIR:LABEL, parts joined by + (see lib/cli/reward-spec.ts)" },
  { name: "prompts", type: "string", help: "JSON lines with a \"prompt\" field", default: "<tsrl>/datasets/lm/prompts.jsonl" },
  { name: "out", type: "string", help: "output directory (HF GPT-2 layout + metrics.csv + grpo_run.json): new, empty, or tsrl's with --overwrite", default: "runs/grpo-GPT2-seed<seed> (with --resume: its DIR)" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl directory at --out (kept as DIR.previous until the new one is complete)" },
  { name: "save-every", type: "string", help: "also write the directory every N steps (50) or every duration of training (30s, 5m, 1h); 0 = only at the end", default: DEFAULT_SAVE_EVERY },
  { name: "resume", type: "string", help: "continue the run saved in DIR exactly (its model, reward, prompts and config; flags given override them)" },
  { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
];

function fail(message: string, code = 2): number {
  console.error(`tsrl train: ${message}`);
  return code;
}

/** Mean reward of the first and last `n` rows: what the run did. */
export function rewardChange(rows: readonly GrpoLmRow[], n = 5): { first: number; last: number } {
  const mean = (xs: readonly GrpoLmRow[]) => (xs.length ? xs.reduce((s, r) => s + r.reward, 0) / xs.length : NaN);
  return { first: mean(rows.slice(0, n)), last: mean(rows.slice(-n)) };
}

/** What grpo_run.json of a run directory says (for --resume), or why it cannot be resumed. */
function savedRun(dir: string): { model: string; reward: string; prompts: string; config: Record<string, unknown> } | string {
  const file = path.join(dir, GRPO_RUN_FILE);
  let run: Record<string, unknown>;
  try {
    run = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    return `--resume ${path.resolve(dir)}: no readable ${GRPO_RUN_FILE} (${(err as NodeJS.ErrnoException).code === "ENOENT" ? "not a tsrl train grpo GPT2 directory" : (err as Error).message})`;
  }
  const { model, reward, prompts, config } = run as { model?: unknown; reward?: unknown; prompts?: unknown; config?: unknown };
  if (typeof reward !== "string" || typeof prompts !== "string" || typeof config !== "object" || config === null) return `--resume ${path.resolve(dir)}: ${GRPO_RUN_FILE} lacks reward, prompts or config`;
  return { model: String(model), reward, prompts, config: config as Record<string, unknown> };
}

export async function trainGrpoLmCommand(argv: string[]): Promise<number> {
  const fields = schemaFlags(grpoLmSchema.fields);
  const spec: CommandSpec = {
    usage: "tsrl train grpo GPT2 --model DIR|tiny --reward SPEC [--prompts FILE] [--out DIR] [--json] [options]",
    positionals: ["algorithm", "env"],
    flags: [...FLAGS, ...fields.map((f) => f.flag)],
  };
  const parsed = parseCommand("train", argv, spec, "GRPO fine-tuning of a GPT-2 language model (TRL's GRPOTrainer options, camelCase as kebab-case flags).\nSignals: Ctrl-C (SIGINT), SIGTERM and SIGHUP stop training and write the model (exit 130, 143, 129); a second one quits at once.");
  if (typeof parsed === "number") return parsed;
  const byFlag = new Map(fields.map((f) => [f.flag.name, f.field]));
  const partial: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.flags)) if (byFlag.has(flag)) partial[byFlag.get(flag)!] = value;
  const resumeDir = parsed.flags.resume as string | undefined;
  const run = resumeDir !== undefined ? savedRun(resumeDir) : undefined;
  if (typeof run === "string") return fail(run);
  let config: GrpoLmConfig;
  try {
    config = grpoLmConfig({ ...(run?.config ?? {}), ...partial } as Partial<GrpoLmConfig>);
  } catch (err) {
    if (err instanceof RangeError) return fail(err.message);
    throw err;
  }
  let saveEvery: SaveEvery;
  try {
    saveEvery = parseSaveEvery((parsed.flags["save-every"] as string | undefined) ?? DEFAULT_SAVE_EVERY);
  } catch (err) {
    return fail((err as Error).message);
  }
  // resuming: the model is the run's own (its weights are the saved ones), its reward and prompts unless given
  const modelSource = resumeDir ?? (parsed.flags.model as string | undefined);
  if (!modelSource) return fail("give --model DIR (a GPT-2 directory) or --model tiny");
  const rewardText = (parsed.flags.reward as string | undefined) ?? run?.reward;
  if (!rewardText) return fail("give --reward SPEC, e.g. --reward rules:sentiment=1,length=0.2:16");
  let sources: RewardSource[];
  try {
    sources = parseRewardSpec(rewardText);
  } catch (err) {
    if (err instanceof RewardSpecError) return fail(err.message);
    throw err;
  }
  const promptsFile = (parsed.flags.prompts as string | undefined) ?? run?.prompts ?? datasetsDir("lm", "prompts.jsonl");
  let prompts: string[];
  try {
    prompts = readPrompts(promptsFile);
  } catch (err) {
    return fail(`--prompts: ${(err as Error).message}`);
  }
  const outArg = (parsed.flags.out as string | undefined) ?? resumeDir ?? path.join("runs", `grpo-${GRPO_LM_ENV}-seed${config.seed}`);
  const continuing = resumeDir !== undefined && path.resolve(outArg) === path.resolve(resumeDir);
  const outProblem = checkOut(outArg, parsed.flags.overwrite === true || continuing);
  if (outProblem) return fail(outProblem);
  const out = path.resolve(outArg);

  await initBackend({ quiet: true });
  let model: Gpt2;
  try {
    model = modelSource === "tiny" && resumeDir === undefined ? createGpt2(GPT2_TINY, createRng(config.seed)) : loadGpt2(modelSource);
  } catch (err) {
    return fail(`--model ${modelSource}: ${(err as Error).message}`);
  }
  let reward: Awaited<ReturnType<typeof loadReward>>;
  try {
    reward = await loadReward(sources);
  } catch (err) {
    model.dispose();
    return fail(`--reward ${JSON.stringify(rewardText)}: ${(err as Error).message}`);
  }
  const tok = loadGpt2Tokenizer();
  const codec: TextCodec = { encode: (p) => [tok.eosId, ...tok.encode(p)], decode: (ids) => tok.decode(ids) };

  const interrupts = installInterrupts("step");
  const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts, reward: reward.reward, config });
  if (resumeDir !== undefined) {
    try {
      trainer.restoreTrainingState(readTrainingState(path.resolve(resumeDir), STATE_ALGORITHM));
    } catch (err) {
      trainer.dispose();
      reward.dispose();
      model.dispose();
      interrupts.remove();
      const message = err instanceof CheckpointError ? err.message : `checkpoint ${path.resolve(resumeDir)}: the training state does not fit: ${(err as Error).message}`;
      return fail(`--resume ${message}`, 1);
    }
    console.error(`tsrl train: resuming ${path.resolve(resumeDir)} after ${trainer.metrics.length} steps`);
  }
  const recordedModel = run?.model ?? modelSource;
  let lastSaved: number | undefined;
  const save = (stopped: string, wallTime: number) => {
    const change = rewardChange(trainer.metrics);
    const summary = {
      algorithm: "grpo", env: GRPO_LM_ENV, model: recordedModel, reward: rewardText, prompts: promptsFile, seed: config.seed, stopped,
      steps: trainer.metrics.length, completions: trainer.metrics.at(-1)?.episodes ?? 0, wallTime: round(wallTime, 3),
      rewardFirst: round(change.first, 4), rewardLast: round(change.last, 4), kl: round(trainer.metrics.at(-1)?.kl ?? NaN, 5), checkpoint: out,
    };
    // one atomic directory: the model, its tokenizer, the run and its training state (this run's --out, checked before training)
    const state = trainer.trainingState();
    saveGpt2(model, out, {
      overwrite: true,
      extraFiles: {
        "tokenizer.json": JSON.stringify(gpt2TokenizerJson()),
        "tokenizer_config.json": JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n",
        ...(trainer.metrics.length ? { "metrics.csv": csvBytes(trainer.metrics) } : {}),
        [GRPO_RUN_FILE]: JSON.stringify({ ...summary, config }, null, 2) + "\n",
        [TRAIN_STATE_JSON]: JSON.stringify({ format: "tsrl-train-state", version: 1, algorithm: STATE_ALGORITHM, exact: state.exact, ...state.json }) + "\n",
        [TRAIN_STATE_TENSORS]: encodeSafetensors(state.tensors, { format: "tsrl-train-state" }),
      },
    });
    return summary;
  };
  try {
    let result;
    try {
      result = await trainer.train({
        onAbort: "return",
        progress: parsed.flags.quiet !== true,
        checkpoint: { every: saveEvery, save: () => { save("running", trainer.metrics.at(-1)?.wallTime ?? NaN); lastSaved = trainer.metrics.length; } },
      });
    } catch (err) {
      if (isNonFiniteError(err) || (err instanceof CheckpointError && /non-finite/.test(err.message))) {
        console.error(`tsrl train: stopped: ${(err as Error).message}`);
        console.error(lastSaved !== undefined
          ? `tsrl train: the directory at ${out} is the last finite one (step ${lastSaved}); nothing newer was written`
          : `tsrl train: nothing written to ${out} (its weights would not be finite)`);
        return 1;
      }
      console.error(`tsrl train: training failed after ${trainer.metrics.length} steps: ${(err as Error)?.stack ?? String(err)}`);
      try {
        save("failed", NaN);
        console.error(`tsrl train: the model so far written to ${out}`);
      } catch (saveErr) {
        console.error(`tsrl train: could not write the model either: ${(saveErr as Error)?.message ?? String(saveErr)}`);
      }
      return 1;
    }
    const summary = save(result.stopped, result.wallTime);
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${result.stopped} after ${summary.steps} steps (${summary.completions} completions), ${result.wallTime.toFixed(1)} s; reward ${summary.rewardFirst} → ${summary.rewardLast}, KL ${summary.kl}; model ${out}`);
    return result.stopped === "aborted" ? (interrupts.exitCode() ?? 130) : 0;
  } finally {
    trainer.dispose();
    reward.dispose();
    model.dispose();
    interrupts.remove();
  }
}

function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
