/**
 * `tsrl train <algorithm> <env> [flags]` — trains whatever the registry pairs with the two
 * (lib/algos/registry's trainerFor: an agent algorithm on a registered environment, or `grpo GPT2`,
 * GRPO on a GPT-2 directory), shows progress on stderr, writes the run's directory (an agent
 * checkpoint; for GPT2 a Hugging Face model directory with the run), prints one JSON summary line on
 * stdout (with --json; a short human summary on stderr without). The flags are the trainer's config
 * schema, one path for every pair.
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
import type { SaveEvery, TrainResult } from "../algos/agent";
import { algorithmNames, trainerFor, trainersOf } from "../algos/registry";
import type { Trainer, TrainingRun } from "../algos/trainer";
import { isNonFiniteError } from "../core/finite";
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
        aliases: f.aliases?.map(kebab),
      },
    }));
}

/** Default of --save-every: runs longer than this many minutes keep a checkpoint at least this fresh. */
export const DEFAULT_SAVE_EVERY = "5m";

const COMMON_FLAGS: FlagSpec[] = [
  { name: "out", type: "string", help: "the run's directory: new, empty, or tsrl's to replace with --overwrite", default: "runs/<algorithm>-<env>-seed<seed> (with --resume: its DIR)" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl directory at --out (the old one is kept as DIR.previous until the new one is complete)" },
  { name: "save-every", type: "string", help: "also write the directory every N updates (50) or every duration of training (30s, 5m, 1h); 0 = only at the end", default: DEFAULT_SAVE_EVERY },
  { name: "resume", type: "string", help: "continue the run saved in DIR (exact where it says so; LunarLander-v3 and self-play games restart their episodes); flags given override its config" },
  { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
  { name: "stop-on", type: "string", choices: ["never", "unhealthy"], help: "stop when the health monitor (lib/algos/health.ts) calls the run unhealthy: non-finite values, KL over its bound; warnings go to stderr either way", default: "never" },
];

const SIGNALS_HELP = "Signals: Ctrl-C (SIGINT), SIGTERM and SIGHUP stop training and write the checkpoint (exit 130, 143, 129); a second one quits at once.";

/**
 * The algorithm and env of `argv`, read with every flag any trainer of that algorithm has (so a
 * flag's value is not taken for the env), and the trainer they pair to (undefined when unknown).
 */
function pairOf(argv: readonly string[]): { algorithm?: string; envId?: string; trainer?: Trainer } {
  const algorithm = argv.find((a) => !a.startsWith("-"));
  const named = algorithm ? trainersOf(algorithm) : [];
  const takesValue = new Set<string>();
  for (const f of [...COMMON_FLAGS, ...named.flatMap((t) => schemaFlags(t.schema.fields).map((x) => x.flag))]) {
    if (f.type !== "boolean") for (const n of [f.name, ...(f.aliases ?? [])]) takesValue.add(n);
  }
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("-")) positionals.push(a);
    else if (a.startsWith("--") && !a.includes("=") && takesValue.has(a.slice(2))) i++;
  }
  const envId = positionals[1];
  const trainer = envId !== undefined ? named.find((t) => t.accepts(envId)) : named.at(-1); // no env: the general one's --help
  return { algorithm, envId, trainer };
}

function commandSpec(algorithm: string | undefined, trainer: Trainer | undefined): { spec: CommandSpec; fields: Map<string, string> } {
  const flags = trainer ? schemaFlags(trainer.schema.fields) : [];
  return {
    spec: {
      usage: `tsrl train ${trainer ? `${algorithm} ${trainer.envArgument}` : "<algorithm> <env>"} [--seed S] [--out DIR] [--overwrite] [--save-every N|5m] [--resume DIR] [--json] [options]`,
      positionals: ["algorithm", "env"],
      flags: [...COMMON_FLAGS, ...flags.map((f) => f.flag)],
    },
    fields: new Map(flags.map((f) => [f.flag.name, f.field])),
  };
}

