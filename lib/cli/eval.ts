/**
 * `tsrl eval <dir> [--episodes N] [--seed S] [--sample] [--json]` — loads a checkpoint of any
 * registered algorithm (dispatching on its config.json) and runs evaluation episodes. Needs no
 * tfjs: the policy runs as a typed-array forward.
 * A missing or corrupt checkpoint (absent files, wrong shapes, unknown algorithm) exits 1 with the
 * problem named; bad flags exit 2.
 */
import { CheckpointError } from "../data/checkpoint";
import { evaluatePolicy } from "../algos/evaluate";
import { loadPolicy } from "../algos/checkpoint";
import { parseCommand, type CommandSpec } from "./args";

const spec: CommandSpec = {
  usage: "tsrl eval <dir> [--episodes N] [--seed S] [--sample] [--json]",
  positionals: ["dir"],
  flags: [
    { name: "episodes", type: "integer", help: "evaluation episodes", default: 100 },
    { name: "seed", type: "integer", help: "episode i resets the env with seed + i", default: 0 },
    { name: "sample", type: "boolean", help: "sample actions from the policy instead of taking the most probable" },
    { name: "json", type: "boolean", help: "print one JSON summary line on stdout" },
  ],
};

export async function evalCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("eval", argv, spec, "Evaluate a trained checkpoint.");
  if (typeof parsed === "number") return parsed;
  const episodes = (parsed.flags.episodes as number | undefined) ?? 100;
  const seed = (parsed.flags.seed as number | undefined) ?? 0;
  if (episodes < 1) { console.error(`tsrl eval: --episodes ${episodes}: expected a positive integer`); return 2; }
  if (seed < 0 || seed > 0xffffffff) { console.error(`tsrl eval: --seed ${seed}: expected an integer in [0, 2^32)`); return 2; }
  const greedy = parsed.flags.sample !== true;

  let policy;
  try {
    policy = loadPolicy(parsed.positionals[0]);
  } catch (err) {
    if (err instanceof CheckpointError) { console.error(`tsrl eval: ${err.message}`); return 1; }
    throw err;
  }
  const started = performance.now();
  const r = await evaluatePolicy(policy.envId, policy.act, { episodes, seed, greedy });
  const wallTime = (performance.now() - started) / 1000;
  const summary = {
    checkpoint: policy.dir,
    algorithm: policy.algorithm,
    env: policy.envId,
    episodes,
    seed,
    greedy,
    mean: Number(r.mean.toFixed(2)),
    std: Number(r.std.toFixed(2)),
    min: Math.min(...r.returns),
    max: Math.max(...r.returns),
    wallTime: Number(wallTime.toFixed(3)),
  };
  if (parsed.flags.json) console.log(JSON.stringify(summary));
  else console.log(`${policy.envId}: mean return ${summary.mean} ± ${summary.std} over ${episodes} episodes (min ${summary.min}, max ${summary.max}; ${greedy ? "greedy" : "sampled"})`);
  return 0;
}
