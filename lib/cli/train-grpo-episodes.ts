/**
 * `tsrl train grpo <ConversationEnv> [--model DIR] [--preset P] [--out DIR] [--json] [options]` — GRPO
 * over multi-turn episodes (lib/algos/grpo-episodes.ts) from the command line, with the train verb's
 * contract: progress and health warnings on stderr, one JSON summary line on stdout with --json; exit
 * 0 when done, 2 for a bad flag / config / model directory, 1 for a failure during training (the model
 * so far is still written), 130 after Ctrl-C, 1 after --stop-on unhealthy stopped it (written too).
 *
 * It measures the held-out success of the starting model and of the result (`successBefore`,
 * `successAfter`, the first `--eval-tasks` held-out tasks, one episode each at temperature 1, seed 0):
 * `tsrl eval DIR --tasks <the held-out file> --episodes <eval-tasks> --json` reproduces `successAfter`.
 * The output directory is a GPT-2 directory (config.json, model.safetensors, tokenizer files) plus
 * metrics.csv and grpo_run.json (config, summary, health).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateChatModel } from "../algos/conversation-eval";
import { createGrpoEpisodesTrainer, grpoEpisodesConfig, grpoEpisodesSchema, GRPO_EPISODE_PRESET_NAMES, type GrpoEpisodePreset, type GrpoEpisodesConfig } from "../algos/grpo-episodes";
import { createHealthMonitor, formatWarning, watchHealth } from "../algos/health";
import { isNonFiniteError } from "../core/finite";
import { csvBytes } from "../data/metrics";
import { datasetsDir, runsDir } from "../data/paths";
import { conversationEnvSpec, registeredConversationEnvs } from "../envs/conversation/env";
import { ORDER_DESK_FILES, orderDeskRewardParts } from "../envs/order-desk";
import { loadOrPretrainOrderDesk, ORDER_DESK_MODEL_DIR } from "../lm/order-desk-pretrain";
import { initBackend } from "../nn/backend";
import { loadGpt2, saveGpt2 } from "../nn/gpt2/load";
import type { Gpt2 } from "../nn/gpt2/model";
import { gpt2TokenizerConfig, gpt2TokenizerJson, loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { parseCommand, type CommandSpec, type FlagSpec } from "./args";
import { installInterrupts } from "./interrupt";
import { checkOut, schemaFlags } from "./train";

export const GRPO_EPISODES_RUN_FILE = "grpo_run.json";

/** `tsrl train grpo X …` where X is a registered conversation environment. */
export function isConversationTraining(args: readonly string[]): boolean {
  const positionals = args.filter((a) => !a.startsWith("-"));
  return positionals[0] === "grpo" && positionals[1] !== undefined && registeredConversationEnvs().includes(positionals[1]);
}

