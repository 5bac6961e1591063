/**
 * `tsrl train <algorithm> <env> [flags]` — trains any registered algorithm (lib/algos/registry),
 * shows progress on stderr, writes a checkpoint, prints one JSON summary line on stdout (with
 * --json; a short human summary on stderr without). The flags are the algorithm's config schema.
 *
 * The contract (README, "Command line"):
 *   --out DIR       checked before training (lib/data/out-dir): a new or empty directory, or an
 *                   existing tsrl checkpoint with --overwrite (kept as DIR.previous until the new one
 *                   is complete); never a file, the current or home directory, a git work tree or a
 *                   directory tsrl did not write (exit 2, naming the path and the reason); a path
 *                   that cannot be written fails before training too
 *   --save-every    a checkpoint (with the training state) every N updates or every duration of
 *                   training (30s, 5m, 1h; default 5m, 0 = off): a killed run, even by SIGKILL,
 *                   loses at most that much
 *   --resume DIR    continues the run saved in DIR (its config; flags given override it, e.g. a
 *                   larger budget); writes to DIR unless --out says otherwise. Exact — the same
 *                   numbers as an uninterrupted run of the seed — where the checkpoint's config.json
 *                   says resume.exact (see lib/algos/resume and each algorithm)
 *   signals         SIGINT (Ctrl-C), SIGTERM and SIGHUP stop training where it is and still write the
 *                   checkpoint; exit 130, 143 and 129 (128 + the signal's number); a second signal
 *                   exits at once (lib/cli/interrupt)
 *   divergence      a non-finite loss or policy output stops training (exit 1), naming the update
 *                   and the quantity; nothing is written, so the last checkpoint (finite) stays
 *   errors          bad flags, config values, an unknown env or one the algorithm cannot handle exit 2
 *                   with one line before training (lib/cli/errors); an error during training exits 1
 *                   after writing the weights and metrics so far (a stack only for a bug of tsrl's)
 */
import { createHealthMonitor, formatWarning, watchHealth } from "../algos/health";
import * as path from "node:path";
import type { Field } from "../core/schema";
import type { Agent, BaseRow, SaveEvery, TrainResult } from "../algos/agent";
import { loadAgent, saveAgent } from "../algos/checkpoint";
import { algorithmNames, algorithmSpec } from "../algos/registry";
import { isNonFiniteError } from "../core/finite";
import { CheckpointError, loadCheckpoint, nonFiniteProblems } from "../data/checkpoint";
import { OutDirError, checkOutDir, probeWritable } from "../data/out-dir";
import { classifyError, reportError } from "./errors";
import { installInterrupts } from "./interrupt";
import { kebab, parseCommand, type CommandSpec, type FlagSpec } from "./args";

/** The CLI flag of each config field that is one (the env id is the positional <env>). */
export function schemaFlags(fields: Record<string, Field>): { flag: FlagSpec; field: string }[] {
  return Object.entries(fields)
    .filter(([, f]) => !f.positional)
    .map(([field, f]) => ({
      field,
      flag: {
        name: f.flag ?? kebab(field),
        type: f.kind === "choice" || f.kind === "json" ? "string" : f.kind,
        choices: f.kind === "choice" ? f.choices : undefined,
        help: f.help,
        default: f.kind === "json" ? JSON.stringify(f.default) : f.default,
      },
    }));
}

/** Default of --save-every: runs longer than this many minutes keep a checkpoint at least this fresh. */
export const DEFAULT_SAVE_EVERY = "5m";

