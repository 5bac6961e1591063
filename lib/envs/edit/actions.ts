/**
 * The edit agent's actions: (op, location, payload) triples flattened into one Discrete space.
 *
 * ## Layout
 *   index = (op · EDIT_LOCATIONS + location) · EDIT_MAX_PAYLOADS + payload          (EDIT_ACTIONS = 4 · 41 · 24 = 3936)
 * read as a [4, 41, 24] grid, row-major: a network can score every (location, payload) pair for each
 * op and flatten. `decodeAction` / `encodeAction` convert.
 *
 * | op | location | payload | effect |
 * |---|---|---|---|
 * | INSERT (0)  | token i (0…39), or END (40) | slot p | insert payloads[p] before token i, or at the end |
 * | REPLACE (1) | token i (0…39)              | slot p | token i becomes payloads[p] |
 * | DELETE (2)  | token i (0…39)              | slot 0 only | remove token i |
 * | STOP (3)    | 0 only                      | slot 0 only | end the episode (the text is the answer) |
 *
 * ## Payloads: a candidate list per state, at most EDIT_MAX_PAYLOADS (24), deduplicated, in this order
 *   1. " " and "." (always slots 0 and 1)
 *   2. case transforms of the text's words that differ from the word: the first word capitalised;
 *      then upper, lower and capitalised forms of the words that match an instruction word
 *      ignoring case
 *   3. the instruction's words, in order (copied: an unseen word can be written); its punctuation
 *      and quote marks are no payloads (no family writes them, and a long, polite instruction
 *      would otherwise crowd the case forms out)
 *   4. case transforms of the other words, in text order
 * and cut at 24. Slots past the list are padding and always masked.
 *
 * ## The mask (`editActionMask`, 1 legal): what is masked and why
 * - locations past the text (i ≥ n tokens) for every op; END for all but INSERT;
 * - padding payload slots; DELETE with a payload slot other than 0; STOP anywhere but (STOP, 0, 0);
 * - REPLACE of a token by the same text (a no-op);
 * - INSERT when the text already has EDIT_MAX_TOKENS (40) tokens;
 * - DELETE of the only token (the text never becomes empty);
 * - an INSERT or REPLACE that would put a space token next to another space token, or at the start
 *   or the end of the text (no target needs a doubled, leading or trailing space).
 * Nothing else is masked: an edit that moves away from the target is legal, and is what the reward
 * is for. The mask depends only on the observation (text tokens and payloads), never on the target.
 */
import { capitalizeWord, editDetokenize, isSpaceToken, isWordToken, lowerCaseWord, editTokenize, upperCaseWord } from "./text";

export const EDIT_OPS = ["INSERT", "REPLACE", "DELETE", "STOP"] as const;
export type EditOp = (typeof EDIT_OPS)[number];

/** Most tokens a text may have (a longer text cannot be edited; tasks are checked against it). */
export const EDIT_MAX_TOKENS = 40;
/** Locations: tokens 0…EDIT_MAX_TOKENS−1, then END. */
export const EDIT_END = EDIT_MAX_TOKENS;
export const EDIT_LOCATIONS = EDIT_MAX_TOKENS + 1;
/** Payload candidates per state. */
export const EDIT_MAX_PAYLOADS = 24;
/** Size of the flat Discrete action space. */
export const EDIT_ACTIONS = EDIT_OPS.length * EDIT_LOCATIONS * EDIT_MAX_PAYLOADS;
/** The one STOP action: (STOP, 0, 0). */
export const EDIT_STOP = (3 * EDIT_LOCATIONS + 0) * EDIT_MAX_PAYLOADS + 0;

export interface EditAction {
  op: EditOp;
  /** Token index, or EDIT_END (40) for INSERT at the end. */
  location: number;
  /** Payload slot (0 for DELETE and STOP). */
  payload: number;
}

