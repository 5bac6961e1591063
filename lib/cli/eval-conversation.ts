/**
 * `tsrl eval DIR [--tasks FILE] [--episodes N] [--seed S] [--temperature T] [--json]` for a GPT-2
 * agent trained on a conversation environment (DIR holds grpo_run.json naming it): one episode per
 * task of FILE (default the environment's held-out file; the first N with --episodes), sampled at T
 * (default 1, as training measured successBefore/successAfter; 0 = greedy), then the environment's
 * report card — for OrderDesk-v0 `successRate`, `validCallRate`, `meanTurns`, `perKind`, failures.
 * With the run's own settings (--episodes = its evalTasks, seed 0, T 1) it reproduces successAfter.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { evaluateChatModel } from "../algos/conversation-eval";
import { datasetsDir } from "../data/paths";
import { registeredConversationEnvs } from "../envs/conversation/env";
import { ORDER_DESK_FILES } from "../envs/order-desk";
import { initBackend } from "../nn/backend";
import { loadGpt2 } from "../nn/gpt2/load";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { parseCommand, type CommandSpec } from "./args";
import { GRPO_EPISODES_RUN_FILE } from "../algos/grpo-episodes-trainer";

/** The run file of a conversation-agent directory, or undefined when `dir` is not one. */
export function conversationRun(dir: string | undefined): { env: string; maxCompletionLength?: number } | undefined {
  if (!dir) return undefined;
  const file = path.join(dir, GRPO_EPISODES_RUN_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    const run = JSON.parse(fs.readFileSync(file, "utf8")) as { env?: unknown; config?: { maxCompletionLength?: number } };
    return typeof run.env === "string" && registeredConversationEnvs().includes(run.env) ? { env: run.env, maxCompletionLength: run.config?.maxCompletionLength } : undefined;
  } catch {
    return undefined;
  }
}

const spec: CommandSpec = {
  usage: "tsrl eval <agent-dir> [--tasks FILE.jsonl] [--episodes N] [--seed S] [--temperature T] [--json]",
  positionals: ["dir"],
  flags: [
    { name: "tasks", type: "string", help: "tasks to evaluate on, one JSON object a line (default the environment's held-out tasks)" },
    { name: "episodes", type: "integer", help: "evaluate the first N tasks only (default all)" },
    { name: "seed", type: "integer", help: "seed of the sampling and the environments", default: 0 },
    { name: "temperature", type: "number", help: "sampling temperature (0 = greedy)", default: 1 },
    { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  ],
};

export async function evalConversationCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("eval", argv, spec, "Evaluate a conversation agent on tasks.");
  if (typeof parsed === "number") return parsed;
  const dir = parsed.positionals[0];
  const run = conversationRun(dir);
  if (!run) {
    console.error(`tsrl eval: ${dir} has no ${GRPO_EPISODES_RUN_FILE} naming a conversation environment`);
    return 1;
  }
  const limit = parsed.flags.episodes as number | undefined;
  if (limit !== undefined && !(limit >= 1)) { console.error(`tsrl eval: --episodes ${limit}: expected a positive integer`); return 2; }
  const temperature = (parsed.flags.temperature as number | undefined) ?? 1;
  if (!(temperature >= 0)) { console.error(`tsrl eval: --temperature ${temperature}: expected a number ≥ 0`); return 2; }
  const seed = (parsed.flags.seed as number | undefined) ?? 0;
  const tasks = path.resolve((parsed.flags.tasks as string | undefined) ?? datasetsDir("order-desk", ORDER_DESK_FILES.heldout));
  if (!fs.existsSync(tasks)) { console.error(`tsrl eval: --tasks ${tasks}: no such file`); return 1; }
  await initBackend({ quiet: true });
  let model;
  try {
    model = loadGpt2(dir);
  } catch (err) {
    console.error(`tsrl eval: ${dir}: ${(err as Error).message}`);
    return 1;
  }
  try {
    let e;
    try {
      e = await evaluateChatModel(model, loadGpt2Tokenizer(), run.env, { tasks, limit, seed, temperature, maxTurnTokens: run.maxCompletionLength });
    } catch (err) {
      console.error(`tsrl eval: ${(err as Error).message}`);
      return 1;
    }
    const summary = { checkpoint: path.resolve(dir), env: run.env, tasks: path.relative(process.cwd(), tasks), episodes: e.tasks, seed, temperature, ...e.summary, wallTime: Number(e.seconds.toFixed(1)) };
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl eval: ${run.env}, ${e.tasks} tasks: success ${Number(e.summary.successRate).toFixed(3)}, valid calls ${String(e.summary.validCallRate)}, turns ${Number(e.summary.meanTurns).toFixed(2)}`);
    return 0;
  } finally {
    model.dispose();
  }
}
