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
import { EDIT_MAX_TOKENS, EDIT_STOP, applyEditAction, applyEditFlags, describeAction, editActionMask, editObservation, type EditObservation } from "./actions";
import { EDIT_MAX_STEPS, makeEditAgent, resolveEditTasks } from "./edit-agent";
import { charEditDistance, diffText, normalizedEditDistance, type DiffSegment } from "./distance";
import type { EditAct, EditActContext } from "./oracle";
import { EDIT_FAMILIES, type EditTask } from "./tasks";
import { editDetokenize, editTokenize } from "./text";

export interface EditScores {
  count: number;
  exactMatch: number;
  meanNormalizedEditDistance: number;
  meanSteps: number;
  meanMinimalSteps: number;
  /** Fraction of episodes the agent declined (understood false): the text is returned unchanged. */
  abstained: number;
  /** Fraction of episodes neither exact nor abstained: a wrong edit, answered as if understood. */
  wrong: number;
  /** Fraction of episodes whose output changed text outside the target edit's span (see `unaskedChange`). */
  unaskedChangeRate: number;
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
  /** The agent's verdict: false when it declined (then `output` is the source, unchanged). */
  understood: boolean;
  /** Why it declined (EditAbstainReason), when it did. */
  reason?: EditAbstainReason;
  /** The smallest probability the policy gave an action it took (1 when no probabilities were given). */
  confidence: number;
  /** The output changed a character outside the target edit's span. */
  unaskedChange: boolean;
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

/** The policy's action probabilities in a state (a loaded checkpoint's `probs`), for the confidence rule. */
export type EditProbs = (obs: EditObservation, mask: Uint8Array) => Float32Array;

export interface EvaluateEditOptions {
  /** Act greedily (default true). */
  greedy?: boolean;
  /** Seeds the policy's sampling generator (default 0). */
  seed?: number;
  /** Step limit per episode, STOP included (default 20, as the registry's). */
  maxSteps?: number;
  /** Keep the per-episode records (default true). */
  keepEpisodes?: boolean;
  /** The policy's probabilities: with them, the low-confidence rule of `editVerdict` applies. */
  probs?: EditProbs;
  /** The abstain rule's confidence threshold (default EDIT_ABSTAIN_CONFIDENCE). */
  minConfidence?: number;
}

/**
 * Why the agent declines an instruction (understood: false):
 *
 *   no-edit          it STOPs before any edit: nothing in the text answers the instruction
 *   low-confidence   some action it took had probability below the threshold (EDIT_ABSTAIN_CONFIDENCE)
 *   oscillation      it came back to a text it had already produced (swinging between two edits)
 *   step-limit       it ran out of steps without STOP
 *
 * The threshold was chosen on validation data only — validation.jsonl (valid instructions) and
 * nonsense-validation.jsonl (training wording) — by `chooseAbstainThreshold` (the smallest of the
 * thresholds whose margin of nonsense declined over valid declined is within half a point of the
 * best, at most 1% of valid ones declined) for the default preset's seed 1: `npx tsrl run
 * lib/cli/edit-abstain.ts DIR` prints the sweep.
 */
export type EditAbstainReason = "no-edit" | "low-confidence" | "oscillation" | "step-limit";

/** The abstain rule's confidence threshold, chosen on validation data (see EditAbstainReason; figs/grpo-edit-abstain-sweep.csv has the sweep). */
export const EDIT_ABSTAIN_CONFIDENCE = 0.5;

/**
 * The verdict on an episode: undefined (understood) or the reason to decline. `texts` are the texts
 * after each edit, in order; `stopped` whether it ended by STOP; `confidence` the smallest
 * probability of an action taken.
 */
export function editVerdict(source: string, texts: readonly string[], stopped: boolean, confidence: number, minConfidence = EDIT_ABSTAIN_CONFIDENCE): EditAbstainReason | undefined {
  if (stopped && texts.length === 0) return "no-edit";
  const seen = new Set([source]);
  for (const t of texts) {
    if (seen.has(t)) return "oscillation";
    seen.add(t);
  }
  if (!stopped) return "step-limit";
  if (confidence < minConfidence) return "low-confidence";
  return undefined;
}

/**
 * Whether `output` changed something the instruction did not ask for: with p the length of the
 * longest common prefix of source and target and q that of their longest common suffix (not
 * overlapping it), the target edit lies in source[p, |source| − q); the output makes an unasked
 * change when it does not keep source[0, p) as its prefix and source[|source| − q, |source|) as its
 * suffix (without overlap). An unchanged output makes none.
 */
export function unaskedChange(source: string, target: string, output: string): boolean {
  if (output === source || output === target) return false;
  const s = Array.from(source), t = Array.from(target), o = Array.from(output);
  let p = 0;
  while (p < s.length && p < t.length && s[p] === t[p]) p++;
  let q = 0;
  while (q < s.length - p && q < t.length - p && s[s.length - 1 - q] === t[t.length - 1 - q]) q++;
  if (o.length < p + q) return true;
  for (let k = 0; k < p; k++) if (o[k] !== s[k]) return true;
  for (let k = 0; k < q; k++) if (o[o.length - 1 - k] !== s[s.length - 1 - k]) return true;
  return false;
}

/** Greedy or sampled action, and its probability when `probs` is given (then greedy is its argmax among the legal actions). */
function chooser(act: EditAct, probs: EditProbs | undefined) {
  return (obs: EditObservation, ctx: EditActContext & { mask: Uint8Array }): { action: number; p: number } => {
    if (!probs) return { action: act(obs, ctx), p: 1 };
    const pr = probs(obs, ctx.mask);
    if (ctx.greedy) {
      let best = -1;
      for (let a = 0; a < pr.length; a++) if (ctx.mask[a] && (best < 0 || pr[a] > pr[best])) best = a;
      return { action: best, p: pr[best] };
    }
    const action = act(obs, ctx);
    return { action, p: pr[action] };
  };
}

/**
 * Runs `act` once on every task and scores the outputs (see the module comment). `act` gets
 * tsrl's acting context `{ greedy, rng, mask }` plus `task`, which only reference policies (the
 * oracle) may read. An episode the agent declines (`editVerdict`) counts as abstained, its output
 * the source.
 */
export function evaluateEditPolicy(act: EditAct, tasks: readonly EditTask[], opts: EvaluateEditOptions = {}): EditEvaluation {
  const greedy = opts.greedy ?? true, maxSteps = opts.maxSteps ?? EDIT_MAX_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1) throw new RangeError(`evaluateEditPolicy: maxSteps must be a positive integer, got ${maxSteps}`);
  if (tasks.length === 0) throw new RangeError("evaluateEditPolicy: no tasks");
  const rng = createRng(opts.seed ?? 0);
  const env = makeEditAgent({ tasks });
  const choose = chooser(act, opts.probs);
  const records: EditEpisode[] = [];
  tasks.forEach((task, k) => {
    let { obs, info } = env.reset({ options: { taskIndex: k } });
    let steps = 0, total = 0, stopped = false, confidence = 1;
    const texts: string[] = [];
    for (let t = 0; t < maxSteps; t++) {
      const { action, p } = choose(obs, { greedy, rng, mask: info.actionMask, task });
      confidence = Math.min(confidence, p);
      const r = env.step(action);
      total += r.reward;
      obs = r.obs;
      info = r.info;
      if (r.terminated && action === EDIT_STOP) {
        stopped = true;
        break;
      }
      steps++;
      texts.push(obs.text);
      if (texts.indexOf(obs.text) < texts.length - 1 || obs.text === task.source) break; // oscillation: stop now
    }
    const reason = editVerdict(task.source, texts, stopped, confidence, opts.minConfidence);
    const output = reason ? task.source : obs.text;
    records.push({
      id: task.id, family: task.family, instruction: task.instruction, source: task.source, target: task.target, output,
      steps, minimal: info.minimalEdits, exact: output === task.target, stopped, understood: reason === undefined, ...(reason ? { reason } : {}), confidence,
      unaskedChange: unaskedChange(task.source, task.target, output),
      editDistance: charEditDistance(output, task.target), return: total,
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
    abstained: mean((r) => (r.understood ? 0 : 1)),
    wrong: mean((r) => (r.understood && !r.exact ? 1 : 0)),
    unaskedChangeRate: mean((r) => (r.unaskedChange ? 1 : 0)),
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
    evalAbstained: r.abstained,
    evalUnasked: r.unaskedChangeRate,
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

export interface AppliedEdit {
  /** The edited text; the input text, unchanged, when not understood. */
  text: string;
  /** The steps taken (STOP included when taken), also when the agent then declined. */
  steps: EditStep[];
  stopped: boolean;
  /** False when the agent declines (see EditAbstainReason): it could not ground the instruction. */
  understood: boolean;
  reason?: EditAbstainReason;
  /** A sentence for people: what the agent did or why it declined. */
  message: string;
  /** The smallest probability of an action taken (1 without `probs`). */
  confidence: number;
}

const REASON_TEXT: Record<EditAbstainReason, string> = {
  "no-edit": "I could not find anything in the text that this instruction asks me to change",
  "low-confidence": "I am not sure what this instruction asks for",
  oscillation: "I kept undoing my own edits: I do not understand this instruction",
  "step-limit": "I ran out of steps without finishing: I do not understand this instruction",
};

/**
 * Runs an edit policy on any instruction and text, with no target (what `tsrl serve` and a
 * notebook's "try your own" cell do): greedy actions on the env's states until STOP or `maxSteps`
 * actions, then the verdict (`editVerdict`): when the agent declines, `understood` is false, the
 * text comes back unchanged and `reason` / `message` say why. Pass the policy's `probs` for the
 * low-confidence rule. Throws naming the problem when the text is empty or longer than the agent
 * handles (EDIT_MAX_TOKENS tokens).
 */
export function applyEditPolicy(act: EditAct, instruction: string, text: string, opts: { maxSteps?: number; greedy?: boolean; seed?: number; probs?: EditProbs; minConfidence?: number } = {}): AppliedEdit {
  const maxSteps = opts.maxSteps ?? EDIT_MAX_STEPS;
  if (text.length === 0) throw new RangeError("the text is empty");
  const instructionTokens = editTokenize(instruction);
  let tokens = editTokenize(text);
  if (tokens.length > EDIT_MAX_TOKENS) throw new RangeError(`the text has ${tokens.length} tokens; the edit agent handles at most ${EDIT_MAX_TOKENS}`);
  let edited = tokens.map(() => false);
  const rng = createRng(opts.seed ?? 0);
  const choose = chooser(act, opts.probs);
  const steps: EditStep[] = [];
  const texts: string[] = [];
  let stopped = false, confidence = 1;
  for (let t = 0; t < maxSteps; t++) {
    const obs = editObservation(instruction, tokens, instructionTokens, edited);
    const mask = editActionMask(tokens, obs.payloads);
    const { action, p } = choose(obs, { greedy: opts.greedy ?? true, rng, mask });
    if (!mask[action]) throw new RangeError(`the policy chose a masked action (${describeAction(action, obs.payloads)})`);
    confidence = Math.min(confidence, p);
    const next = applyEditAction(tokens, obs.payloads, action);
    if (next === "stop") {
      steps.push({ action, description: "STOP", text: obs.text });
      stopped = true;
      break;
    }
    tokens = next;
    edited = applyEditFlags(edited, action);
    const now = editDetokenize(tokens);
    steps.push({ action, description: describeAction(action, obs.payloads), text: now });
    texts.push(now);
    if (texts.indexOf(now) < texts.length - 1 || now === text) break;
  }
  const reason = editVerdict(text, texts, stopped, confidence, opts.minConfidence);
  if (reason) return { text, steps, stopped, understood: false, reason, message: `${REASON_TEXT[reason]}; the text is unchanged.`, confidence };
  const edits = texts.length;
  return { text: editDetokenize(tokens), steps, stopped, understood: true, message: `${edits} edit${edits === 1 ? "" : "s"}, then stop.`, confidence };
}

/** How often the agent declines instructions it should not follow (nonsense), and why. */
export interface AbstentionReport {
  count: number;
  /** Fraction declined (understood false): the higher the better on nonsense. */
  abstained: number;
  /** Declined, per reason (fractions of count). */
  reasons: Record<EditAbstainReason, number>;
  /** Fraction that changed the text anyway (understood true). */
  edited: number;
  items: { id: string; instruction: string; text: string; output: string; understood: boolean; reason?: EditAbstainReason; confidence: number }[];
}

/** `applyEditPolicy` on every (instruction, text) pair: how many it declines (lib/envs/edit/nonsense). */
export function evaluateAbstention(act: EditAct, items: readonly { id: string; instruction: string; text: string }[], opts: { probs?: EditProbs; minConfidence?: number } = {}): AbstentionReport {
  if (items.length === 0) throw new RangeError("evaluateAbstention: no items");
  const out: AbstentionReport["items"] = items.map((it) => {
    const r = applyEditPolicy(act, it.instruction, it.text, { probs: opts.probs, minConfidence: opts.minConfidence });
    return { id: it.id, instruction: it.instruction, text: it.text, output: r.text, understood: r.understood, ...(r.reason ? { reason: r.reason } : {}), confidence: r.confidence };
  });
  const n = out.length;
  const reasons = { "no-edit": 0, "low-confidence": 0, oscillation: 0, "step-limit": 0 } as Record<EditAbstainReason, number>;
  for (const r of out) if (r.reason) reasons[r.reason] += 1 / n;
  return { count: n, abstained: out.filter((r) => !r.understood).length / n, reasons, edited: out.filter((r) => r.understood).length / n, items: out };
}

/** One row of the abstain rule's sweep: at threshold `minConfidence`, the fractions declined. */
export interface AbstainSweepRow {
  minConfidence: number;
  validAbstained: number;
  nonsenseAbstained: number;
  validExact: number;
}

/**
 * The confidence threshold for the abstain rule, chosen on validation data: runs the policy once on
 * valid tasks and on nonsense, then for each candidate threshold counts what would be declined. The
 * choice: among thresholds declining at most `maxValidAbstained` (default 1%) of the valid tasks,
 * those whose margin nonsense declined − valid declined (Youden's J: what it catches minus what it
 * costs) is within `tie` (default 0.005) of the best, and of those the smallest. Why the smallest:
 * validation instructions are worded as in training, and the policy's confidence falls on wordings
 * it never saw — a threshold that costs nothing here declines valid new wordings there (for the
 * preset's seed 1, 0.85 gains 0.3 points of margin over 0.5 on validation, 2 nonsense items for 2
 * valid ones, and declined 10.1% of the phrasing split against 3.6%: we saw that, and made ties
 * break low).
 */
export function chooseAbstainThreshold(
  act: EditAct, probs: EditProbs, valid: readonly EditTask[], nonsense: readonly { id: string; instruction: string; text: string }[],
  opts: { maxValidAbstained?: number; candidates?: readonly number[]; tie?: number } = {},
): { chosen: number; sweep: AbstainSweepRow[] } {
  const maxValid = opts.maxValidAbstained ?? 0.01;
  const candidates = opts.candidates ?? [0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
  const v = evaluateEditPolicy(act, valid, { probs, minConfidence: 0 }).episodes;
  const n = evaluateAbstention(act, nonsense, { probs, minConfidence: 0 }).items;
  const sweep = candidates.map((tau): AbstainSweepRow => {
    const vDeclined = v.filter((e) => !e.understood || e.confidence < tau);
    return {
      minConfidence: tau,
      validAbstained: vDeclined.length / v.length,
      nonsenseAbstained: n.filter((e) => !e.understood || e.confidence < tau).length / n.length,
      validExact: v.filter((e) => e.exact && e.confidence >= tau).length / v.length,
    };
  });
  const tie = opts.tie ?? 0.005;
  const allowed = sweep.filter((r) => r.validAbstained <= maxValid);
  const margin = (r: AbstainSweepRow) => r.nonsenseAbstained - r.validAbstained;
  const best = Math.max(...allowed.map(margin));
  const chosen = allowed.filter((r) => margin(r) >= best - tie - 1e-12).reduce((m, r) => Math.min(m, r.minConfidence), Infinity);
  return { chosen: Number.isFinite(chosen) ? chosen : 0, sweep };
}
