/**
 * Batches of token sequences of different lengths, and the masks that make padding invisible.
 *
 * Convention: prompts are LEFT-padded, completions RIGHT-padded:
 *
 *     column:      0    1    2    3  | 4    5    6
 *     row 0:      pad  pad   p    p  | c    c   pad        P = 4 prompt columns, C = 3 completion columns
 *     row 1:       p    p    p    p  | c    c    c
 *
 * so every prompt ends at column P − 1 and every completion starts at column P, in every row: one
 * KV-cache step appends one column for the whole batch, and token j of every completion is
 * predicted from column P − 1 + j. Padding is made invisible by
 *   - the attention mask: no query attends to a padding key (a padding query attends to itself
 *     only, so no row of the softmax is empty);
 *   - position ids that count real tokens only (cumsum(mask) − 1): a left-padded prompt's first
 *     token gets position 0, exactly as without padding;
 *   - right padding comes after every real token, so causality already hides it.
 * The pad token id itself never matters (we use 0, a valid id in any vocabulary).
 */
import * as tf from "@tensorflow/tfjs";

export const PAD_ID = 0;

/** Large negative added to masked attention scores (finite: -inf would make 0·inf = NaN in gradients). */
export const MASKED = -1e9;

export interface PaddedBatch {
  batch: number;
  length: number;
  /** [batch·length] token ids, row-major. */
  ids: Int32Array;
  /** [batch·length] 1 for a real token, 0 for padding. */
  mask: Uint8Array;
  /** [batch·length] position id of each column: real tokens count 0, 1, 2, … ; padding gets 0. */
  positions: Int32Array;
  /** Whether any row has padding (else the attention mask is causal only). */
  padded: boolean;
}

function checkIds(rows: readonly (readonly number[])[], what: string): void {
  if (!Array.isArray(rows) || rows.length === 0) throw new RangeError(`${what}: need at least one sequence`);
  rows.forEach((row, b) => {
    if (!Array.isArray(row)) throw new TypeError(`${what}[${b}] must be an array of token ids`);
    for (let t = 0; t < row.length; t++) {
      if (!Number.isInteger(row[t]) || row[t] < 0) throw new RangeError(`${what}[${b}][${t}] = ${row[t]} is not a token id`);
    }
  });
}

/** Positions = running count of real tokens minus one (0 on padding), from a mask. */
export function positionsFromMask(mask: Uint8Array, batch: number, length: number, offsets?: ArrayLike<number>): Int32Array {
  const positions = new Int32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    let seen = offsets ? offsets[b] : 0;
    for (let t = 0; t < length; t++) {
      const i = b * length + t;
      positions[i] = mask[i] ? seen : 0;
      if (mask[i]) seen++;
    }
  }
  return positions;
}

/** Left-pads sequences to the longest (see the module comment). */
export function leftPad(rows: readonly (readonly number[])[], padId = PAD_ID): PaddedBatch {
  checkIds(rows, "ids");
  const batch = rows.length, length = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(batch * length).fill(padId), mask = new Uint8Array(batch * length);
  rows.forEach((row, b) => {
    const start = length - row.length;
    for (let t = 0; t < row.length; t++) { ids[b * length + start + t] = row[t]; mask[b * length + start + t] = 1; }
  });
  const padded = rows.some((r) => r.length !== length);
  return { batch, length, ids, mask, positions: positionsFromMask(mask, batch, length), padded };
}

/** Prompts left-padded to P columns, completions right-padded to C columns after them; length P + C. */
export function promptCompletionBatch(prompts: readonly (readonly number[])[], completions: readonly (readonly number[])[], padId = PAD_ID): PaddedBatch & { promptLength: number; completionLength: number } {
  checkIds(prompts, "promptIds");
  checkIds(completions, "completionIds");
  if (prompts.length !== completions.length) throw new RangeError(`${prompts.length} prompts but ${completions.length} completions`);
  prompts.forEach((p, b) => { if (p.length === 0) throw new RangeError(`promptIds[${b}] is empty: a completion's first token needs a token before it (GPT-2 uses <|endoftext|>, 50256)`); });
  const batch = prompts.length;
  const P = Math.max(...prompts.map((r) => r.length)), C = Math.max(...completions.map((r) => r.length));
  const length = P + C;
  const ids = new Int32Array(batch * length).fill(padId), mask = new Uint8Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const p = prompts[b], c = completions[b];
    for (let t = 0; t < p.length; t++) { ids[b * length + P - p.length + t] = p[t]; mask[b * length + P - p.length + t] = 1; }
    for (let t = 0; t < c.length; t++) { ids[b * length + P + t] = c[t]; mask[b * length + P + t] = 1; }
  }
  const padded = prompts.some((r) => r.length !== P) || completions.some((r) => r.length !== C);
  return { batch, length, ids, mask, positions: positionsFromMask(mask, batch, length), padded, promptLength: P, completionLength: C };
}

/** [batch, C] float32 mask: 1 where completion b has a token j, 0 on padding. */
export function completionMask(completions: readonly (readonly number[])[]): tf.Tensor2D {
  const C = Math.max(0, ...completions.map((r) => r.length));
  const m = new Float32Array(completions.length * C);
  completions.forEach((r, b) => m.fill(1, b * C, b * C + r.length));
  return tf.tensor2d(m, [completions.length, C]);
}

/**
 * Additive attention bias [batch or 1, 1, queries, keys]: 0 where query i may attend to key j,
 * MASKED elsewhere. Queries are the last `queries` of the `keys` columns; query column q attends
 * to key j ≤ q that is a real token (`keyMask`, [batch·keys], null = no padding), and always to itself.
 */
export function attentionBias(keyMask: Uint8Array | null, batch: number, queries: number, keys: number): tf.Tensor4D {
  const rows = keyMask ? batch : 1;
  const bias = new Float32Array(rows * queries * keys);
  const first = keys - queries;
  for (let b = 0; b < rows; b++) {
    for (let i = 0; i < queries; i++) {
      const q = first + i, row = (b * queries + i) * keys;
      for (let j = 0; j < keys; j++) {
        const visible = j === q || (j < q && (!keyMask || keyMask[b * keys + j] === 1));
        if (!visible) bias[row + j] = MASKED;
      }
    }
  }
  return tf.tensor4d(bias, [rows, 1, queries, keys]);
}
