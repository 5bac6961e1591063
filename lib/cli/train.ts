/**
 * `tsrl train <algorithm> <env> [flags]` — trains any registered algorithm (lib/algos/registry),
 * shows progress on stderr, writes a checkpoint, prints one JSON summary line on stdout (with
 * --json; a short human summary on stderr without). The flags are the algorithm's config schema.
 *
 * --out DIR is checked before training (lib/data/out-dir): a new or empty directory, or an existing
 * tsrl checkpoint with --overwrite (kept as DIR.previous until the new one is complete); never a
 * file, the current or home directory, a git work tree or a directory tsrl did not write (exit 2,
 * naming the path and the reason), and a path that cannot be written fails before training too.
 *
 * Ctrl-C stops training between updates and still writes the checkpoint (exit code 130); a second
 * Ctrl-C exits at once. Bad flags, config values, an unknown env or one the algorithm cannot handle
 * exit 2 with one line before training starts (lib/cli/errors); an error during training exits 1,
 * after writing the weights and metrics so far (with a stack only when it is a bug of tsrl's).
 */
import * as path from "node:path";
import type { Field } from "../core/schema";
import type { Agent, BaseRow, TrainResult } from "../algos/agent";
import { saveAgent } from "../algos/checkpoint";
import { OutDirError, checkOutDir, probeWritable } from "../data/out-dir";
import { algorithmNames, algorithmSpec } from "../algos/registry";
import { classifyError, reportError } from "./errors";
import { installCtrlC } from "./interrupt";
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

const COMMON_FLAGS: FlagSpec[] = [
  { name: "out", type: "string", help: "checkpoint directory: new, empty, or a tsrl checkpoint to replace with --overwrite", default: "runs/<algorithm>-<env>-seed<seed>" },
  { name: "overwrite", type: "boolean", help: "replace the tsrl checkpoint at --out (the old one is kept as DIR.previous until the new one is complete)" },
  { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  { name: "quiet", type: "boolean", help: "no progress bar" },
];

function commandSpec(algorithm: string | undefined): { spec: CommandSpec; fields: Map<string, string> } {
  const known = algorithm !== undefined && algorithmNames().includes(algorithm);
  const flags = known ? schemaFlags(algorithmSpec(algorithm).schema.fields) : [];
  return {
    spec: {
      usage: `tsrl train ${known ? algorithm : "<algorithm>"} <env> [--seed S] [--out DIR] [--json] [options]`,
      positionals: ["algorithm", "env"],
      flags: [...COMMON_FLAGS, ...flags.map((f) => f.flag)],
    },
    fields: new Map(flags.map((f) => [f.flag.name, f.field])),
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const first = argv.find((a) => !a.startsWith("-"));
  const { spec, fields } = commandSpec(first);
  const summaryText = first && algorithmNames().includes(first)
    ? `Train ${first}: ${algorithmSpec(first).summary}.`
    : `Train an agent. Algorithms:\n${algorithmNames().map((n) => `  ${n.padEnd(14)} ${algorithmSpec(n).summary}`).join("\n")}\n(tsrl train <algorithm> --help lists its options)`;
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

  const partial: Record<string, unknown> = { envId };
  for (const [flag, value] of Object.entries(parsed.flags)) {
    const field = fields.get(flag);
    if (field) partial[field] = value;
  }
  let config: { seed: number };
  try {
    config = algo.config(partial) as unknown as { seed: number };
  } catch (err) {
    // a bad value names its field: a usage problem. Anything that fails later is not (exit 1).
    if (err instanceof RangeError) return usageFailure(err.message);
    throw err;
  }
  const out = (parsed.flags.out as string | undefined) ?? path.join("runs", `${algorithm}-${envId}-seed${config.seed}`);
  const outProblem = checkOut(out, parsed.flags.overwrite === true);
  if (outProblem) return usageFailure(outProblem);

  // Ctrl-C: the first stops training between updates (the ambient signal every loop checks)
  const removeCtrlC = installCtrlC();
  try {
    let agent: Agent<object, BaseRow>;
    try {
      agent = await algo.create(config as never);
    } catch (err) {
      // an unknown env, env options it refuses, an algorithm that cannot handle its spaces: exit 2, one line
      return reportError("train", err);
    }
    let result: TrainResult<BaseRow>;
    try {
      // the progress bar (lib/viz/progress) is the train loop's own: on stderr, in place on a terminal
      result = await agent.train({ onAbort: "return", progress: parsed.flags.quiet !== true });
    } catch (err) {
      // report the failure (exit 1), but keep the weights and metrics learned before it
      const report = classifyError(err);
      console.error(`tsrl train: training failed after ${agent.metrics.length} updates: ${report.line}`);
      if (report.stack) console.error(report.stack.split("\n").slice(1).join("\n"));
      try {
        console.error(`tsrl train: weights and metrics so far written to ${saveAgent(out, agent, undefined, { overwrite: true })}`);
      } catch (saveErr) {
        console.error(`tsrl train: could not write the checkpoint either: ${(saveErr as Error)?.message ?? String(saveErr)}`);
      }
      agent.dispose();
      return 1;
    }
    const dir = saveAgent(out, agent, result, { overwrite: true }); // --out was checked before training: this run's directory
    agent.dispose();
    const summary = {
      algorithm,
      env: envId,
      seed: config.seed,
      stopped: result.stopped,
      updates: result.updates,
      episodes: result.episodes,
      envSteps: result.envSteps,
      wallTime: round(result.wallTime, 3),
      trainReturn: round(result.trainReturn, 2),
      evalReturn: round(result.evalReturn, 2),
      checkpoint: dir,
    };
    if (parsed.flags.json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${result.stopped} after ${result.episodes} episodes, ${result.envSteps} env steps, ${result.wallTime.toFixed(1)} s; train return ${result.trainReturn.toFixed(1)}, eval ${Number.isNaN(result.evalReturn) ? "—" : result.evalReturn.toFixed(1)}; checkpoint ${dir}`);
    return result.stopped === "aborted" ? 130 : 0;
  } finally {
    removeCtrlC();
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

/** NaN → null in JSON anyway; round the rest so the summary line stays readable. */
function round(x: number, digits: number): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(digits)) : null;
}
