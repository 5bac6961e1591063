/**
 * How good is an edit policy? `evaluateEditPolicy(act, tasks)` runs one episode per task (at most
 * 20 steps, as EditAgent-v0's time limit) and reports:
 *
 *   count                        episodes (one per task)
 *   exactMatch                   fraction of episodes whose final text is the target
 *   meanNormalizedEditDistance   mean over episodes of charEditDistance(output, target) / max(|output|, |target|)
 *   meanSteps                    mean edit actions per episode (STOP not counted, masked actions counted)
 *   meanMinimalSteps             mean of the tasks' minimal edits: what meanSteps is measured against
 *   perFamily                    the same four numbers and a count, per family
 *   episodes                     per task: instruction, source, target, output, steps, minimal, exact,
 *                                stopped, return, and two diffs for display — `diff` (source → output:
 *                                what the policy did) and `errors` (output → target: what is still wrong)
 *
 * The "final text" is the text when the episode ended, by STOP or by the time limit: the verifier
 * reads the answer either way (the env's exact-match bonus is paid only at STOP).
 *
 * `editAgentReport` is EditAgent-v0's report card for the training log (the registry's `evaluate`):
 * the greedy policy on the validation split.
 */
import { createRng } from "../../core/rng";
import { EDIT_MAX_TOKENS, EDIT_STOP, applyEditAction, describeAction, editActionMask, editObservation } from "./actions";
import { EDIT_MAX_STEPS, makeEditAgent, resolveEditTasks } from "./edit-agent";
import { charEditDistance, diffText, normalizedEditDistance, type DiffSegment } from "./distance";
import type { EditAct } from "./oracle";
import { EDIT_FAMILIES, type EditTask } from "./tasks";
import { editDetokenize, editTokenize } from "./text";

export interface EditScores {
  count: number;
  exactMatch: number;
  meanNormalizedEditDistance: number;
  meanSteps: number;
  meanMinimalSteps: number;
}

export interface EditEpisode {
  id: string;
  family: string;
  instruction: string;
  source: string;
  target: string;
  output: string;
  /** Edit actions taken (STOP not counted). */
  steps: number;
  /** The task's minimal number of edits. */
  minimal: number;
  exact: boolean;
  /** The policy chose STOP (rather than running into the time limit). */
  stopped: boolean;
  /** Character edit distance from the output to the target. */
  editDistance: number;
  /** The episode's return under the env's default rewards. */
  return: number;
  /** Source → output, character segments. */
  diff: DiffSegment[];
  /** Output → target, character segments (all "same" when exact). */
  errors: DiffSegment[];
}

export interface EditEvaluation extends EditScores {
  perFamily: Record<string, EditScores>;
  /** One record per task, in the tasks' order (empty when `keepEpisodes` is false). */
  episodes: EditEpisode[];
}

export interface EvaluateEditOptions {
  /** Act greedily (default true). */
  greedy?: boolean;
  /** Seeds the policy's sampling generator (default 0). */
  seed?: number;
  /** Step limit per episode, STOP included (default 20, as the registry's). */
  maxSteps?: number;
  /** Keep the per-episode records (default true). */
  keepEpisodes?: boolean;
}

/**
 * Runs `act` once on every task and scores the outputs (see the module comment). `act` gets
 * tsrl's acting context `{ greedy, rng, mask }` plus `task`, which only reference policies (the
 * oracle) may read.
 */
export function evaluateEditPolicy(act: EditAct, tasks: readonly EditTask[], opts: EvaluateEditOptions = {}): EditEvaluation {
  const greedy = opts.greedy ?? true, maxSteps = opts.maxSteps ?? EDIT_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`evaluateEditPolicy: maxSteps must be a positive integer, got ${maxSteps}`);
  if (tasks.length === 0) throw new RangeError("evaluateEditPolicy: no tasks");
  const rng = createRng(opts.seed ?? 0);
  const env = makeEditAgent({ tasks });
  const records: EditEpisode[] = [];
  tasks.forEach((task, k) => {
    let { obs, info } = env.reset({ options: { taskIndex: k } });
    let steps = 0, total = 0, stopped = false;
    for (let t = 0; t < maxSteps; t++) {
      const action = act(obs, { greedy, rng, mask: info.actionMask, task });
      const r = env.step(action);
      total += r.reward;
      obs = r.obs;
      info = r.info;
      if (r.terminated && action === EDIT_STOP) {
        stopped = true;
        break;
      }
      steps++;
    }
    const output = obs.text;
    records.push({
      id: task.id, family: task.family, instruction: task.instruction, source: task.source, target: task.target, output,
      steps, minimal: info.minimalEdits, exact: output === task.target, stopped, editDistance: charEditDistance(output, task.target), return: total,
      diff: diffText(task.source, output), errors: diffText(output, task.target),
    });
  });
  const perFamily: Record<string, EditScores> = {};
  for (const family of [...EDIT_FAMILIES, ...new Set(tasks.map((t) => t.family))]) {
    if (perFamily[family]) continue;
    const mine = records.filter((r) => r.family === family);
    if (mine.length) perFamily[family] = scores(mine);
  }
  return { ...scores(records), perFamily, episodes: opts.keepEpisodes === false ? [] : records };
}