function helpText(algorithm: string | undefined, trainer: Trainer | undefined): string {
  if (!algorithm || !trainer) {
    const rows = algorithmNames().flatMap((n) => trainersOf(n).reverse().map((t) => `  ${`${n} ${t.envArgument}`.padEnd(20)} ${t.summary}`));
    return `Train an agent, or a language model. Algorithms:\n${rows.join("\n")}\n(tsrl train <algorithm> <env> --help lists its options)\n${SIGNALS_HELP}`;
  }
  const others = trainersOf(algorithm).filter((t) => t !== trainer).map((t) => `\n(${algorithm} also trains on ${t.trainsOn}: see its --help)`).join("");
  return `Train ${algorithm} on ${trainer.trainsOn}: ${trainer.summary}.${others}\n${SIGNALS_HELP}`;
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
  const pair = pairOf(argv);
  const { spec, fields } = commandSpec(pair.algorithm, pair.trainer);
  const parsed = parseCommand("train", argv, spec, helpText(pair.algorithm, pair.trainer));
  if (typeof parsed === "number") return parsed;
  const [algorithm, envId] = parsed.positionals;
  let trainer: Trainer;
  try {
    trainer = trainerFor(algorithm, envId);
  } catch (err) {
    return usageFailure((err as Error).message);
  }

  const given: Record<string, unknown> = {};
  for (const [flag, value] of Object.entries(parsed.flags)) {
    const field = fields.get(flag);
    if (field) given[field] = value;
  }
  const resumeDir = parsed.flags.resume as string | undefined;
  let config: { seed: number };
  let saveEvery: SaveEvery;
  try {
    // a bad value, a --resume DIR that holds no such run: usage problems (exit 2). Anything that fails later is not.
    const saved = resumeDir !== undefined ? trainer.savedConfig(resumeDir, envId) : {};
    config = trainer.config({ ...saved, ...given, envId });
    saveEvery = parseSaveEvery((parsed.flags["save-every"] as string | undefined) ?? DEFAULT_SAVE_EVERY);
  } catch (err) {
    if (err instanceof RangeError) return usageFailure(err.message);
    throw err;
  }
  const out = (parsed.flags.out as string | undefined) ?? resumeDir ?? path.join("runs", `${algorithm}-${envId}-seed${config.seed}`);
  const continuing = resumeDir !== undefined && path.resolve(out) === path.resolve(resumeDir);
  const outProblem = checkOut(out, parsed.flags.overwrite === true || continuing);
  if (outProblem) return usageFailure(outProblem);

  // SIGINT, SIGTERM, SIGHUP: the first stops training (the ambient signal every loop checks), then we save
  const unit = trainer.unit;
  const interrupts = installInterrupts(unit);
  try {
    let run: TrainingRun;
    try {
      run = resumeDir !== undefined ? await trainer.resume(resumeDir, trainer.config({ ...config })) : await trainer.start(trainer.config({ ...config }));
    } catch (err) {
      // an unknown env, options it refuses, a model or reward it cannot read: exit 2, one line; a run to resume that is not one: exit 1
      return reportError("train", err);
    }
    const every = "updates" in saveEvery ? (saveEvery.updates > 0 ? `every ${saveEvery.updates} ${unit}s` : "at the end") : saveEvery.seconds > 0 ? `every ${duration(saveEvery.seconds)} of training` : "at the end";
    console.error(`tsrl train: ${algorithm} on ${envId}, seed ${config.seed}; writes ${path.resolve(out)} (${every})`);
    if (resumeDir !== undefined) {
      console.error(`tsrl train: resuming ${path.resolve(resumeDir)} after ${run.metrics.length} ${unit}s${run.inexactNote !== undefined ? ` (not exactly: ${run.inexactNote})` : ""}`);
    }
    let lastSaved: number | undefined; // the update of the last periodic save
    const health = createHealthMonitor();
    let result: TrainResult;
    try {
      // the progress bar (lib/viz/progress) is the train loop's own: on stderr, in place on a terminal
      result = await run.train(watchHealth({
        onAbort: "return",
        progress: parsed.flags.quiet !== true,
        checkpoint: {
          every: saveEvery,
          save: () => {
            run.save(out, undefined); // --out was checked before training: this run's directory
            lastSaved = run.metrics.length;
          },
        },
      }, health, { stopOnUnhealthy: parsed.flags["stop-on"] === "unhealthy", onWarning: (w) => console.error(`tsrl train: ${formatWarning(w)}`) }));
    } catch (err) {
      if (isNonFiniteError(err)) {
        // diverged: the weights in memory are not worth keeping, and the directory at --out (finite) stays as it is
        console.error(`tsrl train: stopped: ${(err as Error).message}`);
        console.error(lastSaved !== undefined
          ? `tsrl train: ${path.resolve(out)} holds the last finite run (${unit} ${lastSaved}); nothing newer was written`
          : `tsrl train: nothing written to ${path.resolve(out)} (its weights would not be finite)`);
        run.dispose();
        return 1;
      }
      // report the failure (exit 1), but keep what was learned before it
      const report = classifyError(err);
      console.error(`tsrl train: training failed after ${run.metrics.length} ${unit}s: ${report.line}`);
      if (report.stack) console.error(report.stack.split("\n").slice(1).join("\n"));
      try {
        console.error(`tsrl train: what was learned so far written to ${run.save(out, undefined, { failed: true })}`);
      } catch (saveErr) {
        console.error(`tsrl train: could not write it either: ${(saveErr as Error)?.message ?? String(saveErr)}`);
      }
      run.dispose();
      return 1;
    }
    // an interrupt that cut an update short: the state is a valid place to continue from, not the uninterrupted run's
    const cut = result.interruptedIn ? `interrupted during the ${result.interruptedIn} phase of ${unit} ${run.metrics.length + (result.interruptedIn === "evaluate" ? 0 : 1)}` : undefined;
    const dir = run.save(out, result, { inexact: cut });
    const own = run.summary(result);
    run.dispose();
    const signal = result.stopped === "aborted" ? interrupts.stoppedBy() : undefined;
    const unhealthy = result.stopped === "aborted" && !signal && health.status() === "unhealthy";
    const summary = {
      algorithm,
      env: envId,
      seed: config.seed,
      stopped: unhealthy ? "unhealthy" : result.stopped,
      ...(signal ? { signal } : {}),
      ...own.fields,
      wallTime: round(result.wallTime, 3),
      checkpoint: dir,
      ...(resumeDir !== undefined ? { resumedFrom: path.resolve(resumeDir) } : {}),
      health: { status: health.status(), warnings: health.counts() },
    };
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${result.stopped}${signal ? ` (${signal})` : ""} after ${own.line}; written to ${dir}`);
    return unhealthy ? 1 : result.stopped === "aborted" ? (interrupts.exitCode() ?? 130) : 0;
  } finally {
    interrupts.remove();
  }
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
