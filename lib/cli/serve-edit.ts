/**
 * `tsrl serve DIR --stdio` for an edit agent's checkpoint: one request per line,
 *
 *   → {"instruction": "Capitalise the first word.", "text": "the cat sat.", "id": 7}
 *   ← {"id": 7, "text": "The cat sat.", "steps": ["REPLACE token 0 with \"The\"", "STOP"], "stopped": true}
 *
 * the policy's greedy edits until STOP (or the 20-step limit: `stopped` false). A malformed line
 * gets `{"error": "line N: …"}` and the server goes on.
 */
import { applyEditPolicy } from "../envs/edit-eval";
import type { EditAct } from "../envs/edit-oracle";
import type { LoadedPolicy } from "../algos/checkpoint";

/** The answer to one request line (numbered `n` from 1). */
export function answerEditRequest(policy: LoadedPolicy, line: string, n: number): Record<string, unknown> {
  let request: unknown;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return { error: `line ${n}: not JSON (${(err as Error).message})` };
  }
  const id = (request as { id?: unknown } | null)?.id;
  const withId = id === undefined ? {} : { id };
  const problem = checkEditRequest(request);
  if (problem) return { ...withId, error: `line ${n}: ${problem}` };
  const r = request as { instruction: string; text: string };
  try {
    const out = applyEditPolicy(policy.act as unknown as EditAct, r.instruction, r.text);
    return { ...withId, text: out.text, steps: out.steps.map((s) => s.description), stopped: out.stopped };
  } catch (err) {
    return { ...withId, error: `line ${n}: ${(err as Error).message}` };
  }
}

/** What is wrong with an edit request, or undefined. */
export function checkEditRequest(request: unknown): string | undefined {
  if (typeof request !== "object" || request === null || Array.isArray(request)) return `expected an object like {"instruction": "...", "text": "..."}, got ${JSON.stringify(request)}`;
  const r = request as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !["instruction", "text", "id"].includes(k));
  if (unknown.length) return `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => JSON.stringify(k)).join(", ")}; expected instruction, text, id`;
  for (const k of ["instruction", "text"]) {
    if (!(k in r)) return `missing field "${k}"`;
    if (typeof r[k] !== "string" || (r[k] as string).length === 0) return `${k} must be a non-empty string, got ${JSON.stringify(r[k])}`;
  }
  return undefined;
}