function scores(records: readonly EditEpisode[]): EditScores {
  const n = records.length;
  const mean = (f: (r: EditEpisode) => number) => records.reduce((s, r) => s + f(r), 0) / n;
  return {
    count: n,
    exactMatch: mean((r) => (r.exact ? 1 : 0)),
    meanNormalizedEditDistance: mean((r) => normalizedEditDistance(r.output, r.target)),
    meanSteps: mean((r) => r.steps),
    meanMinimalSteps: mean((r) => r.minimal),
  };
}

/** The validation exact-match rate at which EditAgent-v0 counts as solved. */
export const EDIT_SOLVED_EXACT_MATCH = 0.95;

/**
 * EditAgent-v0's report card (the registry's `evaluate`): the greedy policy on the validation split
 * (or on the first `games` tasks of a seeded shuffle of it), as columns for the training log —
 * evalExactMatch, evalNormEditDistance, evalMeanSteps, evalMeanMinimalSteps, evalExact<Family> per
 * family (evalExactTypo, …), and solved = 1 when evalExactMatch ≥ 0.95. (The `eval` prefix keeps them
 * apart from the training episodes' own exactMatch, edits, minimalEdits in a GRPO row.)
 */
export function editAgentReport(act: EditAct, opts: { seed?: number; games?: number; tasks?: readonly EditTask[] } = {}): Record<string, number> {
  let tasks = opts.tasks ?? resolveEditTasks({ split: "validation" });
  if (opts.games !== undefined && opts.games < tasks.length) {
    const order = createRng(opts.seed ?? 0).shuffle(tasks.map((_, i) => i)).slice(0, opts.games).sort((a, b) => a - b);
    tasks = order.map((i) => tasks[i]);
  }
  const r = evaluateEditPolicy(act, tasks, { greedy: true, seed: opts.seed ?? 0, keepEpisodes: false });
  const out: Record<string, number> = {
    evalExactMatch: r.exactMatch,
    evalNormEditDistance: r.meanNormalizedEditDistance,
    evalMeanSteps: r.meanSteps,
    evalMeanMinimalSteps: r.meanMinimalSteps,
  };
  for (const family of EDIT_FAMILIES) out[evalExactColumn(family)] = r.perFamily[family]?.exactMatch ?? NaN;
  out.solved = r.exactMatch >= EDIT_SOLVED_EXACT_MATCH ? 1 : 0;
  return out;
}

/** The report card's column of one family's exact-match rate: "typo" → "evalExactTypo". */
export function evalExactColumn(family: string): string {
  return `evalExact${family[0].toUpperCase()}${family.slice(1)}`;
}

/** One step of `applyEditPolicy`: the action, in words, and the text after it. */
export interface EditStep {
  action: number;
  description: string;
  text: string;
}

/**
 * Runs an edit policy on any instruction and text, with no target (what `tsrl serve` and a
 * notebook's "try your own" cell do): greedy actions on the env's states until STOP or `maxSteps`
 * actions. Returns the edited text and the steps (STOP included when taken). Throws naming the
 * problem when the text is empty or longer than the agent handles (EDIT_MAX_TOKENS tokens).
 */
export function applyEditPolicy(act: EditAct, instruction: string, text: string, opts: { maxSteps?: number; greedy?: boolean; seed?: number } = {}): { text: string; steps: EditStep[]; stopped: boolean } {
  const maxSteps = opts.maxSteps ?? EDIT_MAX_STEPS;
  if (text.length === 0) throw new RangeError("the text is empty");
  const instructionTokens = editTokenize(instruction);
  let tokens = editTokenize(text);
  if (tokens.length > EDIT_MAX_TOKENS) throw new RangeError(`the text has ${tokens.length} tokens; the edit agent handles at most ${EDIT_MAX_TOKENS}`);
  const rng = createRng(opts.seed ?? 0);
  const steps: EditStep[] = [];
  for (let t = 0; t < maxSteps; t++) {
    const obs = editObservation(instruction, tokens, instructionTokens);
    const mask = editActionMask(tokens, obs.payloads);
    const action = act(obs, { greedy: opts.greedy ?? true, rng, mask });
    if (!mask[action]) throw new RangeError(`the policy chose a masked action (${describeAction(action, obs.payloads)})`);
    const next = applyEditAction(tokens, obs.payloads, action);
    if (next === "stop") {
      steps.push({ action, description: "STOP", text: obs.text });
      return { text: obs.text, steps, stopped: true };
    }
    tokens = next;
    steps.push({ action, description: describeAction(action, obs.payloads), text: editDetokenize(tokens) });
  }
  return { text: editDetokenize(tokens), steps, stopped: false };
}
