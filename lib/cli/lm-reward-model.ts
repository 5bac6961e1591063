/**
 * Trains the Bradley–Terry reward model on datasets/lm/preferences.train.jsonl from a pretrained
 * GPT-2 (loaded from --base, or pretrained there first), reports held-out pair accuracy, saves it.
 * Progress on stderr, one JSON line on stdout.
 *
 *   npx tsrl run lib/cli/lm-reward-model.ts --base runs/tiny-gpt2 --out runs/tiny-rm [--epochs 1] [--csv figs/lm-reward-model.csv]
 *
 * Runs only as a script; importing it does nothing.
 */
import * as path from "node:path";
import { reportError } from "./errors";
import { createRng } from "../core/rng";
import { checkOutDir, probeWritable } from "../data/out-dir";
import { datasetsDir, runsDir } from "../data/paths";
import { readPreferencePairs } from "../lm/preferences";
import { loadOrPretrain } from "../lm/pretrain";
import { pairAccuracy, rewardModelFromGpt2, saveRewardModel, trainRewardModel, writeRewardModelCsv } from "../lm/reward-model";

const USAGE = `usage: tsrl run lib/cli/lm-reward-model.ts [--base DIR] [--out DIR] [--epochs N] [--batch N] [--lr X] [--seed N] [--eval-every N] [--freeze-embeddings] [--csv FILE]
  --base DIR    the pretrained GPT-2 (default runs/tiny-gpt2; pretrained there if absent)
  --out DIR     where the reward model goes (default runs/tiny-rm)
  --epochs N (default 2)   --batch N pairs per step (default 16)   --lr X (default 1e-3)   --seed N (default 1)
  --freeze-embeddings   train the blocks, final LayerNorm and head only
  --eval-every N   held-out accuracy every N steps (default 20)
  --csv FILE    write the training curve there`;

export async function main(args: readonly string[]): Promise<number> {
  let base = runsDir("tiny-gpt2"), out = runsDir("tiny-rm"), csv: string | undefined;
  let epochs = 2, batchSize = 16, lr = 1e-3, seed = 1, evalEvery = 20, trainEmbeddings = true;
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") { console.error(USAGE); return 0; }
    if (flag === "--freeze-embeddings") { trainEmbeddings = false; continue; }
    const value = args[++k];
    if (value === undefined) throw new RangeError(`reward-model-cli: ${flag} needs a value; see --help`);
    const num = Number(value);
    const need = () => { if (!Number.isFinite(num)) throw new RangeError(`reward-model-cli: ${flag} must be a number, got ${JSON.stringify(value)}`); return num; };
    if (flag === "--base") base = path.resolve(value);
    else if (flag === "--out") out = path.resolve(value);
    else if (flag === "--csv") csv = path.resolve(value);
    else if (flag === "--epochs") epochs = need();
    else if (flag === "--batch") batchSize = need();
    else if (flag === "--lr") lr = need();
    else if (flag === "--seed") seed = need();
    else if (flag === "--eval-every") evalEvery = need();
    else throw new RangeError(`reward-model-cli: unknown flag ${JSON.stringify(flag)}; see --help`);
  }
  // --out is checked before training (lib/data/out-dir): new, empty, or a reward model tsrl wrote (replaced when done)
  checkOutDir(out, { overwrite: true });
  probeWritable(out);
  const pairs = readPreferencePairs(datasetsDir("lm", "preferences.train.jsonl"));
  const heldout = readPreferencePairs(datasetsDir("lm", "preferences.heldout.jsonl"));
  const { model: pretrained } = await loadOrPretrain(base);
  const rng = createRng(seed);
  const rm = rewardModelFromGpt2(pretrained, rng.fork());
  pretrained.dispose();
  const before = await pairAccuracy(rm, heldout);
  console.error(`held-out accuracy before training ${before.accuracy.toFixed(3)} (${heldout.length} pairs)`);
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const r = await trainRewardModel(rm, {
    pairs, heldout, epochs, batchSize, lr, trainEmbeddings, evalEvery, rng: rng.fork(), signal: controller.signal,
    onProgress: (p) => {
      if (p.heldoutAccuracy !== undefined || p.step % 10 === 0) console.error(`step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}  batch acc ${p.batchAccuracy.toFixed(2)}${p.heldoutAccuracy !== undefined ? `  held-out acc ${p.heldoutAccuracy.toFixed(3)}` : ""}  ${p.seconds.toFixed(1)} s`);
    },
  });
  const summary = { base, out, ...r.options, seed, steps: r.history.length, seconds: Math.round(r.seconds * 10) / 10, heldoutAccuracyBefore: before.accuracy, heldoutAccuracy: r.heldout?.accuracy, heldoutLoss: r.heldout?.loss };
  saveRewardModel(rm, out, summary);
  if (csv) writeRewardModelCsv([{ step: 0, steps: r.history.length, epoch: 0, loss: NaN, batchAccuracy: NaN, gradNorm: NaN, heldoutAccuracy: before.accuracy, heldoutLoss: before.loss, seconds: 0 }, ...r.history], csv);
  const probe = ["The film was", "The film was", "The soup was", "The soup was"];
  const probeCompletions = [" truly wonderful. Five stars.", " dull and slow. One star.", " not bad at all.", " not good."];
  const scores = await rm.score(probe, probeCompletions);
  probe.forEach((p, i) => console.error(`  r = ${scores[i].toFixed(3)}  ${p}${probeCompletions[i]}`));
  console.log(JSON.stringify(summary));
  rm.dispose();
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  // a bad flag exits 2, a bad file or a failed run 1, with one line (lib/cli/errors)
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { process.exitCode = reportError("run lib/cli/lm-reward-model.ts", err); });
}
