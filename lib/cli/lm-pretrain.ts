/**
 * Pretrains the tiny GPT-2 on datasets/lm/corpus.txt and saves it (HF-style directory), or loads it
 * when the directory already holds one; prints samples. Progress on stderr, one JSON line on stdout.
 *
 *   npx tsrl run lib/cli/lm-pretrain.ts --out runs/tiny-gpt2 [--steps 600] [--seed 1] [--csv figs/lm-pretrain.csv]
 *
 * Runs only as a script; importing it does nothing.
 */
import * as path from "node:path";
import { reportError } from "./errors";
import { createRng } from "../core/rng";
import { runsDir } from "../data/paths";
import { checkOutDir, probeWritable } from "../data/out-dir";
import { hasSavedGpt2, loadOrPretrain, pretrainGpt2, readPretrainInfo, sampleCompletions, savePretrained, writePretrainCsv, type LoadOrPretrainResult, type PretrainOptions } from "../lm/pretrain";

const USAGE = `usage: tsrl run lib/cli/lm-pretrain.ts [--out DIR] [--steps N] [--seed N] [--batch N] [--seq N] [--lr X] [--layers N] [--embd N] [--csv FILE] [--force]
  --out DIR     the model directory (default runs/tiny-gpt2); loaded if it holds a model, unless --force
  --steps N     optimiser steps (default 600)      --seed N   seed (default 1)
  --batch N     windows per step (default 16)      --seq N    tokens per window (default 64)
  --lr X        peak learning rate (default 3e-3)
  --layers N, --embd N, --heads N   model shape (default GPT2_TINY: 4, 128, 4)
  --csv FILE    write the loss curve there
  --force       train even if DIR holds a model, and replace it (only a directory tsrl wrote)`;

export async function main(args: readonly string[]): Promise<number> {
  let out = runsDir("tiny-gpt2"), csv: string | undefined, force = false;
  const opts: PretrainOptions = { config: {} };
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") {
      console.error(USAGE);
      return 0;
    }
    if (flag === "--force") { force = true; continue; }
    const value = args[++k];
    if (value === undefined) throw new RangeError(`pretrain-cli: ${flag} needs a value; see --help`);
    const num = Number(value);
    const need = () => { if (!Number.isFinite(num)) throw new RangeError(`pretrain-cli: ${flag} must be a number, got ${JSON.stringify(value)}`); return num; };
    if (flag === "--out") out = path.resolve(value);
    else if (flag === "--csv") csv = path.resolve(value);
    else if (flag === "--steps") opts.steps = need();
    else if (flag === "--seed") opts.seed = need();
    else if (flag === "--batch") opts.batchSize = need();
    else if (flag === "--seq") opts.seqLen = need();
    else if (flag === "--lr") opts.lr = need();
    else if (flag === "--layers") opts.config!.nLayer = need();
    else if (flag === "--embd") opts.config!.nEmbd = need();
    else if (flag === "--heads") opts.config!.nHead = need();
    else throw new RangeError(`pretrain-cli: unknown flag ${JSON.stringify(flag)}; see --help`);
  }
  // --out is checked before training (lib/data/out-dir): new, empty, or a tsrl directory (replaced only with --force)
  if (force || !hasSavedGpt2(out)) {
    checkOutDir(out, { overwrite: true });
    probeWritable(out);
  }
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const run: PretrainOptions = {
    ...opts,
    signal: controller.signal,
    onProgress: (p) => {
      if (p.step % 20 === 0 || p.heldoutLoss !== undefined || p.step === 1) {
        console.error(`step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}${p.heldoutLoss !== undefined ? `  held-out ${p.heldoutLoss.toFixed(3)}` : ""}  lr ${p.lr.toExponential(2)}  ${p.seconds.toFixed(1)} s`);
      }
    },
  };
  const r = force ? await pretrainAndSave(out, run) : await loadOrPretrain(out, run);
  console.error(r.loaded ? `loaded ${out}` : `trained and saved ${out}`);
  if (r.history && csv) {
    writePretrainCsv(r.history, csv);
    console.error(`wrote ${csv}`);
  }
  const prompts = ["The film was", "The food here was", "This phone is", "The staff were", "This book was", "Honestly, the room"];
  const samples = sampleCompletions(r.model, prompts, { maxNewTokens: 24, temperature: 0.8, rng: createRng(1) });
  prompts.forEach((p, i) => console.error(`  ${p}|${samples[i]}`));
  console.log(JSON.stringify({ dir: out, loaded: r.loaded, ...r.info, samples: prompts.map((p, i) => p + samples[i]) }));
  r.model.dispose();
  return 0;
}

/** --force: pretrain even though `dir` holds a model, and replace it (tsrl's own only: lib/data/out-dir) once done. */
async function pretrainAndSave(dir: string, opts: PretrainOptions): Promise<LoadOrPretrainResult> {
  const result = await pretrainGpt2(opts);
  if (!result.aborted) savePretrained(result, dir);
  return { model: result.model, loaded: false, history: result.history, info: result.aborted ? undefined : readPretrainInfo(dir) };
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  // a bad flag exits 2, a bad file or a failed run 1, with one line (lib/cli/errors)
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { process.exitCode = reportError("run lib/cli/lm-pretrain.ts", err); });
}
