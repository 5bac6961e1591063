/**
 * Writes datasets/order-desk from the seeded generator (./data.ts). Same seed and sizes, byte-identical files.
 *
 *   npx tsrl run lib/envs/order-desk/generate.ts --out datasets/order-desk --seed 18
 *   npx tsrl run lib/envs/order-desk/generate.ts --out /tmp/od --seed 1 --train 100 --heldout 50 --transcripts 200 --transcriptsHeldout 20
 *
 * Prints, on stderr, each file's lines and bytes, the tasks per kind, the transcripts per behaviour
 * with their success rate and turns, and their length in GPT-2 tokens.
 * Runs only as a script (`tsrl run` or `node -r lib/node/register-ts.cjs`); importing it does nothing.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { datasetsDir } from "../../data/paths";
import { loadGpt2Tokenizer } from "../../nn/gpt2/tokenizer";
import { encodeConversation } from "../conversation/messages";
import { DEFAULT_ORDER_DESK_SEED, DEFAULT_ORDER_DESK_SIZES, formatOrderDeskData, generateOrderDeskData, ORDER_DESK_FILES, type OrderDeskData, type OrderDeskSizes } from "./data";
import { ORDER_DESK_CHAT } from "./order-desk";
import { TASK_KINDS } from "./tasks";
import { BEHAVIOURS } from "./transcripts";

const USAGE = `usage: tsrl run lib/envs/order-desk/generate.ts [--out DIR] [--seed N] [--train N] [--heldout N] [--transcripts N] [--transcriptsHeldout N]
  --out DIR   where the four .jsonl files go (default datasets/order-desk)
  --seed N    the generator's seed (default ${DEFAULT_ORDER_DESK_SEED})
  sizes default to ${JSON.stringify(DEFAULT_ORDER_DESK_SIZES)}`;

export function parseGenerateArgs(args: readonly string[]): { out: string; seed: number; sizes: Partial<OrderDeskSizes> } | "help" {
  let out = datasetsDir("order-desk"), seed = DEFAULT_ORDER_DESK_SEED;
  const sizes: Partial<OrderDeskSizes> = {};
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") return "help";
    const value = args[k + 1];
    if (value === undefined || value.startsWith("--")) throw new RangeError(`order-desk generate: ${flag} needs a value\n${USAGE}`);
    k++;
    const int = Number(value);
    if (flag === "--out") out = path.resolve(value);
    else if (!(Number.isInteger(int) && int >= 0)) throw new RangeError(`order-desk generate: ${flag} must be an integer ≥ 0, got ${JSON.stringify(value)}`);
    else if (flag === "--seed") seed = int;
    else if (flag.slice(2) in DEFAULT_ORDER_DESK_SIZES) sizes[flag.slice(2) as keyof OrderDeskSizes] = int;
    else throw new RangeError(`order-desk generate: unknown flag ${JSON.stringify(flag)}\n${USAGE}`);
  }
  return { out, seed, sizes };
}

/** Lines of statistics about a dataset (kinds, behaviours, outcomes, token lengths). */
export function orderDeskStats(d: OrderDeskData): string[] {
  const lines: string[] = [];
  const kinds = (tasks: { kind: string }[]) => TASK_KINDS.map((k) => `${k} ${tasks.filter((t) => t.kind === k).length}`).join(", ");
  lines.push(`train tasks: ${kinds(d.train)}`, `heldout tasks: ${kinds(d.heldout)}`);
  const tok = loadGpt2Tokenizer();
  for (const [name, ts] of [["transcripts", d.transcripts], ["transcripts.heldout", d.transcriptsHeldout]] as const) {
    if (ts.length === 0) continue;
    lines.push(`${name}: ${ts.length}, success ${(ts.filter((t) => t.success).length / ts.length).toFixed(3)}`);
    for (const b of BEHAVIOURS) {
      const of = ts.filter((t) => t.behaviour === b);
      if (of.length === 0) continue;
      lines.push(`  ${b.padEnd(15)} ${String(of.length).padStart(5)} (${(of.length / ts.length).toFixed(3)})  success ${(of.filter((t) => t.success).length / of.length).toFixed(3)}  turns ${(of.reduce((a, t) => a + t.turns, 0) / of.length).toFixed(2)}`);
    }
    const lengths = ts.map((t) => encodeConversation(ORDER_DESK_CHAT, tok, t.messages, { startId: tok.eosId }).ids.length).sort((a, b) => a - b);
    lines.push(`  GPT-2 tokens per transcript (with <|endoftext|>): mean ${(lengths.reduce((a, b) => a + b, 0) / lengths.length).toFixed(1)}, median ${lengths[lengths.length >> 1]}, max ${lengths.at(-1)}, total ${lengths.reduce((a, b) => a + b, 0)}`);
  }
  return lines;
}

export function main(args: readonly string[]): number {
  const parsed = parseGenerateArgs(args);
  if (parsed === "help") {
    console.error(USAGE);
    return 0;
  }
  const data = generateOrderDeskData(parsed.seed, parsed.sizes);
  const files = formatOrderDeskData(data);
  fs.mkdirSync(parsed.out, { recursive: true });
  for (const [key, name] of Object.entries(ORDER_DESK_FILES)) {
    const file = path.join(parsed.out, name);
    const text = files[key as keyof typeof ORDER_DESK_FILES];
    fs.writeFileSync(file, text);
    console.error(`${file}: ${text.split("\n").length - 1} lines, ${fs.statSync(file).size} bytes`);
  }
  for (const line of orderDeskStats(data)) console.error(line);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) process.exitCode = main(process.argv.slice(2));
