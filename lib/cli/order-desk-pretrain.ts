/**
 * Pretrains OrderDesk-v0's starting model on the scripted transcripts and saves it (or loads it when
 * the directory holds one), then measures it on the held-out tasks. Progress on stderr, one JSON
 * line on stdout.
 *
 *   npx tsrl run lib/cli/order-desk-pretrain.ts --out runs/order-desk-gpt2 [--steps 500] [--csv figs/order-desk-pretrain.csv]
 *
 * Runs only as a script; importing it does nothing.
 */
import * as os from "node:os";
import * as path from "node:path";
import { evaluateChatModel } from "../algos/conversation-eval";
import { checkOutDir, probeWritable } from "../data/out-dir";
import { runsDir } from "../data/paths";
import { renderConversation } from "../envs/conversation/messages";
import { ORDER_DESK_CHAT, ORDER_DESK_ID } from "../envs/order-desk";
import { loadGpt2Tokenizer } from "../nn/gpt2/tokenizer";
import { loadOrPretrainOrderDesk, ORDER_DESK_MODEL_DIR, ORDER_DESK_PRETRAIN, type OrderDeskPretrainOptions } from "../lm/order-desk-pretrain";
import { copyProbe } from "../lm/order-desk-probe";
import { readOrderDeskTasks } from "../envs/order-desk/tasks";
import { datasetsDir } from "../data/paths";
import { hasSavedGpt2, writePretrainCsv } from "../lm/pretrain";
import { reportError } from "./errors";

const USAGE = `usage: tsrl run lib/cli/order-desk-pretrain.ts [--out DIR] [--drill-steps N] [--drill-share X] [--steps N] [--seed N] [--batch N] [--seq N] [--lr X] [--csv FILE] [--eval-tasks N] [--force]
  --out DIR        the model directory (default runs/${ORDER_DESK_MODEL_DIR}); loaded if it holds a model, unless --force
  --drill-steps N  phase 1: steps on the copy drill alone (default ${ORDER_DESK_PRETRAIN.drillSteps}; 0 = none)
  --drill-share X  phase 2: share of its tokens from the drill (default ${ORDER_DESK_PRETRAIN.drillShare})
  --steps N        phase 2 optimiser steps (default ${ORDER_DESK_PRETRAIN.steps})     --seed N   seed (default ${ORDER_DESK_PRETRAIN.seed})
  --batch N        windows per step (default ${ORDER_DESK_PRETRAIN.batchSize})     --seq N    tokens per window (default ${ORDER_DESK_PRETRAIN.seqLen})
  --lr X           peak learning rate (default ${ORDER_DESK_PRETRAIN.lr})
  --csv FILE       write the loss curve there
  --eval-tasks N   held-out tasks to evaluate on afterwards (default 500: all; 0 = none)
  --force          train even if DIR holds a model, and replace it once trained (only a directory tsrl wrote)`;

