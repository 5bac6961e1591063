/**
 * Chooses the edit agent's abstain threshold on validation data and prints the sweep (JSON on stdout):
 *
 *   npx tsrl run lib/cli/edit-abstain.ts DIR [--max-valid 0.01]
 *
 * DIR is an EditAgent-v0 checkpoint; the data are datasets/edit/validation.jsonl (valid
 * instructions) and nonsense-validation.jsonl (training wording): never a held-out file. The
 * threshold it prints is the one EDIT_ABSTAIN_CONFIDENCE (lib/envs/edit/evaluate.ts) should hold.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { loadPolicy } from "../algos/registry";
import { datasetsDir } from "../data/paths";
import { chooseAbstainThreshold, type EditProbs } from "../envs/edit/evaluate";
import { parseNonsense } from "../envs/edit/nonsense";
import type { EditAct } from "../envs/edit/oracle";
import { readEditTasks } from "../envs/edit/tasks";

export function main(args: readonly string[]): number {
  const dir = args[0];
  if (!dir || dir.startsWith("--")) {
    console.error("usage: tsrl run lib/cli/edit-abstain.ts DIR [--max-valid FRACTION]");
    return 2;
  }
  const k = args.indexOf("--max-valid");
  const maxValid = k >= 0 ? Number(args[k + 1]) : 0.01;
  if (!(maxValid >= 0 && maxValid <= 1)) {
    console.error(`edit-abstain: --max-valid must be a fraction in [0, 1], got ${JSON.stringify(args[k + 1])}`);
    return 2;
  }
  const policy = loadPolicy(dir);
  const valid = readEditTasks(datasetsDir("edit", "validation.jsonl"));
  const nonsenseFile = datasetsDir("edit", "nonsense-validation.jsonl");
  const nonsense = parseNonsense(fs.readFileSync(nonsenseFile, "utf8"), nonsenseFile);
  const r = chooseAbstainThreshold(policy.act as unknown as EditAct, policy.probs as unknown as EditProbs, valid, nonsense, { maxValidAbstained: maxValid });
  console.log(JSON.stringify({ checkpoint: dir, maxValidAbstained: maxValid, ...r }));
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) process.exitCode = main(process.argv.slice(2));
