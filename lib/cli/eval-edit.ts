/**
 * `tsrl eval DIR --tasks FILE.jsonl` — an edit agent's checkpoint on any file of edit tasks
 * (`{ id, family, instruction, source, target }` per line; lib/envs/edit/tasks): exact match, mean
 * normalised edit distance, mean steps against the minimal edits, overall and per family
 * (lib/envs/edit/evaluate). A malformed line is reported on stderr naming the file and the line, and in
 * the JSON's `errors`; every good line is still evaluated, and the exit code is 1.
 *
 * Each episode ends in one of three ways, counted apart: exact, abstained (the agent declined:
 * understood false, the text unchanged — lib/envs/edit/evaluate's `editVerdict`, with the
 * checkpoint's probabilities for its confidence rule) or wrong. `unaskedChangeRate` is the fraction
 * of episodes that changed a character outside the target edit's span (`unaskedChange`).
 *
 * A file of nonsense items (`{ id, instruction, text }` per line, no target: lib/envs/edit/nonsense)
 * is measured for abstention instead: the fraction declined, and why.
 */
import * as fs from "node:fs";
import { EDIT_AGENT_ID } from "../envs/edit/edit-agent";
import { evaluateAbstention, evaluateEditPolicy, type EditProbs, type EditScores } from "../envs/edit/evaluate";
import { looksLikeNonsense, parseNonsense } from "../envs/edit/nonsense";
import type { EditAct } from "../envs/edit/oracle";
import { EDIT_FAMILIES, readEditTasks } from "../envs/edit/tasks";
import type { LoadedPolicy } from "../algos/checkpoint";
import { textTable } from "../viz/table";

export interface EvalEditOptions {
  json: boolean;
  greedy: boolean;
  seed: number;
}

/** Evaluates `policy` on the tasks in `file`; returns the exit code (0, or 1 with bad lines or no good ones). */
export function evalEditTasks(policy: LoadedPolicy, file: string, opts: EvalEditOptions): number {
  if (policy.envId !== EDIT_AGENT_ID) {
    console.error(`tsrl eval: --tasks needs an ${EDIT_AGENT_ID} checkpoint; ${policy.dir} is ${policy.envId}`);
    return 2;
  }
  const probs = policy.probs as unknown as EditProbs;
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (err) {
    console.error(`tsrl eval: cannot read ${file}: ${(err as Error).message}`);
    return 1;
  }
  if (looksLikeNonsense(text)) return evalNonsense(policy, file, text, opts);
  let read;
  try {
    read = readEditTasks(file, { lenient: true });
  } catch (err) {
    console.error(`tsrl eval: ${(err as Error).message}`);
    return 1;
  }
  for (const e of read.errors) console.error(`tsrl eval: ${e.message}`);
  if (read.tasks.length === 0) {
    console.error(`tsrl eval: no valid tasks in ${file}`);
    return 1;
  }
  const started = performance.now();
  const r = evaluateEditPolicy(policy.act as unknown as EditAct, read.tasks, { greedy: opts.greedy, seed: opts.seed, keepEpisodes: false, probs });
  const wallTime = (performance.now() - started) / 1000;
  const round = (s: EditScores) => ({
    count: s.count,
    exactMatch: rounded(s.exactMatch),
    meanNormalizedEditDistance: rounded(s.meanNormalizedEditDistance),
    meanSteps: rounded(s.meanSteps),
    meanMinimalSteps: rounded(s.meanMinimalSteps),
    abstained: rounded(s.abstained),
    wrong: rounded(s.wrong),
    unaskedChangeRate: rounded(s.unaskedChangeRate),
  });
  const summary = {
    checkpoint: policy.dir,
    algorithm: policy.algorithm,
    env: policy.envId,
    tasks: file,
    greedy: opts.greedy,
    ...round(r),
    perFamily: Object.fromEntries(Object.entries(r.perFamily).map(([f, s]) => [f, round(s)])),
    errors: read.errors.map((e) => e.message),
    wallTime: Number(wallTime.toFixed(3)),
  };
  if (opts.json) console.log(JSON.stringify(summary));
  else {
    const families = [...EDIT_FAMILIES.filter((f) => r.perFamily[f]), ...Object.keys(r.perFamily).filter((f) => !(EDIT_FAMILIES as readonly string[]).includes(f))];
    const row = (family: string, s: EditScores) => ({ family, tasks: s.count, "exact %": 100 * s.exactMatch, "abstained %": 100 * s.abstained, "wrong %": 100 * s.wrong, "unasked %": 100 * s.unaskedChangeRate, "norm. dist": s.meanNormalizedEditDistance, steps: s.meanSteps, minimal: s.meanMinimalSteps });
    console.log(textTable([...families.map((f) => row(f, r.perFamily[f])), row("all", r)], { title: `${policy.envId} on ${file} (${read.tasks.length} tasks${read.errors.length ? `, ${read.errors.length} bad lines skipped` : ""})` }));
  }
  return read.errors.length ? 1 : 0;
}

/** Abstention on a nonsense file: the fraction declined and why (exit 0; 1 on a bad line). */
function evalNonsense(policy: LoadedPolicy, file: string, text: string, opts: EvalEditOptions): number {
  let items;
  try {
    items = parseNonsense(text, file);
  } catch (err) {
    console.error(`tsrl eval: ${(err as Error).message}`);
    return 1;
  }
  if (items.length === 0) {
    console.error(`tsrl eval: no items in ${file}`);
    return 1;
  }
  const started = performance.now();
  const r = evaluateAbstention(policy.act as unknown as EditAct, items, { probs: policy.probs as unknown as EditProbs });
  const summary = {
    checkpoint: policy.dir, algorithm: policy.algorithm, env: policy.envId, tasks: file, kind: "nonsense",
    count: r.count, abstained: rounded(r.abstained), edited: rounded(r.edited),
    reasons: Object.fromEntries(Object.entries(r.reasons).map(([k, v]) => [k, rounded(v)])),
    wallTime: Number(((performance.now() - started) / 1000).toFixed(3)),
  };
  if (opts.json) console.log(JSON.stringify(summary));
  else {
    console.log(textTable([{ items: r.count, "abstained %": 100 * r.abstained, "edited %": 100 * r.edited, ...Object.fromEntries(Object.entries(r.reasons).map(([k, v]) => [`${k} %`, 100 * v])) }], { title: `${policy.envId} on nonsense ${file}` }));
  }
  return 0;
}

function rounded(x: number): number {
  return Number(x.toFixed(4));
}
