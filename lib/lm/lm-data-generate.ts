/**
 * Writes datasets/lm from the seeded generator (./lm-data.ts). Same seed and sizes, byte-identical files.
 *
 *   npx tsrl run lib/lm/lm-data-generate.ts --out datasets/lm --seed 10
 *
 * Runs only as a script (`tsrl run` or `node -r lib/node/register-ts.cjs`); importing it does nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { datasetsDir } from "../data/paths";
import { DEFAULT_LM_DATA_SEED, DEFAULT_LM_DATA_SIZES, formatLmData, generateLmData, LM_DATA_FILES, type LmDataSizes } from "./lm-data";

const USAGE = `usage: tsrl run lib/lm/lm-data-generate.ts [--out DIR] [--seed N] [--corpus N] [--corpusHeldout N] [--prompts N] [--pairsTrain N] [--pairsHeldout N]
  --out DIR   where the files go (default datasets/lm)
  --seed N    the generator's seed (default ${DEFAULT_LM_DATA_SEED})
  sizes default to ${JSON.stringify(DEFAULT_LM_DATA_SIZES)}`;

export function main(args: readonly string[]): number {
  let out = datasetsDir("lm"), seed = DEFAULT_LM_DATA_SEED;
  const sizes: Partial<LmDataSizes> = {};
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") {
      console.error(USAGE);
      return 0;
    }
    const value = args[++k];
    if (value === undefined) throw new RangeError(`lm-data-generate: ${flag} needs a value\n${USAGE}`);
    const int = Number(value);
    if (flag === "--out") out = path.resolve(value);
    else if (!(Number.isInteger(int) && int >= 0)) throw new RangeError(`lm-data-generate: ${flag} must be an integer ≥ 0, got ${JSON.stringify(value)}`);
    else if (flag === "--seed") seed = int;
    else if (flag.slice(2) in DEFAULT_LM_DATA_SIZES) sizes[flag.slice(2) as keyof LmDataSizes] = int;
    else throw new RangeError(`lm-data-generate: unknown flag ${JSON.stringify(flag)}\n${USAGE}`);
  }
  const files = formatLmData(generateLmData(seed, sizes));
  fs.mkdirSync(out, { recursive: true });
  for (const [key, name] of Object.entries(LM_DATA_FILES)) {
    const file = path.join(out, name);
    fs.writeFileSync(file, files[key as keyof typeof LM_DATA_FILES]);
    console.error(`${file}: ${files[key as keyof typeof LM_DATA_FILES].split("\n").length - 1} lines, ${fs.statSync(file).size} bytes`);
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) process.exitCode = main(process.argv.slice(2));
