/**
 * `tsrl train <algorithm> <env> [flags]` — trains, shows progress on stderr, writes a checkpoint,
 * prints one JSON summary line on stdout (with --json; a short human summary without).
 * Ctrl-C stops training between updates and still writes the checkpoint (exit code 130);
 * a second Ctrl-C exits at once. Bad flags or config values exit 2 before training starts; an
 * error during training exits 1 with its stack, after writing the weights and metrics so far.
 */
import * as path from "node:path";
import { AbortError, setAmbientSignalProvider } from "../core/abort";
import "../envs";
import { saveReinforceCheckpoint } from "../algos/reinforce-checkpoint";
import { createReinforceAgent, reinforceConfig, REINFORCE_DEFAULTS, REINFORCE_FIELD_KINDS, REINFORCE_HELP, type ReinforceConfig } from "../algos/reinforce";
import { kebab, parseCommand, type CommandSpec, type FlagSpec } from "./args";
import { createProgressBar, formatRate } from "./progress";

const ALGORITHMS = ["reinforce"] as const;

/** Config fields that are flags (typed by REINFORCE_FIELD_KINDS); envId is the positional <env>. */
function configFlags(): FlagSpec[] {
  const flags: FlagSpec[] = [];
  for (const field of Object.keys(REINFORCE_DEFAULTS) as (keyof ReinforceConfig)[]) {
    if (field === "envId") continue;
    const kind = REINFORCE_FIELD_KINDS[field];
    flags.push({
      name: flagName(field),
      type: typeof kind === "string" ? kind : "string",
      choices: typeof kind === "string" ? undefined : kind.choices,
      help: REINFORCE_HELP[field],
      default: REINFORCE_DEFAULTS[field],
    });
  }
  return flags;
}

/** maxEpisodes is --episodes, the name users reach for first; the rest are kebab-case. */
function flagName(field: keyof ReinforceConfig): string {
  return field === "maxEpisodes" ? "episodes" : kebab(field);
}

function commandSpec(): CommandSpec {
  return {
    usage: "tsrl train reinforce <env> [--seed S] [--out DIR] [--episodes N] [--json] [options]",
    positionals: ["algorithm", "env"],
    flags: [
      { name: "out", type: "string", help: "checkpoint directory", default: "runs/<algorithm>-<env>-seed<seed>" },
      { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
      { name: "quiet", type: "boolean", help: "no progress bar" },
      ...configFlags(),
    ],
  };
}

export async function trainCommand(argv: string[]): Promise<number> {
  const spec = commandSpec();
  const parsed = parseCommand("train", argv, spec, "Train an agent. Algorithms: reinforce (REINFORCE with optional baseline).");
  if (typeof parsed === "number") return parsed;
  const [algorithm, envId] = parsed.positionals;
  if (!(ALGORITHMS as readonly string[]).includes(algorithm)) return usageFailure(`unknown algorithm ${JSON.stringify(algorithm)}; expected one of ${ALGORITHMS.join(", ")}`);

  const config: Partial<ReinforceConfig> = { envId };
  const byFlag = new Map((Object.keys(REINFORCE_DEFAULTS) as (keyof ReinforceConfig)[]).map((f) => [flagName(f), f]));
  for (const [flag, value] of Object.entries(parsed.flags)) {
    const field = byFlag.get(flag);
    if (field) (config as Record<string, unknown>)[field] = value;
  }
  let valid: ReinforceConfig;
  try {
    valid = reinforceConfig(config);
  } catch (err) {
    // a bad value names its field: a usage problem. Anything that fails later is not (exit 1).
    if (err instanceof RangeError) return usageFailure(err.message);
    throw err;
  }

  const seed = valid.seed;
  const out = (parsed.flags.out as string | undefined) ?? path.join("runs", `${algorithm}-${envId}-seed${seed}`);
  const json = parsed.flags.json === true;

  // Ctrl-C: the first stops training between updates (the ambient signal every loop checks)
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error("\ntsrl: interrupted — stopping after this update and saving (Ctrl-C again to quit now)");
    controller.abort(new AbortError("interrupted by Ctrl-C"));
  };
  process.on("SIGINT", onSigint);
  setAmbientSignalProvider(() => controller.signal);

  try {
    const bar = parsed.flags.quiet ? undefined : createProgressBar({ total: valid.maxEpisodes, unit: "ep" });
    let agent;
    try {
      agent = await createReinforceAgent(valid);
    } catch (err) {
      console.error(`tsrl train: ${(err as Error)?.stack ?? String(err)}`);
      return 1;
    }
    let result;
    try {
      result = await agent.train({
        onAbort: "return",
        onProgress: (p) => bar?.update(p.episodes, { return: p.meanReturn.toFixed(1), steps: String(p.envSteps), sps: formatRate(p.sps) }),
      });
    } catch (err) {
      // report the failure (exit 1), but keep the weights and metrics learned before it
      bar?.finish();
      console.error(`tsrl train: training failed after ${agent.metrics.length} updates: ${(err as Error)?.stack ?? String(err)}`);
      try {
        console.error(`tsrl train: weights and metrics so far written to ${saveReinforceCheckpoint(out, agent)}`);
      } catch (saveErr) {
        console.error(`tsrl train: could not write the checkpoint either: ${(saveErr as Error)?.message ?? String(saveErr)}`);
      }
      agent.dispose();
      return 1;
    }
    bar?.finish();
    const dir = saveReinforceCheckpoint(out, agent, result);
    agent.dispose();
    const summary = {
      algorithm,
      env: envId,
      seed,
      stopped: result.stopped,
      episodes: result.episodes,
      envSteps: result.envSteps,
      wallTime: round(result.wallTime, 3),
      trainReturn: round(result.trainReturn, 2),
      evalReturn: round(result.evalReturn, 2),
      solvedAtEpisode: result.solvedAtEpisode,
      solvedAtEnvSteps: result.solvedAtEnvSteps,
      checkpoint: dir,
    };
    if (json) console.log(JSON.stringify(summary));
    else console.error(`tsrl: ${result.stopped} after ${result.episodes} episodes, ${result.envSteps} env steps, ${result.wallTime.toFixed(1)} s; train return ${result.trainReturn.toFixed(1)}, eval ${Number.isNaN(result.evalReturn) ? "—" : result.evalReturn.toFixed(1)}; checkpoint ${dir}`);
    return result.stopped === "aborted" ? 130 : 0;
  } finally {
    process.off("SIGINT", onSigint);
    setAmbientSignalProvider(undefined);
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