/** The (op, location, payload) of a flat action index; throws naming the index when it is out of range. */
export function decodeAction(index: number): EditAction {
  if (!(Number.isInteger(index) && index >= 0 && index < EDIT_ACTIONS)) {
    throw new RangeError(`decodeAction: ${JSON.stringify(index)} is not an action index (an integer in 0..${EDIT_ACTIONS - 1})`);
  }
  const payload = index % EDIT_MAX_PAYLOADS;
  const rest = (index - payload) / EDIT_MAX_PAYLOADS;
  const location = rest % EDIT_LOCATIONS;
  return { op: EDIT_OPS[(rest - location) / EDIT_LOCATIONS], location, payload };
}

/**
 * What the agent sees: the instruction and the current text (never the target), both also as
 * tokens, and this state's payload candidates (slot p of an action writes `payloads[p]`).
 */
export interface EditObservation {
  instruction: string;
  text: string;
  instructionTokens: string[];
  textTokens: string[];
  payloads: string[];
  /**
   * Per text token: written by an edit of this episode (inserted or replaced). What the agent has
   * done so far — after "Replace A with B" it sees that B is its own work, not a word to change back.
   */
  edited: boolean[];
}

/** The observation of a state: the instruction, the current token list and which tokens the episode's edits wrote (none by default). */
export function editObservation(instruction: string, textTokens: readonly string[], instructionTokens: readonly string[] = editTokenize(instruction), edited?: readonly boolean[]): EditObservation {
  if (edited !== undefined && edited.length !== textTokens.length) throw new RangeError(`editObservation: edited has ${edited.length} flags for ${textTokens.length} tokens`);
  return {
    instruction,
    text: editDetokenize(textTokens),
    instructionTokens: instructionTokens.slice(),
    textTokens: textTokens.slice(),
    payloads: payloadCandidates(instructionTokens, textTokens),
    edited: edited ? edited.slice() : textTokens.map(() => false),
  };
}

/** The edited flags after an action (see EditObservation.edited): an inserted or replaced token is marked, a deleted one goes; STOP keeps them. */
export function applyEditFlags(edited: readonly boolean[], action: number): boolean[] {
  const { op, location } = decodeAction(action);
  const out = edited.slice();
  if (op === "STOP") return out;
  const at = op === "INSERT" && location === EDIT_END ? out.length : location;
  if (op === "DELETE") out.splice(at, 1);
  else if (op === "INSERT") out.splice(at, 0, true);
  else out[at] = true;
  return out;
}

/** The flat index of (op, location, payload); DELETE and STOP default to their only legal slots. */
export function encodeAction(action: { op: EditOp; location?: number; payload?: number }): number {
  const opIndex = EDIT_OPS.indexOf(action.op);
  if (opIndex < 0) throw new RangeError(`encodeAction: op must be one of ${EDIT_OPS.join(", ")}, got ${JSON.stringify(action.op)}`);
  const location = action.location ?? 0, payload = action.payload ?? 0;
  if (!(Number.isInteger(location) && location >= 0 && location < EDIT_LOCATIONS)) {
    throw new RangeError(`encodeAction: location must be an integer in 0..${EDIT_END} (${EDIT_END} = END), got ${JSON.stringify(location)}`);
  }
  if (!(Number.isInteger(payload) && payload >= 0 && payload < EDIT_MAX_PAYLOADS)) {
    throw new RangeError(`encodeAction: payload must be an integer slot in 0..${EDIT_MAX_PAYLOADS - 1}, got ${JSON.stringify(payload)}`);
  }
  return (opIndex * EDIT_LOCATIONS + location) * EDIT_MAX_PAYLOADS + payload;
}

/**
 * The payload candidates for a state (see the module comment for the order). Depends only on the
 * instruction and the current text, so an unseen word is available exactly when the instruction
 * names it.
 */
export function payloadCandidates(instructionTokens: readonly string[], textTokens: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (t: string) => {
    if (out.length < EDIT_MAX_PAYLOADS && !seen.has(t)) {
      seen.add(t);
      out.push(t);
    }
  };
  add(" ");
  add(".");
  const words = textTokens.filter(isWordToken);
  const instructionWords = new Set(instructionTokens.filter(isWordToken).map(lowerCaseWord));
  const transforms = (w: string, forms: ((t: string) => string)[]) => {
    for (const f of forms) {
      const v = f(w);
      if (v !== w) add(v);
    }
  };
  if (words.length > 0) transforms(words[0], [capitalizeWord]);
  for (const w of words) if (instructionWords.has(lowerCaseWord(w))) transforms(w, [upperCaseWord, lowerCaseWord, capitalizeWord]);
  for (const t of instructionTokens) if (isWordToken(t)) add(t);
  for (const w of words) if (!instructionWords.has(lowerCaseWord(w))) transforms(w, [capitalizeWord, upperCaseWord, lowerCaseWord]);
  return out;
}

