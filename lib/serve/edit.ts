/**
 * The edit request of an edit agent's checkpoint (EditAgent-v0): an instruction and a text in, the
 * edited text and its steps out — the policy's greedy edits until STOP or the 20-step limit
 * (`stopped` false), and its verdict: `understood` false with a `reason` and a `message` when it
 * declines (lib/envs/edit/evaluate's `editVerdict`), the text then unchanged.
 *
 *   {"instruction": "Capitalise the first word.", "text": "the cat sat."}
 *   → {"text": "The cat sat.", "steps": ["REPLACE token 0 with \"The\"", "STOP"], "stopped": true, "understood": true, "message": "1 edit, then stop."}
 *   {"instruction": "Banana telescope whistle quickly.", "text": "the cat sat."}
 *   → {"text": "the cat sat.", "steps": ["STOP"], "stopped": true, "understood": false, "reason": "no-edit", "message": "I could not find …"}
 */
import { applyEditPolicy, type EditProbs } from "../envs/edit/evaluate";
import type { EditAct } from "../envs/edit/oracle";
import { EDIT_MAX_TOKENS, editObservation } from "../envs/edit/actions";
import { editTokenize } from "../envs/edit/text";
import type { LoadedPolicy } from "../algos/checkpoint";
import { checkFiniteOutput } from "./act";
import { checkFields, excerpt, RequestError, type RequestHandler } from "./request";

const FIELDS = ["instruction", "text"];
const EXAMPLE = '{"instruction": "...", "text": "..."}';
/**
 * Longest instruction and text, in characters. The agent reads an instruction's first 48 tokens and
 * edits texts of at most 40; the bounds keep one request's work small (a 500,000-character word
 * took ~10 s of featurising) and are far above any task of datasets/edit.
 */
export const EDIT_MAX_CHARS = 2000;

export function createEditHandler(policy: Pick<LoadedPolicy, "act" | "probs">): RequestHandler {
  return (request: unknown) => {
    const r = checkFields(request, FIELDS, EXAMPLE);
    for (const k of FIELDS) {
      const v = r[k];
      if (!Object.hasOwn(r, k)) throw new RequestError(`missing field "${k}"`, k);
      if (typeof v !== "string" || v.length === 0) throw new RequestError(`${k} must be a non-empty string, got ${excerpt(v)}`, k);
      if (v.length > EDIT_MAX_CHARS) throw new RequestError(`${k} has ${v.length} characters; at most ${EDIT_MAX_CHARS}`, k);
    }
    const instruction = r.instruction as string, text = r.text as string;
    const tokens = editTokenize(text).length;
    if (tokens > EDIT_MAX_TOKENS) throw new RequestError(`text has ${tokens} tokens; the edit agent handles at most ${EDIT_MAX_TOKENS}`, "text");
    let out: ReturnType<typeof applyEditPolicy>;
    try {
      out = applyEditPolicy(policy.act as unknown as EditAct, instruction, text, { probs: policy.probs as unknown as EditProbs });
    } catch (err) {
      checkFiniteOutput(policy, editObservation(instruction, editTokenize(text))); // NaN weights: say that, not what broke downstream
      throw err;
    }
    return {
      text: out.text, steps: out.steps.map((s) => s.description), stopped: out.stopped, understood: out.understood,
      ...(out.reason ? { reason: out.reason } : {}), message: out.message, confidence: Number(out.confidence.toPrecision(4)),
    };
  };
}
