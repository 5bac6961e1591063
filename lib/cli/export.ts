/**
 * `tsrl export trl RUN_DIR --out DIR [--prompts FILE]` — what TRL needs to continue or repeat a
 * `tsrl train grpo GPT2` run at scale (lib/export/trl.ts: the model, the prompts as JSONL, a
 * GRPOConfig, the reward in Python, a training script and an accelerate launcher).
 *
 * --out must be a new directory (or an empty one) that the project's out-directory guard accepts
 * (lib/data/out-dir): the export is written next to it first and renamed into place
 * (writeNewDirectory), so DIR is either complete or absent, and nothing already there is touched.
 * Exit 0 and one JSON line on stdout ({"out", "files", "prompts", "missingReward"}); 1 for a run
 * directory or prompts file that cannot be read; 2 for bad usage, an --out that is not new included.
 */
import * as path from "node:path";
import { checkOutDir, OutDirError, writeNewDirectory } from "../data/out-dir";
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
  try {
    checkOutDir(out, { overwrite: false });
  } catch (err) {
    if (err instanceof OutDirError) return fail(`--out ${err.message}`, 2);
    throw err;
  }

  let exported: ReturnType<typeof trlExport>;
  try {
    exported = trlExport(runDir, { promptsFile: parsed.flags.prompts as string | undefined });
  } catch (err) {
    if (err instanceof ExportError || err instanceof RewardSpecError) return fail(err.message, 1);
    throw err;
  }
  try {
    writeNewDirectory(out, exported.files, { executable: ["launch.sh"] });
  } catch (err) {
    if (err instanceof OutDirError) return fail(`--out ${err.message}`, 2);
    return fail(`could not write ${out}: ${(err as Error).message}`, 1);
  }
  console.error(`tsrl export: ${Object.keys(exported.files).length} files in ${out}; run it with: sh ${path.join(out, "launch.sh")}`);
  if (exported.missing.length) console.error(`tsrl export: reward.py lacks part of the run's reward (see ${path.join(out, "README.md")}):\n  - ${exported.missing.join("\n  - ")}`);
  console.log(JSON.stringify({ out, files: Object.keys(exported.files).sort(), prompts: exported.prompts, missingReward: exported.missing }));
  return 0;
}
