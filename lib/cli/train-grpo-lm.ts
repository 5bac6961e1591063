/**
 * `tsrl train grpo GPT2 --model DIR|tiny --reward SPEC [--prompts FILE] [--out DIR] [--json] [options]`
 * — GRPO fine-tuning of a GPT-2 (lib/algos/grpo-lm.ts) from the command line, with the train verb's
 * contract: progress on stderr, one JSON summary line on stdout with --json, exit 0 when done, 2 for
 * a bad flag / config / reward spec / model directory, 1 for a failure during training (the model so
 * far is still written), 130 after Ctrl-C (the model so far is written).
 *
 * The output directory is a Hugging Face GPT-2 directory (config.json, model.safetensors,
 * tokenizer.json, tokenizer_config.json: `transformers` and `tsrl serve` load it) plus the run:
 * metrics.csv (one row per generation batch) and grpo_run.json (config, reward, summary), written
 * together atomically. --out follows `tsrl train`'s contract (lib/data/out-dir): new, empty, or a
 * tsrl directory replaced with --overwrite; checked before training.
 * Each prompt is fed as <|endoftext|> + its tokens, as the course's tiny model saw text start.
 */
import * as path from "node:path";
import { createRng } from "../core/rng";
import { csvBytes } from "../data/metrics";
import { datasetsDir } from "../data/paths";
import { createGrpoLmTrainer, grpoLmConfig, grpoLmSchema, type GrpoLmConfig, type GrpoLmRow, type TextCodec } from "../algos/grpo-lm";
import { initBackend } from "../nn/backend";
import { GPT2_TINY } from "../nn/gpt2/config";
import { loadGpt2, saveGpt2 } from "../nn/gpt2/load";
import { createGpt2, type Gpt2 } from "../nn/gpt2/model";
import { gpt2TokenizerConfig, gpt2TokenizerJson, loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { readPrompts } from "../lm/preferences";
import { installCtrlC } from "./interrupt";
import { parseCommand, type CommandSpec, type FlagSpec } from "./args";
import { loadReward, parseRewardSpec, RewardSpecError, type RewardSource } from "./reward-spec";
import { checkOut, schemaFlags } from "./train";

export const GRPO_LM_ENV = "GPT2";
export const GRPO_RUN_FILE = "grpo_run.json";

const FLAGS: FlagSpec[] = [
  { name: "model", type: "string", help: "a GPT-2 directory (config.json + model.safetensors), or 'tiny' for a fresh random tiny GPT-2" },
  { name: "reward", type: "string", help: "reward SPEC: rules:sentiment=1,length=0.2:16 | rm:DIR | hf:DIR:LABEL, parts joined by + (see lib/cli/reward-spec.ts)" },
  { name: "prompts", type: "string", help: "JSON lines with a \"prompt\" field", default: "<tsrl>/datasets/lm/prompts.jsonl" },
  { name: "out", type: "string", help: "output directory (HF GPT-2 layout + metrics.csv + grpo_run.json): new, empty, or tsrl's with --overwrite", default: "runs/grpo-GPT2-seed<seed>" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl directory at --out (kept as DIR.previous until the new one is complete)" },
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

export async function trainGrpoLmCommand(argv: string[]): Promise<number> {
  const fields = schemaFlags(grpoLmSchema.fields);
  const spec: CommandSpec = {
    usage: "tsrl train grpo GPT2 --model DIR|tiny --reward SPEC [--prompts FILE] [--out DIR] [--json] [options]",
    positionals: ["algorithm", "env"],
    flags: [...FLAGS, ...fields.map((f) => f.flag)],
  };
  const parsed = parseCommand("train", argv, spec, "GRPO fine-tuning of a GPT-2 language model (TRL's GRPOTrainer options, camelCase as kebab-case flags).");
  if (typeof parsed === "number") return parsed;
  const byFlag = new Map(fields.map((f) => [f.flag.name, f.field]));
  const partial: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.flags)) if (byFlag.has(flag)) partial[byFlag.get(flag)!] = value;
  let config: GrpoLmConfig;
  try {
    config = grpoLmConfig(partial as Partial<GrpoLmConfig>);
  } catch (err) {
    if (err instanceof RangeError) return fail(err.message);
    throw err;
  }
  const modelSource = parsed.flags.model as string | undefined;
  if (!modelSource) return fail("give --model DIR (a GPT-2 directory) or --model tiny");
  const rewardText = parsed.flags.reward as string | undefined;
  if (!rewardText) return fail("give --reward SPEC, e.g. --reward rules:sentiment=1,length=0.2:16");
  let sources: RewardSource[];
  try {
    sources = parseRewardSpec(rewardText);
  } catch (err) {
    if (err instanceof RewardSpecError) return fail(err.message);
    throw err;
  }
  const promptsFile = (parsed.flags.prompts as string | undefined) ?? datasetsDir("lm", "prompts.jsonl");
  let prompts: string[];
  try {
    prompts = readPrompts(promptsFile);
  } catch (err) {
    return fail(`--prompts: ${(err as Error).message}`);
  }
  const outArg = (parsed.flags.out as string | undefined) ?? path.join("runs", `grpo-${GRPO_LM_ENV}-seed${config.seed}`);
  const outProblem = checkOut(outArg, parsed.flags.overwrite === true);
  if (outProblem) return fail(outProblem);
  const out = path.resolve(outArg);

  await initBackend({ quiet: true });
  let model: Gpt2;
  try {
    model = modelSource === "tiny" ? createGpt2(GPT2_TINY, createRng(config.seed)) : loadGpt2(modelSource);
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

  const removeCtrlC = installCtrlC("step");
  const trainer = createGrpoLmTrainer({ model, tokenizer: codec, prompts, reward: reward.reward, config });
  const save = (stopped: string, wallTime: number) => {
    const change = rewardChange(trainer.metrics);
    const summary = {
      algorithm: "grpo", env: GRPO_LM_ENV, model: modelSource, reward: rewardText, prompts: promptsFile, seed: config.seed, stopped,
      steps: trainer.metrics.length, completions: trainer.metrics.at(-1)?.episodes ?? 0, wallTime: round(wallTime, 3),
      rewardFirst: round(change.first, 4), rewardLast: round(change.last, 4), kl: round(trainer.metrics.at(-1)?.kl ?? NaN, 5), checkpoint: out,
    };
    // one atomic directory: the model, its tokenizer and the run (this run's --out, checked before training)
    saveGpt2(model, out, {
      overwrite: true,
      extraFiles: {
        "tokenizer.json": JSON.stringify(gpt2TokenizerJson()),
        "tokenizer_config.json": JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n",
        ...(trainer.metrics.length ? { "metrics.csv": csvBytes(trainer.metrics) } : {}),
        [GRPO_RUN_FILE]: JSON.stringify({ ...summary, config }, null, 2) + "\n",
      },
    });
    return summary;
  };
  try {
    let result;
    try {
      result = await trainer.train({ onAbort: "return", progress: parsed.flags.quiet !== true });
    } catch (err) {
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
    return result.stopped === "aborted" ? 130 : 0;
  } finally {
    trainer.dispose();
    reward.dispose();
    model.dispose();
    removeCtrlC();
  }
}

function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