const FLAGS: FlagSpec[] = [
  { name: "model", type: "string", help: `the starting GPT-2 directory (default runs/${ORDER_DESK_MODEL_DIR}: OrderDesk's pretrained tiny model, pretrained there first if absent)` },
  { name: "preset", type: "string", choices: GRPO_EPISODE_PRESET_NAMES, help: "conservative | balanced | aggressive (lib/algos/grpo-episodes.ts says what each changes); flags override it", default: "balanced" },
  { name: "eval-tasks", type: "integer", help: "held-out tasks for successBefore / successAfter (0 = skip both)", default: 200 },
  { name: "stop-on", type: "string", choices: ["never", "unhealthy"], help: "stop the run when the health monitor calls it unhealthy (non-finite values, KL over its bound)", default: "never" },
  { name: "kl-bound", type: "number", help: "the health monitor's KL bound", default: 0.5 },
  { name: "out", type: "string", help: "output directory (GPT-2 layout + metrics.csv + grpo_run.json)", default: "runs/grpo-<env>-seed<seed>" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl directory at --out (kept as DIR.previous until the new one is complete)" },
  { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
];

function fail(message: string, code = 2): number {
  console.error(`tsrl train: ${message}`);
  return code;
}

const round = (x: unknown, digits = 4): number | null => (typeof x === "number" && Number.isFinite(x) ? Number(x.toFixed(digits)) : null);

export async function trainGrpoEpisodesCommand(argv: string[]): Promise<number> {
  const fields = schemaFlags(grpoEpisodesSchema.fields);
  const spec: CommandSpec = {
    usage: "tsrl train grpo <ConversationEnv> [--model DIR] [--preset conservative|balanced|aggressive] [--out DIR] [--json] [options]",
    positionals: ["algorithm", "env"],
    flags: [...FLAGS, ...fields.map((f) => f.flag)],
  };
  const parsed = parseCommand("train", argv, spec, "GRPO over multi-turn episodes of a conversation environment (TRL's GRPO options, camelCase as kebab-case flags).");
  if (typeof parsed === "number") return parsed;
  const envId = parsed.positionals[1];
  const byFlag = new Map(fields.map((f) => [f.flag.name, f.field]));
  const partial: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.flags)) if (byFlag.has(flag) && argv.some((a) => a === `--${flag}` || a.startsWith(`--${flag}=`))) partial[byFlag.get(flag)!] = value;
  const preset = (parsed.flags.preset as GrpoEpisodePreset | undefined) ?? "balanced";
  let config: GrpoEpisodesConfig;
  try {
    config = grpoEpisodesConfig(partial as Partial<GrpoEpisodesConfig>, preset);
  } catch (err) {
    if (err instanceof RangeError) return fail(err.message);
    throw err;
  }
  const evalTasks = (parsed.flags["eval-tasks"] as number | undefined) ?? 200;
  if (!(evalTasks >= 0)) return fail(`--eval-tasks ${evalTasks}: expected an integer ≥ 0`);
  const klBound = (parsed.flags["kl-bound"] as number | undefined) ?? 0.5;
  if (!(klBound > 0)) return fail(`--kl-bound ${klBound}: expected a number > 0`);
  const stopOnUnhealthy = parsed.flags["stop-on"] === "unhealthy";
  const outArg = (parsed.flags.out as string | undefined) ?? path.join("runs", `grpo-${envId}-seed${config.seed}`);
  const outProblem = checkOut(outArg, parsed.flags.overwrite === true);
  if (outProblem) return fail(outProblem);
  const out = path.resolve(outArg);
  const modelSource = parsed.flags.model as string | undefined;
  const heldoutFile = datasetsDir("order-desk", ORDER_DESK_FILES.heldout);

  await initBackend({ quiet: true });
  let model: Gpt2;
  try {
    if (modelSource !== undefined) model = loadGpt2(modelSource);
    else {
      const dir = runsDir(ORDER_DESK_MODEL_DIR);
      if (!fs.existsSync(path.join(dir, "model.safetensors"))) console.error(`tsrl train: no starting model in ${dir}; pretraining it there first (lib/lm/order-desk-pretrain.ts)`);
      model = (await loadOrPretrainOrderDesk(dir)).model;
    }
  } catch (err) {
    return fail(`--model ${modelSource ?? runsDir(ORDER_DESK_MODEL_DIR)}: ${(err as Error).message}`);
  }
  conversationEnvSpec(envId); // registered (isConversationTraining checked it)
  const tokenizer = loadGpt2Tokenizer();
  const heldout = async () => {
    if (evalTasks === 0) return undefined;
    const e = await evaluateChatModel(model, tokenizer, envId, { tasks: heldoutFile, limit: evalTasks, seed: 0, temperature: 1, maxTurnTokens: config.maxCompletionLength });
    return e.summary as Record<string, unknown>;
  };
  const quiet = parsed.flags.quiet === true;
  if (!quiet && evalTasks > 0) console.error(`tsrl train: held-out success of the starting model (${evalTasks} tasks)…`);
  const before = await heldout();

  const interrupts = installInterrupts("step");
  const trainer = createGrpoEpisodesTrainer({ model, tokenizer, envId, rewardParts: orderDeskRewardParts(), config });
  const monitor = createHealthMonitor({ klBound });
  let after: Record<string, unknown> | undefined;
  const save = (stopped: string, wallTime: number) => {
    const summary = {
      algorithm: "grpo", env: envId, model: modelSource ?? runsDir(ORDER_DESK_MODEL_DIR), preset, seed: config.seed, stopped,
      steps: trainer.metrics.length, episodes: trainer.metrics.at(-1)?.episodes ?? 0, wallTime: round(wallTime, 1),
      successBefore: round(before?.successRate), successAfter: round(after?.successRate),
      validCallRateBefore: round(before?.validCallRate), validCallRateAfter: round(after?.validCallRate),
      meanTurnsBefore: round(before?.meanTurns), meanTurnsAfter: round(after?.meanTurns),
      evalTasks, heldout: path.relative(process.cwd(), heldoutFile),
      rewardFirst: round(trainer.metrics[0]?.reward), rewardLast: round(trainer.metrics.at(-1)?.reward), kl: round(trainer.metrics.at(-1)?.kl, 5),
      health: { status: monitor.status(), warnings: monitor.counts() },
      checkpoint: out,
    };
    // one atomic directory: the model, its tokenizer, the metrics and the run (this run's --out, checked before training)
    saveGpt2(model, out, {
      overwrite: true,
      extraFiles: {
        "tokenizer.json": JSON.stringify(gpt2TokenizerJson()),
        "tokenizer_config.json": JSON.stringify(gpt2TokenizerConfig(), null, 2) + "\n",
        ...(trainer.metrics.length ? { "metrics.csv": csvBytes(trainer.metrics) } : {}),
        [GRPO_EPISODES_RUN_FILE]: JSON.stringify({ ...summary, config, before, after, warnings: monitor.warnings }, null, 2) + "\n",
      },
    });
    return summary;
  };
  try {
    let result;
    try {
      result = await trainer.train(watchHealth({ onAbort: "return", progress: !quiet }, monitor, { stopOnUnhealthy, onWarning: (w) => console.error(`tsrl train: ${formatWarning(w)}`) }));
    } catch (err) {
      if (isNonFiniteError(err)) {
        console.error(`tsrl train: stopped: ${(err as Error).message}; nothing written to ${out} (its weights would not be finite)`);
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
    const unhealthyStop = stopOnUnhealthy && result.stopped === "aborted" && monitor.status() === "unhealthy";
    const stopped = unhealthyStop ? "unhealthy" : result.stopped;
    if (stopped === "done" || stopped === "unhealthy") {
      if (!quiet && evalTasks > 0) console.error(`tsrl train: held-out success of the result (${evalTasks} tasks)…`);
      after = await heldout();
    }
    const summary = save(stopped, result.wallTime);
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${stopped} after ${summary.steps} steps (${summary.episodes} episodes), ${result.wallTime.toFixed(1)} s; held-out success ${summary.successBefore} → ${summary.successAfter}, valid calls ${summary.validCallRateBefore} → ${summary.validCallRateAfter}; health ${summary.health.status}; model ${out}`);
    return stopped === "aborted" ? (interrupts.exitCode() ?? 130) : stopped === "unhealthy" ? 1 : 0;
  } finally {
    trainer.dispose();
    model.dispose();
    interrupts.remove();
  }
}
