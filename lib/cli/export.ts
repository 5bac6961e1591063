/**
 * `tsrl export trl RUN_DIR --out DIR [--prompts FILE]` — what TRL needs to continue or repeat a
 * `tsrl train grpo GPT2` run at scale (lib/export/trl.ts: the model, the prompts as JSONL, a
 * GRPOConfig, the reward in Python, a training script and an accelerate launcher).
 *
 * --out must be a new directory (or an empty one): the export is written next to it first and
 * renamed into place, so DIR is either complete or absent, and nothing already there is touched.
 * Exit 0 and one JSON line on stdout ({"out", "files", "prompts", "missingReward"}); 1 for a run
 * directory or prompts file that cannot be read, or an --out that is not new; 2 for bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ExportError, trlExport } from "../export/trl";
import { RewardSpecError } from "../lm/reward-spec";
import { parseCommand, type CommandSpec } from "./args";

const spec: CommandSpec = {
  usage: "tsrl export trl <run-dir> --out DIR [--prompts FILE]",
  positionals: ["format", "run-dir"],
  flags: [
    { name: "out", type: "string", help: "the directory to write (new, or empty)" },
    { name: "prompts", type: "string", help: "the run's prompts file, when it is not where grpo_run.json says (relative to here)" },
  ],
};

export async function exportCommand(argv: string[]): Promise<number> {
  const parsed = parseCommand("export", argv, spec, "Export a `tsrl train grpo GPT2` run for TRL's GRPOTrainer (the model, prompts, GRPOConfig, reward, launch script).");
  if (typeof parsed === "number") return parsed;
  const [format, runDir] = parsed.positionals;
  const fail = (message: string, code: number) => (console.error(`tsrl export: ${message}`), code);
  if (format !== "trl") return fail(`unknown format ${JSON.stringify(format)}; expected trl`, 2);
  const outFlag = parsed.flags.out as string | undefined;
  if (!outFlag) return fail("give --out DIR, the directory to write", 2);
  const out = path.resolve(outFlag);
  const taken = outProblem(out);
  if (taken) return fail(taken, 1);

  let exported: ReturnType<typeof trlExport>;
  try {
    exported = trlExport(runDir, { promptsFile: parsed.flags.prompts as string | undefined });
  } catch (err) {
    if (err instanceof ExportError || err instanceof RewardSpecError) return fail(err.message, 1);
    throw err;
  }
  const staging = path.join(path.dirname(out), `.${path.basename(out)}.tsrl-export-${process.pid}`);
  try {
    for (const [name, contents] of Object.entries(exported.files)) {
      fs.mkdirSync(path.dirname(path.join(staging, name)), { recursive: true });
      fs.writeFileSync(path.join(staging, name), contents);
    }
    fs.chmodSync(path.join(staging, "launch.sh"), 0o755);
    if (fs.existsSync(out)) fs.rmdirSync(out); // empty (checked above): rmdir refuses anything else
    fs.renameSync(staging, out);
  } catch (err) {
    fs.rmSync(staging, { recursive: true, force: true }); // ours: made by this run
    return fail(`could not write ${out}: ${(err as Error).message}`, 1);
  }
  console.error(`tsrl export: ${Object.keys(exported.files).length} files in ${out}; run it with: sh ${path.join(out, "launch.sh")}`);
  if (exported.missing.length) console.error(`tsrl export: reward.py lacks part of the run's reward (see ${path.join(out, "README.md")}):\n  - ${exported.missing.join("\n  - ")}`);
  console.log(JSON.stringify({ out, files: Object.keys(exported.files).sort(), prompts: exported.prompts, missingReward: exported.missing }));
  return 0;
}

/**
 * Why `out` cannot receive the export, or undefined: it must not exist, or be an empty directory.
 * (The project's out-directory guard, lib/data/out-dir on the train-safety branch, replaces this
 * when it reaches main.)
 */
function outProblem(out: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.lstatSync(out);
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return `--out ${out} exists and is not a directory; give a new directory`;
  if (fs.readdirSync(out).length > 0) return `--out ${out} exists and is not empty; give a new directory (nothing in it was touched)`;
  return undefined;
}
