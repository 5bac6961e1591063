/**
 * Writes datasets/edit: train.jsonl, validation.jsonl and heldout.jsonl, from the seeded generator
 * (lib/envs/edit/generator). Same seed and sizes, byte-identical files.
 *
 *   npx tsrl run lib/envs/edit/generate.ts --out datasets/edit --seed 7
 *   npx tsrl run lib/envs/edit/generate.ts --out /tmp/edit --seed 1 --train 900 --validation 90 --heldout 90
 *
 * Prints, on stderr, the tasks per family and split, the phrasings used and the minimal edits.
 * Runs only as a script (`tsrl run` or `node -r lib/node/register-ts.cjs`); importing it does nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { datasetsDir } from "../../data/paths";
import { DEFAULT_EDIT_SEED, DEFAULT_EDIT_SIZES, generateEditDatasets } from "./generator";
import { EDIT_PHRASINGS, phrasingOf } from "./phrasings";
import { formatNonsense, generateNonsense } from "./nonsense";
import { EDIT_FAMILIES, EDIT_SPLITS, formatEditTasks, minimalEdits, type EditSplit, type EditTask } from "./tasks";

const USAGE = `usage: tsrl run lib/envs/edit/generate.ts [--out DIR] [--seed N] [--train N] [--validation N] [--heldout N]
  --out DIR         where the three .jsonl files go (default datasets/edit)
  --seed N          the generator's seed (default ${DEFAULT_EDIT_SEED})
  --train N         tasks in train.jsonl (default ${DEFAULT_EDIT_SIZES.train}; spread evenly over the ${EDIT_FAMILIES.length} families)
  --validation N    tasks in validation.jsonl (default ${DEFAULT_EDIT_SIZES.validation})
  --heldout N       tasks in heldout.jsonl (default ${DEFAULT_EDIT_SIZES.heldout})
  --heldout-phrasings N  tasks in heldout-phrasings.jsonl, worded with the held-out phrasings (default ${DEFAULT_EDIT_SIZES["heldout-phrasings"]})
  (and 300 nonsense instructions each in nonsense-validation.jsonl and nonsense-heldout.jsonl)`;

export function parseGenerateArgs(args: readonly string[]): { out: string; seed: number; sizes: Record<EditSplit, number> } | "help" {
  let out = datasetsDir("edit"), seed = DEFAULT_EDIT_SEED;
  const sizes = { ...DEFAULT_EDIT_SIZES };
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") return "help";
    const value = args[k + 1];
    if (value === undefined || value.startsWith("--")) throw new RangeError(`edit-generate: ${flag} needs a value\n${USAGE}`);
    k++;
    const int = () => {
      const v = Number(value);
      if (!(Number.isInteger(v) && v >= 0)) throw new RangeError(`edit-generate: ${flag} must be an integer ≥ 0, got ${JSON.stringify(value)}`);
      return v;
    };
    if (flag === "--out") out = path.resolve(value);
    else if (flag === "--seed") seed = int();
    else if (flag === "--train" || flag === "--validation" || flag === "--heldout" || flag === "--heldout-phrasings") sizes[flag.slice(2) as EditSplit] = int();
    else throw new RangeError(`edit-generate: unknown flag ${JSON.stringify(flag)}\n${USAGE}`);
  }
  return { out, seed, sizes };
}

/** Markdown tables of a dataset: tasks per family and split, phrasings used, minimal edits. */
export function editDatasetStats(splits: Record<EditSplit, readonly EditTask[]>): string {
  const lines: string[] = [];
  lines.push(`| family | ${EDIT_SPLITS.join(" | ")} | phrasings used (train) | minimal edits (all splits) |`);
  lines.push(`|---|${EDIT_SPLITS.map(() => "---:").join("|")}|---:|---|`);
  for (const family of EDIT_FAMILIES) {
    const counts = EDIT_SPLITS.map((s) => splits[s].filter((t) => t.family === family).length);
    const used = new Set(splits.train.filter((t) => t.family === family).map((t) => phrasingOf(family, t.instruction)?.index).filter((i) => i !== undefined));
    const m = new Map<number, number>();
    for (const s of EDIT_SPLITS) for (const t of splits[s]) if (t.family === family) m.set(minimalEdits(t), (m.get(minimalEdits(t)) ?? 0) + 1);
    const hist = [...m.entries()].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}: ${v}`).join(", ");
    lines.push(`| ${family} | ${counts.join(" | ")} | ${used.size} of ${EDIT_PHRASINGS[family].length} | ${hist} |`);
  }
  const totals = EDIT_SPLITS.map((s) => splits[s].length);
  const mean = (s: EditSplit) => (splits[s].reduce((a, t) => a + minimalEdits(t), 0) / splits[s].length).toFixed(3);
  lines.push(`| all | ${totals.join(" | ")} | | mean ${EDIT_SPLITS.map((s) => `${s} ${mean(s)}`).join(", ")} |`);
  return lines.join("\n");
}

export function main(args: readonly string[]): number {
  const parsed = parseGenerateArgs(args);
  if (parsed === "help") {
    console.error(USAGE);
    return 0;
  }
  const splits = generateEditDatasets({ seed: parsed.seed, sizes: parsed.sizes });
  fs.mkdirSync(parsed.out, { recursive: true });
  for (const split of EDIT_SPLITS) {
    const file = path.join(parsed.out, `${split}.jsonl`);
    fs.writeFileSync(file, formatEditTasks(splits[split]));
    console.error(`${file}: ${splits[split].length} tasks, ${fs.statSync(file).size} bytes`);
  }
  // nonsense to measure abstention: training wording (choosing the abstain rule) and held-out wording (measuring it)
  for (const [name, split, seed] of [["nonsense-validation", "train", parsed.seed + 1000], ["nonsense-heldout", "heldout", parsed.seed + 2000]] as const) {
    const file = path.join(parsed.out, `${name}.jsonl`);
    fs.writeFileSync(file, formatNonsense(generateNonsense(seed, 300, split)));
    console.error(`${file}: 300 nonsense instructions`);
  }
  console.error(editDatasetStats(splits));
  return 0;
}

// a script: run when tsrl run (or node) names this file, not when it is imported
if (process.argv[1] && path.resolve(process.argv[1]) === __filename) process.exitCode = main(process.argv.slice(2));