/** `info.actionMask` for a state: 1 legal, 0 masked (the rules are in the module comment). */
export function editActionMask(textTokens: readonly string[], payloads: readonly string[]): Uint8Array {
  const mask = new Uint8Array(EDIT_ACTIONS);
  const n = textTokens.length, P = Math.min(payloads.length, EDIT_MAX_PAYLOADS);
  mask[EDIT_STOP] = 1;
  const spaceAt = (i: number) => i >= 0 && i < n && isSpaceToken(textTokens[i]);
  // INSERT before token i (i < n) or at END: the new token sits between tokens i−1 and i
  if (n < EDIT_MAX_TOKENS) {
    for (let i = 0; i <= n; i++) {
      const location = i === n ? EDIT_END : i;
      const base = (0 * EDIT_LOCATIONS + location) * EDIT_MAX_PAYLOADS;
      const spaceOk = i > 0 && i < n && !spaceAt(i - 1) && !spaceAt(i);
      for (let p = 0; p < P; p++) if (spaceOk || !isSpaceToken(payloads[p])) mask[base + p] = 1;
    }
  }
  for (let i = 0; i < n; i++) {
    // REPLACE token i: not by itself; a space only between two non-space tokens
    const base = (1 * EDIT_LOCATIONS + i) * EDIT_MAX_PAYLOADS;
    const spaceOk = i > 0 && i < n - 1 && !spaceAt(i - 1) && !spaceAt(i + 1);
    for (let p = 0; p < P; p++) if (payloads[p] !== textTokens[i] && (spaceOk || !isSpaceToken(payloads[p]))) mask[base + p] = 1;
    // DELETE token i, unless it is the last token left
    if (n > 1) mask[(2 * EDIT_LOCATIONS + i) * EDIT_MAX_PAYLOADS] = 1;
  }
  return mask;
}

/**
 * The token list after an edit action (a new array), or "stop" for STOP. Assumes the action is
 * legal (see `editActionMask`); throws naming the action when its location or payload slot does
 * not exist in this state.
 */
export function applyEditAction(textTokens: readonly string[], payloads: readonly string[], action: number): string[] | "stop" {
  const { op, location, payload } = decodeAction(action);
  if (op === "STOP") return "stop";
  const n = textTokens.length;
  const at = op === "INSERT" && location === EDIT_END ? n : location;
  if (at > n || (op !== "INSERT" && at >= n) || (op === "INSERT" && location !== EDIT_END && location >= n)) {
    throw new RangeError(`applyEditAction: ${describeAction(action)} is past the text's ${n} tokens`);
  }
  const out = textTokens.slice();
  if (op === "DELETE") {
    out.splice(at, 1);
    return out;
  }
  if (payload >= payloads.length) throw new RangeError(`applyEditAction: ${describeAction(action)} names payload slot ${payload}, but this state has ${payloads.length}`);
  if (op === "INSERT") out.splice(at, 0, payloads[payload]);
  else out[at] = payloads[payload];
  return out;
}

/** "INSERT '.' at END", "REPLACE token 3 with 'Dog'", "DELETE token 2", "STOP" — with the payloads when given, slots otherwise. */
export function describeAction(action: number, payloads?: readonly string[]): string {
  const { op, location, payload } = decodeAction(action);
  const what = payloads && payload < payloads.length ? JSON.stringify(payloads[payload]) : `payload slot ${payload}`;
  const where = location === EDIT_END ? "END" : `token ${location}`;
  if (op === "STOP") return "STOP";
  if (op === "DELETE") return `DELETE ${where}`;
  if (op === "INSERT") return location === EDIT_END ? `INSERT ${what} at END` : `INSERT ${what} before ${where}`;
  return `REPLACE ${where} with ${what}`;
}