const COMMON_FLAGS: FlagSpec[] = [
  { name: "out", type: "string", help: "checkpoint directory: new, empty, or a tsrl checkpoint to replace with --overwrite", default: "runs/<algorithm>-<env>-seed<seed> (with --resume: its DIR)" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl checkpoint at --out (the old one is kept as DIR.previous until the new one is complete)" },
  { name: "save-every", type: "string", help: "also write the checkpoint every N updates (50) or every duration of training (30s, 5m, 1h); 0 = only at the end", default: DEFAULT_SAVE_EVERY },
  { name: "resume", type: "string", help: "continue the run saved in DIR (exact where its config.json says resume.exact; LunarLander-v3 and self-play games restart their episodes); flags given override its config" },
  { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "stop-on", type: "string", choices: ["never", "unhealthy"], help: "stop when the health monitor (lib/algos/health.ts) calls the run unhealthy: non-finite values, KL over its bound; warnings go to stderr either way", default: "never" },
];

const SIGNALS_HELP = "Signals: Ctrl-C (SIGINT), SIGTERM and SIGHUP stop training and write the checkpoint (exit 130, 143, 129); a second one quits at once.";

function commandSpec(algorithm: string | undefined): { spec: CommandSpec; fields: Map<string, string> } {
  const known = algorithm !== undefined && algorithmNames().includes(algorithm);
  const flags = known ? schemaFlags(algorithmSpec(algorithm).schema.fields) : [];
  return {
    spec: {
      usage: `tsrl train ${known ? algorithm : "<algorithm>"} <env> [--seed S] [--out DIR] [--overwrite] [--save-every N|5m] [--resume DIR] [--json] [options]`,
      positionals: ["algorithm", "env"],
      flags: [...COMMON_FLAGS, ...flags.map((f) => f.flag)],
    },
    fields: new Map(flags.map((f) => [f.flag.name, f.field])),
  };
}

/** "50" → every 50 updates; "30s", "5m", "1.5h" → every so much training time; "0" → never. Throws naming the value otherwise. */
export function parseSaveEvery(text: string): SaveEvery {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h)?\s*$/.exec(text);
  if (!m || (!m[2] && !Number.isInteger(Number(m[1])))) {
    throw new RangeError(`--save-every ${JSON.stringify(text)}: expected a number of updates (e.g. 50) or a duration (30s, 5m, 1h); 0 turns it off`);
  }
  const n = Number(m[1]);
  return m[2] ? { seconds: n * { s: 1, m: 60, h: 3600 }[m[2] as "s" | "m" | "h"] } : { updates: n };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const first = argv.find((a) => !a.startsWith("-"));
  const { spec, fields } = commandSpec(first);
  const summaryText = first && algorithmNames().includes(first)
    ? `Train ${first}: ${algorithmSpec(first).summary}.\n${SIGNALS_HELP}`
    : `Train an agent. Algorithms:\n${algorithmNames().map((n) => `  ${n.padEnd(14)} ${algorithmSpec(n).summary}`).join("\n")}\n(tsrl train <algorithm> --help lists its options)\n${SIGNALS_HELP}`;
  let parsed;
  try {
    parsed = parseCommand("train", argv, spec, summaryText);
  } catch (err) {
    return usageFailure((err as Error).message);
  }
  if (typeof parsed === "number") return parsed;
  const [algorithm, envId] = parsed.positionals;
  if (!algorithmNames().includes(algorithm)) {
    return usageFailure(`unknown algorithm ${JSON.stringify(algorithm)}; expected one of ${algorithmNames().join(", ")}`);
  }
  const algo = algorithmSpec(algorithm);

  const given: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.flags)) {
    const field = fields.get(flag);
    if (field) given[field] = value;
  }
  const resumeDir = parsed.flags.resume as string | undefined;
  let saved: Record<string, unknown> = {};
  if (resumeDir !== undefined) {
    const problem = resumeProblem(resumeDir, algorithm, envId);
    if (typeof problem === "string") return usageFailure(problem);
    saved = problem.hyperparameters;
  }
  let config: { seed: number };
  try {
    config = algo.config({ ...saved, ...given, envId }) as unknown as { seed: number };
  } catch (err) {
    // a bad value names its field: a usage problem. Anything that fails later is not (exit 1).
    if (err instanceof RangeError) return usageFailure(err.message);
    throw err;
  }
  let saveEvery: SaveEvery;
  try {
    saveEvery = parseSaveEvery((parsed.flags["save-every"] as string | undefined) ?? DEFAULT_SAVE_EVERY);
  } catch (err) {
    return usageFailure((err as Error).message);
  }
  const out = (parsed.flags.out as string | undefined) ?? resumeDir ?? path.join("runs", `${algorithm}-${envId}-seed${config.seed}`);
  const continuing = resumeDir !== undefined && path.resolve(out) === path.resolve(resumeDir);
  const outProblem = checkOut(out, parsed.flags.overwrite === true || continuing);
  if (outProblem) return usageFailure(outProblem);

  // SIGINT, SIGTERM, SIGHUP: the first stops training (the ambient signal every loop checks), then we save
  const interrupts = installInterrupts();
  try {
    let agent: Agent<object, BaseRow>;
    try {
      agent = resumeDir !== undefined
        ? ((await loadAgent(resumeDir, { resume: true, config: { ...given, envId } })) as unknown as Agent<object, BaseRow>)
        : await algo.create(config as never);
    } catch (err) {
      // an unknown env, env options it refuses, an algorithm that cannot handle its spaces: exit 2, one line;
      // a checkpoint to resume that is not one: exit 1
      return reportError("train", err);
    }
    const every = "updates" in saveEvery ? (saveEvery.updates > 0 ? `every ${saveEvery.updates} updates` : "at the end") : saveEvery.seconds > 0 ? `every ${duration(saveEvery.seconds)} of training` : "at the end";
    console.error(`tsrl train: ${algorithm} on ${envId}, seed ${config.seed}; checkpoint ${path.resolve(out)} (${every})`);
    if (resumeDir !== undefined) {
      const s = agent.trainingState?.();
      console.error(`tsrl train: resuming ${path.resolve(resumeDir)} after ${agent.metrics.length} updates${s && !s.exact ? ` (not exactly: ${s.note})` : ""}`);
    }
    let lastSaved: number | undefined; // the update of the last periodic checkpoint
    const save = (result?: TrainResult<BaseRow>) => {
      // an interrupt that cut an update short: the state is a valid place to continue from, not the uninterrupted run's
      const cut = result?.interruptedIn ? `interrupted during the ${result.interruptedIn} phase of update ${agent.metrics.length + (result.interruptedIn === "evaluate" ? 0 : 1)}` : undefined;
      return saveAgent(out, agent, result, { overwrite: true, inexact: cut }); // --out was checked before training: this run's directory
    };
    const health = createHealthMonitor();
    let result: TrainResult<BaseRow>;
    try {
      // the progress bar (lib/viz/progress) is the train loop's own: on stderr, in place on a terminal
      result = await agent.train(watchHealth({
        onAbort: "return",
        progress: parsed.flags.quiet !== true,
        checkpoint: {
          every: saveEvery,
          save: () => {
            const bad = nonFiniteProblems(agent.checkpointWeights());
            if (bad.length) throw new NonFiniteWeights(`update ${agent.metrics.length}: the weights are not finite (${bad[0]})`);
            save();
            lastSaved = agent.metrics.length;
          },
        },
      }, health, { stopOnUnhealthy: parsed.flags["stop-on"] === "unhealthy", onWarning: (w) => console.error(`tsrl train: ${formatWarning(w)}`) }));
    } catch (err) {
      if (isNonFiniteError(err) || err instanceof NonFiniteWeights) {
        // diverged: the weights in memory are not worth keeping, and the checkpoint at --out (finite) stays as it is
        console.error(`tsrl train: stopped: ${(err as Error).message}`);
        console.error(lastSaved !== undefined
          ? `tsrl train: the checkpoint at ${path.resolve(out)} is the last finite one (update ${lastSaved}); nothing newer was written`
          : `tsrl train: nothing written to ${path.resolve(out)} (its weights would not be finite)`);
        agent.dispose();
        return 1;
      }
      // report the failure (exit 1), but keep the weights and metrics learned before it
      const report = classifyError(err);
      console.error(`tsrl train: training failed after ${agent.metrics.length} updates: ${report.line}`);
      if (report.stack) console.error(report.stack.split("\n").slice(1).join("\n"));
      try {
        console.error(`tsrl train: weights and metrics so far written to ${save()}`);
      } catch (saveErr) {
        console.error(`tsrl train: could not write the checkpoint either: ${(saveErr as Error)?.message ?? String(saveErr)}`);
      }
      agent.dispose();
      return 1;
    }
    const dir = save(result);
    agent.dispose();
    const signal = result.stopped === "aborted" ? interrupts.stoppedBy() : undefined;
    const unhealthy = result.stopped === "aborted" && !signal && health.status() === "unhealthy";
    const summary = {
      algorithm,
      env: envId,
      seed: config.seed,
      stopped: unhealthy ? "unhealthy" : result.stopped,
      ...(signal ? { signal } : {}),
      updates: result.updates,
      episodes: result.episodes,
      envSteps: result.envSteps,
      wallTime: round(result.wallTime, 3),
      trainReturn: round(result.trainReturn, 2),
      evalReturn: round(result.evalReturn, 2),
      checkpoint: dir,
      ...(resumeDir !== undefined ? { resumedFrom: path.resolve(resumeDir) } : {}),
      health: { status: health.status(), warnings: health.counts() },
    };
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${result.stopped}${signal ? ` (${signal})` : ""} after ${result.episodes} episodes, ${result.envSteps} env steps, ${result.wallTime.toFixed(1)} s; train return ${result.trainReturn.toFixed(1)}, eval ${Number.isNaN(result.evalReturn) ? "—" : result.evalReturn.toFixed(1)}; checkpoint ${dir}`);
    return unhealthy ? 1 : result.stopped === "aborted" ? (interrupts.exitCode() ?? 130) : 0;
  } finally {
    interrupts.remove();
  }
}

/** Non-finite weights met at a periodic checkpoint (the loss was still finite). */
class NonFiniteWeights extends Error {}

/** What --resume DIR holds (its hyperparameters), or why it cannot continue this command's run. */
function resumeProblem(dir: string, algorithm: string, envId: string): string | { hyperparameters: Record<string, unknown> } {
  let config: Record<string, unknown>;
  try {
    config = loadCheckpoint(dir, { metrics: false, allowNonFinite: true }).config;
  } catch (err) {
    if (err instanceof CheckpointError) return `--resume ${err.message}`;
    throw err;
  }
  if (config.algorithm !== algorithm || config.env !== envId) {
    return `--resume ${path.resolve(dir)}: holds a ${String(config.algorithm)} run on ${String(config.env)}, not ${algorithm} on ${envId}`;
  }
  const h = config.hyperparameters;
  return { hyperparameters: typeof h === "object" && h !== null ? (h as Record<string, unknown>) : {} };
}

/**
 * The problem with --out, if any (checked before training, see lib/data/out-dir): not a place for a
 * checkpoint, a tsrl checkpoint without --overwrite, or a path that cannot be written.
 */
export function checkOut(out: string, overwrite: boolean): string | undefined {
  try {
    checkOutDir(out, { overwrite });
    probeWritable(out);
    return undefined;
  } catch (err) {
    if (err instanceof OutDirError) return `--out ${err.message}`;
    throw err;
  }
}

function usageFailure(message: string): number {
  console.error(`tsrl train: ${message}`);
  return 2;
}

/** 300 → "5 min", 90 → "90 s", 3600 → "1 h". */
function duration(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} h` : seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** NaN → null in JSON anyway; round the rest so the summary line stays readable. */
function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
