/**
 * `tsrl eval <dir> [--episodes N] [--seed S] [--sample] [--opponents a,b] [--exhaustive] [--tasks FILE] [--json]` — loads a checkpoint of any
 * registered algorithm (dispatching on its config.json) and runs evaluation episodes. MLP policies
 * run as a typed-array forward; the edit agent's network on tfjs. An edit agent's checkpoint takes
 * `--tasks FILE.jsonl` (lib/cli/eval-edit): its scores on those tasks, per family.
 * A missing or corrupt checkpoint (absent files, wrong shapes, unknown algorithm) exits 1 with the
 * problem named; bad flags exit 2.
 */
import { envSpec } from "../envs/registry";
import { CheckpointError } from "../data/checkpoint";
import { textTable } from "../viz/table";
import { evaluatePolicy } from "../algos/evaluate";
import { loadPolicy } from "../algos/registry";
import { initBackend } from "../nn/backend";
import { parseCommand, type CommandSpec } from "./args";
import { evalEditTasks } from "./eval-edit";

const spec: CommandSpec = {
  usage: "tsrl eval <dir> [--episodes N] [--seed S] [--sample] [--opponents random,greedy,minimax] [--exhaustive] [--tasks FILE.jsonl] [--json]",
  positionals: ["dir"],
  flags: [
    { name: "episodes", type: "integer", help: "evaluation episodes", default: 100 },
    { name: "seed", type: "integer", help: "episode i resets the env with seed + i", default: 0 },
    { name: "sample", type: "boolean", help: "sample actions from the policy instead of taking the most probable" },
    { name: "opponents", type: "string", help: "two-player games: comma-separated opponents to play as every side, e.g. random,greedy,minimax" },
    { name: "exhaustive", type: "boolean", help: "two-player games: count the losses any opponent can force against the greedy policy, as every side" },
    { name: "tasks", type: "string", help: "edit agents: evaluate on every task of this JSONL file (exact match, edit distance, steps, per family)" },
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

  await initBackend({ quiet: true }); // the edit agent's network runs on tfjs
  let policy;
  try {
    policy = loadPolicy(parsed.positionals[0]);
  } catch (err) {
    if (err instanceof CheckpointError) { console.error(`tsrl eval: ${err.message}`); return 1; }
    throw err;
  }
  if (parsed.flags.tasks !== undefined) return evalEditTasks(policy, String(parsed.flags.tasks), { json: parsed.flags.json === true, greedy, seed });
  const twoPlayer = envSpec(policy.envId).twoPlayer;
  const opponents = parsed.flags.opponents === undefined ? [] : String(parsed.flags.opponents).split(",").map((o) => o.trim()).filter(Boolean);
  if ((opponents.length || parsed.flags.exhaustive) && !twoPlayer) {
    console.error(`tsrl eval: --opponents and --exhaustive need a two-player environment; ${policy.envId} has no opponents`);
    return 2;
  }
  for (const o of opponents) {
    if (!twoPlayer!.opponents.includes(o)) { console.error(`tsrl eval: --opponents: unknown opponent ${JSON.stringify(o)}; ${policy.envId} has ${twoPlayer!.opponents.join(", ")}`); return 2; }
  }
  const started = performance.now();
  const r = await evaluatePolicy(policy.envId, policy.act, { episodes, seed, greedy });
  const matches = opponents.flatMap((opponent) => twoPlayer!.sides.map((side) => {
    const m = twoPlayer!.playMatches(policy.act, opponent, { games: episodes, side, seed });
    return { opponent, side, ...m, winRate: round(m.wins / m.games), drawRate: round(m.draws / m.games), lossRate: round(m.losses / m.games) };
  }));
  const exhaustive = parsed.flags.exhaustive ? twoPlayer!.sides.map((side) => ({ side, ...twoPlayer!.exhaustive(policy.act, side) })) : undefined;
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
    ...(matches.length ? { matches } : {}),
    ...(exhaustive ? { exhaustive } : {}),
    wallTime: Number(wallTime.toFixed(3)),
  };
  if (parsed.flags.json) {
    console.log(JSON.stringify(summary));
    return 0;
  }
  console.log(`${policy.envId}: mean return ${summary.mean} ± ${summary.std} over ${episodes} episodes (min ${summary.min}, max ${summary.max}; ${greedy ? "greedy" : "sampled"})`);
  if (matches.length) {
    console.log(textTable(matches.map(({ opponent, side, games, wins, draws, losses, winRate, drawRate, lossRate }) => ({ opponent, as: side, games, wins, draws, losses, "win %": 100 * winRate, "draw %": 100 * drawRate, "loss %": 100 * lossRate }))));
  }
  if (exhaustive) {
    for (const e of exhaustive) console.log(`exhaustive, as ${e.side}: ${e.games} games an opponent can force — ${e.wins} won, ${e.draws} drawn, ${e.losses} lost`);
  }
  return 0;
}

function round(x: number): number {
  return Number(x.toFixed(4));
}
