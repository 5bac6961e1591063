/**
 * Reference policies for the edit agent, and an exhaustive check of the minimal number of edits.
 *
 *   oracleAction(obs, target)      the target-aware oracle: one token edit on a shortest path to the
 *                                  target, among the legal actions; STOP when the text is the target
 *   editOracleAct                  the oracle as an acting function (reads `ctx.task`, which the
 *                                  evaluation harness passes; a learned policy never needs it)
 *   stopAtOnceAct                  the trivial baseline: STOP at once
 *   runOracle(task)                an oracle episode without the env: the edits it takes, solved or not
 *   searchMinimalEdits(task)       breadth-first search over the real action space (payloads and
 *                                  mask included): the true minimum, for checking `minimalEdits`
 */
import { type Rng } from "../../core/rng";
import {
  EDIT_END, EDIT_STOP, applyEditAction, applyEditFlags, editActionMask, editObservation, encodeAction,
  type EditObservation, type EditOp,
} from "./actions";
import { editDistanceTable } from "./distance";
import { editDetokenize, editTokenize } from "./text";
import type { EditTask } from "./tasks";

/** What an edit policy is given besides the observation; `task` only in the evaluation harness, for reference policies. */
export interface EditActContext {
  greedy: boolean;
  rng: Rng;
  mask?: Uint8Array;
  task?: EditTask;
}

/** tsrl's acting signature with the edit agent's observation. */
export type EditAct = (obs: EditObservation, ctx: EditActContext) => number;

/**
 * The oracle's action: STOP if the text is the target; otherwise a legal action that lowers the
 * token-level edit distance to the target's tokens by one. Candidates come from every minimal
 * alignment (a forward and a backward distance table: an edit is on a shortest path when
 * forward + 1 + backward = total), tried left to right — replace, then delete, then insert at each
 * position — and the first whose payload is a candidate and whose action is unmasked is taken.
 * If none is (a target no shortest path can reach under the mask), the legal action whose result is
 * nearest the target; STOP if nothing gets closer.
 */
export function oracleAction(obs: EditObservation, target: string, mask: Uint8Array = editActionMask(obs.textTokens, obs.payloads)): number {
  const a = obs.textTokens, b = editTokenize(target);
  if (obs.text === target) return EDIT_STOP;
  const n = a.length, m = b.length, w = m + 1;
  const fwd = editDistanceTable(a, b);
  const bwd = editDistanceTable(a.slice().reverse(), b.slice().reverse()); // bwd[(n−i)·w + (m−j)] = distance of a[i:] to b[j:]
  const F = (i: number, j: number) => fwd[i * w + j];
  const B = (i: number, j: number) => bwd[(n - i) * w + (m - j)];
  const total = F(n, m);
  const legal = (op: EditOp, i: number, token?: string): number | undefined => {
    const location = op === "INSERT" && i === n ? EDIT_END : i;
    const payload = token === undefined ? 0 : obs.payloads.indexOf(token);
    if (payload < 0) return undefined;
    const action = encodeAction({ op, location, payload });
    return mask[action] ? action : undefined;
  };
  for (let i = 0; i <= n; i++) {
    for (let j = 0; j <= m; j++) {
      if (i < n && j < m && a[i] !== b[j] && F(i, j) + 1 + B(i + 1, j + 1) === total) {
        const act = legal("REPLACE", i, b[j]);
        if (act !== undefined) return act;
      }
      if (i < n && F(i, j) + 1 + B(i + 1, j) === total) {
        const act = legal("DELETE", i);
        if (act !== undefined) return act;
      }
      if (j < m && F(i, j) + 1 + B(i, j + 1) === total) {
        const act = legal("INSERT", i, b[j]);
        if (act !== undefined) return act;
      }
    }
  }
  // no shortest-path edit is legal here: the legal edit that ends nearest the target
  let best = EDIT_STOP, bestDistance = total;
  for (let action = 0; action < mask.length; action++) {
    if (!mask[action] || action === EDIT_STOP) continue;
    const next = applyEditAction(a, obs.payloads, action);
    if (next === "stop") continue;
    const d = editDistanceTable(next, b)[next.length * w + m];
    if (d < bestDistance) {
      best = action;
      bestDistance = d;
    }
  }
  return best;
}

/** The oracle as a policy: needs `ctx.task` (the evaluation harness passes it). */
export const editOracleAct: EditAct = (obs, ctx) => {
  if (!ctx.task) throw new Error("editOracleAct: the oracle needs the task (ctx.task), which evaluateEditPolicy passes");
  return oracleAction(obs, ctx.task.target, ctx.mask);
};