export async function main(args: readonly string[]): Promise<number> {
  let out = runsDir(ORDER_DESK_MODEL_DIR), csv: string | undefined, force = false, evalTasks = 500;
  const opts: OrderDeskPretrainOptions = {};
  for (let k = 0; k < args.length; k++) {
    const flag = args[k];
    if (flag === "--help" || flag === "-h") {
      console.error(USAGE);
      return 0;
    }
    if (flag === "--force") { force = true; continue; }
    const value = args[++k];
    if (value === undefined) throw new RangeError(`order-desk-pretrain: ${flag} needs a value; see --help`);
    const num = Number(value);
    const need = () => { if (!Number.isFinite(num)) throw new RangeError(`order-desk-pretrain: ${flag} must be a number, got ${JSON.stringify(value)}`); return num; };
    if (flag === "--out") out = path.resolve(value);
    else if (flag === "--csv") csv = path.resolve(value);
    else if (flag === "--steps") opts.steps = need();
    else if (flag === "--drill-steps") opts.drillSteps = need();
    else if (flag === "--drill-share") opts.drillShare = need();
    else if (flag === "--seed") opts.seed = need();
    else if (flag === "--batch") opts.batchSize = need();
    else if (flag === "--seq") opts.seqLen = need();
    else if (flag === "--lr") opts.lr = need();
    else if (flag === "--eval-tasks") evalTasks = need();
    else throw new RangeError(`order-desk-pretrain: unknown flag ${JSON.stringify(flag)}; see --help`);
  }
  // --out is checked before training (lib/data/out-dir): new, empty, or a tsrl directory (replaced only with --force)
  if (force || !hasSavedGpt2(out)) {
    checkOutDir(out, { overwrite: true });
    probeWritable(out);
  }
  const probeTasks = readOrderDeskTasks(datasetsDir("order-desk", "heldout.jsonl")).slice(0, 100);
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  const cpu0 = process.cpuUsage(), load0 = os.loadavg()[0];
  const r = await loadOrPretrainOrderDesk(out, {
    force,
    ...opts,
    signal: controller.signal,
    onProgress: (p, model) => {
      if (p.step % 100 === 0 || p.heldoutLoss !== undefined || p.step === 1) {
        // at the held-out checks, whether the model copies yet (greedy, 100 held-out tasks: ~3 s)
        const probe = p.heldoutLoss !== undefined ? copyProbe(model, probeTasks) : undefined;
        console.error(`step ${p.step}/${p.steps}  loss ${p.loss.toFixed(3)}${p.heldoutLoss !== undefined ? `  held-out ${p.heldoutLoss.toFixed(3)}` : ""}${probe ? `  copies: lookup ${probe.lookup.toFixed(2)} answer ${probe.answer.toFixed(2)}` : ""}  lr ${p.lr.toExponential(2)}  ${p.seconds.toFixed(1)} s  load ${os.loadavg()[0].toFixed(1)}`);
      }
    },
  });
  // CPU seconds of this process (user + system): about what the wall time would be alone on the
  // machine, since the trainer runs on one core; the load average says how shared the machine was
  const cpu = process.cpuUsage(cpu0), cpuSeconds = Math.round((cpu.user + cpu.system) / 1e5) / 10;
  const machine = { cpuSeconds, loadBefore: load0, loadAfter: os.loadavg()[0] };
  console.error(r.loaded ? `loaded ${out}` : `trained and saved ${out} (${r.info?.seconds} s wall, ${cpuSeconds} s CPU, load average ${load0.toFixed(1)} → ${machine.loadAfter.toFixed(1)})`);
  if (r.history && csv) {
    writePretrainCsv(r.history, csv);
    console.error(`wrote ${csv}`);
  }
  let evaluation: Record<string, unknown> | undefined;
  if (evalTasks > 0 && !controller.signal.aborted) {
    const t0 = performance.now();
    const e = await evaluateChatModel(r.model, loadGpt2Tokenizer(), ORDER_DESK_ID, { split: "heldout", limit: evalTasks, seed: 1 });
    console.error(`held-out (${e.summary.episodes} episodes, temperature 1): success ${Number(e.summary.successRate).toFixed(3)}, valid calls ${Number(e.summary.validCallRate).toFixed(3)}, turns ${Number(e.summary.meanTurns).toFixed(2)} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
    console.error(renderConversation(ORDER_DESK_CHAT, e.episodes[0].messages));
    evaluation = e.summary;
  }
  const probe = copyProbe(r.model, probeTasks);
  console.error(`copy probe (greedy, ${probe.tasks} held-out tasks with a number): lookup ${probe.lookup.toFixed(3)}, answer ${probe.answer.toFixed(3)}`);
  console.log(JSON.stringify({ dir: out, loaded: r.loaded, ...r.info, ...(r.loaded ? {} : machine), heldout: evaluation, copyProbe: { tasks: probe.tasks, lookup: probe.lookup, answer: probe.answer, answerId: probe.answerId } }));
  r.model.dispose();
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === __filename) {
  // a bad flag or --out exits 2, a bad file or a failed run 1, with one line (lib/cli/errors)
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { process.exitCode = reportError("run lib/cli/order-desk-pretrain.ts", err); });
}