/** The trivial baseline: STOP at once (exact match 0: every task needs an edit). */
export const stopAtOnceAct: EditAct = () => EDIT_STOP;

/** An oracle episode from the task's source, on the pure state functions (no env): its actions (STOP last), edits and output. */
export function runOracle(task: Pick<EditTask, "instruction" | "source" | "target">, maxSteps = 20): { solved: boolean; edits: number; actions: number[]; output: string } {
  const instructionTokens = editTokenize(task.instruction);
  let tokens = editTokenize(task.source);
  const actions: number[] = [];
  let stopped = false;
  while (actions.length < maxSteps) {
    const obs = editObservation(task.instruction, tokens, instructionTokens);
    const action = oracleAction(obs, task.target, editActionMask(tokens, obs.payloads));
    actions.push(action);
    const next = applyEditAction(tokens, obs.payloads, action);
    if (next === "stop") {
      stopped = true;
      break;
    }
    tokens = next;
  }
  const output = editDetokenize(tokens);
  return { solved: stopped && output === task.target, edits: actions.length - (stopped ? 1 : 0), actions, output };
}

/** One oracle step: the observation, the oracle's action there and the mask. */
export interface EditDemonstration {
  obs: EditObservation;
  action: number;
  mask: Uint8Array;
}

/**
 * The oracle's episodes on `tasks` (in an order shuffled by `rng`), step by step, STOP included:
 * what a behaviour-cloning warm start imitates (the registry's `demonstrations`).
 */
export function editDemonstrations(tasks: readonly Pick<EditTask, "instruction" | "source" | "target">[], rng: Rng, maxSteps = 20): EditDemonstration[] {
  const out: EditDemonstration[] = [];
  for (const k of rng.shuffle(tasks.map((_, i) => i))) {
    const task = tasks[k];
    const instructionTokens = editTokenize(task.instruction);
    let tokens = editTokenize(task.source);
    let edited = tokens.map(() => false);
    for (let t = 0; t < maxSteps; t++) {
      const obs = editObservation(task.instruction, tokens, instructionTokens, edited);
      const mask = editActionMask(tokens, obs.payloads);
      const action = oracleAction(obs, task.target, mask);
      out.push({ obs, action, mask });
      const next = applyEditAction(tokens, obs.payloads, action);
      if (next === "stop") break;
      tokens = next;
      edited = applyEditFlags(edited, action);
    }
  }
  return out;
}

export interface MinimalEditSearch {
  /** The fewest edit actions (STOP not counted) that reach the target, if found within the limits. */
  edits?: number;
  /** Distinct token lists visited. */
  states: number;
  /** True when the search was exhaustive to `edits` (or to maxDepth when nothing was found). */
  complete: boolean;
}

/**
 * Breadth-first search from the source over every legal edit action (the env's own payloads and
 * mask), until a state whose text is the target: the true minimum number of edits, a proof that
 * nothing shorter exists. States are token lists (two lists with the same text are different
 * states, as in the env). Exponential: for short texts and a few edits (`maxDepth`, `maxStates`).
 */
export function searchMinimalEdits(task: Pick<EditTask, "instruction" | "source" | "target">, opts: { maxDepth?: number; maxStates?: number } = {}): MinimalEditSearch {
  const maxDepth = opts.maxDepth ?? 3, maxStates = opts.maxStates ?? 2_000_000;
  const start = editTokenize(task.source);
  if (task.source === task.target) return { edits: 0, states: 1, complete: true };
  const instructionTokens = editTokenize(task.instruction);
  const key = (t: readonly string[]) => t.join("\u0000");
  const seen = new Set<string>([key(start)]);
  let frontier: string[][] = [start];
  for (let depth = 1; depth <= maxDepth; depth++) {
    const next: string[][] = [];
    for (const tokens of frontier) {
      const obs = editObservation(task.instruction, tokens, instructionTokens);
      const mask = editActionMask(tokens, obs.payloads);
      for (let action = 0; action < mask.length; action++) {
        if (!mask[action] || action === EDIT_STOP) continue;
        const child = applyEditAction(tokens, obs.payloads, action) as string[];
        if (editDetokenize(child) === task.target) return { edits: depth, states: seen.size, complete: true };
        const k = key(child);
        if (seen.has(k)) continue;
        if (seen.size >= maxStates) return { edits: undefined, states: seen.size, complete: false };
        seen.add(k);
        if (depth < maxDepth) next.push(child);
      }
    }
    frontier = next;
  }
  return { edits: undefined, states: seen.size, complete: true };
}
